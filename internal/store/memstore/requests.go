package memstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"dcsbot/internal/approvals"
)

// Create inserts r as a new pending request with its "requested" event.
func (s *Store) Create(_ context.Context, r *approvals.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failing("Create"); err != nil {
		return err
	}
	switch {
	case r.ID == "":
		return errors.New("create request: empty ID")
	case r.State != "" && r.State != approvals.Pending:
		return fmt.Errorf("create request %s: state %s: a new request is pending", r.ID, r.State)
	}
	if _, ok := s.reqs[r.ID]; ok {
		return fmt.Errorf("create request %s: %w", r.ID, approvals.ErrDuplicateID)
	}
	c := clone(r)
	c.State, c.Approvals, c.DecidedBy, c.Note, c.Result, c.RemindedAt = approvals.Pending, nil, "", "", nil, time.Time{}
	c.LeaseUntil = time.Time{}
	c.JobID = ""
	if c.Kind == "" {
		c.Kind = approvals.KindKill
	}
	if c.Addrs == nil {
		c.Addrs = []string{}
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	s.reqs[r.ID] = &entry{r: c, seq: map[string]int{}}
	s.addEvent(approvals.Event{RequestID: r.ID, At: r.CreatedAt, Actor: r.Requester, Kind: approvals.EventRequested, Detail: r.Reason})
	return nil
}

// Get returns the request with its approvals in order, or ErrNotFound.
func (s *Store) Get(_ context.Context, id string) (*approvals.Request, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failing("Get"); err != nil {
		return nil, err
	}
	e, ok := s.reqs[id]
	if !ok {
		return nil, fmt.Errorf("get request %s: %w", id, approvals.ErrNotFound)
	}
	return clone(e.r), nil
}

// SetMessage records where the approval message was posted.
func (s *Store) SetMessage(_ context.Context, id, channel, ts string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failing("SetMessage"); err != nil {
		return err
	}
	e, ok := s.reqs[id]
	if !ok {
		return fmt.Errorf("set message of request %s: %w", id, approvals.ErrNotFound)
	}
	e.r.ChannelID, e.r.MessageTS = channel, ts
	return nil
}

// addApproval records v's approval on e if the request is pending and its
// user has not approved it yet, and reports whether it did; under s.mu.
// The event's "k of n" counts the approvals that count (v.Counted).
func (s *Store) addApproval(e *entry, id string, v approvals.Vote) bool {
	a := v.Approval
	r := e.r
	if r.State != approvals.Pending || r.ApprovedBy(a.User) {
		return false
	}
	s.seq++
	e.seq[a.User] = s.seq
	r.Approvals = append(r.Approvals, approvals.Approval{User: a.User, At: at(a.At)})
	slices.SortStableFunc(r.Approvals, func(x, y approvals.Approval) int {
		if c := x.At.Compare(y.At); c != 0 {
			return c
		}
		return e.seq[x.User] - e.seq[y.User]
	})
	s.addEvent(approvals.Event{RequestID: id, At: a.At, Actor: a.User, Kind: approvals.EventApproval,
		Detail: fmt.Sprintf("%d of %d", v.Counted(r), r.ApprovalsRequired)})
	return true
}

// Approve records v's approval and, when the approvals by v.Counting
// reach the count, moves the request pending -> approved -> executing,
// all at once.
func (s *Store) Approve(_ context.Context, id string, v approvals.Vote) (approvals.Tally, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failing("Approve"); err != nil {
		return approvals.Tally{}, err
	}
	e, ok := s.reqs[id]
	if !ok {
		return approvals.Tally{}, fmt.Errorf("approve request %s: %w", id, approvals.ErrNotFound)
	}
	t := approvals.Tally{Added: s.addApproval(e, id, v), Counted: v.Counted(e.r)}
	if e.r.State == approvals.Pending && t.Counted >= e.r.ApprovalsRequired {
		for _, tr := range v.Claim() {
			s.apply(e, id, tr)
		}
		t.Claimed = true
	}
	t.Request = clone(e.r)
	return t, nil
}

// Apply performs t if the request is in t.From.
func (s *Store) Apply(_ context.Context, id string, t approvals.Transition) (bool, error) {
	if err := t.Validate(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failing("Apply"); err != nil {
		return false, err
	}
	e, ok := s.reqs[id]
	if !ok {
		return false, fmt.Errorf("apply %s -> %s to request %s: %w", t.From, t.To, id, approvals.ErrNotFound)
	}
	if e.r.State != t.From || (t.IfAbandoned != nil && !gone(e.r, t.IfAbandoned.LeaseBefore, t.IfAbandoned.UnleasedBefore)) {
		return false, nil
	}
	s.apply(e, id, t)
	return true, nil
}

// apply performs t on e, which is in t.From, under s.mu.
func (s *Store) apply(e *entry, id string, t approvals.Transition) {
	r := e.r
	r.State, r.UpdatedAt, r.LeaseUntil = t.To, at(t.At), at(t.LeaseUntil)
	if t.From == approvals.Pending {
		r.DecidedBy = t.Actor
	}
	if t.Note != "" {
		r.Note = t.Note
	}
	if t.Result != nil {
		r.Result = roundTrip(t.Result)
	}
	s.addEvent(approvals.Event{RequestID: id, At: t.At, Actor: t.Actor, Kind: string(t.To), Detail: t.AuditDetail()})
}

// SetJob records the job of an executing request that has none.
func (s *Store) SetJob(_ context.Context, id, jobID string, when time.Time) (bool, error) {
	if jobID == "" {
		return false, fmt.Errorf("set job of request %s: empty job ID", id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failing("SetJob"); err != nil {
		return false, err
	}
	e, ok := s.reqs[id]
	if !ok {
		return false, fmt.Errorf("set job of request %s: %w", id, approvals.ErrNotFound)
	}
	if e.r.State != approvals.Executing || e.r.JobID != "" {
		return false, nil
	}
	e.r.JobID, e.r.UpdatedAt = jobID, at(when)
	return true, nil
}

// ResumeJob gives the caller the lease of an executing request with a job
// whose worker is gone.
func (s *Store) ResumeJob(_ context.Context, id string, leaseBefore, unleasedBefore, until time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failing("ResumeJob"); err != nil {
		return false, err
	}
	e, ok := s.reqs[id]
	if !ok {
		return false, fmt.Errorf("resume job of request %s: %w", id, approvals.ErrNotFound)
	}
	r := e.r
	if r.State != approvals.Executing || r.JobID == "" || !gone(r, leaseBefore, unleasedBefore) {
		return false, nil
	}
	r.LeaseUntil = at(until)
	return true, nil
}

// MarkReminded sets RemindedAt if the request is pending and has none.
func (s *Store) MarkReminded(_ context.Context, id string, when time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.reqs[id]
	if !ok {
		return false, fmt.Errorf("mark request %s reminded: %w", id, approvals.ErrNotFound)
	}
	if e.r.State != approvals.Pending || !e.r.RemindedAt.IsZero() {
		return false, nil
	}
	e.r.RemindedAt = at(when)
	return true, nil
}

// ListStale returns the requests in state whose deadline is at or before
// before, oldest deadline first; limit <= 0 means all.
func (s *Store) ListStale(_ context.Context, state approvals.State, before time.Time, limit int) ([]*approvals.Request, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	deadline := func(r *approvals.Request) time.Time {
		if state == approvals.Pending {
			return r.ExpiresAt
		}
		return r.UpdatedAt
	}
	var out []*approvals.Request
	for _, e := range s.reqs {
		if e.r.State == state && !deadline(e.r).After(at(before)) {
			out = append(out, clone(e.r))
		}
	}
	return byDeadline(out, deadline, limit), nil
}

// List returns the newest requests first, filtered by f.
func (s *Store) List(_ context.Context, f approvals.ListFilter) ([]*approvals.Request, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failing("List"); err != nil {
		return nil, err
	}
	var out []*approvals.Request
	for _, e := range s.reqs {
		r := e.r
		if (f.InstanceAlias == "" || r.Instance.Alias == f.InstanceAlias) && (len(f.States) == 0 || slices.Contains(f.States, r.State)) &&
			inScope(f.Scope, r) && (len(f.Instances) == 0 || slices.Contains(f.Instances, r.Instance.Alias)) &&
			(f.Requester == "" || r.Requester == f.Requester) {
			out = append(out, clone(r))
		}
	}
	key := func(r *approvals.Request) time.Time {
		if f.ByUpdate {
			return r.UpdatedAt
		}
		return r.CreatedAt
	}
	slices.SortFunc(out, func(a, b *approvals.Request) int {
		if c := key(b).Compare(key(a)); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	limit := f.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	return out[:min(len(out), limit, maxListLimit)], nil
}

// Count returns how many requests are in state.
func (s *Store) Count(_ context.Context, state approvals.State) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.reqs {
		if e.r.State == state {
			n++
		}
	}
	return n, nil
}

// Events returns a request's audit trail, oldest first, or ErrNotFound.
func (s *Store) Events(_ context.Context, id string) ([]approvals.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.reqs[id]; !ok {
		return nil, fmt.Errorf("events of request %s: %w", id, approvals.ErrNotFound)
	}
	var out []approvals.Event
	for _, e := range s.events {
		if e.RequestID == id {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b approvals.Event) int { return a.At.Compare(b.At) })
	return out, nil
}

// byDeadline sorts rs by deadline, then ID, and keeps at most limit of
// them (limit <= 0: all), as the SQL stores order stale requests.
func byDeadline(rs []*approvals.Request, deadline func(*approvals.Request) time.Time, limit int) []*approvals.Request {
	slices.SortFunc(rs, func(a, b *approvals.Request) int {
		if c := deadline(a).Compare(deadline(b)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if limit > 0 && len(rs) > limit {
		rs = rs[:limit]
	}
	return rs
}

// gone reports whether r's worker is gone: its lease ended by
// leaseBefore, or, with no lease, r unchanged since unleasedBefore.
func gone(r *approvals.Request, leaseBefore, unleasedBefore time.Time) bool {
	return !r.LeaseUntil.IsZero() && !r.LeaseUntil.After(at(leaseBefore)) ||
		r.LeaseUntil.IsZero() && !r.UpdatedAt.After(at(unleasedBefore))
}
