package dcs_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/dcs"
	"dcsbot/internal/fakedcs"
)

// Sessions serves a scan that ended less than a second ago again; after
// that, and for SessionsSince with a later time, it scans anew.
func TestSessionsReuseARecentScan(t *testing.T) {
	s := newSetup(t, nil)
	cs := manyClients(3)
	s.fake.SetClients(instID, node, cs)
	for range 3 {
		if _, err := s.c.Sessions(context.Background(), prod, node); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.fake.ScansTotal(); n != 1 {
		t.Fatalf("scans = %d, want 1 for three reads within a second", n)
	}
	if _, err := s.c.SessionsSince(context.Background(), prod, node, time.Now()); err != nil {
		t.Fatal(err)
	}
	if n := s.fake.ScansTotal(); n != 2 {
		t.Fatalf("scans = %d, want 2: a read wanting a scan started after it scans", n)
	}
	time.Sleep(1100 * time.Millisecond) // past the reuse window
	s.fake.ReplaceClient(instID, node, cs[0].Addr, fakedcs.Client{ID: "new-client"})
	got, err := s.c.Sessions(context.Background(), prod, node)
	if err != nil || got[0].ID != "new-client" || s.fake.ScansTotal() != 3 {
		t.Fatalf("after a second: %+v, %v, scans %d", got, err, s.fake.ScansTotal())
	}
}

// SessionsSince shares a running scan that started after its time, and
// the next one otherwise.
func TestSessionsSinceSharesARunningScan(t *testing.T) {
	s := newSetup(t, nil)
	s.fake.SetScanPlan(func(fakedcs.JobCall) fakedcs.JobPlan { return fakedcs.JobPlan{Hold: true} })
	s.fake.SetClients(instID, node, manyClients(4))
	asked := time.Now()
	read := func(since time.Time, out chan<- error) {
		_, err := s.c.SessionsSince(context.Background(), prod, node, since)
		out <- err
	}
	early, late := make(chan error, 2), make(chan error, 1)
	go read(asked, early)
	jobs, err := s.fake.WaitJobs(ctxFor(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	go read(asked, early)     // approved before the running scan started: shares it
	go read(time.Now(), late) // wants a scan started after now: the next
	waitUntil(t, "one reader queued", func() bool { return s.c.QueuedReaders(instID, node) == 1 })
	if err := s.fake.FinishJob(jobs[0].ID); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-early; err != nil {
			t.Fatal(err)
		}
	}
	if jobs, err = s.fake.WaitJobs(ctxFor(t), 2); err != nil {
		t.Fatal(err)
	}
	if err := s.fake.FinishJob(jobs[1].ID); err != nil {
		t.Fatal(err)
	}
	if err := <-late; err != nil {
		t.Fatal(err)
	}
	if n := s.fake.ScansTotal(); n != 2 {
		t.Fatalf("scans = %d, want 2", n)
	}
}

// A guard's read holds the node from the end of its scan: a reader that
// asks meanwhile waits, the kill goes out with no scan running, and the
// next scan starts once the guard is done, after the kill.
func TestGuardHoldsTheNextScanUntilDone(t *testing.T) {
	s := newSetup(t, nil)
	cs := manyClients(3)
	s.fake.SetClients(instID, node, cs)
	got, done, err := s.c.SessionsBeforeKill(context.Background(), prod, node, time.Now(), nil)
	if err != nil || len(got) != 3 {
		t.Fatalf("guard read: %d sessions, %v", len(got), err)
	}
	after := make(chan []approvals.Session, 1)
	go func() {
		ss, err := s.c.SessionsSince(context.Background(), prod, node, time.Now())
		if err != nil {
			t.Error(err)
		}
		after <- ss
	}()
	waitUntil(t, "the check queued", func() bool { return s.c.QueuedReaders(instID, node) == 1 })
	time.Sleep(100 * time.Millisecond) // a scan that would start now has had the time to
	if n := s.fake.ScansTotal(); n != 1 {
		t.Fatalf("scans = %d while the guard holds the node, want 1", n)
	}
	if err := s.c.Kill(context.Background(), prod, node, []string{cs[0].Addr}); err != nil {
		t.Fatal(err)
	}
	done()
	done() // twice is harmless
	if ss := <-after; len(ss) != 2 {
		t.Fatalf("read after the kill: %d sessions, want 2", len(ss))
	}
	jobs := s.fake.Jobs()
	kills := s.fake.Kills()
	if len(jobs) != 2 || len(kills) != 1 || s.fake.Calls(fakedcs.APIKill) != 1 || !kills[0].At.Before(jobs[1].Begin) {
		t.Fatalf("jobs %+v, kills %+v", jobs, kills)
	}
}

// A guard that never says it is done holds the node for BusyTimeout plus
// Timeout at most.
func TestGuardHoldEnds(t *testing.T) {
	s := newSetup(t, func(p *dcs.Params) { p.BusyTimeout, p.Timeout = 200*time.Millisecond, 300*time.Millisecond })
	s.fake.SetClients(instID, node, manyClients(3))
	if _, _, err := s.c.SessionsBeforeKill(context.Background(), prod, node, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.SessionsSince(ctxFor(t), prod, node, time.Now()); err != nil {
		t.Fatal(err)
	}
	if n := s.fake.ScansTotal(); n != 2 {
		t.Fatalf("scans = %d, want 2", n)
	}
}

// Kills approved together read one scan, are all sent before any other
// scan of the node starts (never refused), and their checks share one
// scan started after the last kill: two scans in all.
func TestKillsApprovedTogetherShareScans(t *testing.T) {
	s := newScanSetup(t, 100*time.Millisecond, nil)
	const n = 20
	cs := manyClients(n + 5)
	s.fake.SetClients(instID, node, cs)
	approved := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			ss, done, err := s.c.SessionsBeforeKill(context.Background(), prod, node, approved, nil)
			if err != nil {
				errs <- err
				return
			}
			if len(ss) != n+5 {
				errs <- errors.New("guard saw the sessions of another scan")
			}
			err = s.c.Kill(context.Background(), prod, node, []string{cs[i].Addr})
			killed := time.Now()
			done()
			if err != nil {
				errs <- err
				return
			}
			if ss, err = s.c.SessionsSince(context.Background(), prod, node, killed); err != nil {
				errs <- err
			} else if len(ss) != 5 {
				errs <- errors.New("check read a scan from before some kill")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if scans, kills := s.fake.ScansTotal(), s.fake.Calls(fakedcs.APIKill); scans != 2 || kills != n {
		t.Fatalf("scans = %d, kill calls = %d; want 2 and %d", scans, kills, n)
	}
}

// Where DCS takes one kill of a node at a time (refusing the others with
// DCS.4957, doing nothing), kills refused so are sent again one after the
// other as soon as the one in flight is answered: each is sent at most
// twice.
func TestKillsInARowWhenDCSTakesOneAtATime(t *testing.T) {
	s := newSetup(t, nil)
	const n = 8
	var mu sync.Mutex
	var busyUntil time.Time
	s.fake.SetKill(func(k fakedcs.KillCall) fakedcs.Reply {
		mu.Lock()
		defer mu.Unlock()
		if k.At.Before(busyUntil) {
			return fakedcs.Error(400, "DCS.4957", "This operation is not allowed when the task is in the current state.")
		}
		busyUntil = k.At.Add(50 * time.Millisecond)
		return fakedcs.Reply{Delay: 50 * time.Millisecond}
	})
	cs := manyClients(n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := s.c.Kill(context.Background(), prod, node, []string{cs[i].Addr}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	sent := map[string]int{}
	for _, k := range s.fake.Kills() {
		sent[k.Addrs[0]]++
	}
	for a, k := range sent {
		if k > 2 {
			t.Errorf("kill of %s sent %d times, want at most 2", a, k)
		}
	}
	if len(sent) != n {
		t.Fatalf("%d addresses sent, want %d", len(sent), n)
	}
}
