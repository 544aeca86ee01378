package approvals

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Overview limits: how many of the user's pending requests, and of the
// latest decisions, an overview holds.
const (
	OverviewPending   = 100
	OverviewDecisions = 10
)

// Overview is what waits for one user: the pending requests they may
// decide, their own pending requests, and the latest decisions they can
// see. The App Home tab and /dcs pending show it.
type Overview struct {
	User string
	At   time.Time
	// ToDecide are the pending requests the user may approve or deny (an
	// approver of the request's instance, not its requester), the soonest
	// to expire first.
	ToDecide []*Request
	// Mine are the user's own pending requests, which they may cancel,
	// newest first.
	Mine []*Request
	// Decided are the requests that left pending most recently, of the
	// instances the user approves for and of those the user asked for,
	// the latest change first; at most OverviewDecisions.
	Decided []*Request
}

// decidedStates are the states a request is in once it has left pending.
var decidedStates = slices.DeleteFunc(slices.Clone(States), func(s State) bool { return s == Pending })

// Overview returns what waits for user now.
func (s *Service) Overview(ctx context.Context, user string) (*Overview, error) {
	now := s.p.Now().UTC()
	insts, err := s.approverOf(ctx, user)
	if err != nil {
		return nil, err
	}
	scope := &Scope{Instances: insts, Requester: user}
	pending, err := s.p.Store.List(ctx, ListFilter{States: []State{Pending}, Scope: scope, Limit: OverviewPending})
	if err != nil {
		return nil, fmt.Errorf("list pending requests of %s: %w", user, err)
	}
	o := &Overview{User: user, At: now}
	for _, r := range pending {
		switch {
		case r.ExpiredAt(now):
			// The sweep is about to expire it: nobody can act on it.
		case r.Requester == user:
			o.Mine = append(o.Mine, r)
		case r.MessageTS != "":
			o.ToDecide = append(o.ToDecide, r)
		}
	}
	slices.SortStableFunc(o.ToDecide, func(a, b *Request) int { return a.ExpiresAt.Compare(b.ExpiresAt) })
	o.Decided, err = s.p.Store.List(ctx, ListFilter{States: decidedStates, Scope: scope, ByUpdate: true, Limit: OverviewDecisions})
	if err != nil {
		return nil, fmt.Errorf("list decided requests of %s: %w", user, err)
	}
	return o, nil
}

// approverOf returns the aliases of the instances user approves for,
// directly or through a user group, sorted.
func (s *Service) approverOf(ctx context.Context, user string) ([]string, error) {
	var out []string
	for alias := range s.p.Instances {
		if ok, _ := s.isApprover(ctx, alias, user); ok {
			out = append(out, alias)
		}
	}
	slices.Sort(out)
	return out, nil
}

// OverviewOpened records that user looked at their overview now, so that
// it is kept up to date for Params.OverviewWindow, and returns it.
func (s *Service) OverviewOpened(ctx context.Context, user string) (*Overview, error) {
	if err := s.p.Store.SawOverview(ctx, user, s.p.Now().UTC()); err != nil {
		return nil, fmt.Errorf("record overview viewer: %w", err)
	}
	return s.Overview(ctx, user)
}

// OverviewWatchers returns who should see a fresh overview now that the
// requests ids changed: the users who looked at theirs within
// Params.OverviewWindow and to whom one of the requests matters (they
// asked for it, or approve for its instance). Sorted. A request or group
// that cannot be read is left out, and its error returned with the users
// found.
func (s *Service) OverviewWatchers(ctx context.Context, ids []string) ([]string, error) {
	viewers, err := s.p.Store.OverviewViewers(ctx, s.p.Now().UTC().Add(-s.p.OverviewWindow))
	if err != nil || len(viewers) == 0 {
		return nil, err
	}
	var rs []*Request
	var errs []error
	for _, id := range ids {
		r, err := s.p.Store.Get(ctx, id)
		if err != nil {
			errs = append(errs, fmt.Errorf("changed request %s: %w", id, err))
			continue
		}
		rs = append(rs, r)
	}
	var out []string
	for _, v := range viewers {
		for _, r := range rs {
			ok := r.Requester == v
			if !ok {
				ok, _ = s.isApprover(ctx, r.Instance.Alias, v)
			}
			if ok {
				out = append(out, v)
				break
			}
		}
	}
	return out, errors.Join(errs...)
}
