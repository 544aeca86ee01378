package approvals_test

import (
	"context"
	"slices"
	"sync"
	"time"

	"dcsbot/internal/approvals"
)

// fakeKiller records kills and answers with err. A kill-all is accepted as
// job "job-1" unless job says otherwise; WaitJob answers with the next job
// sent on jobs (its ID filled in), or, without jobs, at once with SUCCESS
// and waitErr.
type fakeKiller struct {
	mu    sync.Mutex
	calls []killCall
	err   error
	block chan struct{} // if set, Kill waits for it to close
	// nodeErr, when it has the node, answers that node's kills instead of err.
	nodeErr map[string]error
	job     *string
	jobs    chan approvals.Job
	waitErr error
	waits   []string          // job IDs WaitJob was asked for
	onKill  func(node string) // if set, called with each kill's node, under k.mu
}

type killCall struct {
	Inst  approvals.Instance
	Node  string
	Addrs []string
	All   bool
	At    time.Time // when the kill was sent
}

var _ approvals.Killer = (*fakeKiller)(nil)

func (k *fakeKiller) Kill(_ context.Context, inst approvals.Instance, node string, addrs []string) error {
	k.mu.Lock()
	k.calls = append(k.calls, killCall{Inst: inst, Node: node, Addrs: slices.Clone(addrs), At: time.Now()})
	if k.onKill != nil {
		k.onKill(node)
	}
	block := k.block
	err, ok := k.nodeErr[node]
	if !ok {
		err = k.err
	}
	k.mu.Unlock()
	if block != nil {
		<-block
	}
	return err
}

func (k *fakeKiller) KillAll(_ context.Context, inst approvals.Instance, node string, all bool) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls = append(k.calls, killCall{Inst: inst, Node: node, All: all})
	if k.err != nil {
		return "", k.err
	}
	if k.job != nil {
		return *k.job, nil
	}
	return "job-1", nil
}

func (k *fakeKiller) WaitJob(ctx context.Context, _ approvals.Instance, id string) (approvals.Job, error) {
	k.mu.Lock()
	k.waits = append(k.waits, id)
	jobs, err := k.jobs, k.waitErr
	k.mu.Unlock()
	if jobs == nil {
		if err != nil {
			return approvals.Job{ID: id}, err
		}
		return approvals.Job{ID: id, Status: approvals.JobSuccess}, nil
	}
	select {
	case j := <-jobs:
		j.ID = id
		return j, nil
	case <-ctx.Done():
		return approvals.Job{ID: id, Status: approvals.JobRunning}, ctx.Err()
	}
}

func (k *fakeKiller) Waits() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.waits)
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

// fakeSessions serves sessions per node and a node list; reads can be
// scripted to change between calls.
type fakeSessions struct {
	mu       sync.Mutex
	nodes    []approvals.Node
	sessions map[string][]approvals.Session // by node ID
	err      error
	nodeErr  map[string]error // a node's reads fail with its error
	reads    int
	onRead   func(n int) // called with the read number, under no lock
	// reads asked for as of a scan started at or after a time: the guard's
	// (SessionsBeforeKill) and the checks' (SessionsSince), in order.
	guardSince, checkSince []time.Time
	guardDeadlines         []time.Time    // the deadline of each guard read's context (zero: none)
	guardOnly              [][]string     // the addresses each guard read named (nil: all)
	held                   map[string]int // node -> SessionsBeforeKill reads not done yet
	taken                  int            // SessionsBeforeKill reads that returned a hold
	// recent, when it has the node, is what Sessions serves for it (a scan
	// that ended a moment ago); recentReads counts Sessions calls.
	recent      map[string][]approvals.Session
	recentReads int
}

var _ approvals.SessionReader = (*fakeSessions)(nil)

// Sessions serves recent's sessions of node when it has them (a scan of a
// moment ago), else the live ones.
func (f *fakeSessions) Sessions(ctx context.Context, inst approvals.Instance, node string) ([]approvals.Session, error) {
	f.mu.Lock()
	f.recentReads++
	ss, ok := f.recent[node]
	f.mu.Unlock()
	if ok {
		return slices.Clone(ss), nil
	}
	return f.live(ctx, inst, node)
}

func (f *fakeSessions) live(_ context.Context, _ approvals.Instance, node string) ([]approvals.Session, error) {
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
	if err := f.nodeErr[node]; err != nil {
		return nil, err
	}
	return slices.Clone(f.sessions[node]), nil
}

func (f *fakeSessions) SessionsSince(ctx context.Context, inst approvals.Instance, node string, since time.Time) ([]approvals.Session, error) {
	f.mu.Lock()
	f.checkSince = append(f.checkSince, since)
	f.mu.Unlock()
	return f.live(ctx, inst, node)
}

func (f *fakeSessions) SessionsBeforeKill(ctx context.Context, inst approvals.Instance, node string, since time.Time, only []string) ([]approvals.Session, func(), error) {
	f.mu.Lock()
	f.guardSince = append(f.guardSince, since)
	f.guardOnly = append(f.guardOnly, only)
	deadline, _ := ctx.Deadline()
	f.guardDeadlines = append(f.guardDeadlines, deadline)
	f.mu.Unlock()
	ss, err := f.live(ctx, inst, node)
	if err != nil {
		return nil, nil, err
	}
	if len(only) > 0 {
		// As DCS asked for those addresses alone: the others are left out.
		ss = slices.DeleteFunc(ss, func(s approvals.Session) bool { return !slices.Contains(only, s.Addr) })
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.held == nil {
		f.held = map[string]int{}
	}
	f.held[node]++
	f.taken++
	return ss, sync.OnceFunc(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.held[node]--
	}), nil
}

// holdsTaken is how many guard reads returned a hold.
func (f *fakeSessions) holdsTaken() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.taken
}

// holds is how many guard reads of node are not done yet.
func (f *fakeSessions) holds(node string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.held[node]
}

// sinces returns the times the guard's and the checks' reads asked for.
func (f *fakeSessions) sinces() (guard, check []time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.guardSince), slices.Clone(f.checkSince)
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

// lastNote is the last thread note about request id.
func (n *fakeNotifier) lastNote(id string) approvals.Note {
	n.mu.Lock()
	defer n.mu.Unlock()
	ns := n.notes[id]
	if len(ns) == 0 {
		return approvals.Note{}
	}
	return ns[len(ns)-1]
}
