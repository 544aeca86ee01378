package approvals

import (
	"context"
	"sync"
)

// inFlight counts the kills and followed jobs whose outcome is not yet
// recorded. Unlike a sync.WaitGroup, a count may start from zero while
// Wait runs (a click or a sweep that starts a kill as shutdown begins):
// Wait then waits for it too.
type inFlight struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed while n is zero
}

// Add counts one more.
func (f *inFlight) Add() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		f.idle = make(chan struct{})
	}
	f.n++
}

// Done counts one fewer. It panics when the count would go below zero,
// as a WaitGroup does: that is a bug of the caller's.
func (f *inFlight) Done() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		panic("approvals: inFlight.Done without Add")
	}
	if f.n--; f.n == 0 {
		close(f.idle)
	}
}

// Wait blocks until the count is zero, or ctx ends.
func (f *inFlight) Wait(ctx context.Context) error {
	for {
		f.mu.Lock()
		if f.n == 0 {
			f.mu.Unlock()
			return nil
		}
		idle := f.idle
		f.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
