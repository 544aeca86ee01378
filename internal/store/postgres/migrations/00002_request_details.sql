-- +goose Up
-- What a request kills, the live-session preview taken when it was made, the
-- addresses actually sent to DCS (and those held back), and the reminder.
ALTER TABLE requests
    ADD COLUMN kind         text        NOT NULL DEFAULT 'kill' CHECK (kind IN ('kill', 'kill-all')),
    ADD COLUMN all_nodes    boolean     NOT NULL DEFAULT false,
    ADD COLUMN dry_run      boolean     NOT NULL DEFAULT false,
    ADD COLUMN preview      jsonb,
    ADD COLUMN result_extra jsonb,
    ADD COLUMN reminded_at  timestamptz;

-- +goose Down
ALTER TABLE requests
    DROP COLUMN reminded_at,
    DROP COLUMN result_extra,
    DROP COLUMN preview,
    DROP COLUMN dry_run,
    DROP COLUMN all_nodes,
    DROP COLUMN kind;
