package approvals

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Policy says where kills may be requested, by whom, and who approves them.
// Every number and duration must be set: internal/config holds the
// defaults, and NewService refuses a policy with a zero one.
type Policy struct {
	Channels          []string // channel IDs where /dcs may be used
	Requesters        []string // user IDs allowed to ask; empty: anyone in Channels
	Approvers         []string // user IDs (U…, W…) or user-group IDs (S…)
	ApprovalsRequired int      // distinct approvers needed; the requester never counts
	TTL               time.Duration
	MaxAddrs          int  // addresses per request
	MaxPending        int  // requests one person may have pending at once
	RequireReason     bool // kills need a --reason
	KillAll           KillAllPolicy
	Notify            NotifyMode // how approvers hear of a request
}

// KillAllPolicy is the stricter policy of /dcs kill-all.
type KillAllPolicy struct {
	Enabled           bool
	ApprovalsRequired int // the effective count is Policy.KillAllApprovals
}

// KillAllApprovals is how many distinct approvals a kill-all needs: its
// own count, and never fewer than a targeted kill.
func (p Policy) KillAllApprovals() int {
	return max(p.KillAll.ApprovalsRequired, p.ApprovalsRequired)
}

// check reports the numbers p leaves unset.
func (p Policy) check() error {
	var errs []error
	if p.ApprovalsRequired < 1 {
		errs = append(errs, fmt.Errorf("approvals required is %d, want at least 1", p.ApprovalsRequired))
	}
	if p.TTL <= 0 {
		errs = append(errs, fmt.Errorf("TTL is %s, want a positive duration", p.TTL))
	}
	if p.MaxAddrs < 1 {
		errs = append(errs, fmt.Errorf("max addresses is %d, want at least 1", p.MaxAddrs))
	}
	if !p.Notify.Valid() {
		errs = append(errs, fmt.Errorf("notify mode is %q, want one of %v", p.Notify, NotifyModes))
	}
	if p.MaxPending < 1 {
		errs = append(errs, fmt.Errorf("max pending per user is %d, want at least 1", p.MaxPending))
	}
	if p.KillAll.ApprovalsRequired < 1 {
		errs = append(errs, fmt.Errorf("kill-all approvals required is %d, want at least 1", p.KillAll.ApprovalsRequired))
	}
	return errors.Join(errs...)
}

// CheckRequester refuses a request from a channel or a user the policy does
// not allow. It is pure, so the Slack edge may call it before it acks.
func (p Policy) CheckRequester(user, channel string) error {
	if !slices.Contains(p.Channels, channel) {
		return &Refusal{Code: RefuseChannel, Channels: p.Channels}
	}
	if len(p.Requesters) > 0 && !slices.Contains(p.Requesters, user) {
		return &Refusal{Code: RefuseRequester}
	}
	return nil
}

// IsApprover reports whether user is an approver, directly or as a member
// of one of the approver groups, which dir resolves. Every group is asked
// until one admits user: a group that cannot be resolved (deleted, Slack
// failing) does not hide the others. Unresolved lists the groups that
// could not be resolved, so the caller can log them; they admit nobody.
func (p Policy) IsApprover(ctx context.Context, dir Directory, user string) (ok bool, unresolved []GroupError) {
	if slices.Contains(p.Approvers, user) {
		return true, nil
	}
	for _, id := range p.Approvers {
		if !IsUserGroup(id) {
			continue
		}
		if dir == nil {
			unresolved = append(unresolved, GroupError{Group: id, Err: errors.New("no directory to resolve it")})
			continue
		}
		members, err := dir.GroupMembers(ctx, id)
		if err != nil {
			unresolved = append(unresolved, GroupError{Group: id, Err: err})
			continue
		}
		if slices.Contains(members, user) {
			return true, unresolved
		}
	}
	return false, unresolved
}

// GroupError is an approver group that could not be resolved.
type GroupError struct {
	Group string
	Err   error
}

func (e GroupError) Error() string {
	return fmt.Sprintf("members of approver group %s: %v", e.Group, e.Err)
}
func (e GroupError) Unwrap() error { return e.Err }
