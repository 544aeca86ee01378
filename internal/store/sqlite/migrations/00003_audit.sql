-- +goose Up
-- How far each audit sink has got through the events table, and which bot
-- process ships to it. Times are Unix microseconds, UTC.
CREATE TABLE audit_cursors (
    -- the sink's key, e.g. 'log' or 'webhook:https://siem.example.com/in'
    sink        TEXT    NOT NULL PRIMARY KEY CHECK (sink <> ''),
    -- events.id of the last event the sink accepted; 0 before the first
    last_seq    INTEGER NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    -- the shipper holding the lease, and until when
    owner       TEXT    NOT NULL DEFAULT '',
    lease_until INTEGER NOT NULL DEFAULT 0
) STRICT;

-- +goose Down
DROP TABLE audit_cursors;
