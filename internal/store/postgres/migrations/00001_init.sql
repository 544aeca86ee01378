-- +goose Up
CREATE TABLE requests (
    id                    text        NOT NULL PRIMARY KEY CHECK (id <> ''),
    requester             text        NOT NULL,
    channel_id            text        NOT NULL DEFAULT '',
    message_ts            text        NOT NULL DEFAULT '',
    instance_alias        text        NOT NULL,
    instance_id           text        NOT NULL,
    node_id               text        NOT NULL DEFAULT '',
    addrs                 jsonb       NOT NULL CHECK (jsonb_typeof(addrs) = 'array'),
    reason                text        NOT NULL DEFAULT '',
    approvals_required    integer     NOT NULL CHECK (approvals_required >= 0),
    state                 text        NOT NULL CHECK (state IN ('pending', 'approved', 'executing',
                                          'succeeded', 'failed', 'unknown', 'denied', 'expired', 'cancelled')),
    created_at            timestamptz NOT NULL,
    expires_at            timestamptz NOT NULL,
    -- when the state last changed
    updated_at            timestamptz NOT NULL,
    -- who moved the request out of pending; empty for expiry
    decided_by            text        NOT NULL DEFAULT '',
    note                  text        NOT NULL DEFAULT '',
    -- the DCS outcome: all NULL until there is one, then all set
    result_code           text,
    result_message        text,
    result_http_status    integer,
    result_dcs_request_id text,
    result_detail         text,
    CHECK ((result_code IS NULL AND result_message IS NULL AND result_http_status IS NULL
            AND result_dcs_request_id IS NULL AND result_detail IS NULL)
        OR (result_code IS NOT NULL AND result_message IS NOT NULL AND result_http_status IS NOT NULL
            AND result_dcs_request_id IS NOT NULL AND result_detail IS NOT NULL))
);

CREATE INDEX requests_state_expires ON requests (state, expires_at);
CREATE INDEX requests_state_updated ON requests (state, updated_at);
CREATE INDEX requests_instance_created ON requests (instance_alias, created_at);
CREATE INDEX requests_created ON requests (created_at);

CREATE TABLE approvals (
    request_id text        NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    user_id    text        NOT NULL,
    at         timestamptz NOT NULL,
    -- 1, 2, ... per request in the order recorded
    seq        integer     NOT NULL,
    PRIMARY KEY (request_id, user_id)
);

CREATE TABLE events (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id text        NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    at         timestamptz NOT NULL,
    actor      text        NOT NULL DEFAULT '',
    kind       text        NOT NULL,
    detail     text        NOT NULL DEFAULT ''
);

CREATE INDEX events_request ON events (request_id, at, id);

-- +goose Down
DROP TABLE events;
DROP TABLE approvals;
DROP TABLE requests;
