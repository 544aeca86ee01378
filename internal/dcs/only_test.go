package dcs_test

// The stale-target guard's read of a few addresses (SessionsBeforeKill
// with only): DCS is asked for each address alone where that can be
// trusted, against every way ListClients' addr may filter.

import (
	"context"
	"sync"
	"testing"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/fakedcs"
)

var filters = []struct {
	name string
	f    fakedcs.AddrFilter
	// whole: the client must fall back to the whole list (the filter
	// left the address out, or was refused)
	whole bool
}{
	{"contains", fakedcs.FilterContains, false},
	{"exact", fakedcs.FilterExact, false},
	{"prefix", fakedcs.FilterPrefix, false},
	{"ignored", fakedcs.FilterIgnored, false},
	{"host", fakedcs.FilterHost, true},
	{"refused", fakedcs.FilterRefused, true},
}

// listReads splits the fake's ListClients calls after the first n: reads
// of the whole list (counted by their first page: no addr, no offset, a
// full page asked) and reads by address.
func listReads(s setup, n int) (whole int, byAddr []string) {
	for _, q := range s.fake.ListQueries()[n:] {
		switch {
		case q.Get("addr") != "":
			byAddr = append(byAddr, q.Get("addr"))
		case q.Get("limit") == "1000" && q.Get("offset") == "":
			whole++ // a reading's first page
		}
	}
	return whole, byAddr
}

// nearTarget is a node's sessions: target, and others whose addresses a
// loose filter for the target's would also pass.
func nearTarget() (target fakedcs.Client, all []fakedcs.Client) {
	target = fakedcs.Client{ID: "77", Addr: "10.0.0.8:4000", Name: "stuck", Age: 600, Cmd: "blpop"}
	all = append(manyClients(40), target,
		fakedcs.Client{ID: "78", Addr: "10.0.0.8:40001", Name: "prefix"},
		fakedcs.Client{ID: "79", Addr: "110.0.0.8:4000", Name: "contains"})
	return target, all
}

// guardRead reads, as the guard would, the sessions at addr on a node
// holding nearTarget's sessions, DCS filtering by f. It returns what was
// read, the node's sessions, and the fake's list reads from before it.
func guardRead(t *testing.T, f fakedcs.AddrFilter, addr string) (got []approvals.Session, all []fakedcs.Client, whole int, byAddr []string) {
	t.Helper()
	s := newSetup(t, nil)
	s.fake.SetAddrFilter(f)
	_, all = nearTarget()
	s.fake.SetClients(instID, node, all)
	n := len(s.fake.ListQueries())
	got, done, err := s.c.SessionsBeforeKill(context.Background(), prod, node, time.Now(), []string{addr})
	if err != nil {
		t.Fatal(err)
	}
	done()
	whole, byAddr = listReads(s, n)
	return got, all, whole, byAddr
}

func TestSessionsBeforeKillAsksForTheAddressAlone(t *testing.T) {
	for _, m := range filters {
		t.Run(m.name, func(t *testing.T) {
			target, _ := nearTarget()
			got, all, whole, byAddr := guardRead(t, m.f, target.Addr)
			var at []approvals.Session
			for _, g := range got {
				if g.Addr == target.Addr {
					at = append(at, g)
				}
			}
			if len(at) != 1 || at[0].ID != target.ID || at[0].Name != target.Name || at[0].Age != 10*time.Minute {
				t.Fatalf("sessions at %s: %+v; want the target's alone", target.Addr, at)
			}
			if len(byAddr) != 1 || byAddr[0] != target.Addr {
				t.Fatalf("asked by address for %q, want %q once", byAddr, target.Addr)
			}
			switch {
			case m.whole && (whole != 1 || len(got) != len(all)):
				t.Fatalf("%d reads of the whole list, %d sessions; want the whole list, read once", whole, len(got))
			case !m.whole && (whole != 0 || len(got) != 1):
				t.Fatalf("%d reads of the whole list, %d sessions; want the target's session alone", whole, len(got))
			}
		})
	}
}

// However addr filters, an address that no answer shows is confirmed gone
// by the whole list: a filter's word alone never makes a target stale.
func TestSessionsBeforeKillConfirmsAGoneAddressOnTheWholeList(t *testing.T) {
	for _, m := range filters {
		t.Run(m.name, func(t *testing.T) {
			got, all, whole, _ := guardRead(t, m.f, "10.0.0.9:4000")
			if whole != 1 || len(got) != len(all) {
				t.Fatalf("%d reads of the whole list, %d sessions; want the whole list of %d", whole, len(got), len(all))
			}
		})
	}
}

