-- +goose Up
-- A request's selectors (as the flags that give them, '' when the addresses
-- were typed or picked), and what a kill on every node kills per node.
ALTER TABLE requests
    ADD COLUMN selectors text  NOT NULL DEFAULT '',
    -- the []approvals.NodeTargets of a kill on every node; NULL otherwise
    ADD COLUMN nodes     jsonb CHECK (nodes IS NULL OR jsonb_typeof(nodes) = 'array');

-- +goose Down
ALTER TABLE requests
    DROP COLUMN nodes,
    DROP COLUMN selectors;
