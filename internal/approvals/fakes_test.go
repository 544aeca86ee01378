package approvals_test

import (
	"context"
	"slices"
	"sync"
	"time"

	"dcsbot/internal/approvals"
)

// memStore is an in-memory approvals.Store for the domain tests. The real
// backends are tested against the same contract in internal/store/storetest.
type memStore struct {
	mu     sync.Mutex
	reqs   map[string]*approvals.Request
	events []approvals.Event
	failAt map[string]error // method name -> error to return
}

var _ approvals.Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{reqs: map[string]*approvals.Request{}, failAt: map[string]error{}}
}

func clone(r *approvals.Request) *approvals.Request {
	c := *r
	c.Addrs = slices.Clone(r.Addrs)
	c.Approvals = slices.Clone(r.Approvals)
	if r.Result != nil {
		res := *r.Result
		c.Result = &res
	}
	return &c
}

func (m *memStore) fail(method string) error { return m.failAt[method] }

func (m *memStore) Create(_ context.Context, r *approvals.Request) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fail("Create"); err != nil {
		return err
	}
	if _, ok := m.reqs[r.ID]; ok {
		return approvals.ErrDuplicateID
	}
	m.reqs[r.ID] = clone(r)
	m.events = append(m.events, approvals.Event{RequestID: r.ID, At: r.CreatedAt, Actor: r.Requester, Kind: approvals.EventRequested})
	return nil
}

func (m *memStore) Get(_ context.Context, id string) (*approvals.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fail("Get"); err != nil {
		return nil, err
	}
	r, ok := m.reqs[id]
	if !ok {
		return nil, approvals.ErrNotFound
	}
	return clone(r), nil
}

func (m *memStore) SetMessage(_ context.Context, id, ch, ts string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fail("SetMessage"); err != nil {
		return err
	}
	r, ok := m.reqs[id]
	if !ok {
		return approvals.ErrNotFound
	}
	r.ChannelID, r.MessageTS = ch, ts
	return nil
}

func (m *memStore) AddApproval(_ context.Context, id string, a approvals.Approval) (bool, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.reqs[id]
	if !ok {
		return false, 0, approvals.ErrNotFound
	}
	if r.State != approvals.Pending || r.ApprovedBy(a.User) {
		return false, len(r.Approvals), nil
	}
	r.Approvals = append(r.Approvals, a)
	m.events = append(m.events, approvals.Event{RequestID: id, At: a.At, Actor: a.User, Kind: approvals.EventApproval})
	return true, len(r.Approvals), nil
}

func (m *memStore) Apply(_ context.Context, id string, t approvals.Transition) (bool, error) {
	if err := t.Validate(); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fail("Apply"); err != nil {
		return false, err
	}
	r, ok := m.reqs[id]
	if !ok {
		return false, approvals.ErrNotFound
	}
	if r.State != t.From {
		return false, nil
	}
	r.State, r.UpdatedAt = t.To, t.At
	if t.From == approvals.Pending {
		r.DecidedBy = t.Actor
	}
	if t.Note != "" {
		r.Note = t.Note
	}
	if t.Result != nil {
		res := *t.Result
		r.Result = &res
	}
	m.events = append(m.events, approvals.Event{RequestID: id, At: t.At, Actor: t.Actor, Kind: string(t.To), Detail: t.Note})
	return true, nil
}

func (m *memStore) ListStale(_ context.Context, st approvals.State, before time.Time, limit int) ([]*approvals.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*approvals.Request
	for _, r := range m.reqs {
		deadline := r.UpdatedAt
		if st == approvals.Pending {
			deadline = r.ExpiresAt
		}
		if r.State == st && !deadline.After(before) {
			out = append(out, clone(r))
		}
	}
	return out, nil
}

