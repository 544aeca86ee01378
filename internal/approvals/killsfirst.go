package approvals

import (
	"context"
	"sync"
	"time"
)

// killsFirst holds reports back while kills are on their way: the notes
// and redraws for Slack and the checks after kills wait, for up to
// reportDelay, until no claimed kill of this process is still to be sent.
// Under a burst of approvals the kills then go out first, and the reports
// of the earlier ones do not take the CPU the later ones need.
type killsFirst struct {
	mu      sync.Mutex
	pending int
	clear   chan struct{} // closed when pending falls to 0
}

// reportDelay bounds how long a report waits for kills to be sent.
const reportDelay = 100 * time.Millisecond

// kill counts a kill as on its way until sent is called (more than once
// is harmless).
func (k *killsFirst) kill() (sent func()) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.pending == 0 {
		k.clear = make(chan struct{})
	}
	k.pending++
	return sync.OnceFunc(func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		k.pending--
		if k.pending == 0 {
			close(k.clear)
		}
	})
}

// wait returns once no kill is on its way, or after reportDelay.
func (k *killsFirst) wait() {
	k.mu.Lock()
	if k.pending == 0 {
		k.mu.Unlock()
		return
	}
	clear := k.clear
	k.mu.Unlock()
	timer := time.NewTimer(reportDelay)
	defer timer.Stop()
	select {
	case <-clear:
	case <-timer.C:
	}
}

type spawnKey struct{}

// WithSpawner lets the lifecycle hand spawn the work that may go on after
// the call that started it has returned: the report of a kill's outcome
// to Slack and the check after the kill, once the outcome is recorded. The
// Slack edge's workers set it, so that a click's worker is free for the
// next click as soon as its kill is recorded, and wait for what they
// spawned at shutdown. Without a spawner that work is done before the
// call returns.
func WithSpawner(ctx context.Context, spawn func(func())) context.Context {
	return context.WithValue(ctx, spawnKey{}, spawn)
}

// afterward runs fn with ctx's spawner, or now.
func (s *Service) afterward(ctx context.Context, fn func()) {
	if spawn, ok := ctx.Value(spawnKey{}).(func(func())); ok {
		spawn(fn)
		return
	}
	fn()
}
