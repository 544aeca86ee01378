package approvals_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"dcsbot/internal/approvals"
)

// The guard reads a scan started after the click, and holds the node's
// next scan back until the kill has been sent; the check after the kill
// reads a scan started after DCS answered it.
func TestGuardAndCheckScans(t *testing.T) {
	f := newSessions()
	h := newHarness(t, withSessions(f))
	r, err := submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.1:5000"}})
	if err != nil {
		t.Fatal(err)
	}
	heldAtKill := -1
	h.killer.onKill = func(n string) { heldAtKill = f.holds(n) }
	clicked := time.Now()
	if err := h.svc.Approve(context.Background(), r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	kills := h.killer.Calls()
	if len(kills) != 1 || heldAtKill != 1 {
		t.Fatalf("kills %d, guard reads held when the kill was sent %d; want 1 and 1", len(kills), heldAtKill)
	}
	if n := f.holds(node); n != 0 {
		t.Fatalf("%d guard reads still hold the node after the kill", n)
	}
	guard, check := f.sinces()
	if len(guard) != 1 || guard[0].Before(clicked) || guard[0].After(kills[0].At) {
		t.Fatalf("guard read a scan started at or after %v; the click was at %v, the kill at %v", guard, clicked, kills[0].At)
	}
	if len(check) != 1 || check[0].Before(kills[0].At) {
		t.Fatalf("check read a scan started at or after %v; the kill was sent at %v", check, kills[0].At)
	}
}

// The guard waits for its re-read as long as one scan may take, busy node
// included (Params.ScanBound), and no longer.
func TestGuardWaitsAsLongAsAScan(t *testing.T) {
	f := newSessions()
	const bound = time.Hour
	h := newHarness(t, func(p *approvals.Params) { p.Sessions = f; p.ScanBound = bound })
	r, err := submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.1:5000"}})
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	if err := h.svc.Approve(context.Background(), r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	f.mu.Lock()
	deadlines := slices.Clone(f.guardDeadlines)
	f.mu.Unlock()
	if len(deadlines) != 1 || deadlines[0].Before(before.Add(bound)) || deadlines[0].After(after.Add(bound)) {
		t.Fatalf("guard read deadlines %v; want one, %s after the approval (%v to %v)", deadlines, bound, before, after)
	}
}

// A guard that lets nothing through, and a dry run, release the node too.
func TestGuardReleasesTheNodeWithoutAKill(t *testing.T) {
	f := newSessions()
	h := newHarness(t, withSessions(f))
	r, err := submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.1:5000"}})
	if err != nil {
		t.Fatal(err)
	}
	f.set(node, sess("100", "10.0.0.1:5000", "other", time.Second)) // the address changed hands
	if err := h.svc.Approve(context.Background(), r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	if len(h.killer.Calls()) != 0 || h.state(t, r.ID) != approvals.Failed || f.holds(node) != 0 {
		t.Fatalf("kills %d, state %s, holds %d", len(h.killer.Calls()), h.state(t, r.ID), f.holds(node))
	}

	dry := newHarness(t, func(p *approvals.Params) { p.Sessions = f; p.DryRun = true })
	r, err = submitKill(t, dry, approvals.KillRequest{Addrs: []string{"10.0.0.1:5000"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := dry.svc.Approve(context.Background(), r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	if len(dry.killer.Calls()) != 0 || dry.state(t, r.ID) != approvals.Succeeded || f.holds(node) != 0 {
		t.Fatalf("dry run: kills %d, state %s, holds %d", len(dry.killer.Calls()), dry.state(t, r.ID), f.holds(node))
	}
}

// On every node, each node's guard holds that node until its own kill has
// been sent.
func TestAllNodesGuardsHoldEachNodeUntilItsKill(t *testing.T) {
	f := proxySessions()
	h := newHarness(t, withSessions(f))
	r, err := submitKill(t, h, approvals.KillRequest{AllNodes: true, Select: approvals.Selector{IP: "10.20."}, Reason: "KEYS storm"})
	if err != nil {
		t.Fatal(err)
	}
	held := map[string]int{}
	h.killer.onKill = func(n string) { held[n] = f.holds(n) }
	if err := h.svc.Approve(context.Background(), r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	if len(h.killer.Calls()) != 3 {
		t.Fatalf("kills %+v", h.killer.Calls())
	}
	for _, n := range []string{proxy1, proxy2, proxy3} {
		if held[n] != 1 || f.holds(n) != 0 {
			t.Errorf("node %s: held %d at its kill, %d after; want 1 and 0", n, held[n], f.holds(n))
		}
	}
}

// The preview of typed addresses may come from a scan of a moment ago;
// when that lacks an address (a session that connected since), it is read
// again from a scan started after the request. Picked addresses are always
// read from such a scan.
func TestPreviewReadsAgainWhenARecentScanLacksAnAddress(t *testing.T) {
	f := newSessions()
	h := newHarness(t, withSessions(f))
	f.recent = map[string][]approvals.Session{node: {sess("1", "10.0.0.1:5000", "worker", 10*time.Minute)}}
	before := time.Now()
	if _, err := submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.1:5000"}}); err != nil {
		t.Fatal(err)
	}
	if _, check := f.sinces(); len(check) != 0 || f.recentReads != 1 {
		t.Fatalf("every address in the recent scan: %d fresh reads, %d recent; want 0 and 1", len(check), f.recentReads)
	}
	r, err := submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.1:5000", "10.0.0.3:5002"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, check := f.sinces(); len(check) != 1 || check[0].Before(before) {
		t.Fatalf("an address missing from the recent scan: fresh reads %v", check)
	}
	if len(r.Preview.Absent()) != 0 {
		t.Fatalf("absent %v: the preview did not read again", r.Preview.Absent())
	}
	if _, err := submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.1:5000"},
		Picked: []approvals.Picked{{Addr: "10.0.0.1:5000", ID: "1"}}}); err != nil {
		t.Fatal(err)
	}
	if _, check := f.sinces(); len(check) != 2 || f.recentReads != 2 {
		t.Fatalf("picked: %d fresh reads, %d recent; want 2 and 2", len(check), f.recentReads)
	}
}

// The click that will decide starts the guard's read while its approval
// is being recorded; one that does not decide reads nothing, and a guard
// read for a click that then claims nothing releases the node.
func TestGuardReadOverlapsTheVote(t *testing.T) {
	f := newSessions()
	var st *countingStore
	h := newHarness(t, func(p *approvals.Params) {
		p.Sessions = f
		p.Policy.ApprovalsRequired = 2
		st = &countingStore{Store: p.Store}
		p.Store = st
	})
	r, err := submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.1:5000"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Approve(context.Background(), r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	if guard, _ := f.sinces(); len(guard) != 0 {
		t.Fatalf("the first of two approvals read the sessions for a guard: %v", guard)
	}
	st.beforeApprove = func(string) {
		eventually(t, "the guard's read under way", func() bool { guard, _ := f.sinces(); return len(guard) == 1 })
	}
	if err := h.svc.Approve(context.Background(), r.ID, approver2); err != nil {
		t.Fatal(err)
	}
	if len(h.killer.Calls()) != 1 || f.holds(node) != 0 {
		t.Fatalf("kills %d, holds %d", len(h.killer.Calls()), f.holds(node))
	}

	// The store fails: nothing is claimed, and the guard's hold goes.
	st.beforeApprove = nil
	r, err = submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.2:5001"}})
	if err != nil {
		t.Fatal(err)
	}
	h.store.Mutate(r.ID, func(q *approvals.Request) { q.ApprovalsRequired = 1 })
	h.store.Fail("Approve", errors.New("disk I/O error"))
	if err := h.svc.Approve(context.Background(), r.ID, approver1); err == nil {
		t.Fatal("no error from a failing store")
	}
	eventually(t, "the dropped guard's read made and its hold released", func() bool {
		return f.holdsTaken() == 2 && f.holds(node) == 0
	})
	if len(h.killer.Calls()) != 1 {
		t.Fatalf("kills %d, want 1", len(h.killer.Calls()))
	}
}

// With a spawner in the context (the Slack edge's workers), a click's
// call returns once its kill's outcome is recorded, and the report and
// the check run in what it spawned.
func TestReportsSpawnedAfterTheOutcome(t *testing.T) {
	f := newSessions()
	h := newHarness(t, withSessions(f))
	r, err := submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.1:5000"}})
	if err != nil {
		t.Fatal(err)
	}
	var spawned []func()
	ctx := approvals.WithSpawner(context.Background(), func(fn func()) { spawned = append(spawned, fn) })
	if err := h.svc.Approve(ctx, r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	if h.state(t, r.ID) != approvals.Succeeded || len(spawned) != 1 {
		t.Fatalf("state %s, %d spawned; want succeeded and one", h.state(t, r.ID), len(spawned))
	}
	if _, check := f.sinces(); len(check) != 0 || slices.Contains(h.notifier.Notes(r.ID), approvals.NoteResult) {
		t.Fatal("the result was reported, or the sessions checked, before the spawned work ran")
	}
	spawned[0]()
	if notes := h.notifier.Notes(r.ID); !slices.Equal(notes, []approvals.NoteKind{approvals.NoteExecuting, approvals.NoteResult, approvals.NoteVerified}) {
		t.Fatalf("notes %v", notes)
	}
}

// The guard names the addresses it looks at, so that DCS may be asked for
// those alone, only where each target's session was previewed at the
// address typed: a session matched by its peer address, or an address
// with no session, needs the whole list.
func TestGuardNamesTheAddressesItLooksAt(t *testing.T) {
	f := newSessions()
	viaProxy := approvals.Session{ID: "4", Addr: "198.19.0.5:4000", Peer: "10.9.9.9:1234", Name: "via-proxy", Age: time.Hour}
	f.set(node, sess("1", "10.0.0.1:5000", "worker", 10*time.Minute), sess("2", "10.0.0.2:5001", "api", 20*time.Minute), viaProxy)
	h := newHarness(t, withSessions(f))
	for _, c := range []struct {
		addrs []string
		only  []string
		kills int
	}{
		{[]string{"10.0.0.1:5000", "10.0.0.2:5001"}, []string{"10.0.0.1:5000", "10.0.0.2:5001"}, 1},
		{[]string{"10.9.9.9:1234"}, nil, 1},                  // its session was found by its peer address
		{[]string{"10.0.0.1:5000", "10.0.0.7:7000"}, nil, 1}, // no session at the second
	} {
		r, err := submitKill(t, h, approvals.KillRequest{Addrs: c.addrs})
		if err != nil {
			t.Fatal(err)
		}
		before := len(h.killer.Calls())
		if err := h.svc.Approve(context.Background(), r.ID, approver1); err != nil {
			t.Fatal(err)
		}
		f.mu.Lock()
		only := f.guardOnly[len(f.guardOnly)-1]
		f.mu.Unlock()
		if !slices.Equal(only, c.only) {
			t.Errorf("%v: the guard named %q, want %q", c.addrs, only, c.only)
		}
		if n := len(h.killer.Calls()) - before; n != c.kills {
			t.Errorf("%v: %d kills, want %d", c.addrs, n, c.kills)
		}
	}
}
