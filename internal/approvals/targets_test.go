package approvals_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"dcsbot/internal/approvals"
)

const node = "0123456789abcdef0123456789abcdef"

func sess(id, addr, name string, age time.Duration) approvals.Session {
	return approvals.Session{ID: id, Addr: addr, Peer: addr, Name: name, Age: age, Idle: time.Second}
}

func withSessions(f *fakeSessions) func(*approvals.Params) {
	return func(p *approvals.Params) { p.Sessions = f }
}

func newSessions() *fakeSessions {
	f := &fakeSessions{sessions: map[string][]approvals.Session{}, nodes: []approvals.Node{
		{ID: "aaaa0000aaaa0000aaaa0000aaaa0000", Role: "redis-server", Type: "master", IP: "192.168.0.10", Port: "6379"},
		{ID: node, Role: "redis-server", Type: "slave", IP: "192.168.0.11", Port: "6379"},
	}}
	f.set(node, sess("1", "10.0.0.1:5000", "worker", 10*time.Minute), sess("2", "10.0.0.2:5001", "api", 20*time.Minute), sess("3", "10.0.0.3:5002", "cron", time.Hour))
	return f
}

func submitKill(t *testing.T, h *harness, k approvals.KillRequest) (*approvals.Request, error) {
	t.Helper()
	if k.User == "" {
		k.User = requester
	}
	if k.Channel == "" {
		k.Channel = channel
	}
	if k.Instance == "" {
		k.Instance = "orders-prod"
	}
	if k.Node.IsZero() && !k.AllNodes {
		k.Node = approvals.NodeRef{ID: node}
	}
	return h.svc.Submit(context.Background(), k)
}

func TestPreviewStoredAndAllAbsentRefused(t *testing.T) {
	f := newSessions()
	h := newHarness(t, withSessions(f))
	r, err := submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.1:5000", "10.0.0.9:9999"}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := h.store.Get(context.Background(), r.ID)
	p := got.Preview
	if p == nil || len(p.Targets) != 2 || p.Targets[0].Session == nil || p.Targets[0].Session.Name != "worker" || p.Targets[1].Session != nil {
		t.Fatalf("preview %+v", p)
	}
	if !slices.Equal(p.Absent(), []string{"10.0.0.9:9999"}) || p.ProxyOnly || p.Sessions != 3 {
		t.Fatalf("preview %+v", p)
	}
	_, err = submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.8:1", "10.0.0.9:9999"}})
	wantRefusal(t, err, "none of the addresses is connected")
}

func TestProxyOnlyPreview(t *testing.T) {
	f := newSessions()
	f.set(node, sess("1", "198.19.0.5:4000", "", time.Minute), sess("2", "198.19.3.9:4001", "", time.Minute))
	h := newHarness(t, withSessions(f))
	r, err := submitKill(t, h, approvals.KillRequest{Addrs: []string{"198.19.0.5:4000"}})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Preview.ProxyOnly {
		t.Fatal("198.19.x.x-only sessions not flagged as proxy addresses")
	}
}

