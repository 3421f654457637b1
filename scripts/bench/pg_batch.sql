-- pg_batch.sql -- one pgbench transaction of the batch-assignment workload:
-- an agent tops its batch up to 15 unassigned tickets (most urgent, then
-- oldest, skipping rows other agents are locking) and closes one ("sells
-- one"), logging each change like the module does. pgbench client i is
-- agent A<i+1>. The id list goes through ARRAY(...) so the UPDATE is an index
-- lookup per picked row (a CTE join makes the planner hash the whole table).
\set agent :client_id + 1
BEGIN;
WITH assigned AS (
    UPDATE tickets
    SET assigned_agent = 'A' || :agent, updated_at = now(), version = version + 1
    WHERE id = ANY (ARRAY(
        SELECT id FROM tickets
        WHERE status = 'open' AND assigned_agent IS NULL
        ORDER BY priority DESC, created_at, id
        LIMIT greatest(0, 15 - (SELECT count(*) FROM tickets
                                WHERE assigned_agent = 'A' || :agent))
        FOR UPDATE SKIP LOCKED))
    RETURNING id
)
INSERT INTO ticket_log (ticket_id, entry)
SELECT id, 'assigned to A' || :agent FROM assigned;
WITH closed AS (
    UPDATE tickets
    SET status = 'closed', closed_at = now(), updated_at = now(),
        resolved_by = assigned_agent, assigned_agent = NULL, version = version + 1
    WHERE id = (SELECT id FROM tickets WHERE assigned_agent = 'A' || :agent
                ORDER BY id LIMIT 1 FOR UPDATE)
    RETURNING id
)
INSERT INTO ticket_log (ticket_id, entry) SELECT id, 'closed' FROM closed;
END;
