package approvals_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/requestid"
	"dcsbot/internal/store/memstore"
)

const (
	requester = "UREQUESTER"
	approver1 = "UAPPROVER1"
	approver2 = "UAPPROVER2"
	groupMate = "UGROUPMATE"
	outsider  = "UOUTSIDER0"
	channel   = "CINCIDENT1"
)

type harness struct {
	svc      *approvals.Service
	store    *memstore.Store
	killer   *fakeKiller
	notifier *fakeNotifier
	clock    *clock
}

func newHarness(t *testing.T, mutate func(*approvals.Params)) *harness {
	t.Helper()
	h := &harness{
		store:    memstore.New(),
		killer:   &fakeKiller{},
		notifier: newFakeNotifier(),
		clock:    &clock{now: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)},
	}
	p := approvals.Params{
		Store:     h.store,
		Killer:    h.killer,
		Notifier:  h.notifier,
		Directory: fakeDirectory{"SONCALL01": {groupMate}},
		Policy: approvals.Policy{
			Channels:          []string{channel},
			Approvers:         []string{approver1, approver2, requester, "SONCALL01"},
			ApprovalsRequired: 1,
			TTL:               15 * time.Minute,
			MaxAddrs:          50,
			MaxPending:        5,
			KillAll:           approvals.KillAllPolicy{ApprovalsRequired: 2},
			Notify:            approvals.NotifyChannel,
		},
		Instances: map[string]approvals.Instance{
			"orders-prod": {Alias: "orders-prod", ID: "6a1f0e2c-1b2d-4c3e-9f40-5a6b7c8d9e0f"},
		},
		Now:            h.clock.Now,
		StaleAfter:     time.Minute,
		OverviewWindow: time.Hour,
		Lease:          time.Minute,
		JobTimeout:     30 * time.Second,
		ScanBound:      time.Minute,
	}
	if mutate != nil {
		mutate(&p)
	}
	svc, err := approvals.NewService(p)
	if err != nil {
		t.Fatal(err)
	}
	h.svc = svc
	return h
}

func (h *harness) submit(t *testing.T) *approvals.Request {
	t.Helper()
	r, err := h.svc.Submit(context.Background(), approvals.KillRequest{
		User: requester, Channel: channel, Instance: "orders-prod",
		Node: approvals.NodeRef{ID: "0123456789abcdef0123456789abcdef"}, Addrs: []string{"10.0.0.1:5000", "10.0.0.2:5001"},
	})
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return r
}

func (h *harness) state(t *testing.T, id string) approvals.State {
	t.Helper()
	r, err := h.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r.State
}

func wantRefusal(t *testing.T, err error, fragment string) {
	t.Helper()
	var ref *approvals.Refusal
	if !errors.As(err, &ref) {
		t.Fatalf("want a refusal containing %q, got %v", fragment, err)
	}
	if !strings.Contains(ref.Error(), fragment) {
		t.Fatalf("refusal %q does not contain %q", ref.Error(), fragment)
	}
}

