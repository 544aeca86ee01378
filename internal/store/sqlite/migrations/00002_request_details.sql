-- +goose Up
-- What a request kills, the live-session preview taken when it was made, the
-- addresses actually sent to DCS (and those held back), and the reminder.
ALTER TABLE requests ADD COLUMN kind TEXT NOT NULL DEFAULT 'kill' CHECK (kind IN ('kill', 'kill-all'));
ALTER TABLE requests ADD COLUMN all_nodes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN dry_run INTEGER NOT NULL DEFAULT 0;
-- JSON: the approvals.Preview
ALTER TABLE requests ADD COLUMN preview TEXT;
-- JSON: {killed, skipped, dry_run} of the result
ALTER TABLE requests ADD COLUMN result_extra TEXT;
ALTER TABLE requests ADD COLUMN reminded_at INTEGER;

-- +goose Down
ALTER TABLE requests DROP COLUMN reminded_at;
ALTER TABLE requests DROP COLUMN result_extra;
ALTER TABLE requests DROP COLUMN preview;
ALTER TABLE requests DROP COLUMN dry_run;
ALTER TABLE requests DROP COLUMN all_nodes;
ALTER TABLE requests DROP COLUMN kind;
