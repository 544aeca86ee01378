package approvals

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Policy says where kills may be requested, by whom, and who approves them.
type Policy struct {
	Channels          []string // channel IDs where /dcs may be used
	Requesters        []string // user IDs allowed to ask; empty: anyone in Channels
	Approvers         []string // user IDs (U…, W…) or user-group IDs (S…)
	ApprovalsRequired int      // distinct approvers needed; the requester never counts
	TTL               time.Duration
	MaxAddrs          int  // addresses per request; 0: no limit here (the parser has one)
	RequireReason     bool // kills need a --reason
	KillAll           KillAllPolicy
}

// KillAllPolicy is the stricter policy of /dcs kill-all.
type KillAllPolicy struct {
	Enabled           bool
	ApprovalsRequired int
}

// withDefaults fills p's unset numbers from def.
func (p Policy) withDefaults(def Policy) Policy {
	if p.ApprovalsRequired < 1 {
		p.ApprovalsRequired = def.ApprovalsRequired
	}
	if p.TTL <= 0 {
		p.TTL = def.TTL
	}
	if p.KillAll.ApprovalsRequired < 1 {
		p.KillAll.ApprovalsRequired = def.KillAll.ApprovalsRequired
	}
	return p
}

// Refusal is a decision against what a user asked, with the reason to show
// them. It is not a fault: nothing went wrong, the answer is no.
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return r.Reason }

func refuse(format string, args ...any) error {
	return &Refusal{Reason: fmt.Sprintf(format, args...)}
}

// isGroup reports whether an approver entry names a Slack user group.
func isGroup(id string) bool { return strings.HasPrefix(id, "S") }

// CheckRequester refuses a request from a channel or a user the policy does
// not allow. It is pure, so the Slack edge may call it before it acks.
func (p Policy) CheckRequester(user, channel string) error {
	if !slices.Contains(p.Channels, channel) {
		return refuse("`/dcs` is not enabled in this channel. Ask in one of: %s.", channelList(p.Channels))
	}
	if len(p.Requesters) > 0 && !slices.Contains(p.Requesters, user) {
		return refuse("You are not on the list of people who may request session kills (policy.requesters).")
	}
	return nil
}

// IsApprover reports whether user is an approver, directly or through one of
// the approver groups, which dir resolves.
func (p Policy) IsApprover(ctx context.Context, dir Directory, user string) (bool, error) {
	if slices.Contains(p.Approvers, user) {
		return true, nil
	}
	for _, id := range p.Approvers {
		if !isGroup(id) {
			continue
		}
		if dir == nil {
			return false, fmt.Errorf("approver group %s: no directory to resolve it", id)
		}
		members, err := dir.GroupMembers(ctx, id)
		if err != nil {
			return false, fmt.Errorf("members of approver group %s: %w", id, err)
		}
		if slices.Contains(members, user) {
			return true, nil
		}
	}
	return false, nil
}

func channelList(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = "<#" + id + ">"
	}
	return strings.Join(out, ", ")
}
