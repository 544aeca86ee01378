package approvals_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"dcsbot/internal/approvals"
)

// hangingNotifier never finishes the "Killing…" note until released, as
// a Slack that hangs.
type hangingNotifier struct {
	*fakeNotifier
	release chan struct{}
}

func (n *hangingNotifier) Thread(ctx context.Context, r *approvals.Request, note approvals.Note) error {
	if note.Kind == approvals.NoteExecuting {
		<-n.release
	}
	return n.fakeNotifier.Thread(ctx, r, note)
}

// eventually waits for cond, failing after a generous guard.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// The outcome of a kill is recorded before anything waits on Slack: with
// the "Killing…" note hung, the request still ends succeeded, and Wait
// (what shutdown waits for) returns.
func TestOutcomeRecordedWhileSlackHangs(t *testing.T) {
	n := &hangingNotifier{fakeNotifier: newFakeNotifier(), release: make(chan struct{})}
	h := newHarness(t, func(p *approvals.Params) { p.Notifier = n })
	h.notifier = n.fakeNotifier
	r := h.submit(t)
	approved := make(chan error, 1)
	go func() { approved <- h.svc.Approve(context.Background(), r.ID, approver1) }()
	defer func() {
		close(n.release)
		if err := <-approved; err != nil {
			t.Error(err)
		}
	}()
	eventually(t, "the outcome recorded while Slack hangs", func() bool {
		got, err := h.store.Get(context.Background(), r.ID)
		return err == nil && got.State.Final()
	})
	if st := h.state(t, r.ID); st != approvals.Succeeded {
		t.Fatalf("stored state %s", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.svc.Wait(ctx); err != nil {
		t.Fatalf("Wait waits on Slack: %v", err)
	}
}

// A live worker renews its lease while the kill runs, however long that
// takes: the sweep, even long after StaleAfter, leaves the request alone,
// and its outcome is recorded when DCS answers.
func TestLeaseKeepsLiveKillFromTheSweep(t *testing.T) {
	h := newHarness(t, func(p *approvals.Params) { p.Lease = 40 * time.Millisecond })
	h.killer.block = make(chan struct{})
	r := h.submit(t)
	approved := make(chan error, 1)
	go func() { approved <- h.svc.Approve(context.Background(), r.ID, approver1) }()
	eventually(t, "the kill sent", func() bool { return len(h.killer.Calls()) == 1 })

	h.clock.Advance(10 * time.Minute) // far past StaleAfter and the lease taken at the claim
	eventually(t, "the lease renewed", func() bool {
		got, err := h.store.Get(context.Background(), r.ID)
		return err == nil && got.LeaseUntil.After(h.clock.Now())
	})
	if err := h.svc.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := h.state(t, r.ID); st != approvals.Executing {
		t.Fatalf("the sweep moved a live kill to %s", st)
	}
	close(h.killer.block)
	if err := <-approved; err != nil {
		t.Fatal(err)
	}
	if st := h.state(t, r.ID); st != approvals.Succeeded || len(h.killer.Calls()) != 1 {
		t.Fatalf("state %s, %d kills", st, len(h.killer.Calls()))
	}
}

// A request whose worker died is recovered once its lease has expired,
// not before; one without a lease (an older release's) once it has not
// changed for StaleAfter.
func TestAbandonedKillRecoveredAfterItsLease(t *testing.T) {
	h := newHarness(t, nil) // Lease and StaleAfter: a minute
	ctx := context.Background()
	leased, legacy := h.submit(t), h.submit(t)
	now := h.clock.Now()
	for _, tr := range []approvals.Transition{
		{From: approvals.Pending, To: approvals.Approved, At: now, LeaseUntil: now.Add(2 * time.Minute)},
		{From: approvals.Approved, To: approvals.Executing, At: now, LeaseUntil: now.Add(2 * time.Minute)},
	} {
		if ok, err := h.store.Apply(ctx, leased.ID, tr); !ok || err != nil {
			t.Fatal(ok, err)
		}
		tr.LeaseUntil = time.Time{}
		if ok, err := h.store.Apply(ctx, legacy.ID, tr); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	sweepAfter := func(d time.Duration) {
		t.Helper()
		h.clock.Advance(d)
		if err := h.svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	sweepAfter(90 * time.Second)
	if a, b := h.state(t, leased.ID), h.state(t, legacy.ID); a != approvals.Executing || b != approvals.Unknown {
		t.Fatalf("after 90 s: leased %s (want executing), without a lease %s (want unknown)", a, b)
	}
	sweepAfter(time.Minute)
	if st := h.state(t, leased.ID); st != approvals.Unknown {
		t.Fatalf("after its lease: %s", st)
	}
	if len(h.killer.Calls()) != 0 {
		t.Fatal("a recovered request was killed")
	}
}

// renewingStore is a store whose ListAbandoned, after listing, renews the
// lease of every executing request it lists: a live worker whose renewal
// lands between the sweep's list and its move.
type renewingStore struct {
	approvals.Store
	until time.Time
}

func (s renewingStore) ListAbandoned(ctx context.Context, state approvals.State, now, unleasedBefore time.Time, limit int) ([]*approvals.Request, error) {
	rs, err := s.Store.ListAbandoned(ctx, state, now, unleasedBefore, limit)
	for _, r := range rs {
		if _, rerr := s.RenewLease(ctx, r.ID, approvals.Executing, s.until); rerr != nil {
			return nil, rerr
		}
	}
	return rs, err
}

// The sweep calls a kill unknown only if its worker is still gone when it
// records that: a lease renewed after the sweep listed the request keeps
// it executing.
func TestSweepLeavesARequestWhoseLeaseWasRenewedMeanwhile(t *testing.T) {
	h := newHarness(t, func(p *approvals.Params) {
		p.Store = renewingStore{Store: p.Store, until: time.Date(2026, 11, 27, 11, 0, 0, 0, time.UTC)}
	})
	ctx := context.Background()
	r := h.submit(t)
	now := h.clock.Now()
	for _, tr := range []approvals.Transition{
		{From: approvals.Pending, To: approvals.Approved, At: now, LeaseUntil: now.Add(time.Minute)},
		{From: approvals.Approved, To: approvals.Executing, At: now, LeaseUntil: now.Add(time.Minute)},
	} {
		if ok, err := h.store.Apply(ctx, r.ID, tr); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	h.clock.Advance(2 * time.Minute) // the lease has ended when the sweep lists
	if err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if st := h.state(t, r.ID); st != approvals.Executing {
		t.Fatalf("the sweep moved a request whose lease was renewed meanwhile to %s", st)
	}
}

// A kill-all's DCS job is recorded while its worker holds the request,
// before anything waits on Slack: with the "Killing…" note hung, the
// request is executing with its job, a sweep long after its lease follows
// the job rather than calling the outcome unknown, the job's end is
// recorded, and Wait returns.
func TestKillAllJobRecordedWhileSlackHangs(t *testing.T) {
	n := &hangingNotifier{fakeNotifier: newFakeNotifier(), release: make(chan struct{})}
	h := killAllHarness(t, func(p *approvals.Params) { p.Notifier = n })
	h.notifier = n.fakeNotifier
	ctx := context.Background()
	r, err := submitKill(t, h, approvals.KillRequest{KillAll: true})
	if err != nil {
		t.Fatal(err)
	}
	approved := make(chan error, 1)
	go func() { approved <- h.svc.Approve(ctx, r.ID, approver1) }()
	defer func() {
		close(n.release)
		if err := <-approved; err != nil {
			t.Error(err)
		}
	}()
	eventually(t, "the kill-all's job recorded while Slack hangs", func() bool {
		got, err := h.store.Get(ctx, r.ID)
		return err == nil && got.JobID == "job-1"
	})
	h.clock.Advance(10 * time.Minute) // far past StaleAfter and the lease taken at the claim
	if err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if st := h.state(t, r.ID); st != approvals.Executing {
		t.Fatalf("the sweep moved a followed kill-all to %s", st)
	}
	h.killer.jobs <- approvals.Job{Status: approvals.JobSuccess}
	eventually(t, "the job's end recorded while Slack hangs", func() bool {
		got, err := h.store.Get(ctx, r.ID)
		return err == nil && got.State.Final()
	})
	if st := h.state(t, r.ID); st != approvals.Succeeded {
		t.Fatalf("stored state %s", st)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := h.svc.Wait(wctx); err != nil {
		t.Fatalf("Wait waits on Slack: %v", err)
	}
	if calls := h.killer.Calls(); len(calls) != 1 {
		t.Fatalf("%d kill-alls, want 1", len(calls))
	}
}

// An outcome recorded by another caller stands: when the sweep has called
// a kill unknown before DCS answered it, the worker neither overwrites the
// record nor posts an outcome that contradicts it.
func TestOutcomeRecordedFirstByTheSweepStands(t *testing.T) {
	h := newHarness(t, nil)
	h.killer.block = make(chan struct{})
	ctx := context.Background()
	r := h.submit(t)
	approved := make(chan error, 1)
	go func() { approved <- h.svc.Approve(ctx, r.ID, approver1) }()
	eventually(t, "the kill sent", func() bool { return len(h.killer.Calls()) == 1 })
	h.clock.Advance(10 * time.Minute) // past the lease; the worker has not renewed it yet
	if err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if st := h.state(t, r.ID); st != approvals.Unknown {
		t.Fatalf("after the sweep: %s", st)
	}
	close(h.killer.block)
	if err := <-approved; err != nil {
		t.Fatal(err)
	}
	if st := h.state(t, r.ID); st != approvals.Unknown {
		t.Fatalf("after DCS answered: %s", st)
	}
	if slices.Contains(h.notifier.Notes(r.ID), approvals.NoteResult) {
		t.Fatalf("notes %v: the worker reported an outcome over the sweep's", h.notifier.Notes(r.ID))
	}
}
