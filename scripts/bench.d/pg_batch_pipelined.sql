-- pg_batch_pipelined.sql -- pg_batch.sql in pgbench pipeline mode: the same
-- transaction (top the agent's batch up to 15 with FOR UPDATE SKIP LOCKED,
-- close one, log both) sent in one round trip, like loadclient -P does for
-- the module. pgbench client i is agent A<i+1>.
\set agent :client_id + 1
\startpipeline
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
\endpipeline
