package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"dcsbot/internal/approvals"
)

// vote is an approval by user at at that counts the approvals of counting.
func vote(user string, at time.Time, counting ...string) approvals.Vote {
	return approvals.Vote{Approval: approvals.Approval{User: user, At: at}, Counting: counting, LeaseUntil: at.Add(time.Minute)}
}

// approveBoth has Alice approve request id at first, then Bob at second,
// each counting both: Bob's vote reaches the count of two and claims it.
func approveBoth(t *testing.T, s approvals.Store, id string, first, second time.Time) {
	t.Helper()
	for i, u := range []string{"U0ALICE", "U0BOB"} {
		at := []time.Time{first, second}[i]
		if tally, err := s.Approve(t.Context(), id, vote(u, at, "U0ALICE", "U0BOB")); err != nil || !tally.Added || tally.Claimed != (i == 1) {
			t.Fatalf("Approve(%s) = %+v, %v", u, tally, err)
		}
	}
}

func mustApprove(t *testing.T, s approvals.Store, id string, v approvals.Vote) approvals.Tally {
	t.Helper()
	tally, err := s.Approve(t.Context(), id, v)
	if err != nil {
		t.Fatalf("Approve(%s, %s): %v", id, v.Approval.User, err)
	}
	if tally.Request == nil {
		t.Fatalf("Approve(%s, %s) returned no request", id, v.Approval.User)
	}
	checkRequest(t, tally.Request, mustGet(t, s, id))
	return tally
}

// testApproveClaims: a vote below the count records the approval alone;
// the vote that reaches it records its approval, approved and executing
// at once, with the voter's lease, and their three events.
func testApproveClaims(t *testing.T, s approvals.Store) {
	mustCreate(t, s, newRequest("claim", t0)) // two approvals required
	t1, t2 := t0.Add(time.Minute), t0.Add(2*time.Minute)
	first := mustApprove(t, s, "claim", vote("U0ALICE", t1, "U0ALICE"))
	if !first.Added || first.Claimed || first.Counted != 1 || first.Request.State != approvals.Pending {
		t.Fatalf("first vote: %+v, state %s; want added, counted 1, pending", first, first.Request.State)
	}
	if k := kinds(mustEvents(t, s, "claim")); !slices.Equal(k, []string{approvals.EventRequested, approvals.EventApproval}) {
		t.Fatalf("events after the first vote: %v", k)
	}
	v := vote("U0BOB", t2, "U0ALICE", "U0BOB")
	second := mustApprove(t, s, "claim", v)
	got := second.Request
	if !second.Added || !second.Claimed || second.Counted != 2 {
		t.Fatalf("deciding vote: added %v, claimed %v, counted %d; want true, true, 2", second.Added, second.Claimed, second.Counted)
	}
	if got.State != approvals.Executing || got.DecidedBy != "U0BOB" || len(got.Approvals) != 2 {
		t.Errorf("after the deciding vote: state %s, decided by %q, %d approvals", got.State, got.DecidedBy, len(got.Approvals))
	}
	checkTime(t, "UpdatedAt", got.UpdatedAt, t2)
	checkTime(t, "LeaseUntil", got.LeaseUntil, v.LeaseUntil)
	evs := mustEvents(t, s, "claim")
	want := []string{approvals.EventRequested, approvals.EventApproval, approvals.EventApproval, string(approvals.Approved), string(approvals.Executing)}
	if !slices.Equal(kinds(evs), want) {
		t.Fatalf("events %v, want %v", kinds(evs), want)
	}
	for _, e := range evs[2:] {
		if e.Actor != "U0BOB" || !sameTime(e.At, t2) {
			t.Errorf("event %s by %q at %v; want by U0BOB at %v", e.Kind, e.Actor, e.At, t2)
		}
	}
	if evs[2].Detail != "2 of 2" {
		t.Errorf("approval detail %q, want 2 of 2", evs[2].Detail)
	}
	// The claimed request leaves executing as any other.
	mustApply(t, s, "claim", approvals.Transition{From: approvals.Executing, To: approvals.Succeeded, At: t2})
}

