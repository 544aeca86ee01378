package dcs

import (
	"context"
	"fmt"
	"sync"
	"time"

	"dcsbot/internal/approvals"
)

// board runs this client's session scans, one per node at a time, and
// keeps a node's scans and kills out of each other's way (DCS refuses a
// kill while a scan of the node runs).
//
// A reader says which scans will do (want): one started at or after a
// time, or one that ended lately. It shares the last scan that ended, or
// the running one, when that will do; else the scan queued to start next,
// which every reader that asks meanwhile shares.
//
// Kills come first. The next scan of a node does not start while the node
// is held: by a kill waiting or being sent, or by a reader that will kill
// (a guard), from the end of the scan it read until it releases its hold.
// So kills approved together read one scan and are all sent before the
// next scan starts.
type board struct {
	mu      sync.Mutex
	nodes   map[nodeKey]*nodeScans
	holdMax time.Duration // a guard's hold is dropped after this, kill or not
}

// nodeKey names a node of an instance.
type nodeKey struct{ instance, node string }

// nodeScans are what the board knows of one node.
type nodeScans struct {
	running *scanRun // started, not ended
	next    *scanRun // queued: starts once running has ended and no hold remains
	last    *scanRun // the last scan that ended with the sessions
	holds   int      // kills waiting, being sent, or read for: next waits while > 0
	took    time.Duration
	sending int           // calls of this client's kills in flight
	answer  chan struct{} // closed (and replaced) when one of them is answered
	turn    chan struct{} // the turn of kills refused as busy (capacity 1)
}

// scanRun is one scan of a node's sessions, shared by the readers that
// joined it. fresh and err are set before done is closed; so is list when
// a reader that joined before then wants the whole list, or more than
// maxOnly addresses were asked for (wholeList).
type scanRun struct {
	start   func(*scanRun)
	done    chan struct{}
	readers int       // callers that joined it
	guards  []*hold   // readers that will kill: their holds start when it ends
	sent    time.Time // when the scan was asked of DCS; zero before
	ended   time.Time
	// deadline bounds the scan and every reading of its list
	// (Params.ScanBound from its start).
	deadline time.Time
	fresh    freshness // which session lists come from it
	err      error
	whole    bool      // a reader that joined wants the whole list
	only     int       // addresses named by the readers that joined
	list     *listRead // the whole list, once one reader has asked for it
}

// listRead is one reading of a node's whole session list, shared by the
// readers of a scan. sessions and err are set before done is closed.
type listRead struct {
	done     chan struct{}
	sessions []approvals.Session
	err      error
}

// maxOnly is how many addresses the readers of one scan may name, in all,
// for each to be read alone (ListClients with addr); beyond it, one
// reading of the whole list costs less than theirs.
const maxOnly = 4

// want says which scans will do for a reader.
type want struct {
	since  time.Time     // one started at or after since
	recent time.Duration // or, when > 0, one that ended with the sessions less than this ago
	guard  bool          // a kill follows: hold the node from the scan's end
	// only, when not empty, are the addresses the reader looks at: it
	// may be given the sessions at those alone.
	only []string
}

// admits reports whether r will do, at now.
func (w want) admits(r *scanRun, now time.Time) bool {
	switch {
	case r.sent.IsZero() || !r.sent.Before(w.since):
		return true
	case w.recent > 0 && !r.ended.IsZero() && r.err == nil:
		return now.Sub(r.ended) < w.recent
	}
	return false
}

// hold keeps a node's next scan from starting until it is released.
type hold struct {
	b        *board
	key      nodeKey
	active   bool // counted in the node's holds
	released bool
	timer    *time.Timer
}

func newBoard(holdMax time.Duration) *board {
	return &board{nodes: map[nodeKey]*nodeScans{}, holdMax: holdMax}
}

func (b *board) node(key nodeKey) *nodeScans {
	ns := b.nodes[key]
	if ns == nil {
		ns = &nodeScans{}
		b.nodes[key] = ns
	}
	return ns
}

// join returns the scan of key the reader is to wait for, and, for a
// guard, its hold (nil otherwise), which the caller must release. A scan
// joined that is not running yet is queued, with start.
func (b *board) join(key nodeKey, w want, start func(*scanRun)) (*scanRun, *hold) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ns, now := b.node(key), time.Now()
	var h *hold
	if w.guard {
		h = &hold{b: b, key: key}
	}
	if l := ns.last; l != nil && w.admits(l, now) {
		if h != nil {
			b.activateLocked(ns, h)
		}
		return l, h
	}
	r := ns.running
	if r == nil || !w.admits(r, now) {
		if ns.next == nil {
			ns.next = &scanRun{start: start, done: make(chan struct{})}
		}
		r = ns.next
	}
	r.readers++
	if len(w.only) == 0 {
		r.whole = true
	}
	r.only += len(w.only)
	if h != nil {
		r.guards = append(r.guards, h)
	}
	b.startLocked(key, ns)
	return r, h
}

