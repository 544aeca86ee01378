// Package approvals holds the life of a kill request: its states, the rules
// for moving between them, the policy that says who may ask and who may
// approve, and the ports (store, DCS, notifier, directory) the lifecycle
// needs. It knows nothing of Slack, SQL or the Huawei SDK.
package approvals

import (
	"errors"
	"fmt"
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

// Instance is a configured DCS instance: the alias users type and its ID.
type Instance struct {
	Alias string
	ID    string
}

// Approval is one approver's yes.
type Approval struct {
	User string
	At   time.Time
}

// Kind says what a request kills.
type Kind string

const (
	KindKill    Kind = "kill"     // the sessions at Addrs on one node
	KindKillAll Kind = "kill-all" // every session on a node, or on every node
)

// Preview is what the targets looked like when the kill was requested.
type Preview struct {
	At      time.Time
	Targets []Target // one per address, in the request's order
	// ProxyOnly is true when every session on the node has a 198.19.x.x
	// address: client IP pass-through is off, so the addresses are the
	// proxy's, not the real clients'.
	ProxyOnly bool
	// Sessions is how many sessions the node had.
	Sessions int
	// Unavailable, when set, says why the sessions could not be read: the
	// request went ahead with its addresses alone, and the stale-target
	// guard cannot run for it.
	Unavailable string `json:",omitempty"`
}

// Usable reports whether p holds what the sessions looked like.
func (p *Preview) Usable() bool { return p != nil && p.Unavailable == "" }

// Target is one address of a request and the session found at it.
type Target struct {
	Addr    string
	Session *Session // nil: not connected when the preview was taken
}

// Absent lists the preview's addresses that had no session.
func (p *Preview) Absent() []string {
	var out []string
	for _, t := range p.Targets {
		if t.Session == nil {
			out = append(out, t.Addr)
		}
	}
	return out
}

// Skip is an address the stale-target guard did not kill, and why.
type Skip struct {
	Addr string
	Why  string
}

// Check is what the sessions looked like after a kill, for one address.
type Check struct {
	Addr    string
	Outcome string // CheckKilled, CheckStillConnected or CheckReconnected
	Detail  string // e.g. the new session's address
}

// Check outcomes.
const (
	CheckKilled         = "killed"
	CheckStillConnected = "still connected"
	CheckReconnected    = "reconnected"
)

// Result is what came back from DCS for an executed request.
type Result struct {
	// Code, Message, HTTPStatus and DCSRequestID come from a DCS error answer.
	Code         string
	Message      string
	HTTPStatus   int
	DCSRequestID string
	// Detail is a short human sentence about the outcome (timeouts, unreachable).
	Detail string
	// Killed are the addresses sent to DCS; Skipped those the stale-target
	// guard held back. DryRun marks a run that called no DCS write API.
	Killed  []string
	Skipped []Skip
	DryRun  bool
}

// Request is one `/dcs kill` request as stored.
type Request struct {
	ID                string
	Requester         string // Slack user ID
	ChannelID         string
	MessageTS         string // ts of the approval message; empty until posted
	Kind              Kind   // KindKill when empty
	Instance          Instance
	NodeID            string // empty for a kill-all on every node
	AllNodes          bool   // kill-all on every node of the instance
	Addrs             []string
	Reason            string
	DryRun            bool     // decided at request time from huaweicloud.dry_run
	Preview           *Preview // nil when sessions could not be read or for kill-all
	ApprovalsRequired int
	Approvals         []Approval // in the order given
	State             State
	CreatedAt         time.Time
	ExpiresAt         time.Time
	UpdatedAt         time.Time
	// DecidedBy is who moved the request out of pending (the last approver,
	// the denier, the canceller); empty for expiry.
	DecidedBy string
	Note      string // reason given with a denial, cancellation or recovery
	Result    *Result
	// RemindedAt is when the one reminder was posted; zero before.
	RemindedAt time.Time
}

// IsKillAll reports whether r kills every session of a node or instance.
func (r *Request) IsKillAll() bool { return r.Kind == KindKillAll }

// ApprovedBy reports whether user has approved r.
func (r *Request) ApprovedBy(user string) bool {
	for _, a := range r.Approvals {
		if a.User == user {
			return true
		}
	}
	return false
}

// Expired reports whether r's TTL has passed at now.
func (r *Request) ExpiredAt(now time.Time) bool { return !now.Before(r.ExpiresAt) }

// Transition is one conditional state change: it happens only if the request
// is in From at the moment the store applies it.
type Transition struct {
	From   State
	To     State
	At     time.Time
	Actor  string  // who caused it; empty for the bot itself
	Note   string  // free text kept with the request and the audit event
	Result *Result // for the moves out of Executing
}

// Validate checks the transition against the state machine.
func (t Transition) Validate() error {
	if !CanTransition(t.From, t.To) {
		return fmt.Errorf("transition %s -> %s is not allowed", t.From, t.To)
	}
	return nil
}

// Event is one line of the audit trail.
type Event struct {
	RequestID string
	At        time.Time
	Actor     string // Slack user ID, or empty for the bot
	Kind      string // "requested", "approval", or the state entered ("denied", "succeeded", ...)
	Detail    string
}

// Audit event kinds besides the states themselves.
const (
	EventRequested = "requested"
	EventApproval  = "approval"
)

// Errors a Store returns.
var (
	ErrNotFound    = errors.New("request not found")
	ErrDuplicateID = errors.New("request ID already in use")
)
