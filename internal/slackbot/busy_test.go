package slackbot

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// heldEphemerals is an Ephemeraler whose sends wait on release, counting
// those started.
type heldEphemerals struct {
	release chan struct{}
	mu      sync.Mutex
	started []string // users
}

func (h *heldEphemerals) Ephemeral(_ context.Context, _, user string, t text) error {
	if !strings.Contains(string(t), "too busy") {
		return nil
	}
	h.mu.Lock()
	h.started = append(h.started, user)
	h.mu.Unlock()
	<-h.release
	return nil
}

func (h *heldEphemerals) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.started)
}

// At most busyNotices "too busy" notices are on their way at once: a
// click dropped while they are is only logged; once one is sent, the next
// dropped click is told again.
func TestBusyNoticesAreCapped(t *testing.T) {
	eph := &heldEphemerals{release: make(chan struct{})}
	q := newLanes(1, 1)
	q.start(context.Background(), 0, 0) // no workers: only the notices run
	l := &Listener{p: ListenerParams{Ephemeral: eph}, log: discard(), q: q, busy: make(chan struct{}, busyNotices)}
	click := func(user string) slack.InteractionCallback {
		var cb slack.InteractionCallback
		cb.Type, cb.User.ID, cb.Channel.ID = slack.InteractionTypeBlockActions, user, "C1"
		return cb
	}
	for _, u := range []string{"U1", "U2", "U3"} {
		l.clickDropped(click(u))
	}
	waitFor := func(what string, n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); eph.count() != n; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d notices started, want %d", what, eph.count(), n)
			}
		}
	}
	waitFor("three dropped clicks", busyNotices)
	eph.release <- struct{}{} // one notice sent: its slot is free
	for deadline := time.Now().Add(10 * time.Second); len(l.busy) == busyNotices; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a sent notice kept its slot")
		}
	}
	l.clickDropped(click("U4"))
	waitFor("a click dropped after a notice went out", busyNotices+1)
	close(eph.release)
	q.close()
	if err := q.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := eph.started; got[0] == "U3" || got[1] == "U3" || got[2] != "U4" {
		t.Fatalf("notices went to %v: U3's click, dropped beyond the cap, is only logged", got)
	}
}
