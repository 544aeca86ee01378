// Package approvals holds the life of a kill request: its states, the rules
// for moving between them, the policy that says who may ask and who may
// approve, and the ports (store, DCS, notifier, directory) the lifecycle
// needs. It knows nothing of Slack, SQL or the Huawei SDK, and it speaks no
// Slack markup: refusals and results are typed values that the Slack edge
// renders.
package approvals

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// State is where a request is in its life.
//
//	pending -> approved -> executing -> succeeded | failed | unknown
//	pending -> denied | expired | cancelled
type State string

const (
	Pending   State = "pending"
	Approved  State = "approved"
	Executing State = "executing"
	Succeeded State = "succeeded"
	Failed    State = "failed"
	Unknown   State = "unknown"
	Denied    State = "denied"
	Expired   State = "expired"
	Cancelled State = "cancelled"
)

// States lists every state, in lifecycle order.
var States = []State{Pending, Approved, Executing, Succeeded, Failed, Unknown, Denied, Expired, Cancelled}

// Final reports whether no transition leaves s.
func (s State) Final() bool {
	switch s {
	case Succeeded, Failed, Unknown, Denied, Expired, Cancelled:
		return true
	}
	return false
}

// transitions is the whole state machine: the states each state may move to.
var transitions = map[State][]State{
	Pending:   {Approved, Denied, Expired, Cancelled},
	Approved:  {Executing},
	Executing: {Succeeded, Failed, Unknown},
}

// CanTransition reports whether the state machine allows from -> to.
func CanTransition(from, to State) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Transition is one conditional state change: it happens only if the request
// is in From at the moment the store applies it.
type Transition struct {
	From   State
	To     State
	At     time.Time
	Actor  string  // who caused it; empty for the bot itself
	Note   string  // free text kept with the request and the audit event
	Result *Result // for the moves out of Executing
	// LeaseUntil is the lease of the worker that takes the request on, for
	// the moves into Approved and Executing; every move sets the request's
	// lease to it, so a move into any other state clears it.
	LeaseUntil time.Time
	// IfAbandoned, when set, makes the move only if the request's worker
	// is still gone when it is made: the sweep lists abandoned requests,
	// then moves them, and a worker whose lease renewal lands in between
	// keeps its request.
	IfAbandoned *Abandonment
}

// Abandonment says when a request's worker is gone: its lease ended by
// LeaseBefore, or, with no lease, the request has not changed since
// UnleasedBefore (the same test as Store.ListAbandoned's and ResumeJob's).
type Abandonment struct {
	LeaseBefore, UnleasedBefore time.Time
}

// Validate checks the transition against the state machine.
func (t Transition) Validate() error {
	if !CanTransition(t.From, t.To) {
		return fmt.Errorf("transition %s -> %s is not allowed", t.From, t.To)
	}
	return nil
}

// AuditDetail is the detail of t's audit event: its note, then a short
// summary of its result ("HTTP 400 DCS.4800 no such client request id r-1").
func (t Transition) AuditDetail() string {
	var parts []string
	if t.Note != "" {
		parts = append(parts, t.Note)
	}
	if r := t.Result; r != nil {
		var res []string
		if r.HTTPStatus != 0 {
			res = append(res, "HTTP "+strconv.Itoa(r.HTTPStatus))
		}
		for _, s := range []string{r.Code, r.Message} {
			if s != "" {
				res = append(res, s)
			}
		}
		if r.DCSRequestID != "" {
			res = append(res, "request id "+r.DCSRequestID)
		}
		if r.Detail != "" {
			res = append(res, r.Detail)
		}
		if len(res) > 0 {
			parts = append(parts, strings.Join(res, " "))
		}
	}
	return strings.Join(parts, "; ")
}
