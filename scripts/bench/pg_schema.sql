-- pg_schema.sql -- the classic relational design of the same helpdesk data,
-- the peer of the module in the batch-assignment workload.
--
-- Tickets stay `open` while an agent holds them (as in the module); closing
-- clears assigned_agent and stores resolved_by. Every change is logged, one
-- row per entry, as the module logs to D:ticket:<tid>:log.
DROP TABLE IF EXISTS ticket_log;
DROP TABLE IF EXISTS tickets;

CREATE TABLE tickets (
    id             bigserial PRIMARY KEY,
    user_id        bigint,
    subject        text        NOT NULL,
    body           text,
    status         text        NOT NULL DEFAULT 'open',
    priority       int         NOT NULL,
    category       text        NOT NULL,
    urgency        real        NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    assigned_agent text,
    resolved_by    text,
    sla_due_at     timestamptz,
    closed_at      timestamptz,
    version        int         NOT NULL DEFAULT 1
);

CREATE TABLE ticket_log (
    ticket_id bigint      NOT NULL,
    at        timestamptz NOT NULL DEFAULT now(),
    entry     text        NOT NULL
);

-- The routing queue: unassigned open tickets, most urgent (then oldest) first.
CREATE INDEX tickets_unassigned ON tickets (priority DESC, created_at, id)
    WHERE status = 'open' AND assigned_agent IS NULL;
-- An agent's batch.
CREATE INDEX tickets_by_agent ON tickets (assigned_agent, id)
    WHERE assigned_agent IS NOT NULL;
CREATE INDEX ticket_log_ticket ON ticket_log (ticket_id);