func TestHappyPath(t *testing.T) {
	h := newHarness(t, nil)
	r := h.submit(t)
	if r.State != approvals.Pending || r.MessageTS == "" || len(r.ID) != 6 {
		t.Fatalf("submitted request: %+v", r)
	}
	if !r.ExpiresAt.Equal(h.clock.Now().Add(15 * time.Minute)) {
		t.Fatalf("expires at %v", r.ExpiresAt)
	}
	if err := h.svc.Approve(context.Background(), r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	calls := h.killer.Calls()
	if len(calls) != 1 || calls[0].Inst.ID != "6a1f0e2c-1b2d-4c3e-9f40-5a6b7c8d9e0f" ||
		!slices.Equal(calls[0].Addrs, []string{"10.0.0.1:5000", "10.0.0.2:5001"}) {
		t.Fatalf("kills: %+v", calls)
	}
	got, _ := h.store.Get(context.Background(), r.ID)
	if got.State != approvals.Succeeded || got.DecidedBy != approver1 || got.Result == nil {
		t.Fatalf("after approval: %+v", got)
	}
	if notes := h.notifier.Notes(r.ID); !slices.Equal(notes, []approvals.NoteKind{approvals.NoteExecuting, approvals.NoteResult}) {
		t.Fatalf("notes: %v", notes)
	}
	if h.notifier.LastUpdate(r.ID) != approvals.Succeeded {
		t.Fatalf("message last drawn as %q", h.notifier.LastUpdate(r.ID))
	}
	evs, _ := h.store.Events(context.Background(), r.ID)
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	if !slices.Equal(kinds, []string{"requested", "approval", "approved", "executing", "succeeded"}) {
		t.Fatalf("audit trail: %v", kinds)
	}
	// A second click after the fact is refused and kills nothing.
	wantRefusal(t, h.svc.Approve(context.Background(), r.ID, approver2), "already succeeded")
	if len(h.killer.Calls()) != 1 {
		t.Fatal("second approval killed again")
	}
}

func TestApprovalRefusals(t *testing.T) {
	h := newHarness(t, nil)
	r := h.submit(t)
	ctx := context.Background()
	wantRefusal(t, h.svc.Approve(ctx, r.ID, requester), "cannot approve your own request")
	wantRefusal(t, h.svc.Approve(ctx, r.ID, outsider), "not an approver")
	wantRefusal(t, h.svc.Approve(ctx, "NOSUCH", approver1), "no request NOSUCH")
	if len(h.killer.Calls()) != 0 || h.state(t, r.ID) != approvals.Pending {
		t.Fatal("a refused approval changed something")
	}
	// A member of an approver group is an approver.
	if err := h.svc.Approve(ctx, r.ID, groupMate); err != nil {
		t.Fatal(err)
	}
	if h.state(t, r.ID) != approvals.Succeeded {
		t.Fatalf("group approval: state %s", h.state(t, r.ID))
	}
}

func TestTwoApprovalsRequired(t *testing.T) {
	h := newHarness(t, func(p *approvals.Params) { p.Policy.ApprovalsRequired = 2 })
	r := h.submit(t)
	ctx := context.Background()
	if err := h.svc.Approve(ctx, r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	if h.state(t, r.ID) != approvals.Pending || len(h.killer.Calls()) != 0 {
		t.Fatal("one approval of two executed")
	}
	wantRefusal(t, h.svc.Approve(ctx, r.ID, approver1), "already approved")
	wantRefusal(t, h.svc.Approve(ctx, r.ID, requester), "own request")
	if err := h.svc.Approve(ctx, r.ID, approver2); err != nil {
		t.Fatal(err)
	}
	if h.state(t, r.ID) != approvals.Succeeded || len(h.killer.Calls()) != 1 {
		t.Fatalf("state %s, kills %d", h.state(t, r.ID), len(h.killer.Calls()))
	}
	if notes := h.notifier.Notes(r.ID); notes[0] != approvals.NoteApproval {
		t.Fatalf("notes %v", notes)
	}
}

func TestDeny(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.submit(t)
	wantRefusal(t, h.svc.Deny(ctx, r.ID, outsider, ""), "not an approver")
	if err := h.svc.Deny(ctx, r.ID, approver1, "wrong node"); err != nil {
		t.Fatal(err)
	}
	got, _ := h.store.Get(ctx, r.ID)
	if got.State != approvals.Denied || got.DecidedBy != approver1 || got.Note != "wrong node" {
		t.Fatalf("denied: %+v", got)
	}
	wantRefusal(t, h.svc.Approve(ctx, r.ID, approver2), "already denied")
	if len(h.killer.Calls()) != 0 {
		t.Fatal("denied request killed")
	}
	// The requester's own "deny" withdraws the request.
	r2 := h.submit(t)
	if err := h.svc.Deny(ctx, r2.ID, requester, ""); err != nil {
		t.Fatal(err)
	}
	if h.state(t, r2.ID) != approvals.Cancelled {
		t.Fatalf("requester deny: %s", h.state(t, r2.ID))
	}
}

func TestExpiry(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.submit(t)
	h.clock.Advance(14*time.Minute + 59*time.Second)
	if err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if h.state(t, r.ID) != approvals.Pending {
		t.Fatal("expired before its TTL")
	}
	h.clock.Advance(time.Second)
	if err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if h.state(t, r.ID) != approvals.Expired || h.notifier.LastUpdate(r.ID) != approvals.Expired {
		t.Fatal("not expired at TTL")
	}
	wantRefusal(t, h.svc.Approve(ctx, r.ID, approver1), "already expired")
	// A click that beats the sweep still finds the TTL passed.
	r3 := h.submit(t)
	h.clock.Advance(16 * time.Minute)
	wantRefusal(t, h.svc.Approve(ctx, r3.ID, approver1), "expired at")
	if h.state(t, r3.ID) != approvals.Expired || len(h.killer.Calls()) != 0 {
		t.Fatal("late click did not expire the request")
	}
	// A second sweep posts nothing new.
	before := len(h.notifier.Notes(r.ID))
	if err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if len(h.notifier.Notes(r.ID)) != before {
		t.Fatal("second sweep notified again")
	}
}

func TestSimultaneousApprovalsKillOnce(t *testing.T) {
	for _, required := range []int{1, 2} {
		t.Run(fmt.Sprint(required), func(t *testing.T) {
			h := newHarness(t, func(p *approvals.Params) {
				p.Policy.ApprovalsRequired = required
				for i := range 20 {
					p.Policy.Approvers = append(p.Policy.Approvers, fmt.Sprintf("UMANY%04d", i))
				}
			})
			r := h.submit(t)
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Add(2)
				for range 2 { // each approver double-clicks
					go func() {
						defer wg.Done()
						err := h.svc.Approve(context.Background(), r.ID, fmt.Sprintf("UMANY%04d", i))
						var ref *approvals.Refusal
						if err != nil && !errors.As(err, &ref) {
							t.Error(err)
						}
					}()
				}
			}
			wg.Wait()
			if n := len(h.killer.Calls()); n != 1 {
				t.Fatalf("%d kills, want 1", n)
			}
			if h.state(t, r.ID) != approvals.Succeeded {
				t.Fatalf("state %s", h.state(t, r.ID))
			}
			results := 0
			for _, n := range h.notifier.Notes(r.ID) {
				if n == approvals.NoteResult {
					results++
				}
			}
			if results != 1 {
				t.Fatalf("%d result notes", results)
			}
		})
	}
}

func TestKillOutcomes(t *testing.T) {
	cases := []struct {
		name  string
		err   error
		state approvals.State
		check func(*approvals.Result) bool
	}{
		{"dcs error", fmt.Errorf("kill: %w", &approvals.DCSError{HTTPStatus: 400, Code: "DCS.4800", Message: "Invalid parameter", RequestID: "abc"}),
			approvals.Failed, func(r *approvals.Result) bool {
				return r.Code == "DCS.4800" && r.HTTPStatus == 400 && r.DCSRequestID == "abc" && r.Message == "Invalid parameter"
			}},
		{"timeout", &explained{"no answer within 20 s", fmt.Errorf("kill: %w: Post http://x: i/o timeout", approvals.ErrOutcomeUnknown)},
			approvals.Unknown, func(r *approvals.Result) bool { return r.Detail == "no answer within 20 s" }},
		{"unreachable", &explained{"the bot could not reach DCS", errors.New("kill: dial tcp: connection refused")},
			approvals.Failed, func(r *approvals.Result) bool { return r.Detail == "the bot could not reach DCS" }},
		{"raw error never shown", errors.New("kill: weird internal thing"),
			approvals.Failed, func(r *approvals.Result) bool { return !strings.Contains(r.Detail, "weird") }},
		{"gateway 502", &approvals.DCSError{HTTPStatus: 502, Code: "APIGW.0101", Message: "bad gateway"},
			approvals.Unknown, func(r *approvals.Result) bool {
				return r.HTTPStatus == 502 && strings.Contains(r.Detail, "may or may not")
			}},
		{"DCS 500", &approvals.DCSError{HTTPStatus: 500, Code: "DCS.5000", Message: "internal"},
			approvals.Failed, func(r *approvals.Result) bool { return r.Code == "DCS.5000" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.killer.err = c.err
			r := h.submit(t)
			if err := h.svc.Approve(context.Background(), r.ID, approver1); err != nil {
				t.Fatal(err)
			}
			got, _ := h.store.Get(context.Background(), r.ID)
			if got.State != c.state || got.Result == nil || !c.check(got.Result) {
				t.Fatalf("state %s result %+v", got.State, got.Result)
			}
			if len(h.killer.Calls()) != 1 {
				t.Fatal("kill retried")
			}
		})
	}
}

func TestRecover(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	inFlight := h.submit(t)
	stalled := h.submit(t)
	fresh := h.submit(t)
	now := h.clock.Now()
	for _, tr := range []struct {
		id string
		to []approvals.State
	}{{inFlight.ID, []approvals.State{approvals.Approved, approvals.Executing}}, {stalled.ID, []approvals.State{approvals.Approved}}} {
		from := approvals.Pending
		for _, to := range tr.to {
			if ok, err := h.store.Apply(ctx, tr.id, approvals.Transition{From: from, To: to, At: now, Actor: approver1}); !ok || err != nil {
				t.Fatal(ok, err)
			}
			from = to
		}
	}
	// Not stale yet for a shared store: nothing happens.
	if err := h.svc.Recover(ctx, false); err != nil {
		t.Fatal(err)
	}
	if h.state(t, inFlight.ID) != approvals.Executing || h.state(t, stalled.ID) != approvals.Approved {
		t.Fatal("recovered a request that may still be running elsewhere")
	}
	// An exclusive store: the previous process is gone.
	if err := h.svc.Recover(ctx, true); err != nil {
		t.Fatal(err)
	}
	if h.state(t, inFlight.ID) != approvals.Unknown {
		t.Fatalf("in-flight request: %s", h.state(t, inFlight.ID))
	}
	if notes := h.notifier.Notes(inFlight.ID); !slices.Contains(notes, approvals.NoteRecovered) {
		t.Fatalf("notes %v", notes)
	}
	if h.state(t, stalled.ID) != approvals.Succeeded {
		t.Fatalf("approved-but-never-executed request: %s", h.state(t, stalled.ID))
	}
	calls := h.killer.Calls()
	if len(calls) != 1 {
		t.Fatalf("kills: %d (the in-flight one must never be sent again)", len(calls))
	}
	if h.state(t, fresh.ID) != approvals.Pending {
		t.Fatal("pending request touched")
	}
}

func TestSubmitRefusalsAndFailures(t *testing.T) {
	h := newHarness(t, func(p *approvals.Params) { p.Policy.Requesters = []string{requester} })
	ctx := context.Background()
	k := approvals.KillRequest{User: requester, Channel: channel, Instance: "orders-prod", Node: approvals.NodeRef{ID: "n"}, Addrs: []string{"10.0.0.1:1"}}

	bad := k
	bad.Channel = "COTHER0000"
	_, err := h.svc.Submit(ctx, bad)
	wantRefusal(t, err, "not enabled in this channel")

	bad = k
	bad.User = outsider
	_, err = h.svc.Submit(ctx, bad)
	wantRefusal(t, err, "not on the list")

	bad = k
	bad.Instance = "orders-staging"
	_, err = h.svc.Submit(ctx, bad)
	wantRefusal(t, err, "unknown instance orders-staging")

	byID := k
	byID.Instance = "6A1F0E2C-1B2D-4C3E-9F40-5A6B7C8D9E0F"
	r, err := h.svc.Submit(ctx, byID)
	if err != nil || r.Instance.Alias != "orders-prod" {
		t.Fatalf("by instance ID: %v %+v", err, r)
	}

	h.notifier.failPost = errors.New("slack down")
	_, err = h.svc.Submit(ctx, k)
	if err == nil || errors.As(err, new(*approvals.Refusal)) {
		t.Fatalf("want a fault, got %v", err)
	}
	cancelled := 0
	for _, r := range h.store.All() {
		if r.State == approvals.Cancelled {
			cancelled++
		}
	}
	if cancelled != 1 {
		t.Fatalf("a request whose message failed must be withdrawn; cancelled=%d", cancelled)
	}
}

func TestTransitionsTable(t *testing.T) {
	allowed := map[[2]approvals.State]bool{
		{approvals.Pending, approvals.Approved}:    true,
		{approvals.Pending, approvals.Denied}:      true,
		{approvals.Pending, approvals.Expired}:     true,
		{approvals.Pending, approvals.Cancelled}:   true,
		{approvals.Approved, approvals.Executing}:  true,
		{approvals.Executing, approvals.Succeeded}: true,
		{approvals.Executing, approvals.Failed}:    true,
		{approvals.Executing, approvals.Unknown}:   true,
	}
	for _, from := range approvals.States {
		for _, to := range approvals.States {
			if got := approvals.CanTransition(from, to); got != allowed[[2]approvals.State{from, to}] {
				t.Errorf("%s -> %s: %v", from, to, got)
			}
		}
		if from.Final() != (len(filter(allowed, from)) == 0) {
			t.Errorf("%s: Final() = %v", from, from.Final())
		}
	}
}

func filter(m map[[2]approvals.State]bool, from approvals.State) []approvals.State {
	var out []approvals.State
	for k := range m {
		if k[0] == from {
			out = append(out, k[1])
		}
	}
	return out
}

func TestIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		id := requestid.New()
		if len(id) != 6 || strings.ContainsAny(id, "ILOU") || strings.ToUpper(id) != id {
			t.Fatalf("bad id %q", id)
		}
		seen[id] = true
	}
	if len(seen) < 1990 {
		t.Fatalf("ids repeat too often: %d distinct of 2000", len(seen))
	}
}

