// Package memstore is an approvals.Store in memory, for the domain's unit
// tests. It passes the same conformance suite as the SQL stores
// (internal/store/storetest), so it cannot drift from them; it also lets a
// test inject failures and reach into a stored request.
package memstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"dcsbot/internal/approvals"
)

// List limits, as the SQL stores have them.
const (
	defaultListLimit = 20
	maxListLimit     = 1000
)

// Store is an in-memory approvals.Store. Its methods are safe for
// concurrent use.
type Store struct {
	mu     sync.Mutex
	reqs   map[string]*entry
	events []approvals.Event
	seq    int
	fail   map[string]error // method name -> error it returns

	approverMsgs map[string]map[string]approvals.ApproverMessage // request ID -> user -> message
	viewers      map[string]time.Time                            // user -> last look at the overview
}

type entry struct {
	r   *approvals.Request
	seq map[string]int // approver -> order recorded
}

var _ approvals.Store = (*Store)(nil)

// New returns an empty Store.
func New() *Store {
	return &Store{reqs: map[string]*entry{}, fail: map[string]error{},
		approverMsgs: map[string]map[string]approvals.ApproverMessage{}, viewers: map[string]time.Time{}}
}

// Fail makes method (e.g. "Apply", "SetMessage") return err from now on;
// a nil err heals it.
func (s *Store) Fail(method string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.fail, method)
		return
	}
	s.fail[method] = err
}

// Mutate runs fn on the stored request id, for a test that needs a state
// the lifecycle would not produce. It reports whether id exists.
func (s *Store) Mutate(id string, fn func(*approvals.Request)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.reqs[id]
	if ok {
		fn(e.r)
	}
	return ok
}

// All returns a copy of every stored request, in no particular order.
func (s *Store) All() []*approvals.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*approvals.Request, 0, len(s.reqs))
	for _, e := range s.reqs {
		out = append(out, clone(e.r))
	}
	return out
}

// clone copies r deeply, as a round trip through a database would: times
// in UTC at microsecond precision, the preview and result through JSON.
func clone(r *approvals.Request) *approvals.Request {
	c := *r
	c.Addrs = slices.Clone(r.Addrs)
	c.Approvals = slices.Clone(r.Approvals)
	c.CreatedAt, c.ExpiresAt, c.UpdatedAt, c.RemindedAt = at(r.CreatedAt), at(r.ExpiresAt), at(r.UpdatedAt), at(r.RemindedAt)
	c.LeaseUntil = at(r.LeaseUntil)
	for i := range c.Approvals {
		c.Approvals[i].At = at(c.Approvals[i].At)
	}
	if r.Preview != nil {
		c.Preview = roundTrip(r.Preview)
	}
	if r.Result != nil {
		c.Result = roundTrip(r.Result)
	}
	if r.Nodes != nil {
		c.Nodes = *roundTrip(&r.Nodes)
	}
	return &c
}

func roundTrip[T any](v *T) *T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("memstore: marshal %T: %v", v, err))
	}
	out := new(T)
	if err := json.Unmarshal(b, out); err != nil {
		panic(fmt.Sprintf("memstore: unmarshal %T: %v", v, err))
	}
	return out
}

// at is t as a store keeps it.
func at(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

func (s *Store) failing(method string) error { return s.fail[method] }

func (s *Store) addEvent(e approvals.Event) {
	e.At = at(e.At)
	s.events = append(s.events, e)
}

// Ping reports a failure injected for "Ping".
func (s *Store) Ping(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failing("Ping")
}