func TestStaleTargetGuard(t *testing.T) {
	f := newSessions()
	h := newHarness(t, withSessions(f))
	r, err := submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.1:5000", "10.0.0.2:5001", "10.0.0.3:5002"}})
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(2 * time.Minute)
	// Between preview and approval: 10.0.0.1:5000 is reused by a new
	// client, 10.0.0.3:5002 disconnects; 10.0.0.2:5001 is the same session.
	f.set(node, sess("99", "10.0.0.1:5000", "worker", 30*time.Second), sess("2", "10.0.0.2:5001", "api", 22*time.Minute))
	if err := h.svc.Approve(context.Background(), r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	calls := h.killer.Calls()
	if len(calls) != 1 || !slices.Equal(calls[0].Addrs, []string{"10.0.0.2:5001"}) {
		t.Fatalf("killed %+v, want only the unchanged session", calls)
	}
	got, _ := h.store.Get(context.Background(), r.ID)
	if got.State != approvals.Succeeded || len(got.Result.Skipped) != 2 || got.Result.Skipped[0].Reason != approvals.SkipOtherID ||
		got.Result.Skipped[1].Reason != approvals.SkipGone {
		t.Fatalf("result %+v", got.Result)
	}

	// When every target changed, DCS is not called at all.
	f.set(node, sess("1", "10.0.0.1:5000", "worker", 10*time.Minute))
	r2, err := submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.1:5000"}})
	if err != nil {
		t.Fatal(err)
	}
	f.set(node, sess("100", "10.0.0.1:5000", "other", time.Second))
	if err := h.svc.Approve(context.Background(), r2.ID, approver1); err != nil {
		t.Fatal(err)
	}
	if len(h.killer.Calls()) != 1 {
		t.Fatal("DCS was called although every target changed")
	}
	if got, _ := h.store.Get(context.Background(), r2.ID); got.State != approvals.Failed {
		t.Fatalf("state %s", got.State)
	}
}

func TestGuardFailsClosedWhenSessionsUnreadable(t *testing.T) {
	f := newSessions()
	h := newHarness(t, withSessions(f))
	r, err := submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.1:5000"}})
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.err = &approvals.DCSError{HTTPStatus: 500, Code: "DCS.5000", Message: "internal"}
	f.mu.Unlock()
	if err := h.svc.Approve(context.Background(), r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	got, _ := h.store.Get(context.Background(), r.ID)
	if got.State != approvals.Failed || got.Result.Code != "DCS.5000" || len(h.killer.Calls()) != 0 {
		t.Fatalf("state %s result %+v kills %d", got.State, got.Result, len(h.killer.Calls()))
	}
}

func TestVerifyAfterKill(t *testing.T) {
	f := newSessions()
	h := newHarness(t, withSessions(f))
	r, err := submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.1:5000", "10.0.0.2:5001", "10.0.0.3:5002"}})
	if err != nil {
		t.Fatal(err)
	}
	f.onRead = func(n int) {
		if n == 3 { // preview, guard, then the look after the kill
			f.set(node, sess("2", "10.0.0.2:5001", "api", 21*time.Minute), sess("50", "10.0.0.3:6000", "cron", time.Second))
		}
	}
	if err := h.svc.Approve(context.Background(), r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	h.notifier.mu.Lock()
	notes := h.notifier.notes[r.ID]
	h.notifier.mu.Unlock()
	last := notes[len(notes)-1]
	if last.Kind != approvals.NoteVerified {
		t.Fatalf("last note %v", last.Kind)
	}
	want := map[string]string{"10.0.0.1:5000": approvals.CheckKilled, "10.0.0.2:5001": approvals.CheckStillConnected, "10.0.0.3:5002": approvals.CheckReconnected}
	for _, c := range last.Checks {
		if want[c.Addr] != c.Outcome {
			t.Errorf("%s: %s, want %s", c.Addr, c.Outcome, want[c.Addr])
		}
	}
}

func TestGuardTable(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := approvals.BuildPreview([]string{"a:1", "b:2", "c:3", "d:4", "e:5"}, []approvals.Session{
		sess("1", "a:1", "x", time.Hour), sess("2", "b:2", "y", time.Hour), sess("3", "c:3", "z", 5*time.Minute), sess("4", "d:4", "w", time.Hour),
	}, at)
	later := at.Add(10 * time.Minute)
	keep, skipped := approvals.Guard(p, []approvals.Session{
		sess("1", "a:1", "x", time.Hour+10*time.Minute),     // same session
		sess("2", "b:2", "other", time.Hour+10*time.Minute), // name changed
		{Addr: "c:3", Name: "z", Age: 2 * time.Minute},      // no id, younger than the time since the preview
		sess("9", "d:4", "w", 2*time.Hour),                  // another client id
		sess("7", "e:5", "new", time.Minute),                // absent at preview
	}, later)
	if !slices.Equal(keep, []string{"a:1"}) || len(skipped) != 4 {
		t.Fatalf("keep %v skipped %+v", keep, skipped)
	}
}

func TestKillAllPolicy(t *testing.T) {
	f := newSessions()
	h := newHarness(t, withSessions(f))
	_, err := submitKill(t, h, approvals.KillRequest{KillAll: true})
	wantRefusal(t, err, "kill-all is disabled")

	h = newHarness(t, func(p *approvals.Params) {
		p.Sessions = f
		p.Policy.KillAll = approvals.KillAllPolicy{Enabled: true, ApprovalsRequired: 2}
	})
	r, err := submitKill(t, h, approvals.KillRequest{KillAll: true, AllNodes: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.ApprovalsRequired != 2 || !r.IsKillAll() || !r.AllNodes || r.NodeID != "" {
		t.Fatalf("kill-all request %+v", r)
	}
	if err := h.svc.Approve(context.Background(), r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	if len(h.killer.Calls()) != 0 {
		t.Fatal("kill-all ran on one approval of two")
	}
	if err := h.svc.Approve(context.Background(), r.ID, approver2); err != nil {
		t.Fatal(err)
	}
	calls := h.killer.Calls()
	if len(calls) != 1 || !calls[0].All {
		t.Fatalf("kill-all calls %+v", calls)
	}
}

func TestPerInstancePolicyAndReason(t *testing.T) {
	h := newHarness(t, func(p *approvals.Params) {
		p.Sessions = newSessions()
		p.Instances["payments-prod"] = approvals.Instance{Alias: "payments-prod", ID: "11111111-2222-3333-4444-555555555555"}
		strict := p.Policy
		strict.ApprovalsRequired, strict.RequireReason = 2, true
		p.Policies = map[string]approvals.Policy{"payments-prod": strict}
	})
	_, err := submitKill(t, h, approvals.KillRequest{Instance: "payments-prod", Addrs: []string{"10.0.0.1:5000"}})
	wantRefusal(t, err, "reason is required")
	r, err := submitKill(t, h, approvals.KillRequest{Instance: "payments-prod", Addrs: []string{"10.0.0.1:5000"}, Reason: "  runaway KEYS * "})
	if err != nil {
		t.Fatal(err)
	}
	if r.ApprovalsRequired != 2 || r.Reason != "runaway KEYS *" {
		t.Fatalf("payments-prod request %+v", r)
	}
	// The other instance keeps the global policy.
	r2, err := submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.1:5000"}})
	if err != nil || r2.ApprovalsRequired != 1 {
		t.Fatalf("orders-prod: %v %+v", err, r2)
	}
}

func TestDryRun(t *testing.T) {
	h := newHarness(t, func(p *approvals.Params) { p.Sessions = newSessions(); p.DryRun = true })
	r, err := submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.1:5000"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Approve(context.Background(), r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	got, _ := h.store.Get(context.Background(), r.ID)
	if len(h.killer.Calls()) != 0 || got.State != approvals.Succeeded || !got.Result.DryRun || !slices.Equal(got.Result.Killed, []string{"10.0.0.1:5000"}) {
		t.Fatalf("dry run: kills %d, %+v %+v", len(h.killer.Calls()), got.State, got.Result)
	}
}

func TestNodeResolution(t *testing.T) {
	h := newHarness(t, withSessions(newSessions()))
	r, err := submitKill(t, h, approvals.KillRequest{Node: approvals.NodeRef{Index: 1, IsIndex: true}, Addrs: []string{"10.0.0.1:5000"}})
	if err != nil || r.NodeID != node {
		t.Fatalf("by index: %v %+v", err, r)
	}
	r, err = submitKill(t, h, approvals.KillRequest{Node: approvals.NodeRef{Addr: "192.168.0.11:6379"}, Addrs: []string{"10.0.0.1:5000"}})
	if err != nil || r.NodeID != node {
		t.Fatalf("by addr: %v %+v", err, r)
	}
	_, err = submitKill(t, h, approvals.KillRequest{Node: approvals.NodeRef{Index: 5, IsIndex: true}, Addrs: []string{"10.0.0.1:5000"}})
	wantRefusal(t, err, "has no node #5")
	_, err = submitKill(t, h, approvals.KillRequest{Node: approvals.NodeRef{Addr: "192.168.0.99:6379"}, Addrs: []string{"10.0.0.1:5000"}})
	wantRefusal(t, err, "no node at")
}

func TestCancelAndRemind(t *testing.T) {
	h := newHarness(t, withSessions(newSessions()))
	ctx := context.Background()
	r, err := submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.1:5000"}})
	if err != nil {
		t.Fatal(err)
	}
	wantRefusal(t, h.svc.Cancel(ctx, r.ID, approver1), "only "+requester+", who asked")
	// Half the TTL: one reminder, however often and by however many it runs.
	if err := h.svc.Remind(ctx); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(h.notifier.Notes(r.ID), approvals.NoteReminder) {
		t.Fatal("reminded before half the TTL")
	}
	h.clock.Advance(8 * time.Minute)
	for range 3 {
		if err := h.svc.Remind(ctx); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, k := range h.notifier.Notes(r.ID) {
		if k == approvals.NoteReminder {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d reminders", n)
	}
	if err := h.svc.Cancel(ctx, r.ID, requester); err != nil {
		t.Fatal(err)
	}
	if h.state(t, r.ID) != approvals.Cancelled {
		t.Fatal("not cancelled")
	}
	var ref *approvals.Refusal
	if err := h.svc.Cancel(ctx, r.ID, requester); !errors.As(err, &ref) {
		t.Fatalf("second cancel: %v", err)
	}
}

// When the sessions cannot be read, the request still goes ahead on its
// addresses, marked as such, and the guard stands aside.
func TestSessionsUnreadableAtRequest(t *testing.T) {
	f := newSessions()
	f.err = &approvals.DCSError{HTTPStatus: 404, Code: "APIGW.0101", Message: "not found"}
	h := newHarness(t, withSessions(f))
	r, err := submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.1:5000", "10.0.0.9:1"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Preview == nil || r.Preview.Usable() || !strings.Contains(r.Preview.Unavailable, "APIGW.0101") {
		t.Fatalf("preview %+v", r.Preview)
	}
	if err := h.svc.Approve(context.Background(), r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	calls := h.killer.Calls()
	if len(calls) != 1 || !slices.Equal(calls[0].Addrs, []string{"10.0.0.1:5000", "10.0.0.9:1"}) {
		t.Fatalf("kills %+v", calls)
	}
	// A refusal from the reader (a wrong node, say) still stops the request.
	f.mu.Lock()
	f.err = &approvals.Refusal{Code: approvals.RefuseNoNodeAddr, Instance: "orders-prod", NodeAddr: "192.168.0.99:6379"}
	f.mu.Unlock()
	_, err = submitKill(t, h, approvals.KillRequest{Addrs: []string{"10.0.0.1:5000"}})
	wantRefusal(t, err, "no node at 192.168.0.99:6379")
}
