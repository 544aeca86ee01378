-- +goose Up
-- How far each audit sink has got through the events table, and which bot
-- replica ships to it.
CREATE TABLE audit_cursors (
    -- the sink's key, e.g. 'log' or 'webhook:https://siem.example.com/in'
    sink        text        NOT NULL PRIMARY KEY CHECK (sink <> ''),
    -- events.id of the last event the sink accepted; 0 before the first
    last_seq    bigint      NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    -- the replica holding the lease, and until when
    owner       text        NOT NULL DEFAULT '',
    lease_until timestamptz NOT NULL DEFAULT 'epoch'
);

-- +goose Down
DROP TABLE audit_cursors;
