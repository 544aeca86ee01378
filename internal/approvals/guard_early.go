package approvals

import (
	"context"
	"runtime"
	"time"
)

// pendingGuard is the stale-target guard of a kill started before the
// request was claimed: the click that will most likely decide reads the
// sessions while its approval is being recorded, so that the store's
// commit and the session scan overlap.
type pendingGuard struct {
	done chan struct{}
	g    guarded
}

// decides reports whether user's click will most likely claim r: user's
// approval is the last one missing.
func decides(r *Request, user string) bool {
	have := len(r.Approvals)
	if !r.ApprovedBy(user) {
		have++
	}
	return have >= r.ApprovalsRequired
}

// earlyGuard starts the guard of r for user's click, made at clicked, when
// the click will most likely claim r and the guard reads one node. It
// returns nil otherwise.
func (s *Service) earlyGuard(ctx context.Context, r *Request, user string, clicked time.Time) *pendingGuard {
	if s.p.Sessions == nil || r.PerNode() || r.IsKillAll() || !r.Preview.Usable() || !decides(r, user) {
		return nil
	}
	p := &pendingGuard{done: make(chan struct{})}
	ctx = context.WithoutCancel(ctx)
	go func() {
		defer close(p.done)
		p.g = s.guard(ctx, r, clicked)
	}()
	// A hint, not an order: give the guard the chance to send its first
	// call before this click records its vote, rather than wait for a CPU
	// until the vote's commit blocks (on two cores it mostly does). Nothing
	// depends on which goes first.
	runtime.Gosched()
	return p
}

// wait returns the guard's decision once it is made.
func (p *pendingGuard) wait() guarded {
	<-p.done
	return p.g
}

// drop gives the guard up (the click did not claim the request): the
// node it holds is released once its read ends.
func (p *pendingGuard) drop() {
	if p == nil {
		return
	}
	go func() { p.wait().done() }()
}