// testApproveCountsOnlyCounting: approvals by users outside Counting do
// not count; a vote by a user who approved already records nothing but
// may still decide (an earlier click failed before it could); a vote on a
// request that left pending changes nothing.
func testApproveCountsOnlyCounting(t *testing.T, s approvals.Store) {
	mustCreate(t, s, newRequest("lapsed", t0))
	t1, t2, t3 := t0.Add(time.Minute), t0.Add(2*time.Minute), t0.Add(3*time.Minute)
	mustApprove(t, s, "lapsed", vote("U0ALICE", t1, "U0ALICE"))
	// Alice is no longer an approver: Bob's vote does not count hers.
	tally := mustApprove(t, s, "lapsed", vote("U0BOB", t2, "U0BOB"))
	if !tally.Added || tally.Claimed || tally.Counted != 1 || len(tally.Request.Approvals) != 2 {
		t.Fatalf("vote beside a lapsed approval: %+v", tally)
	}
	// The audit event's progress counts what counts: Bob's is the first.
	if evs := mustEvents(t, s, "lapsed"); evs[len(evs)-1].Detail != "1 of 2" {
		t.Fatalf("approval event beside a lapsed approval: %+v, want detail %q", evs[len(evs)-1], "1 of 2")
	}
	// Carol approves twice: the second vote records nothing.
	mustApprove(t, s, "lapsed", vote("U0CAROL", t2, "U0CAROL"))
	again := mustApprove(t, s, "lapsed", vote("U0CAROL", t3, "U0CAROL"))
	if again.Added || again.Claimed || again.Counted != 1 {
		t.Fatalf("second vote by the same user: %+v", again)
	}
	// Bob's click again, now counting Carol's approval: it decides without
	// recording a second approval.
	decide := mustApprove(t, s, "lapsed", vote("U0BOB", t3, "U0BOB", "U0CAROL"))
	if decide.Added || !decide.Claimed || decide.Counted != 2 || decide.Request.State != approvals.Executing {
		t.Fatalf("deciding vote by a user who approved already: %+v, state %s", decide, decide.Request.State)
	}
	nEvents := len(mustEvents(t, s, "lapsed"))
	// Executing now: a vote records nothing and claims nothing.
	late := mustApprove(t, s, "lapsed", vote("U0DAVE", t3, "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"))
	if late.Added || late.Claimed || late.Request.State != approvals.Executing || len(late.Request.Approvals) != 3 {
		t.Fatalf("vote on an executing request: %+v", late)
	}
	if n := len(mustEvents(t, s, "lapsed")); n != nEvents {
		t.Errorf("%d events after a vote on an executing request, want %d", n, nEvents)
	}
	// A denied request takes no votes either.
	mustCreate(t, s, newRequest("denied", t0))
	mustApply(t, s, "denied", approvals.Transition{From: approvals.Pending, To: approvals.Denied, At: t1, Actor: "U0X"})
	if d := mustApprove(t, s, "denied", vote("U0ALICE", t2, "U0ALICE", "U0BOB")); d.Added || d.Claimed || d.Request.State != approvals.Denied {
		t.Fatalf("vote on a denied request: %+v", d)
	}
	if _, err := s.Approve(t.Context(), "no-such-request", vote("U0ALICE", t1, "U0ALICE")); !errors.Is(err, approvals.ErrNotFound) {
		t.Errorf("Approve on an unknown ID: %v, want ErrNotFound", err)
	}
}

