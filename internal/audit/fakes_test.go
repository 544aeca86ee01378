package audit

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// memStore is Source and Cursor in memory, with the semantics the SQL store
// has.
type memStore struct {
	mu      sync.Mutex
	recs    []Record // Seq 1, 2, ...
	cursors map[string]*memCursor
	reads   int
	leases  int // Lease calls
}

type memCursor struct {
	seq   int64
	owner string
	until time.Time
}

var (
	_ Source = (*memStore)(nil)
	_ Cursor = (*memStore)(nil)
)

func newMemStore() *memStore { return &memStore{cursors: map[string]*memCursor{}} }

// add records n more events, spread over three requests.
func (m *memStore) add(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for range n {
		seq := int64(len(m.recs) + 1)
		m.recs = append(m.recs, Record{
			Seq: seq, Event: "approval", At: time.Unix(1700000000+seq, 0).UTC(),
			RequestID: fmt.Sprintf("r%d", seq%3), Actor: "U1", Instance: "prod", InstanceID: "i-1",
			NodeID: "n-1", Kind: "kill", Sessions: []string{"10.0.0.1:1"}, Detail: fmt.Sprintf("event %d", seq),
		})
	}
}

func (m *memStore) RecordsAfter(_ context.Context, after int64, limit int) ([]Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	if after >= int64(len(m.recs)) {
		return nil, nil
	}
	end := min(int(after)+limit, len(m.recs))
	return slices.Clone(m.recs[after:end]), nil
}

func (m *memStore) Lease(_ context.Context, sink, owner string, now time.Time, ttl time.Duration) (int64, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.leases++
	c := m.cursors[sink]
	if c == nil {
		c = &memCursor{}
		m.cursors[sink] = c
	}
	if c.owner != owner && now.Before(c.until) {
		return 0, false, nil
	}
	c.owner, c.until = owner, now.Add(ttl)
	return c.seq, true, nil
}

func (m *memStore) Advance(ctx context.Context, sink, owner string, from, to int64) (bool, error) {
	if err := ctx.Err(); err != nil { // as a SQL store's call would
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.cursors[sink]
	if c == nil || c.owner != owner || c.seq != from {
		return false, nil
	}
	c.seq = to
	return true, nil
}

func (m *memStore) Release(ctx context.Context, sink, owner string) error {
	if err := ctx.Err(); err != nil { // as a SQL store's call would
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.cursors[sink]; c != nil && c.owner == owner {
		c.until = time.Time{}
	}
	return nil
}

func (m *memStore) leaseCalls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.leases
}

func (m *memStore) cursor(sink string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.cursors[sink]; c != nil {
		return c.seq
	}
	return 0
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// delays is an After that fires at once for every delay but poll, whose
// channel never fires (so an idle shipper waits for Notify), and records the
// delays asked for.
type delays struct {
	mu   sync.Mutex
	poll time.Duration
	got  []time.Duration
	idle chan struct{} // if set, told each time the shipper idles
}

func (d *delays) After(x time.Duration) <-chan time.Time {
	if x == d.poll {
		if d.idle != nil {
			select {
			case d.idle <- struct{}{}:
			default:
			}
		}
		return nil
	}
	d.mu.Lock()
	d.got = append(d.got, x)
	d.mu.Unlock()
	ch := make(chan time.Time, 1)
	ch <- time.Time{}
	return ch
}

func (d *delays) list() []time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.got)
}

// recSink records what it accepts; fail, if set, decides each Send's fate
// (by the 1-based number of the call) before the batch is accepted.
type recSink struct {
	mu      sync.Mutex
	calls   int
	batches [][]Record
	fail    func(call int, batch []Record) error
	changed chan struct{}
}

func newRecSink() *recSink { return &recSink{changed: make(chan struct{}, 1)} }

func (s *recSink) Send(_ context.Context, batch []Record) error {
	s.mu.Lock()
	s.calls++
	call, fail := s.calls, s.fail
	s.mu.Unlock()
	if fail != nil {
		if err := fail(call, batch); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.batches = append(s.batches, slices.Clone(batch))
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return nil
}

func (s *recSink) seqs() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int64
	for _, b := range s.batches {
		for _, r := range b {
			out = append(out, r.Seq)
		}
	}
	return out
}

// waitUntil waits until the sink has accepted a record with Seq last. The
// deadline only keeps a broken test from hanging.
func (s *recSink) waitUntil(t *testing.T, last int64) {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		if got := s.seqs(); len(got) > 0 && got[len(got)-1] >= last {
			return
		}
		select {
		case <-s.changed:
		case <-deadline:
			t.Fatalf("the sink never got record %d; it has %v", last, s.seqs())
		}
	}
}

// upTo returns 1, ..., n.
func upTo(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i + 1)
	}
	return out
}

// runShipper starts s.Run and returns a function that stops it and waits.
func runShipper(t *testing.T, s *Shipper) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}
