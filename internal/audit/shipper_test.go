package audit

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const testPoll = 17 * time.Hour // never fires (see delays)

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

func newTestShipper(t *testing.T, m *memStore, sink Sink, owner string, clock *fakeClock, d *delays) *Shipper {
	t.Helper()
	s, err := NewShipper(ShipperParams{
		Source: m, Cursor: m, Sink: sink, SinkKey: "test", Owner: owner,
		Batch: 100, Poll: testPoll, LeaseTTL: time.Minute,
		MinBackoff: 200 * time.Millisecond, MaxBackoff: 2 * time.Second, FlushTimeout: 5 * time.Second,
		StoreTimeout: 10 * time.Second, Now: clock.Now, After: d.After,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type countObserver struct {
	mu      sync.Mutex
	shipped int
	last    int64
	failed  []error
}

func (o *countObserver) Shipped(n int, last Record) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.shipped += n
	o.last = last.Seq
}

func (o *countObserver) Failed(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failed = append(o.failed, err)
}

func TestShipperShipsInOrderInBatches(t *testing.T) {
	m, sink := newMemStore(), newRecSink()
	m.add(250)
	obs := &countObserver{}
	s := newTestShipper(t, m, sink, "a", &fakeClock{t: t0}, &delays{poll: testPoll})
	s.p.Observer = obs
	stop := runShipper(t, s)

	sink.waitUntil(t, 250)
	if got := sink.seqs(); !slices.Equal(got, upTo(250)) {
		t.Fatalf("sink got %v, want 1..250 once each in order", got)
	}
	sink.mu.Lock()
	var sizes []int
	for _, b := range sink.batches {
		sizes = append(sizes, len(b))
	}
	sink.mu.Unlock()
	if !slices.Equal(sizes, []int{100, 100, 50}) {
		t.Errorf("batch sizes %v, want [100 100 50]", sizes)
	}

	// More events and a wake-up: shipped from where it left off.
	m.add(30)
	s.Notify()
	s.Notify() // never blocks
	sink.waitUntil(t, 280)
	if got := sink.seqs(); !slices.Equal(got, upTo(280)) {
		t.Fatalf("sink got %v, want 1..280 once each in order", got)
	}
	// The cursor moves once Send has returned: stop the shipper to read it.
	stop()
	if c := m.cursor("test"); c != 280 {
		t.Errorf("cursor %d, want 280", c)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.shipped != 280 || obs.last != 280 || len(obs.failed) != 0 {
		t.Errorf("observer: shipped %d up to %d, %d failures; want 280 up to 280, none", obs.shipped, obs.last, len(obs.failed))
	}
}

// A refused batch is sent again, whole and unchanged, with growing delays,
// and the cursor stays put until it is accepted: nothing is skipped.
func TestShipperRetriesTheSameBatch(t *testing.T) {
	m, sink := newMemStore(), newRecSink()
	m.add(120)
	var attempts [][]int64
	var cursors []int64
	sink.fail = func(call int, batch []Record) error {
		var seqs []int64
		for _, r := range batch {
			seqs = append(seqs, r.Seq)
		}
		attempts = append(attempts, seqs)
		cursors = append(cursors, m.cursor("test"))
		if call <= 6 {
			return errors.New("receiver down")
		}
		return nil
	}
	d := &delays{poll: testPoll}
	obs := &countObserver{}
	s := newTestShipper(t, m, sink, "a", &fakeClock{t: t0}, d)
	s.p.Observer = obs
	stop := runShipper(t, s)
	sink.waitUntil(t, 120)
	stop()

	if got := sink.seqs(); !slices.Equal(got, upTo(120)) {
		t.Fatalf("sink got %v, want 1..120", got)
	}
	if len(attempts) != 8 {
		t.Fatalf("%d Send calls, want 6 refused and 2 accepted", len(attempts))
	}
	for i := range 7 {
		if !slices.Equal(attempts[i], upTo(100)) || cursors[i] != 0 {
			t.Errorf("attempt %d sent %d records from %d with the cursor at %d; want the first batch again, cursor 0",
				i+1, len(attempts[i]), attempts[i][0], cursors[i])
		}
	}
	// 200ms doubling up to 2s, each jittered down by at most half.
	want := []time.Duration{200, 400, 800, 1600, 2000, 2000}
	got := d.list()
	if len(got) != len(want) {
		t.Fatalf("delays %v, want %d of them", got, len(want))
	}
	for i, w := range want {
		w *= time.Millisecond
		if got[i] < w/2 || got[i] > w {
			t.Errorf("delay %d = %v, want in [%v, %v]", i+1, got[i], w/2, w)
		}
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.failed) != 6 {
		t.Errorf("observer heard %d failures, want 6", len(obs.failed))
	}
}

// A new shipper (a restart) resumes after the cursor.
func TestShipperResumesFromTheCursor(t *testing.T) {
	m, clock := newMemStore(), &fakeClock{t: t0}
	m.add(50)
	first := newRecSink()
	stop := runShipper(t, newTestShipper(t, m, first, "a", clock, &delays{poll: testPoll}))
	first.waitUntil(t, 50)
	stop()

	m.add(20)
	second := newRecSink()
	runShipper(t, newTestShipper(t, m, second, "b", clock, &delays{poll: testPoll}))
	second.waitUntil(t, 70)
	want := upTo(70)[50:]
	if got := second.seqs(); !slices.Equal(got, want) {
		t.Errorf("after a restart the sink got %v, want %v", got, want)
	}
}

// Records added while idle and not notified are shipped when Run stops, and
// the lease is given up.
func TestShipperFlushesOnStop(t *testing.T) {
	m, sink, clock := newMemStore(), newRecSink(), &fakeClock{t: t0}
	m.add(5)
	stop := runShipper(t, newTestShipper(t, m, sink, "a", clock, &delays{poll: testPoll}))
	sink.waitUntil(t, 5)
	m.add(150) // no Notify, and the poll never fires
	stop()
	if got := sink.seqs(); !slices.Equal(got, upTo(155)) {
		t.Errorf("after stopping the sink has %v, want 1..155", got)
	}
	if _, held, _ := m.Lease(t.Context(), "test", "other", clock.Now(), time.Minute); !held {
		t.Error("the lease was not released when Run stopped")
	}
}

// A last attempt at shutdown that runs out of FlushTimeout (the sink
// hangs) still gives the lease up, so another replica need not wait out
// its TTL.
func TestShipperReleasesTheLeaseAfterAFlushThatTimedOut(t *testing.T) {
	m, clock := newMemStore(), &fakeClock{t: t0}
	sink := newRecSink()
	sink.fail = func(call int, _ []Record) error {
		if call > 1 {
			<-t.Context().Done() // never answers while the test runs; ctxSink gives up
		}
		return nil
	}
	s, err := NewShipper(ShipperParams{
		Source: m, Cursor: m, Sink: ctxSink{sink}, SinkKey: "test", Owner: "a",
		Batch: 100, Poll: testPoll, LeaseTTL: time.Minute,
		MinBackoff: 200 * time.Millisecond, MaxBackoff: 2 * time.Second, FlushTimeout: 50 * time.Millisecond,
		StoreTimeout: 10 * time.Second, Now: clock.Now, After: (&delays{poll: testPoll}).After,
	})
	if err != nil {
		t.Fatal(err)
	}
	m.add(2)
	stop := runShipper(t, s)
	sink.waitUntil(t, 2)
	m.add(3) // left for the last attempt, which hangs
	stop()
	if _, held, _ := m.Lease(t.Context(), "test", "other", clock.Now(), time.Minute); !held {
		t.Error("the lease was kept after a last attempt that timed out")
	}
}

// ctxSink gives up a Send of its sink when the context ends.
type ctxSink struct{ s *recSink }

func (c ctxSink) Send(ctx context.Context, batch []Record) error {
	done := make(chan error, 1)
	go func() { done <- c.s.Send(ctx, batch) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// A stop that comes while a batch is being sent does not keep the cursor
// from moving past the batch the sink accepted: the flush does not send
// it again (the file sink would hold it twice).
func TestShipperRecordsABatchAcceptedAsItStops(t *testing.T) {
	m, sink, clock := newMemStore(), newRecSink(), &fakeClock{t: t0}
	m.add(4)
	ctx, cancel := context.WithCancel(t.Context())
	sink.fail = func(call int, _ []Record) error {
		if call == 1 {
			cancel() // the stop arrives during the Send, which succeeds
		}
		return nil
	}
	s := newTestShipper(t, m, sink, "a", clock, &delays{poll: testPoll})
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sink.seqs(); !slices.Equal(got, upTo(4)) {
		t.Errorf("the sink has %v, want 1..4 once", got)
	}
	if c := m.cursor("test"); c != 4 {
		t.Errorf("cursor = %d, want 4", c)
	}
}

// taggedSink appends what it accepts, with its name, to a log shared by
// several shippers' sinks.
type taggedSink struct {
	name string
	log  *recSink
	mu   *sync.Mutex
	by   *[]string
}

func (s taggedSink) Send(ctx context.Context, batch []Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	*s.by = append(*s.by, s.name)
	return s.log.Send(ctx, batch)
}

// Two shippers on one sink: one holds the lease and ships, the other waits;
// the receiver sees every record once, in order, never interleaved. When the
// holder stops, the other takes over.
func TestShippersShareOneLease(t *testing.T) {
	m, shared, clock := newMemStore(), newRecSink(), &fakeClock{t: t0}
	var mu sync.Mutex
	var by []string
	a := newTestShipper(t, m, taggedSink{"a", shared, &mu, &by}, "a", clock, &delays{poll: testPoll})
	b := newTestShipper(t, m, taggedSink{"b", shared, &mu, &by}, "b", clock, &delays{poll: testPoll})
	stopA := runShipper(t, a)
	stopB := runShipper(t, b)
	for i := range 5 {
		m.add(37)
		a.Notify()
		b.Notify()
		shared.waitUntil(t, int64(37*(i+1)))
	}
	if got := shared.seqs(); !slices.Equal(got, upTo(185)) {
		t.Fatalf("receiver got %v, want 1..185 once each in order", got)
	}
	mu.Lock()
	holder := by[0]
	for _, name := range by {
		if name != holder {
			t.Errorf("batches shipped by %v: both shippers shipped while one held the lease", by)
			break
		}
	}
	mu.Unlock()

	other := b
	if holder == "b" {
		stopB()
		other = a
	} else {
		stopA()
	}
	m.add(10)
	other.Notify()
	shared.waitUntil(t, 195)
	if got := shared.seqs(); !slices.Equal(got, upTo(195)) {
		t.Fatalf("after a handover the receiver got %v, want 1..195", got)
	}
}

// A shipper stuck in a Send loses its lease when the lease expires; another
// takes over from the cursor, and the stuck one, once it comes back, leaves
// the batch alone.
func TestShipperLeaseExpires(t *testing.T) {
	m, clock := newMemStore(), &fakeClock{t: t0}
	m.add(30)
	stuck, entered, release := newRecSink(), make(chan struct{}), make(chan struct{})
	stuck.fail = func(call int, _ []Record) error {
		if call == 1 {
			close(entered)
			<-release
		}
		return errors.New("timeout")
	}
	dA := &delays{poll: testPoll, idle: make(chan struct{}, 1)}
	a := newTestShipper(t, m, stuck, "a", clock, dA)
	runShipper(t, a)
	<-entered

	clock.Add(61 * time.Second)
	healthy := newRecSink()
	b := newTestShipper(t, m, healthy, "b", clock, &delays{poll: testPoll})
	runShipper(t, b)
	healthy.waitUntil(t, 30)
	close(release)
	// The stuck shipper's Send fails; it renews the lease before trying
	// again, finds it gone, and goes idle.
	select {
	case <-dA.idle:
	case <-time.After(time.Minute):
		t.Fatal("the shipper that lost its lease never stopped retrying")
	}

	m.add(5)
	a.Notify()
	b.Notify()
	healthy.waitUntil(t, 35)
	if got := healthy.seqs(); !slices.Equal(got, upTo(35)) {
		t.Errorf("the new holder shipped %v, want 1..35", got)
	}
	if got := stuck.seqs(); len(got) != 0 {
		t.Errorf("the stuck shipper delivered %v after losing its lease", got)
	}
	stuck.mu.Lock()
	calls := stuck.calls
	stuck.mu.Unlock()
	if calls != 1 {
		t.Errorf("the stuck shipper sent %d times; want once, then it saw the lease was gone", calls)
	}
}

// badSource returns a record at or before the cursor.
type badSource struct{}

func (badSource) RecordsAfter(context.Context, int64, int) ([]Record, error) {
	return []Record{{Seq: 0}}, nil
}

func TestShipperRefusesARecordOutOfOrder(t *testing.T) {
	m, sink := newMemStore(), newRecSink()
	failed := make(chan error, 100)
	s := newTestShipper(t, m, sink, "a", &fakeClock{t: t0}, &delays{poll: testPoll})
	s.p.Source = badSource{}
	s.p.Observer = chanObserver(failed)
	stop := runShipper(t, s)
	err := <-failed
	stop()
	if err == nil || sink.calls != 0 {
		t.Errorf("error %v after %d Send calls; want an error and none", err, sink.calls)
	}
}

type chanObserver chan error

func (chanObserver) Shipped(int, Record) {}
func (c chanObserver) Failed(err error) {
	select {
	case c <- err:
	default:
	}
}

// The shipper takes no defaults: a missing value is an error naming it.
func TestNewShipperRefusesZeroValues(t *testing.T) {
	m := newMemStore()
	_, err := NewShipper(ShipperParams{Source: m, Cursor: m, Sink: newRecSink(), SinkKey: "test"})
	if err == nil {
		t.Fatal("NewShipper took a shipper without batch, poll, lease, backoffs or timeouts")
	}
	for _, name := range []string{"batch", "poll", "lease TTL", "min backoff", "max backoff", "flush timeout", "store timeout"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}
}

// A shipper takes no lease while there is nothing to ship, takes it once
// for the batches of half a TTL, and renews it once less than half is left.
func TestShipperLeasesOncePerHalfTTL(t *testing.T) {
	m, sink, clock := newMemStore(), newRecSink(), &fakeClock{t: t0}
	d := &delays{poll: testPoll, idle: make(chan struct{}, 1)}
	s := newTestShipper(t, m, sink, "a", clock, d)
	runShipper(t, s)

	for range 5 {
		<-d.idle
		s.Notify()
	}
	<-d.idle
	if n := m.leaseCalls(); n != 0 {
		t.Errorf("%d Lease calls with nothing to ship, want none", n)
	}

	const wakes = 10
	for i := range wakes {
		m.add(1)
		s.Notify()
		sink.waitUntil(t, int64(i+1))
		clock.Add(2 * time.Second) // 20 s in all, within half the 1 min TTL
	}
	if n := m.leaseCalls(); n != 1 {
		t.Errorf("%d Lease calls for %d wakes within half the lease's TTL, want 1", n, wakes)
	}

	clock.Add(15 * time.Second) // 35 s since the lease: less than half is left
	m.add(1)
	s.Notify()
	sink.waitUntil(t, wakes+1)
	if n := m.leaseCalls(); n != 2 {
		t.Errorf("%d Lease calls once less than half the TTL was left, want 2", n)
	}
	if got := sink.seqs(); !slices.Equal(got, upTo(wakes+1)) {
		t.Errorf("sink got %v, want 1..%d", got, wakes+1)
	}
}

// boundedStore checks that each call comes with a deadline no further than
// within away.
type boundedStore struct {
	*memStore
	within time.Duration
	mu     sync.Mutex
	calls  []string // the calls without such a deadline
}

func (b *boundedStore) check(ctx context.Context, call string) {
	dl, ok := ctx.Deadline()
	if !ok || time.Until(dl) > b.within {
		b.mu.Lock()
		b.calls = append(b.calls, call)
		b.mu.Unlock()
	}
}

func (b *boundedStore) RecordsAfter(ctx context.Context, after int64, limit int) ([]Record, error) {
	b.check(ctx, "RecordsAfter")
	return b.memStore.RecordsAfter(ctx, after, limit)
}

func (b *boundedStore) Lease(ctx context.Context, sink, owner string, now time.Time, ttl time.Duration) (int64, bool, error) {
	b.check(ctx, "Lease")
	return b.memStore.Lease(ctx, sink, owner, now, ttl)
}

func (b *boundedStore) Advance(ctx context.Context, sink, owner string, from, to int64) (bool, error) {
	b.check(ctx, "Advance")
	return b.memStore.Advance(ctx, sink, owner, from, to)
}

func (b *boundedStore) Release(ctx context.Context, sink, owner string) error {
	b.check(ctx, "Release")
	return b.memStore.Release(ctx, sink, owner)
}

// Every store call of the shipper is bounded by StoreTimeout, though Run's
// ctx has no deadline.
func TestShipperBoundsStoreCalls(t *testing.T) {
	m, sink := newMemStore(), newRecSink()
	m.add(150)
	s := newTestShipper(t, m, sink, "a", &fakeClock{t: t0}, &delays{poll: testPoll})
	b := &boundedStore{memStore: m, within: s.p.StoreTimeout}
	s.p.Source, s.p.Cursor = b, b
	stop := runShipper(t, s)
	sink.waitUntil(t, 150)
	stop()
	if len(b.calls) > 0 {
		t.Errorf("store calls without a deadline within the store timeout: %v", b.calls)
	}
	if m.leaseCalls() == 0 || m.reads == 0 {
		t.Error("the shipper made no Lease or read")
	}
}

// lingerDelays is delays whose Linger channel fires only when the test
// says so; asked is told each time Linger is waited for.
type lingerDelays struct {
	delays
	linger  time.Duration
	asked   chan struct{}
	release chan time.Time
}

func (d *lingerDelays) After(x time.Duration) <-chan time.Time {
	if x == d.linger {
		d.asked <- struct{}{}
		return d.release
	}
	return d.delays.After(x)
}

// After a Notify the shipper waits Linger before it reads: records
// committed meanwhile ship in the same batch, and nothing ships before.
func TestShipperLingersAfterNotify(t *testing.T) {
	m, sink := newMemStore(), newRecSink()
	d := &lingerDelays{delays: delays{poll: testPoll, idle: make(chan struct{}, 1)}, linger: 50 * time.Millisecond,
		asked: make(chan struct{}, 1), release: make(chan time.Time, 1)}
	s := newTestShipper(t, m, sink, "a", &fakeClock{t: t0}, &d.delays)
	s.p.Linger, s.p.After = d.linger, d.After
	stop := runShipper(t, s)
	defer stop()
	<-d.idle // nothing to ship yet: idle

	m.add(1)
	s.Notify()
	select {
	case <-d.asked:
	case <-time.After(time.Minute):
		t.Fatal("the shipper never waited its linger after a Notify")
	}
	m.add(2) // committed while it lingers
	if got := sink.seqs(); len(got) != 0 {
		t.Fatalf("shipped %v before the linger ended", got)
	}
	d.release <- time.Time{}
	sink.waitUntil(t, 3)
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.batches) != 1 || len(sink.batches[0]) != 3 {
		t.Fatalf("batches %v, want the 3 records in one", sink.batches)
	}
}
