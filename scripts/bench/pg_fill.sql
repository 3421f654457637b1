-- pg_fill.sql -- adds :n unassigned open tickets (psql -v n=...), spread over
-- the lab's priorities and categories like the module's pool.
INSERT INTO tickets (user_id, subject, body, priority, category, created_at, updated_at,
                     sla_due_at)
SELECT 1 + g % 1000,
       'Charged twice for order ' || g,
       'My card was billed two times',
       (ARRAY[1, 5, 10, 20])[1 + g % 4],
       (ARRAY['billing', 'technical', 'general'])[1 + g % 3],
       now(), now(), now() + interval '1 day'
FROM generate_series(1, :n) AS g;
