-- +goose Up
-- The DCS job of an executed kill-all (HangUpKillAllClients answers with
-- one): empty until DCS accepted the kill-all, and for kills. A request
-- left executing with a job is followed again after a restart.
ALTER TABLE requests ADD COLUMN job_id TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE requests DROP COLUMN job_id;