// startLocked starts the queued scan of key if nothing keeps it waiting.
func (b *board) startLocked(key nodeKey, ns *nodeScans) {
	if ns.running != nil || ns.next == nil || ns.holds > 0 {
		return
	}
	r := ns.next
	ns.running, ns.next = r, nil
	go b.run(key, r)
}

// run performs r, then starts the hold of each guard that read it, and
// the queued scan if nothing holds the node.
func (b *board) run(key nodeKey, r *scanRun) {
	r.start(r)
	b.mu.Lock()
	defer b.mu.Unlock()
	ns := b.nodes[key]
	r.ended = time.Now()
	ns.running = nil
	if r.err == nil {
		ns.last = r
	}
	for _, h := range r.guards {
		if !h.released && r.err == nil {
			b.activateLocked(ns, h)
		}
	}
	close(r.done)
	b.startLocked(key, ns)
}

// activateLocked counts h in the node's holds, for at most holdMax.
func (b *board) activateLocked(ns *nodeScans, h *hold) {
	h.active = true
	ns.holds++
	h.timer = time.AfterFunc(b.holdMax, h.release)
}

// release ends h; it may be called more than once.
func (h *hold) release() {
	b := h.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if h.released {
		return
	}
	h.released = true
	if !h.active {
		return
	}
	h.timer.Stop()
	ns := b.nodes[h.key]
	ns.holds--
	b.startLocked(h.key, ns)
}

// wholeList reports whether r's readers are better served by one reading
// of the whole list than by reading their addresses alone.
func (b *board) wholeList(r *scanRun) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return r.whole || r.only > maxOnly || r.list != nil
}

// listing returns r's reading of the whole list, and whether the caller
// is the first to ask, and so is to read it.
func (b *board) listing(r *scanRun) (lr *listRead, first bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r.list == nil {
		r.list, first = &listRead{done: make(chan struct{})}, true
	}
	return r.list, first
}

// markSent records that r's scan is being asked of DCS now: a reader
// that asks from now on wants a later one, unless r will do for it.
func (b *board) markSent(r *scanRun) {
	b.mu.Lock()
	r.sent = time.Now()
	b.mu.Unlock()
}

// readers is how many callers joined r so far.
func (b *board) readers(r *scanRun) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return r.readers
}

// queued is how many callers wait for the scan of key queued after the
// running one.
func (b *board) queued(key nodeKey) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ns := b.nodes[key]; ns.next != nil {
		return ns.next.readers
	}
	return 0
}

// setTook records how long a scan of key took on DCS; took returns the
// last one recorded (0 when none).
func (b *board) setTook(key nodeKey, d time.Duration) {
	b.mu.Lock()
	b.node(key).took = d
	b.mu.Unlock()
}

func (b *board) took(key nodeKey) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.node(key).took
}

// holdForKill holds key, so that no scan of it starts, and waits until
// none runs, until deadline. The caller sends its kill, then calls
// release.
func (b *board) holdForKill(ctx context.Context, key nodeKey, deadline time.Time) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	ns := b.node(key)
	ns.holds++
	release = func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		ns.holds--
		b.startLocked(key, ns)
	}
	for ns.running != nil {
		done := ns.running.done
		b.mu.Unlock()
		timer := time.NewTimer(time.Until(deadline))
		select {
		case <-done:
			timer.Stop()
		case <-timer.C:
			release()
			return nil, fmt.Errorf("the bot's own session scan of node %s did not end in time", key.node)
		case <-ctx.Done():
			timer.Stop()
			release()
			return nil, ctx.Err()
		}
		b.mu.Lock()
	}
	b.mu.Unlock()
	return sync.OnceFunc(release), nil
}

// sending counts a call of a kill of key as in flight until leave is
// called, once it has been answered.
func (b *board) sending(key nodeKey) (leave func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ns := b.node(key)
	ns.sending++
	if ns.answer == nil {
		ns.answer = make(chan struct{})
	}
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		ns.sending--
		close(ns.answer)
		ns.answer = make(chan struct{})
	}
}

// othersSending reports whether a kill of key is in flight.
func (b *board) othersSending(key nodeKey) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.node(key).sending > 0
}

// awaitNoneSending waits until no kill of key is in flight, until
// deadline.
func (b *board) awaitNoneSending(ctx context.Context, key nodeKey, deadline time.Time) error {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		b.mu.Lock()
		ns := b.node(key)
		n, ch := ns.sending, ns.answer
		b.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-timer.C:
			return nil // the call that follows gets DCS's answer
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// takeTurn waits for key's turn, which kills refused as busy pass from
// one to the next, until deadline; release passes it on.
func (b *board) takeTurn(ctx context.Context, key nodeKey, deadline time.Time) (release func(), err error) {
	b.mu.Lock()
	ns := b.node(key)
	if ns.turn == nil {
		ns.turn = make(chan struct{}, 1)
	}
	turn := ns.turn
	b.mu.Unlock()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case turn <- struct{}{}:
		return sync.OnceFunc(func() { <-turn }), nil
	case <-timer.C:
		return nil, fmt.Errorf("other kills of node %s kept it busy", key.node)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
