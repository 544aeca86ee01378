-- +goose Up
-- The direct messages sent to approvers about a request, so that any bot
-- process can redraw them when the request ends. Times are Unix
-- microseconds, UTC.
CREATE TABLE approver_messages (
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL CHECK (user_id <> ''),
    -- the direct-message conversation and the message's ts in it
    channel_id TEXT NOT NULL CHECK (channel_id <> ''),
    ts         TEXT NOT NULL CHECK (ts <> ''),
    PRIMARY KEY (request_id, user_id)
) STRICT;

-- Who last looked at their overview (the App Home tab) and when, so that
-- any bot process can refresh the views of recent viewers when a request
-- they show changes.
CREATE TABLE overview_viewers (
    user_id TEXT    NOT NULL PRIMARY KEY CHECK (user_id <> ''),
    seen_at INTEGER NOT NULL
) STRICT;

CREATE INDEX overview_viewers_seen ON overview_viewers (seen_at);

-- +goose Down
DROP TABLE overview_viewers;
DROP TABLE approver_messages;
