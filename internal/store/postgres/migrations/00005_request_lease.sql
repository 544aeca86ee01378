-- +goose Up
-- The lease of the worker that holds an approved or executing request:
-- until when it is known to be alive. The worker renews it while the kill
-- runs; the sweep takes a request for abandoned only once its lease has
-- expired. NULL: no holder (every other state), or a request recorded by
-- a release without leases.
ALTER TABLE requests ADD COLUMN lease_until timestamptz;
CREATE INDEX requests_state_lease ON requests (state, lease_until);

-- +goose Down
DROP INDEX requests_state_lease;
ALTER TABLE requests DROP COLUMN lease_until;
