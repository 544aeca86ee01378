-- +goose Up
-- Times are Unix microseconds, UTC.
CREATE TABLE requests (
    id                    TEXT    NOT NULL PRIMARY KEY CHECK (id <> ''),
    requester             TEXT    NOT NULL,
    channel_id            TEXT    NOT NULL DEFAULT '',
    message_ts            TEXT    NOT NULL DEFAULT '',
    instance_alias        TEXT    NOT NULL,
    instance_id           TEXT    NOT NULL,
    node_id               TEXT    NOT NULL DEFAULT '',
    addrs                 TEXT    NOT NULL CHECK (json_valid(addrs) AND json_type(addrs) = 'array'),
    reason                TEXT    NOT NULL DEFAULT '',
    approvals_required    INTEGER NOT NULL CHECK (approvals_required >= 0),
    state                 TEXT    NOT NULL CHECK (state IN ('pending', 'approved', 'executing',
                              'succeeded', 'failed', 'unknown', 'denied', 'expired', 'cancelled')),
    created_at            INTEGER NOT NULL,
    expires_at            INTEGER NOT NULL,
    -- when the state last changed
    updated_at            INTEGER NOT NULL,
    -- who moved the request out of pending; empty for expiry
    decided_by            TEXT    NOT NULL DEFAULT '',
    note                  TEXT    NOT NULL DEFAULT '',
    -- the DCS outcome: all NULL until there is one, then all set
    result_code           TEXT,
    result_message        TEXT,
    result_http_status    INTEGER,
    result_dcs_request_id TEXT,
    result_detail         TEXT,
    CHECK ((result_code IS NULL AND result_message IS NULL AND result_http_status IS NULL
            AND result_dcs_request_id IS NULL AND result_detail IS NULL)
        OR (result_code IS NOT NULL AND result_message IS NOT NULL AND result_http_status IS NOT NULL
            AND result_dcs_request_id IS NOT NULL AND result_detail IS NOT NULL))
) STRICT;

CREATE INDEX requests_state_expires ON requests (state, expires_at);
CREATE INDEX requests_state_updated ON requests (state, updated_at);
CREATE INDEX requests_instance_created ON requests (instance_alias, created_at);
CREATE INDEX requests_created ON requests (created_at);

CREATE TABLE approvals (
    request_id TEXT    NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    user_id    TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    -- 1, 2, ... per request in the order recorded
    seq        INTEGER NOT NULL,
    PRIMARY KEY (request_id, user_id)
) STRICT;

CREATE TABLE events (
    id         INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    request_id TEXT    NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL DEFAULT '',
    kind       TEXT    NOT NULL,
    detail     TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX events_request ON events (request_id, at, id);

-- +goose Down
DROP TABLE events;
DROP TABLE approvals;
DROP TABLE requests;
