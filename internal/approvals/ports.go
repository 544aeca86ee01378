package approvals

import (
	"context"
	"errors"
	"fmt"
)

// Killer kills client sessions on a DCS node. It is internal/dcs in production.
type Killer interface {
	// Kill asks DCS to close the sessions at addrs on node. A nil error means
	// DCS accepted the kill. Errors that carry a DCS answer wrap *DCSError;
	// errors after which the kill may or may not have happened wrap
	// ErrOutcomeUnknown; anything else means the kill did not reach DCS.
	Kill(ctx context.Context, inst Instance, nodeID string, addrs []string) error
	// KillAll asks DCS to close every session on node, or on every node of
	// the instance when allNodes is true (nodeID is then empty). DCS runs it
	// as a job: a nil error means DCS accepted the job, whose ID it returns
	// (empty if DCS named none). Errors as for Kill.
	KillAll(ctx context.Context, inst Instance, nodeID string, allNodes bool) (jobID string, err error)
	// WaitJob follows a DCS job until it ends (SUCCESS or FAIL) and returns
	// it. When ctx ends first it returns the job as last read with ctx's
	// error; when DCS will not show the job, the job so far and that error.
	WaitJob(ctx context.Context, inst Instance, jobID string) (Job, error)
}

// ErrOutcomeUnknown marks a kill whose request may have reached DCS but whose
// answer did not come back (a timeout, a connection cut mid-call).
var ErrOutcomeUnknown = errors.New("outcome unknown")

// DCSError is an error answer from the DCS API, in the bot's own terms.
type DCSError struct {
	HTTPStatus int
	Code       string // e.g. "DCS.4800"
	Message    string
	RequestID  string // DCS's X-Request-Id
}

func (e *DCSError) Error() string {
	return fmt.Sprintf("DCS answered HTTP %d %s: %s (request id %s)", e.HTTPStatus, e.Code, e.Message, e.RequestID)
}

// Notifier shows a request to people. It is the Slack edge in production.
// Implementations render from the request's current state.
type Notifier interface {
	// Announce posts the approval message without its buttons, so that
	// nobody can act on it before its place is recorded, and returns where
	// it went.
	Announce(ctx context.Context, r *Request) (channelID, ts string, err error)
	// Update redraws the approval message for r's current state: the
	// buttons while it is pending, none once it has left pending.
	Update(ctx context.Context, r *Request) error
	// Thread replies in the approval message's thread.
	Thread(ctx context.Context, r *Request, n Note) error
}

// NoteKind says what a thread note is about.
type NoteKind string

const (
	NoteApproval   NoteKind = "approval"    // a partial approval (k of n)
	NoteExecuting  NoteKind = "executing"   // fully approved; the kill is being sent
	NoteJobRunning NoteKind = "job-running" // DCS accepted the kill-all as a job (r.JobID), which runs
	NoteResult     NoteKind = "result"      // the kill's outcome (r.State, r.Result); a kill-all's is its job's end
	NoteDenied     NoteKind = "denied"
	NoteExpired    NoteKind = "expired"
	NoteCancelled  NoteKind = "cancelled"
	NoteRecovered  NoteKind = "recovered" // found executing after a crash: outcome unknown
	NoteVerified   NoteKind = "verified"  // the sessions re-read after a kill (Checks)
	NoteReminder   NoteKind = "reminder"  // still pending at half its TTL (Mention)
)

// Note is a thread reply: what happened and who did it.
type Note struct {
	Kind  NoteKind
	Actor string
	// Count is how many approvals count now (NoteApproval); Lapsed the
	// approvers whose approval no longer counts, as they are no longer
	// approvers.
	Count   int
	Lapsed  []string
	Checks  []Check  // NoteVerified
	Mention []string // NoteReminder: the approvers (users and groups) to call
}

// Directory answers who belongs to a user group. It is Slack's
// usergroups.users.list in production, cached.
type Directory interface {
	GroupMembers(ctx context.Context, groupID string) ([]string, error)
}

// Explainer is an error that can say, in a plain sentence for people, what
// happened (internal/dcs's errors do). The sentence holds no markup.
type Explainer interface{ Explain() string }
