package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"dcsbot/internal/approvals"
	"dcsbot/internal/config"
	"dcsbot/internal/fakedcs"
	"dcsbot/internal/fakeslack"
)

// Work waits in bounded queues: with every command worker busy and the
// command queue full, the next slash command is answered "busy, try
// again" in its ack; a click still goes through its own lane at once.
func TestBusyQueueAndClickLane(t *testing.T) {
	e := newEnv(t, withTimeout("20s"))
	e.tune = func(tu *config.Tuning) {
		tu.Workers, tu.ClickWorkers, tu.CommandQueue, tu.ClickQueue = 1, 1, 1, 4
	}
	e.start()
	msg := e.request(killText)

	gate := make(chan struct{})
	released := false
	release := func() {
		if !released {
			released = true
			close(gate)
		}
	}
	t.Cleanup(release)
	scans := e.dcs.Calls(fakedcs.APIScanClients)
	e.dcs.SetReply(fakedcs.APIScanClients, func(int) fakedcs.Reply { <-gate; return fakedcs.Reply{} })
	// The other node: the request just read this one, and a listing may
	// be served from a scan that ended less than a second ago.
	clients := "clients orders-prod 1f2e3d4c5b6a79881f2e3d4c5b6a7988"
	if ack := e.slash(requester, channel, clients); len(ack.PayloadMap()) != 0 {
		t.Fatalf("first command: ack %s", ack.Payload)
	}
	e.waitFor("the command worker busy with a scan", func() bool { return e.dcs.Calls(fakedcs.APIScanClients) > scans })
	if ack := e.slash(requester, channel, clients); len(ack.PayloadMap()) != 0 {
		t.Fatalf("second command (queued): ack %s", ack.Payload)
	}
	ack := e.slash(requester, channel, clients)
	if text, _ := ack.PayloadMap()["text"].(string); !strings.Contains(text, "busy, try again") {
		t.Fatalf("third command, queue full: ack %s, want \"busy, try again\"", ack.Payload)
	}

	// The commands are stuck; an approver's Deny is not.
	e.mustClick(approver1, msg, "dcs_deny")
	e.waitFor("deny dialog opened", func() bool { return len(e.slack.Calls("views.open")) == 1 })

	release()
	e.waitFor("both queued commands answered", func() bool {
		n := 0
		for _, m := range e.slack.Ephemerals() {
			if m.User == requester && strings.Contains(m.Text, "Sessions on") {
				n++
			}
		}
		return n == 2
	})
}

// A person with policy.max_pending_per_user requests waiting for approval
// is refused the next one, with the list of theirs.
func TestMaxPendingPerUserRefusal(t *testing.T) {
	e := newEnv(t, withPolicy("  approvals_required: 1\n  max_pending_per_user: 1\n"))
	e.start()
	e.request(killText)
	id := e.onlyRequest().ID
	mustContain(t, "second request", e.reply(requester, e.uniqueKill(1)), "waiting for approval", "`"+id+"`", "/dcs cancel")
	if n := len(e.topLevel()); n != 1 {
		t.Fatalf("%d approval messages, want 1", n)
	}
}

// A click that finds the click lane full is not taken, and the clicker is
// told so, only to them, to click again; a button of the Home tab says so
// at the top of the tab. Nothing is decided by a dropped click.
func TestDroppedClickIsExplained(t *testing.T) {
	e := newEnv(t, withPolicy("  approvals_required: 1\n  max_pending_per_user: 5\n"))
	e.tune = func(tu *config.Tuning) {
		tu.Workers, tu.ClickWorkers, tu.ClickQueue = 1, 1, 1
	}
	e.start()
	msgs := []fakeslack.Message{e.request(killText)}
	for i := range 2 {
		msgs = append(msgs, e.request(e.uniqueKill(i)))
	}
	rs, err := e.app.Store().List(context.Background(), approvals.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for _, r := range rs {
		if r.MessageTS == msgs[2].TS {
			id = r.ID
		}
	}
	decide := "dcs_home_decide_" + id
	if v := e.openHome(approver2); id == "" || !hasBlock(t, v.Blocks, decide) {
		t.Fatalf("approver2's Home tab does not offer %q: %s", id, v.Blocks)
	}

	// Both workers stop on a Deny whose dialog Slack does not open.
	e.slack.SetFault("views.open", fakeslack.Hung(0))
	e.mustClick(approver1, msgs[0], "dcs_deny")
	e.mustClick(approver1, msgs[1], "dcs_deny")
	e.waitFor("both workers held by views.open", func() bool { return e.slack.InFlight("views.open") == 2 })
	e.mustClick(approver1, msgs[2], "dcs_deny")    // queued
	e.mustClick(approver2, msgs[2], "dcs_approve") // dropped
	e.ephemeralTo(approver2, "too busy to take your click")
	for _, m := range e.slack.Ephemerals() {
		if m.User != approver2 && strings.Contains(m.Text, "too busy") {
			t.Fatalf("the notice went to %s too", m.User)
		}
	}

	e.homeClick(approver2, decide, "dcs_approve") // dropped too
	e.homeShows(approver2, "with the busy notice", func(text string, _ json.RawMessage) bool {
		return strings.Contains(text, "too busy to take your click")
	})
	if n := len(e.dcs.Kills()); n != 0 {
		t.Fatalf("%d kills from dropped clicks", n)
	}
}
