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