// More addresses than maxOnly, or a reader of the same scan that wants the
// whole list: one reading of the whole list serves them all.
func TestSessionsBeforeKillSharesTheWholeList(t *testing.T) {
	s := newSetup(t, nil)
	cs := manyClients(40)
	s.fake.SetClients(instID, node, cs)
	n := len(s.fake.ListQueries())
	five := []string{cs[0].Addr, cs[1].Addr, cs[2].Addr, cs[3].Addr, cs[4].Addr}
	got, done, err := s.c.SessionsBeforeKill(context.Background(), prod, node, time.Now(), five)
	if err != nil {
		t.Fatal(err)
	}
	done()
	if whole, byAddr := listReads(s, n); whole != 1 || len(byAddr) != 0 || len(got) != len(cs) {
		t.Fatalf("five addresses: %d whole reads, by address %q, %d sessions; want one whole read", whole, byAddr, len(got))
	}

	// A guard and a listing queue for the same scan: one reading of the
	// whole list serves both.
	s.fake.SetScanPlan(func(c fakedcs.JobCall) fakedcs.JobPlan { return fakedcs.JobPlan{Hold: c.N == 2} })
	n = len(s.fake.ListQueries())
	first := make(chan error, 1)
	go func() {
		_, err := s.c.SessionsSince(context.Background(), prod, node, time.Now())
		first <- err
	}()
	jobs, err := s.fake.WaitJobs(ctxFor(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	var wg sync.WaitGroup
	var guardGot []approvals.Session
	wg.Go(func() {
		ss, done, err := s.c.SessionsBeforeKill(context.Background(), prod, node, since, []string{cs[0].Addr})
		if err != nil {
			t.Error(err)
			return
		}
		done()
		guardGot = ss
	})
	wg.Go(func() {
		if _, err := s.c.SessionsSince(context.Background(), prod, node, since); err != nil {
			t.Error(err)
		}
	})
	waitUntil(t, "the guard and the listing queued", func() bool { return s.c.QueuedReaders(instID, node) == 2 })
	if err := s.fake.FinishJob(jobs[1].ID); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if whole, byAddr := listReads(s, n); whole != 2 || len(byAddr) != 0 || len(guardGot) != len(cs) {
		t.Fatalf("a guard and a listing: %d whole reads, by address %q, the guard got %d sessions; want one whole read each scan",
			whole, byAddr, len(guardGot))
	}
}

// An answer by address with no clients at all (the field left out) is an
// address not found: the whole list is read, and nothing breaks.
func TestSessionsBeforeKillTakesAnAnswerWithoutClients(t *testing.T) {
	s := newSetup(t, nil)
	target, all := nearTarget()
	s.fake.SetClients(instID, node, all)
	s.fake.SetReply(fakedcs.APIListClients, func(call int) fakedcs.Reply {
		if call == 2 { // the list's time before the scan, then the read by address
			return fakedcs.Reply{Status: 200, Body: []byte(`{"count":0}`)}
		}
		return fakedcs.Reply{}
	})
	got, done, err := s.c.SessionsBeforeKill(context.Background(), prod, node, time.Now(), []string{target.Addr})
	if err != nil {
		t.Fatal(err)
	}
	done()
	if whole, byAddr := listReads(s, 0); whole != 1 || len(byAddr) != 1 || len(got) != len(all) {
		t.Fatalf("%d whole reads, by address %q, %d sessions; want the whole list after the empty answer", whole, byAddr, len(got))
	}
}

// Where DCS ignores addr and a node has more sessions than a page holds,
// a target on the first page is taken from it; one beyond it is found on
// the whole list.
func TestSessionsBeforeKillPastAFullPage(t *testing.T) {
	cs := manyClients(1500)
	for _, c := range []struct {
		target fakedcs.Client
		whole  int
	}{{cs[5], 0}, {cs[1200], 1}} {
		s := newSetup(t, nil)
		s.fake.SetAddrFilter(fakedcs.FilterIgnored)
		s.fake.SetClients(instID, node, cs)
		got, done, err := s.c.SessionsBeforeKill(context.Background(), prod, node, time.Now(), []string{c.target.Addr})
		if err != nil {
			t.Fatal(err)
		}
		done()
		whole, _ := listReads(s, 0)
		found := false
		for _, g := range got {
			found = found || (g.Addr == c.target.Addr && g.ID == c.target.ID)
		}
		if whole != c.whole || !found {
			t.Fatalf("%s: %d whole reads, found %v; want %d, found", c.target.Addr, whole, found, c.whole)
		}
	}
}