// testRaceApprove: racers approvers vote at once on a request that needs
// three, each counting everyone: exactly one vote claims it, exactly three
// approvals are recorded (none after the claim), and approved and
// executing each have one event, by the claimer.
func testRaceApprove(t *testing.T, s approvals.Store) {
	ctx := context.WithoutCancel(t.Context())
	r := newRequest("race", t0)
	r.ApprovalsRequired = 3
	mustCreate(t, s, r)
	everyone := make([]string, racers)
	for i := range everyone {
		everyone[i] = fmt.Sprintf("U%03d", i)
	}
	var mu sync.Mutex
	var claimers []string
	added := 0
	race(racers, func(i int) {
		tally, err := s.Approve(ctx, "race", vote(everyone[i], t0.Add(time.Minute), everyone...))
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			t.Errorf("racing Approve: %v", err)
			return
		}
		if tally.Added {
			added++
		}
		if tally.Claimed {
			claimers = append(claimers, everyone[i])
		}
	})
	if len(claimers) != 1 || added != 3 {
		t.Fatalf("%d votes claimed (%v), %d added; want 1 and 3", len(claimers), claimers, added)
	}
	got := mustGet(t, s, "race")
	if got.State != approvals.Executing || got.DecidedBy != claimers[0] || len(got.Approvals) != 3 || !got.ApprovedBy(claimers[0]) {
		t.Fatalf("after the race: state %s, decided by %q, approvals %v; claimer %s", got.State, got.DecidedBy, got.Approvals, claimers[0])
	}
	count := map[string]int{}
	for _, e := range mustEvents(t, s, "race") {
		count[e.Kind]++
		if (e.Kind == string(approvals.Approved) || e.Kind == string(approvals.Executing)) && e.Actor != claimers[0] {
			t.Errorf("%s event by %s, want the claimer %s", e.Kind, e.Actor, claimers[0])
		}
	}
	if count[approvals.EventApproval] != 3 || count[string(approvals.Approved)] != 1 || count[string(approvals.Executing)] != 1 {
		t.Errorf("events %v; want 3 approvals, one approved, one executing", count)
	}
}

// testRaceApproveAndDeny: votes race a denial. Either the denial wins and
// nothing is claimed, or one vote claims and the denial finds nothing to
// change; no approval is recorded after the request left pending.
func testRaceApproveAndDeny(t *testing.T, s approvals.Store) {
	ctx := context.WithoutCancel(t.Context())
	r := newRequest("deny", t0)
	r.ApprovalsRequired = racers / 2
	mustCreate(t, s, r)
	var mu sync.Mutex
	claimed, denied := 0, 0
	race(racers, func(i int) {
		if i == racers/3 {
			ok, err := s.Apply(ctx, "deny", approvals.Transition{From: approvals.Pending, To: approvals.Denied, At: t0, Actor: "U0DENIER"})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("racing Apply: %v", err)
			}
			if ok {
				denied++
			}
			return
		}
		user := fmt.Sprintf("U%03d", i)
		tally, err := s.Approve(ctx, "deny", vote(user, t0, everyoneBut(racers/3)...))
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			t.Errorf("racing Approve: %v", err)
		}
		if tally.Claimed {
			claimed++
		}
	})
	got := mustGet(t, s, "deny")
	switch {
	case claimed+denied != 1:
		t.Fatalf("%d claims and %d denials won, want one in all", claimed, denied)
	case denied == 1 && got.State != approvals.Denied, claimed == 1 && got.State != approvals.Executing:
		t.Fatalf("state %s after %d claims, %d denials", got.State, claimed, denied)
	}
	evs := mustEvents(t, s, "deny")
	left := slices.IndexFunc(evs, func(e approvals.Event) bool {
		return e.Kind == string(approvals.Denied) || e.Kind == string(approvals.Approved)
	})
	for i, e := range evs {
		if e.Kind == approvals.EventApproval && i > left {
			t.Errorf("approval by %s recorded after the request left pending", e.Actor)
		}
	}
}

// everyoneBut is the racers' user IDs but the one of i.
func everyoneBut(i int) []string {
	var out []string
	for j := range racers {
		if j != i {
			out = append(out, fmt.Sprintf("U%03d", j))
		}
	}
	return out
}
