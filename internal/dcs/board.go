package dcs

import (
	"sync"

	"dcsbot/internal/approvals"
)

// board runs the session scans of this process, one per node at a time.
// A reader that asks while a scan of the node runs shares the next scan,
// which starts once the running one ends: never one that began before it
// asked. Every reader that asks meanwhile shares that same next scan.
type board struct {
	mu    sync.Mutex
	nodes map[nodeKey]*nodeScans
}

// nodeKey names a node of an instance.
type nodeKey struct{ instance, node string }

// nodeScans are the scan running on a node and the one queued after it.
type nodeScans struct{ running, next *scanRun }

// scanRun is one scan and read of a node's sessions, shared by the readers
// that joined it. sessions and err are set before done is closed.
type scanRun struct {
	start    func(*scanRun)
	done     chan struct{}
	readers  int // callers that joined it; final once it starts
	sessions []approvals.Session
	err      error
}

func newBoard() *board { return &board{nodes: map[nodeKey]*nodeScans{}} }

// join returns the scan of key the caller is to wait for: one started now
// when none runs, else the one queued to start after the running one
// (queued now, with start, if there is none yet).
func (b *board) join(key nodeKey, start func(*scanRun)) *scanRun {
	b.mu.Lock()
	defer b.mu.Unlock()
	ns := b.nodes[key]
	if ns == nil {
		ns = &nodeScans{}
		b.nodes[key] = ns
	}
	if ns.running == nil {
		r := &scanRun{start: start, done: make(chan struct{}), readers: 1}
		ns.running = r
		go b.run(key, r)
		return r
	}
	if ns.next == nil {
		ns.next = &scanRun{start: start, done: make(chan struct{})}
	}
	ns.next.readers++
	return ns.next
}

// run performs r, then hands the node to the scan queued after it.
func (b *board) run(key nodeKey, r *scanRun) {
	r.start(r)
	b.mu.Lock()
	ns := b.nodes[key]
	next := ns.next
	ns.running, ns.next = next, nil
	if next == nil {
		delete(b.nodes, key)
	}
	b.mu.Unlock()
	close(r.done)
	if next != nil {
		go b.run(key, next)
	}
}

// queued is how many callers wait for the scan of key queued after the
// running one.
func (b *board) queued(key nodeKey) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ns := b.nodes[key]; ns != nil && ns.next != nil {
		return ns.next.readers
	}
	return 0
}

// pending returns a channel closed when the scans of key running or queued
// now have ended, or nil when there are none.
func (b *board) pending(key nodeKey) <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	ns := b.nodes[key]
	switch {
	case ns == nil:
		return nil
	case ns.next != nil:
		return ns.next.done
	}
	return ns.running.done
}
