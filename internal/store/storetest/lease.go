package storetest

import (
	"slices"
	"testing"
	"time"

	"dcsbot/internal/approvals"
)

// testLease: a move into approved or executing takes the lease it names,
// RenewLease extends it while the request stays in its state, a move
// elsewhere clears it, and ListAbandoned finds the requests whose lease
// ended (or, without one, that have not changed for long).
func testLease(t *testing.T, s approvals.Store) {
	ctx := t.Context()
	lease := t0.Add(time.Minute)
	for _, id := range []string{"live", "dead", "legacy", "fresh"} {
		mustCreate(t, s, newRequest(id, t0))
	}
	for _, id := range []string{"live", "dead"} {
		mustApply(t, s, id, approvals.Transition{From: approvals.Pending, To: approvals.Approved, At: t0, LeaseUntil: lease})
		mustApply(t, s, id, approvals.Transition{From: approvals.Approved, To: approvals.Executing, At: t0, LeaseUntil: lease})
	}
	checkTime(t, "lease after the claim", mustGet(t, s, "live").LeaseUntil, lease)
	moveTo(t, s, "legacy", approvals.Executing, t0)                    // no lease, changed at t0
	moveTo(t, s, "fresh", approvals.Executing, t0.Add(10*time.Minute)) // no lease, changed later

	renewed := t0.Add(10 * time.Minute)
	if ok, err := s.RenewLease(ctx, "live", approvals.Executing, renewed); err != nil || !ok {
		t.Fatalf("RenewLease(live) = %v, %v; want true", ok, err)
	}
	checkTime(t, "lease after renewal", mustGet(t, s, "live").LeaseUntil, renewed)
	if ok, err := s.RenewLease(ctx, "live", approvals.Approved, renewed); err != nil || ok {
		t.Fatalf("RenewLease in the wrong state = %v, %v; want false", ok, err)
	}
	if ok, err := s.RenewLease(ctx, "nope", approvals.Executing, renewed); err != nil || ok {
		t.Fatalf("RenewLease of an unknown request = %v, %v; want false", ok, err)
	}

	abandoned := func(now, unleasedBefore time.Time, want ...string) {
		t.Helper()
		rs, err := s.ListAbandoned(ctx, approvals.Executing, now, unleasedBefore, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(rs); !slices.Equal(got, want) {
			t.Errorf("ListAbandoned(now %v, unleased before %v) = %v, want %v", now.Sub(t0), unleasedBefore.Sub(t0), got, want)
		}
	}
	abandoned(t0.Add(30*time.Second), t0.Add(-time.Second))
	abandoned(t0.Add(time.Minute), t0.Add(-time.Second), "dead")
	abandoned(t0.Add(time.Minute), t0, "legacy", "dead")
	abandoned(t0.Add(time.Hour), t0.Add(time.Hour), "legacy", "dead", "fresh", "live")
	if rs, err := s.ListAbandoned(ctx, approvals.Executing, t0.Add(time.Hour), t0.Add(time.Hour), 2); err != nil || len(rs) != 2 {
		t.Errorf("ListAbandoned with limit 2: %d, %v", len(rs), err)
	}

	mustApply(t, s, "live", approvals.Transition{From: approvals.Executing, To: approvals.Succeeded, At: t0.Add(time.Minute),
		Result: &approvals.Result{Detail: "DCS accepted the kill"}})
	if got := mustGet(t, s, "live").LeaseUntil; !got.IsZero() {
		t.Errorf("lease of a finished request = %v, want none", got)
	}
	abandoned(t0.Add(time.Hour), t0.Add(time.Hour), "legacy", "dead", "fresh")
}

// testApplyIfAbandoned: a move made IfAbandoned happens only while the
// request's worker is still gone: a lease renewed since the sweep listed
// the request keeps it in place; an ended lease, or no lease and no change
// for long, lets it go.
func testApplyIfAbandoned(t *testing.T, s approvals.Store) {
	lease := t0.Add(time.Minute)
	for _, id := range []string{"renewed", "lapsed"} {
		mustCreate(t, s, newRequest(id, t0))
		mustApply(t, s, id, approvals.Transition{From: approvals.Pending, To: approvals.Approved, At: t0, LeaseUntil: lease})
		mustApply(t, s, id, approvals.Transition{From: approvals.Approved, To: approvals.Executing, At: t0, LeaseUntil: lease})
	}
	mustCreate(t, s, newRequest("unleased", t0))
	moveTo(t, s, "unleased", approvals.Executing, t0)

	now := t0.Add(2 * time.Minute)
	unknown := func(id string, unleasedBefore time.Time, want bool) {
		t.Helper()
		ok, err := s.Apply(t.Context(), id, approvals.Transition{From: approvals.Executing, To: approvals.Unknown, At: now,
			Result:      &approvals.Result{Detail: "the bot stopped"},
			IfAbandoned: &approvals.Abandonment{LeaseBefore: now, UnleasedBefore: unleasedBefore}})
		if err != nil || ok != want {
			t.Fatalf("Apply(%s, executing -> unknown, if abandoned) = %v, %v; want %v", id, ok, err, want)
		}
		wantState := approvals.Executing
		if want {
			wantState = approvals.Unknown
		}
		if st := mustGet(t, s, id).State; st != wantState {
			t.Fatalf("%s is %s, want %s", id, st, wantState)
		}
	}
	// The sweep listed "renewed" (its lease ended at t0+1m); its worker
	// renewed the lease before the move.
	if ok, err := s.RenewLease(t.Context(), "renewed", approvals.Executing, now.Add(time.Minute)); err != nil || !ok {
		t.Fatalf("RenewLease = %v, %v", ok, err)
	}
	unknown("renewed", now, false)
	unknown("lapsed", now, true)
	unknown("unleased", t0.Add(-time.Second), false) // changed since
	unknown("unleased", t0, true)
	if n := len(mustEvents(t, s, "renewed")); n != 3 {
		t.Errorf("%d events for the request left in place, want 3 (requested, approved, executing)", n)
	}
}
