-- +goose Up
-- The direct messages sent to approvers about a request, so that any
-- replica can redraw them when the request ends.
CREATE TABLE approver_messages (
    request_id text NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    user_id    text NOT NULL CHECK (user_id <> ''),
    -- the direct-message conversation and the message's ts in it
    channel_id text NOT NULL CHECK (channel_id <> ''),
    ts         text NOT NULL CHECK (ts <> ''),
    PRIMARY KEY (request_id, user_id)
);

-- Who last looked at their overview (the App Home tab) and when, so that
-- any replica can refresh the views of recent viewers when a request they
-- show changes.
CREATE TABLE overview_viewers (
    user_id text        NOT NULL PRIMARY KEY CHECK (user_id <> ''),
    seen_at timestamptz NOT NULL
);

CREATE INDEX overview_viewers_seen ON overview_viewers (seen_at);

-- +goose Down
DROP TABLE overview_viewers;
DROP TABLE approver_messages;
