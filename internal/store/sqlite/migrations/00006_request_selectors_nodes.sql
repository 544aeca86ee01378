-- +goose Up
-- A request's selectors (as the flags that give them, '' when the addresses
-- were typed or picked), and what a kill on every node kills per node.
ALTER TABLE requests ADD COLUMN selectors TEXT NOT NULL DEFAULT '';
-- JSON: the []approvals.NodeTargets of a kill on every node; NULL otherwise
ALTER TABLE requests ADD COLUMN nodes TEXT CHECK (nodes IS NULL OR (json_valid(nodes) AND json_type(nodes) = 'array'));

-- +goose Down
ALTER TABLE requests DROP COLUMN nodes;
ALTER TABLE requests DROP COLUMN selectors;