type explained struct {
	text string
	err  error
}

func (e *explained) Error() string   { return e.err.Error() }
func (e *explained) Unwrap() error   { return e.err }
func (e *explained) Explain() string { return e.text }

func TestApproveRefusesUnrecordedMessage(t *testing.T) {
	h := newHarness(t, nil)
	h.store.Fail("SetMessage", errors.New("database is locked"))
	_, err := h.svc.Submit(context.Background(), approvals.KillRequest{User: requester, Channel: channel, Instance: "orders-prod",
		Node: approvals.NodeRef{ID: "0123456789abcdef0123456789abcdef"}, Addrs: []string{"10.0.0.1:5000"}})
	if err == nil {
		t.Fatal("Submit succeeded although the message could not be recorded")
	}
	id := h.store.All()[0].ID
	h.store.Mutate(id, func(r *approvals.Request) { r.State = approvals.Pending }) // as if the withdrawal never landed
	wantRefusal(t, h.svc.Approve(context.Background(), id, approver1), "still being set up")
	if len(h.killer.Calls()) != 0 {
		t.Fatal("killed a request whose message was never recorded")
	}
	if h.notifier.LastUpdate(id) != approvals.Cancelled {
		t.Fatal("the posted message kept its buttons")
	}
}

// A click whose store write fails records nothing and kills nothing. An
// approval recorded without the claim that should have followed it (by a
// worker that died between the two, as separate steps allowed) is
// finished by the next click of the same approver, not refused as
// "already approved".
func TestApprovalRetryAfterFault(t *testing.T) {
	h := newHarness(t, nil)
	r := h.submit(t)
	ctx := context.Background()
	h.store.Fail("Approve", errors.New("database is locked"))
	if err := h.svc.Approve(ctx, r.ID, approver1); err == nil || errors.As(err, new(*approvals.Refusal)) {
		t.Fatalf("want a fault, got %v", err)
	}
	if got, _ := h.store.Get(ctx, r.ID); len(h.killer.Calls()) != 0 || got.State != approvals.Pending || len(got.Approvals) != 0 {
		t.Fatal("the failed click changed something")
	}
	h.store.Fail("Approve", nil)
	// A vote counting no one records the approval and claims nothing.
	if tally, err := h.store.Approve(ctx, r.ID, approvals.Vote{Approval: approvals.Approval{User: approver1, At: time.Now()}}); err != nil || !tally.Added {
		t.Fatalf("Approve: %+v %v", tally, err)
	}
	if err := h.svc.Approve(ctx, r.ID, approver1); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if h.state(t, r.ID) != approvals.Succeeded || len(h.killer.Calls()) != 1 {
		t.Fatalf("state %s, kills %d", h.state(t, r.ID), len(h.killer.Calls()))
	}
}
