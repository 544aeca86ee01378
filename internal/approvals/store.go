package approvals

import (
	"context"
	"slices"
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
	// Approve records v's approval and, when that brings the approvals
	// that count to the request's ApprovalsRequired, claims the request
	// for the caller, all in one transaction: the approval (unless its user
	// approved already) with its "approval" event; then, if the request is
	// still pending and the approvals by v.Counting reach the count,
	// pending -> approved (DecidedBy v's user) and approved -> executing
	// (leased until v.LeaseUntil), each with its audit event, at v's time
	// and by v's user. Nothing changes on a request that is not pending.
	// It returns ErrNotFound for an unknown ID.
	Approve(ctx context.Context, id string, v Vote) (Tally, error)
	// Apply performs t if the request is in t.From (and, with
	// t.IfAbandoned, its worker is still gone), records t.To as an audit
	// event, and reports whether it did. It returns ErrNotFound for an
	// unknown ID.
	Apply(ctx context.Context, id string, t Transition) (bool, error)
	// ListStale returns requests in state whose deadline is at or before
	// before: for Pending the deadline is ExpiresAt, for other states UpdatedAt.
	// Oldest first, at most limit (0: no limit).
	ListStale(ctx context.Context, state State, before time.Time, limit int) ([]*Request, error)
	// RenewLease sets the lease of a request still in state to until, and
	// reports whether it is still in state. It records no audit event.
	RenewLease(ctx context.Context, id string, state State, until time.Time) (bool, error)
	// ListAbandoned returns requests in state whose worker is gone: their
	// lease ended at or before now, or, holding no lease, they last
	// changed at or before unleasedBefore. Oldest first, at most limit (0:
	// no limit).
	ListAbandoned(ctx context.Context, state State, now, unleasedBefore time.Time, limit int) ([]*Request, error)
	// List returns the newest requests first, filtered.
	List(ctx context.Context, f ListFilter) ([]*Request, error)
	// Count returns how many requests are in state.
	Count(ctx context.Context, state State) (int, error)
	// Events returns a request's audit trail, oldest first.
	Events(ctx context.Context, id string) ([]Event, error)
	// SetJob records the DCS job of an executing request that has none, and
	// moves its UpdatedAt to at; it reports whether it did.
	SetJob(ctx context.Context, id, jobID string, at time.Time) (bool, error)
	// ResumeJob gives the caller the lease (until) of an executing request
	// that has a job and whose worker is gone: its lease ended at or before
	// leaseBefore, or it holds none and last changed at or before
	// unleasedBefore. It reports whether it did: of several callers that
	// found the request abandoned, one wins the right to follow its job.
	ResumeJob(ctx context.Context, id string, leaseBefore, unleasedBefore, until time.Time) (bool, error)
	// MarkReminded records that a reminder is being posted for a pending
	// request that had none; it reports whether this caller won that right.
	// It returns ErrNotFound for an unknown ID.
	MarkReminded(ctx context.Context, id string, at time.Time) (bool, error)
	// Ping checks that the store is reachable.
	Ping(ctx context.Context) error
	// AddApproverMessage records a direct message sent to an approver
	// about request id; a second one to the same user replaces the first.
	// It returns ErrNotFound for an unknown request.
	AddApproverMessage(ctx context.Context, id string, m ApproverMessage) error
	// ApproverMessages returns the direct messages sent to approvers about
	// request id, ordered by user.
	ApproverMessages(ctx context.Context, id string) ([]ApproverMessage, error)
	// SawOverview records that user looked at their overview at at; an
	// earlier time than the one recorded changes nothing.
	SawOverview(ctx context.Context, user string, at time.Time) error
	// OverviewViewers returns the users who looked at their overview at or
	// after since, sorted.
	OverviewViewers(ctx context.Context, since time.Time) ([]string, error)
}

// ListFilter narrows List. Zero values mean no filter.
type ListFilter struct {
	InstanceAlias string
	Instances     []string // any of these instance aliases
	Requester     string
	States        []State
	Limit         int
	// Scope, when set, keeps only the requests it covers.
	Scope *Scope
	// ByUpdate orders by the last state change (UpdatedAt), newest first,
	// instead of by creation.
	ByUpdate bool
}

// Scope is the requests of some instances and those one user asked for:
// a request is in it if its instance alias is in Instances or its
// requester is Requester. An empty Scope holds nothing.
type Scope struct {
	Instances []string
	Requester string
}

// Vote is one approver's approval, as Store.Approve records it.
type Vote struct {
	Approval Approval
	// Counting are the approvers whose approvals count, as the caller
	// checked them just before (Approval.User among them when it counts):
	// approvals by anyone else do not count towards ApprovalsRequired.
	Counting []string
	// LeaseUntil is the caller's lease on the request if the vote claims
	// it: the caller then runs the kill.
	LeaseUntil time.Time
}

// Tally is what Store.Approve did.
type Tally struct {
	Added   bool // the approval was recorded by this call
	Counted int  // approvals by Vote.Counting after the call
	// Claimed: this call moved the request from pending to executing, and
	// the caller holds it (its lease) and runs the kill.
	Claimed bool
	Request *Request // the request after the call
}

// Counted is how many of r's approvals are by the users in v.Counting.
func (v Vote) Counted(r *Request) int {
	n := 0
	for _, a := range r.Approvals {
		if slices.Contains(v.Counting, a.User) {
			n++
		}
	}
	return n
}

// Claim is what a vote that decides does: pending -> approved by the
// voter, then approved -> executing, held by the voter, both at the
// vote's time.
func (v Vote) Claim() []Transition {
	a := v.Approval
	return []Transition{
		{From: Pending, To: Approved, At: a.At, Actor: a.User, LeaseUntil: v.LeaseUntil},
		{From: Approved, To: Executing, At: a.At, Actor: a.User, LeaseUntil: v.LeaseUntil},
	}
}
