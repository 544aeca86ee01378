package memstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"dcsbot/internal/approvals"
)

// inScope reports whether r is in sc; a nil sc holds everything.
func inScope(sc *approvals.Scope, r *approvals.Request) bool {
	if sc == nil {
		return true
	}
	return slices.Contains(sc.Instances, r.Instance.Alias) || sc.Requester != "" && r.Requester == sc.Requester
}

// AddApproverMessage records (or replaces) the direct message sent to
// m.User about request id.
func (s *Store) AddApproverMessage(_ context.Context, id string, m approvals.ApproverMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failing("AddApproverMessage"); err != nil {
		return err
	}
	if _, ok := s.reqs[id]; !ok {
		return fmt.Errorf("record message to approver %s about request %s: %w", m.User, id, approvals.ErrNotFound)
	}
	if s.approverMsgs[id] == nil {
		s.approverMsgs[id] = map[string]approvals.ApproverMessage{}
	}
	s.approverMsgs[id][m.User] = m
	return nil
}

// ApproverMessages returns the direct messages sent to approvers about
// request id, ordered by user.
func (s *Store) ApproverMessages(_ context.Context, id string) ([]approvals.ApproverMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failing("ApproverMessages"); err != nil {
		return nil, err
	}
	var out []approvals.ApproverMessage
	for _, m := range s.approverMsgs[id] {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b approvals.ApproverMessage) int { return strings.Compare(a.User, b.User) })
	return out, nil
}

// SawOverview records that user looked at their overview at when, unless
// a later look is recorded.
func (s *Store) SawOverview(_ context.Context, user string, when time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failing("SawOverview"); err != nil {
		return err
	}
	if when = at(when); when.After(s.viewers[user]) {
		s.viewers[user] = when
	}
	return nil
}

// OverviewViewers returns the users who looked at their overview at or
// after since, sorted.
func (s *Store) OverviewViewers(_ context.Context, since time.Time) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failing("OverviewViewers"); err != nil {
		return nil, err
	}
	var out []string
	for u, t := range s.viewers {
		if !t.Before(at(since)) {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return out, nil
}
