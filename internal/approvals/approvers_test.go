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
)

// fakeMessenger records the direct messages the lifecycle sends approvers.
type fakeMessenger struct {
	mu      sync.Mutex
	sent    []string                     // users, in order
	updates map[string][]approvals.State // user -> states drawn
	reminds []string
	fail    map[string]bool // users whose message fails
}

var _ approvals.ApproverMessenger = (*fakeMessenger)(nil)

func newFakeMessenger() *fakeMessenger {
	return &fakeMessenger{updates: map[string][]approvals.State{}, fail: map[string]bool{}}
}

func (m *fakeMessenger) SendToApprover(_ context.Context, r *approvals.Request, user string) (approvals.ApproverMessage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail[user] {
		return approvals.ApproverMessage{}, errors.New("slack says no")
	}
	m.sent = append(m.sent, user)
	return approvals.ApproverMessage{User: user, ChannelID: "D" + user, TS: fmt.Sprintf("1700000001.%06d", len(m.sent))}, nil
}

func (m *fakeMessenger) UpdateApproverMessage(_ context.Context, r *approvals.Request, msg approvals.ApproverMessage) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.updates[msg.User] = append(m.updates[msg.User], r.State)
	return nil
}

func (m *fakeMessenger) RemindApprover(_ context.Context, _ *approvals.Request, msg approvals.ApproverMessage) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reminds = append(m.reminds, msg.User)
	return nil
}

func (m *fakeMessenger) Sent() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.sent)
}

func (m *fakeMessenger) Updates(user string) []approvals.State {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.updates[user])
}

func (m *fakeMessenger) Reminds() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.reminds)
}

func dmHarness(t *testing.T, mutate func(*approvals.Params)) (*harness, *fakeMessenger) {
	t.Helper()
	m := newFakeMessenger()
	h := newHarness(t, func(p *approvals.Params) {
		p.Policy.Notify = approvals.NotifyDM
		p.Approvers = m
		if mutate != nil {
			mutate(p)
		}
	})
	return h, m
}

// The approvers are the listed users and the members of listed groups,
// each once, never the requester.
func TestDeciders(t *testing.T) {
	h := newHarness(t, func(p *approvals.Params) {
		p.Directory = fakeDirectory{"SONCALL01": {groupMate, approver1, requester}}
	})
	got, err := h.svc.Deciders(context.Background(), &approvals.Request{Requester: requester, Instance: approvals.Instance{Alias: "orders-prod"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{approver1, approver2, groupMate}; !slices.Equal(got, want) {
		t.Fatalf("Deciders = %v, want %v", got, want)
	}
}

// With notify_approvers dm, each approver who may decide a new request
// gets a direct message, recorded in the store; the requester gets none.
// When the request ends, every message is redrawn in the final state.
func TestDirectMessagesFollowTheRequest(t *testing.T) {
	h, m := dmHarness(t, nil)
	ctx := context.Background()
	r := h.submit(t)
	if got, want := m.Sent(), []string{approver1, approver2, groupMate}; !slices.Equal(got, want) {
		t.Fatalf("messaged %v, want %v (never the requester %s)", got, want, requester)
	}
	stored, err := h.store.ApproverMessages(ctx, r.ID)
	if err != nil || len(stored) != 3 || stored[0].ChannelID != "D"+approver1 {
		t.Fatalf("stored messages %+v, %v", stored, err)
	}
	if len(m.Updates(approver1)) != 0 {
		t.Fatal("messages redrawn while the request is pending")
	}
	if err := h.svc.Deny(ctx, r.ID, approver2, "not now"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{approver1, approver2, groupMate} {
		if got := m.Updates(u); !slices.Equal(got, []approvals.State{approvals.Denied}) {
			t.Errorf("message to %s redrawn as %v, want [denied]", u, got)
		}
	}
}

// An approved request's messages are redrawn once it has an outcome, not
// while it runs.
func TestDirectMessagesShowTheOutcome(t *testing.T) {
	h, m := dmHarness(t, nil)
	r := h.submit(t)
	if err := h.svc.Approve(context.Background(), r.ID, groupMate); err != nil {
		t.Fatal(err)
	}
	if got := m.Updates(approver1); !slices.Equal(got, []approvals.State{approvals.Succeeded}) {
		t.Fatalf("message redrawn as %v, want [succeeded]", got)
	}
}

// Channel mode (and off) sends no direct message.
func TestNoDirectMessagesInChannelMode(t *testing.T) {
	m := newFakeMessenger()
	h := newHarness(t, func(p *approvals.Params) { p.Approvers = m })
	h.submit(t)
	if len(m.Sent()) != 0 {
		t.Fatalf("messaged %v in channel mode", m.Sent())
	}
}

// A message that cannot be sent leaves the others, and the request.
func TestDirectMessageFailure(t *testing.T) {
	h, m := dmHarness(t, nil)
	m.fail[approver2] = true
	r := h.submit(t)
	if got := m.Sent(); !slices.Equal(got, []string{approver1, groupMate}) {
		t.Fatalf("messaged %v", got)
	}
	if h.state(t, r.ID) != approvals.Pending {
		t.Fatal("a failed direct message changed the request")
	}
}

// A reminder goes by direct message to those who have not approved.
func TestRemindByDirectMessage(t *testing.T) {
	h, m := dmHarness(t, func(p *approvals.Params) { p.Policy.ApprovalsRequired = 2 })
	ctx := context.Background()
	r := h.submit(t)
	if err := h.svc.Approve(ctx, r.ID, approver1); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(8 * time.Minute)
	if err := h.svc.Remind(ctx); err != nil {
		t.Fatal(err)
	}
	if got := m.Reminds(); !slices.Equal(got, []string{approver2, groupMate}) {
		t.Fatalf("reminded %v", got)
	}
	if slices.Contains(h.notifier.Notes(r.ID), approvals.NoteReminder) {
		t.Fatal("reminded in the thread too")
	}
}

func TestNewServiceRefusesNotifyModes(t *testing.T) {
	base := func() approvals.Params {
		return approvals.Params{Store: nil, Killer: &fakeKiller{}, Notifier: newFakeNotifier(), StaleAfter: time.Minute, OverviewWindow: time.Hour,
			Instances: map[string]approvals.Instance{"a": {Alias: "a"}},
			Policy:    approvals.Policy{ApprovalsRequired: 1, TTL: time.Minute, MaxAddrs: 1, KillAll: approvals.KillAllPolicy{ApprovalsRequired: 1}}}
	}
	p := base()
	p.Policy.Notify = ""
	if _, err := approvals.NewService(p); err == nil || !strings.Contains(err.Error(), "notify mode") {
		t.Errorf("empty notify mode: %v", err)
	}
	p = base()
	p.Policy.Notify = approvals.NotifyOff
	p.Policies = map[string]approvals.Policy{"a": {ApprovalsRequired: 1, TTL: time.Minute, MaxAddrs: 1,
		KillAll: approvals.KillAllPolicy{ApprovalsRequired: 1}, Notify: approvals.NotifyDM}}
	if _, err := approvals.NewService(p); err == nil || !strings.Contains(err.Error(), "ApproverMessenger") {
		t.Errorf("dm without a messenger: %v", err)
	}
}
