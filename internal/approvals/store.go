package approvals

import (
	"context"
	"time"
)

// Store keeps requests and their audit trail. Every change is conditional on
// the request's current state, so a repeated click, a redelivered envelope or
// another replica finds nothing to change and does nothing. Implementations
// live in internal/store/...; all of them pass internal/store/storetest.
type Store interface {
	// Create inserts a new pending request and its "requested" audit event.
	// It returns ErrDuplicateID if the ID is taken.
	Create(ctx context.Context, r *Request) error
	// Get returns the request with its approvals in the order given, or ErrNotFound.
	Get(ctx context.Context, id string) (*Request, error)
	// SetMessage records where the approval message was posted.
	SetMessage(ctx context.Context, id, channelID, ts string) error
	// AddApproval records user's approval if the request is still pending and
	// the user has not approved it yet, with an "approval" audit event.
	// added is false when nothing was recorded; count is the number of
	// approvals the request has after the call.
	AddApproval(ctx context.Context, id string, a Approval) (added bool, count int, err error)
	// Apply performs t if the request is in t.From, records t.To as an audit
	// event, and reports whether it did. It returns ErrNotFound for an unknown ID.
	Apply(ctx context.Context, id string, t Transition) (bool, error)
	// ListStale returns requests in state whose deadline is at or before
	// before: for Pending the deadline is ExpiresAt, for other states UpdatedAt.
	// Oldest first, at most limit (0: no limit).
	ListStale(ctx context.Context, state State, before time.Time, limit int) ([]*Request, error)
	// List returns the newest requests first, filtered.
	List(ctx context.Context, f ListFilter) ([]*Request, error)
	// Count returns how many requests are in state.
	Count(ctx context.Context, state State) (int, error)
	// Events returns a request's audit trail, oldest first.
	Events(ctx context.Context, id string) ([]Event, error)
	// SetJob records the DCS job of an executing request that has none, and
	// moves its UpdatedAt to at; it reports whether it did.
	SetJob(ctx context.Context, id, jobID string, at time.Time) (bool, error)
	// ResumeJob moves to at the UpdatedAt of an executing request that has a
	// job, if its UpdatedAt is at or before staleBefore; it reports whether
	// it did. Of several callers that found the request stale, one wins the
	// right to follow its job again.
	ResumeJob(ctx context.Context, id string, staleBefore, at time.Time) (bool, error)
	// MarkReminded records that a reminder is being posted for a pending
	// request that had none; it reports whether this caller won that right.
	MarkReminded(ctx context.Context, id string, at time.Time) (bool, error)
	// Ping checks that the store is reachable.
	Ping(ctx context.Context) error
}

// ListFilter narrows List. Zero values mean no filter.
type ListFilter struct {
	InstanceAlias string
	States        []State
	Limit         int
}
