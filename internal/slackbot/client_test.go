package slackbot

import (
	"context"
	"errors"
	"testing"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/fakeslack"
)

func newTestClient(t *testing.T, fake *fakeslack.Server, attempt, budget time.Duration) *Client {
	t.Helper()
	c, err := NewClient(ClientParams{APIURL: fake.APIURL(), BotToken: fake.BotToken(), AppToken: fake.AppToken(),
		Attempt: attempt, Budget: budget, Retries: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Abort)
	return c
}

// within runs f, failing the test if it has not returned after a generous
// guard: a Slack call without a bound would never return.
func within(t *testing.T, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not return: Slack calls are not bounded", what)
		return nil
	}
}

// A hung Slack answers nothing: the call gives up after its attempt
// timeout.
func TestSlackCallHasATimeout(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	fake.SetFault("chat.postMessage", fakeslack.Hung(0))
	n := NewNotifier(newTestClient(t, fake, 100*time.Millisecond, time.Minute), nil, nil)
	r := sampleRequest(approvals.Pending)
	err := within(t, "a post to a hung Slack", func() error {
		return n.Thread(context.Background(), r, approvals.Note{Kind: approvals.NoteApproval, Actor: "UAPPROVER1", Count: 1})
	})
	if err == nil {
		t.Fatal("a post to a hung Slack succeeded")
	}
}

// The retries of a rate-limited call and their waits count against the
// call's budget: it gives up before it has made them all.
func TestSlackRetriesHaveABudget(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	fake.SetFault("chat.postMessage", fakeslack.RateLimited(0, time.Second))
	n := NewNotifier(newTestClient(t, fake, time.Second, 1500*time.Millisecond), nil, nil)
	r := sampleRequest(approvals.Pending)
	err := within(t, "a rate-limited post", func() error {
		return n.Thread(context.Background(), r, approvals.Note{Kind: approvals.NoteApproval, Actor: "UAPPROVER1", Count: 1})
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the budget's deadline", err)
	}
	if got := len(fake.Calls("chat.postMessage")); got >= 9 {
		t.Fatalf("%d attempts: every retry was made, the budget bounded nothing", got)
	}
}

// Abort ends a call in flight and fails later ones at once.
func TestSlackAbortEndsCalls(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	fake.SetFault("chat.update", fakeslack.Hung(0))
	c := newTestClient(t, fake, time.Minute, time.Minute)
	n := NewNotifier(c, nil, nil)
	r := sampleRequest(approvals.Pending)
	done := make(chan error, 1)
	go func() { done <- n.Update(context.Background(), r) }()
	if err := fake.WaitFor(t.Context(), func(s *fakeslack.Server) bool { return s.InFlight("chat.update") == 1 }); err != nil {
		t.Fatal(err)
	}
	c.Abort()
	if err := within(t, "the call in flight at Abort", func() error { return <-done }); !errors.Is(err, context.Canceled) {
		t.Fatalf("call in flight: %v, want cancelled", err)
	}
	err := within(t, "a call after Abort", func() error {
		return n.Thread(context.Background(), r, approvals.Note{Kind: approvals.NoteApproval, Actor: "UAPPROVER1", Count: 1})
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("call after Abort: %v, want cancelled", err)
	}
}
