package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dcsbot/internal/approvals"
)

// race runs fn(i) for i in [0, n) in n goroutines released together.
func race(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

const racers = 50

// raceApply has racers goroutines apply from -> to on one request and checks
// that exactly one did, and left exactly one event.
func raceApply(t *testing.T, s approvals.Store, id string, from, to approvals.State) {
	ctx := context.WithoutCancel(t.Context())
	var mu sync.Mutex
	var winners []string
	var errs []error
	race(racers, func(i int) {
		actor := fmt.Sprintf("U%03d", i)
		ok, err := s.Apply(ctx, id, approvals.Transition{From: from, To: to, At: t0.Add(time.Hour), Actor: actor, Note: actor})
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			winners = append(winners, actor)
		}
	})
	for _, err := range errs {
		t.Errorf("racing Apply: %v", err)
	}
	if len(winners) != 1 {
		t.Fatalf("%d racing Apply(%s -> %s) calls returned true (%v), want exactly 1", racers, from, to, winners)
	}
	got := mustGet(t, s, id)
	if got.State != to || got.Note != winners[0] {
		t.Errorf("after the race: state %s, note %q; want %s by the winner %s", got.State, got.Note, to, winners[0])
	}
	var n int
	for _, e := range mustEvents(t, s, id) {
		if e.Kind == string(to) {
			n++
			if e.Actor != winners[0] {
				t.Errorf("%s event by %s, want the winner %s", to, e.Actor, winners[0])
			}
		}
	}
	if n != 1 {
		t.Errorf("%d %s events, want 1", n, to)
	}
}

func testRaceApplyPendingApproved(t *testing.T, s approvals.Store) {
	mustCreate(t, s, newRequest("race", t0))
	raceApply(t, s, "race", approvals.Pending, approvals.Approved)
	if got := mustGet(t, s, "race"); got.DecidedBy != got.Note {
		t.Errorf("decided by %q, but the winner was %q", got.DecidedBy, got.Note)
	}
}

func testRaceApplyApprovedExecuting(t *testing.T, s approvals.Store) {
	mustCreate(t, s, newRequest("race", t0))
	moveTo(t, s, "race", approvals.Approved, t0)
	raceApply(t, s, "race", approvals.Approved, approvals.Executing)
	// And the way out of executing, too.
	raceApply(t, s, "race", approvals.Executing, approvals.Succeeded)
}

// testRaceApprovals: votes that count no one, each user's twice, race:
// every approval is recorded once, one after the other.
func testRaceApprovals(t *testing.T, s approvals.Store) {
	ctx := context.WithoutCancel(t.Context())
	mustCreate(t, s, newRequest("many", t0))
	// Each user approves twice, concurrently with everyone else.
	var mu sync.Mutex
	var counts []int
	var errs []error
	race(2*racers, func(i int) {
		user := fmt.Sprintf("U%03d", i/2)
		tally, err := s.Approve(ctx, "many", vote(user, t0.Add(time.Duration(i%7)*time.Second)))
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
		}
		if tally.Added {
			counts = append(counts, len(tally.Request.Approvals))
		}
	})
	for _, err := range errs {
		t.Errorf("racing Approve: %v", err)
	}
	// Approvals were recorded one after the other: each added call saw a
	// different count, 1 to racers.
	slices.Sort(counts)
	want := make([]int, racers)
	for i := range want {
		want[i] = i + 1
	}
	if !slices.Equal(counts, want) {
		t.Errorf("counts seen by added approvals %v, want 1..%d once each", counts, racers)
	}
	got := mustGet(t, s, "many")
	seen := map[string]bool{}
	for _, a := range got.Approvals {
		if seen[a.User] {
			t.Errorf("%s approved twice", a.User)
		}
		seen[a.User] = true
	}
	if len(got.Approvals) != racers {
		t.Errorf("%d approvals stored, want %d", len(got.Approvals), racers)
	}
	var n int
	for _, e := range mustEvents(t, s, "many") {
		if e.Kind == approvals.EventApproval {
			n++
		}
	}
	if n != racers {
		t.Errorf("%d approval events, want %d", n, racers)
	}
}

// testRaceApprovalsAndDeny: votes that count no one race a denial, which
// wins; no approval is recorded after it.
func testRaceApprovalsAndDeny(t *testing.T, s approvals.Store) {
	ctx := context.WithoutCancel(t.Context())
	mustCreate(t, s, newRequest("deny", t0))
	var mu sync.Mutex
	var added int
	var errs []error
	race(racers, func(i int) {
		var err error
		if i == racers/2 {
			_, err = s.Apply(ctx, "deny", approvals.Transition{From: approvals.Pending, To: approvals.Denied, At: t0, Actor: "U0DENIER"})
		} else {
			var tally approvals.Tally
			tally, err = s.Approve(ctx, "deny", vote(fmt.Sprintf("U%03d", i), t0))
			if tally.Added {
				mu.Lock()
				added++
				mu.Unlock()
			}
		}
		if err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	})
	for _, err := range errs {
		t.Errorf("racing: %v", err)
	}
	got := mustGet(t, s, "deny")
	if got.State != approvals.Denied {
		t.Fatalf("state %s, want denied", got.State)
	}
	if len(got.Approvals) != added {
		t.Errorf("%d approvals stored, %d reported added", len(got.Approvals), added)
	}
	// No approval was recorded after the denial.
	evs := mustEvents(t, s, "deny")
	denied := slices.IndexFunc(evs, func(e approvals.Event) bool { return e.Kind == string(approvals.Denied) })
	var n int
	for i, e := range evs {
		if e.Kind == approvals.EventApproval {
			n++
			if i > denied {
				t.Errorf("approval by %s recorded after the denial", e.Actor)
			}
		}
	}
	if n != added {
		t.Errorf("%d approval events, %d reported added", n, added)
	}
}

func testRaceMarkReminded(t *testing.T, s approvals.Store) {
	mustCreate(t, s, newRequest("rem", t0))
	var wins atomic.Int32
	race(30, func(int) {
		ok, err := s.MarkReminded(context.Background(), "rem", t0.Add(8*time.Minute))
		if err != nil {
			t.Error(err)
		}
		if ok {
			wins.Add(1)
		}
	})
	if n := wins.Load(); n != 1 {
		t.Fatalf("%d callers won the reminder, want 1", n)
	}
	checkTime(t, "RemindedAt", mustGet(t, s, "rem").RemindedAt, t0.Add(8*time.Minute))
	// No reminder for a request that is no longer pending.
	mustCreate(t, s, newRequest("done", t0))
	mustApply(t, s, "done", approvals.Transition{From: approvals.Pending, To: approvals.Denied, At: t0.Add(time.Minute), Actor: "U0X"})
	if ok, err := s.MarkReminded(context.Background(), "done", t0.Add(8*time.Minute)); ok || err != nil {
		t.Fatalf("MarkReminded on a denied request: %v %v", ok, err)
	}
}
