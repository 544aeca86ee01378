package approvals

import "time"

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

// SkipReason says why the stale-target guard held an address back.
type SkipReason string

const (
	SkipNeverConnected SkipReason = "never-connected" // absent when requested, and now
	SkipNewSession     SkipReason = "new-session"     // absent when requested, a session is there now
	SkipGone           SkipReason = "gone"            // no longer connected
	SkipOtherID        SkipReason = "other-id"        // reused: another client id
	SkipOtherName      SkipReason = "other-name"      // reused: another client name
	SkipYounger        SkipReason = "younger"         // reused: connected after the request
)

// Skip is an address the stale-target guard did not kill, and why. The
// fields beside Reason say what the guard saw; they hold outside text
// (client names), which the edge must escape.
type Skip struct {
	Addr   string
	Reason SkipReason `json:",omitempty"`
	// ID and Name are the session there now; WasID and WasName the one
	// shown to the approvers. Age is the session's age now.
	ID, WasID     string        `json:",omitempty"`
	Name, WasName string        `json:",omitempty"`
	Age           time.Duration `json:",omitempty"`
	// Why is the reason as an older release recorded it (a sentence); set
	// only on requests recorded before Reason existed.
	Why string `json:",omitempty"`
}

// Check is what the sessions looked like after a kill, for one address.
type Check struct {
	NodeID  string // the node, on a kill on every node; "" otherwise
	Addr    string
	Outcome string // CheckKilled, CheckStillConnected or CheckReconnected
	// NewAddr is where the client reconnected from, when not at Addr;
	// NewAge the age of the session found. NoBaseline: a session is at
	// Addr, and the bot had no earlier view to compare it with.
	NewAddr    string
	NewAge     time.Duration
	NoBaseline bool
}

// Check outcomes.
const (
	CheckKilled         = "killed"
	CheckStillConnected = "still connected"
	CheckReconnected    = "reconnected"
)
