package approvals

import (
	"errors"
	"time"
)

// Kind says what a request kills.
type Kind string

const (
	KindKill    Kind = "kill"     // the sessions at Addrs on one node, or those in Nodes on every node
	KindKillAll Kind = "kill-all" // every session on a node, or on every node
)

// Approval is one approver's yes.
type Approval struct {
	User string
	At   time.Time
}

// Request is one `/dcs kill` or `/dcs kill-all` request as stored.
type Request struct {
	ID        string
	Requester string // Slack user ID
	ChannelID string
	MessageTS string // ts of the approval message; empty until posted
	Kind      Kind   // KindKill when empty
	Instance  Instance
	NodeID    string // empty on every node
	AllNodes  bool   // a kill-all on every node of the instance, or a kill on every node (see Nodes)
	Addrs     []string
	Reason    string
	DryRun    bool     // huaweicloud.dry_run was on when the request was made
	Preview   *Preview // nil when there was no session reader, or on every node
	// Selectors are the selectors that chose the sessions, written as the
	// flags that give them (Selector.String); "" when every address was
	// typed or picked.
	Selectors string
	// Nodes is what a kill on every node (PerNode) kills: per session node,
	// the sessions chosen there and what they looked like, or why the
	// node could not be read. Addrs then lists every node's addresses,
	// node after node. Nil for every other request.
	Nodes             []NodeTargets
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
	// LeaseUntil is until when the worker holding an approved or executing
	// request is known to be alive (Store.RenewLease); zero when no worker
	// holds it.
	LeaseUntil time.Time
	// JobID is the DCS job of an executed kill-all (HangUpKillAllClients
	// answers with one); empty until DCS accepted it, and for kills.
	JobID string
}

// IsKillAll reports whether r kills every session of a node or instance.
func (r *Request) IsKillAll() bool { return r.Kind == KindKillAll }

// PerNode reports whether r kills chosen sessions on every node: one kill
// per node, each with its own guard and outcome (see Nodes).
func (r *Request) PerNode() bool { return r.Kind != KindKillAll && r.AllNodes }

// NodeTargets is one node of a kill on every node.
type NodeTargets struct {
	NodeID string
	// Addrs are the sessions chosen on the node (none when nothing there
	// matched), as Preview shows them.
	Addrs   []string `json:",omitempty"`
	Preview *Preview `json:",omitempty"`
	// Unreadable, when set, says why the node's sessions could not be
	// read when the request was made: nothing is killed there.
	Unreadable string `json:",omitempty"`
}

// Killable reports whether the kill sends anything to the node.
func (n NodeTargets) Killable() bool { return n.Unreadable == "" && len(n.Addrs) > 0 }

// ApprovedBy reports whether user has approved r.
func (r *Request) ApprovedBy(user string) bool {
	for _, a := range r.Approvals {
		if a.User == user {
			return true
		}
	}
	return false
}

// ExpiredAt reports whether r's TTL has passed at now.
func (r *Request) ExpiredAt(now time.Time) bool { return !now.Before(r.ExpiresAt) }

// Result is what came back from DCS for an executed request.
type Result struct {
	// Code, Message, HTTPStatus and DCSRequestID come from a DCS error answer.
	Code         string
	Message      string
	HTTPStatus   int
	DCSRequestID string
	// Detail is a short plain-text sentence about the outcome (timeouts,
	// unreachable, a dry run).
	Detail string
	// Killed are the addresses sent to DCS; Skipped those the stale-target
	// guard held back. DryRun marks a run that called no DCS write API.
	Killed  []string
	Skipped []Skip
	DryRun  bool
	// Nodes is each node's own outcome, for a kill on every node, in the
	// request's node order; nodes with nothing to kill are not in it. The
	// fields above then sum them up: Killed and Skipped hold every node's,
	// Detail says how many nodes ended how, and the DCS answer fields are
	// empty.
	Nodes []NodeResult `json:",omitempty"`
	// JobStatus is the last status DCS reported for the request's job
	// (Request.JobID): JobSuccess or JobFail once it ended, JobInit or
	// JobRunning when the bot stopped following it; empty without a job.
	// FailReason is DCS's fail_reason of a job that ended JobFail.
	JobStatus  string `json:",omitempty"`
	FailReason string `json:",omitempty"`
}

// NodeResult is one node's outcome of a kill on every node: its state
// (Succeeded, Failed or Unknown, as outcome maps it) and its own result.
type NodeResult struct {
	NodeID string
	State  State
	Result
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