func (m *memStore) List(_ context.Context, f approvals.ListFilter) ([]*approvals.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*approvals.Request
	for _, r := range m.reqs {
		if (f.InstanceAlias == "" || r.Instance.Alias == f.InstanceAlias) && (len(f.States) == 0 || slices.Contains(f.States, r.State)) {
			out = append(out, clone(r))
		}
	}
	slices.SortFunc(out, func(a, b *approvals.Request) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func (m *memStore) Events(_ context.Context, id string) ([]approvals.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []approvals.Event
	for _, e := range m.events {
		if e.RequestID == id {
			out = append(out, e)
		}
	}
	return out, nil
}

func (m *memStore) Ping(context.Context) error { return nil }

// fakeKiller records kills and answers with err.
type fakeKiller struct {
	mu    sync.Mutex
	calls []killCall
	err   error
	block chan struct{} // if set, Kill waits for it to close
}

type killCall struct {
	Inst  approvals.Instance
	Node  string
	Addrs []string
	All   bool
}

var _ approvals.Killer = (*fakeKiller)(nil)

func (k *fakeKiller) Kill(_ context.Context, inst approvals.Instance, node string, addrs []string) error {
	k.mu.Lock()
	k.calls = append(k.calls, killCall{Inst: inst, Node: node, Addrs: slices.Clone(addrs)})
	block := k.block
	k.mu.Unlock()
	if block != nil {
		<-block
	}
	return k.err
}

func (k *fakeKiller) KillAll(_ context.Context, inst approvals.Instance, node string, all bool) error {
	k.mu.Lock()
	k.calls = append(k.calls, killCall{Inst: inst, Node: node, All: all})
	k.mu.Unlock()
	return k.err
}

func (k *fakeKiller) Calls() []killCall {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.calls)
}

// fakeNotifier records what would be shown.
type fakeNotifier struct {
	mu        sync.Mutex
	announced []string
	updates   map[string][]approvals.State
	notes     map[string][]approvals.Note
	failPost  error
}

var _ approvals.Notifier = (*fakeNotifier)(nil)

func newFakeNotifier() *fakeNotifier {
	return &fakeNotifier{updates: map[string][]approvals.State{}, notes: map[string][]approvals.Note{}}
}

func (n *fakeNotifier) Announce(_ context.Context, r *approvals.Request) (string, string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.failPost != nil {
		return "", "", n.failPost
	}
	n.announced = append(n.announced, r.ID)
	return r.ChannelID, "1700000000.0001", nil
}

func (n *fakeNotifier) Update(_ context.Context, r *approvals.Request) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.updates[r.ID] = append(n.updates[r.ID], r.State)
	return nil
}

func (n *fakeNotifier) Thread(_ context.Context, r *approvals.Request, note approvals.Note) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.notes[r.ID] = append(n.notes[r.ID], note)
	return nil
}

func (n *fakeNotifier) Notes(id string) []approvals.NoteKind {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []approvals.NoteKind
	for _, x := range n.notes[id] {
		out = append(out, x.Kind)
	}
	return out
}

func (n *fakeNotifier) LastUpdate(id string) approvals.State {
	n.mu.Lock()
	defer n.mu.Unlock()
	u := n.updates[id]
	if len(u) == 0 {
		return ""
	}
	return u[len(u)-1]
}

type fakeDirectory map[string][]string

func (d fakeDirectory) GroupMembers(_ context.Context, id string) ([]string, error) {
	return d[id], nil
}

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (m *memStore) MarkReminded(_ context.Context, id string, at time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.reqs[id]
	if !ok {
		return false, approvals.ErrNotFound
	}
	if r.State != approvals.Pending || !r.RemindedAt.IsZero() {
		return false, nil
	}
	r.RemindedAt = at
	return true, nil
}

// fakeSessions serves sessions per node and a node list; reads can be
// scripted to change between calls.
type fakeSessions struct {
	mu       sync.Mutex
	nodes    []approvals.Node
	sessions map[string][]approvals.Session // by node ID
	err      error
	reads    int
	onRead   func(n int) // called with the read number, under no lock
}

var _ approvals.SessionReader = (*fakeSessions)(nil)

func (f *fakeSessions) Sessions(_ context.Context, _ approvals.Instance, node string) ([]approvals.Session, error) {
	f.mu.Lock()
	f.reads++
	n, hook := f.reads, f.onRead
	f.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	return slices.Clone(f.sessions[node]), nil
}

func (f *fakeSessions) Nodes(context.Context, approvals.Instance) ([]approvals.Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.nodes), f.err
}

func (f *fakeSessions) set(node string, ss ...approvals.Session) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessions[node] = ss
}

func (m *memStore) Count(_ context.Context, st approvals.State) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, r := range m.reqs {
		if r.State == st {
			n++
		}
	}
	return n, nil
}
