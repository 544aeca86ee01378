package app_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"dcsbot/internal/fakeslack"
)

// home returns user's Home tab as the fake keeps it.
func (e *env) home(user string) (fakeslack.View, bool) { return e.slack.HomeView(user) }

// openHome plays user opening the app's Home tab and waits for the bot to
// publish it.
func (e *env) openHome(user string) fakeslack.View {
	e.t.Helper()
	before, had := e.home(user)
	if _, err := e.slack.SendAppHomeOpened(e.ctx(), user); err != nil {
		e.t.Fatalf("%s opens the Home tab: %v", user, err)
	}
	var v fakeslack.View
	e.waitFor(user+"'s Home tab published", func() bool {
		var ok bool
		v, ok = e.home(user)
		return ok && (!had || v.Hash != before.Hash)
	})
	return v
}

// homeShows waits until user's Home tab satisfies cond.
func (e *env) homeShows(user, what string, cond func(text string, blocks json.RawMessage) bool) {
	e.t.Helper()
	e.waitFor(user+"'s Home tab "+what, func() bool {
		v, ok := e.home(user)
		return ok && cond(blocksText(e.t, v.Blocks), v.Blocks)
	})
}

// hasBlock reports whether blocks have one with the block_id.
func hasBlock(t *testing.T, blocks json.RawMessage, id string) bool {
	t.Helper()
	var bs []struct {
		BlockID string `json:"block_id"`
	}
	if err := json.Unmarshal(blocks, &bs); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	for _, b := range bs {
		if b.BlockID == id {
			return true
		}
	}
	return false
}

// homeClick presses a button of user's Home tab.
func (e *env) homeClick(user, blockID, action string) {
	e.t.Helper()
	if _, err := e.slack.SendViewAction(e.ctx(), fakeslack.ViewAction{UserID: user, BlockID: blockID, ActionID: action}); err != nil {
		e.t.Fatalf("%s presses %s in the Home tab: %v", user, action, err)
	}
}

// An approval from the Home tab goes through the same checks as in the
// channel: it kills once, and the channel message and its thread show it
// as if the button there had been pressed. A stale Home tab's second click
// is refused on the tab, and kills nothing.
func TestHomeTabApproval(t *testing.T) {
	e := newEnv(t)
	e.start()
	msg := e.request(killText + ` --reason "hot keys"`)
	id := e.onlyRequest().ID
	decide := "dcs_home_decide_" + id

	v := e.openHome(approver1)
	mustContain(t, "approver's Home tab", blocksText(t, v.Blocks), id, "<@"+requester+">", "`10.0.0.1:5000`", "hot keys", "expires", "ago", "Approve", "Deny")
	if !hasBlock(t, v.Blocks, decide) {
		t.Fatalf("no Approve/Deny block %s in the Home tab: %s", decide, v.Blocks)
	}
	if v := e.openHome(requester); hasBlock(t, v.Blocks, decide) {
		t.Fatal("the requester is offered their own request to approve")
	}

	e.homeClick(approver1, decide, "dcs_approve")
	if _, err := e.dcs.WaitKills(e.ctx(), 1); err != nil {
		t.Fatal(err)
	}
	e.threadHas(msg, "Approved by <@"+approver1+">")
	e.threadHas(msg, "DCS accepted the kill of 2 sessions")
	e.waitFor("channel message in its final state", func() bool {
		m := e.message(msg)
		return !hasButtons(t, m.Blocks) && strings.Contains(blocksText(t, m.Blocks), "Executed")
	})
	e.homeShows(approver1, "without the request to decide, with its decision", func(text string, blocks json.RawMessage) bool {
		return !hasBlock(t, blocks, decide) && strings.Contains(text, "executed")
	})

	// A click on a copy of the tab that still shows the button.
	if _, err := e.slack.SendViewAction(e.ctx(), fakeslack.ViewAction{UserID: approver1, BlockID: decide, ActionID: "dcs_approve", Input: fakeslack.Input{Value: id}, Force: true}); err != nil {
		t.Fatal(err)
	}
	e.homeShows(approver1, "with the refusal", func(text string, _ json.RawMessage) bool {
		return strings.Contains(text, "Request `"+id+"` is already succeeded")
	})
	e.staleClick(approver2, msg, "dcs_approve")
	e.ephemeralTo(approver2, "already")
	time.Sleep(300 * time.Millisecond)
	if n := len(e.dcs.Kills()); n != 1 {
		t.Fatalf("%d kills, want 1", n)
	}
}

// A Home tab that shows a request is redrawn when the request is approved
// elsewhere: the approver's no longer offers it, the requester's no
// longer lists it as waiting; both show the decision.
func TestHomeTabRefreshedAfterApprovalElsewhere(t *testing.T) {
	e := newEnv(t)
	e.start()
	msg := e.request(killText)
	id := e.onlyRequest().ID
	if v := e.openHome(approver2); !hasBlock(t, v.Blocks, "dcs_home_decide_"+id) {
		t.Fatalf("approver2's Home tab does not offer %s: %s", id, v.Blocks)
	}
	if v := e.openHome(requester); !hasBlock(t, v.Blocks, "dcs_home_mine_"+id) {
		t.Fatalf("the requester's Home tab does not list %s with Cancel: %s", id, v.Blocks)
	}
	if v := e.openHome(outsider); strings.Contains(blocksText(t, v.Blocks), id) {
		t.Fatalf("an outsider's Home tab shows %s", id)
	}
	outsiderView, _ := e.home(outsider)

	e.mustClick(approver1, msg, "dcs_approve")
	e.homeShows(approver2, "redrawn after the approval", func(text string, blocks json.RawMessage) bool {
		return !hasBlock(t, blocks, "dcs_home_decide_"+id) && strings.Contains(text, "executed") && strings.Contains(text, "approved by <@"+approver1+">")
	})
	e.homeShows(requester, "redrawn after the approval", func(text string, blocks json.RawMessage) bool {
		return !hasBlock(t, blocks, "dcs_home_mine_"+id) && strings.Contains(text, "executed")
	})
	if v, _ := e.home(outsider); v.Hash != outsiderView.Hash {
		t.Error("the Home tab of someone the request does not concern was redrawn")
	}
}

// The requester withdraws a request from their Home tab; the channel
// message and thread say so.
func TestHomeTabCancel(t *testing.T) {
	e := newEnv(t)
	e.start()
	msg := e.request(killText)
	id := e.onlyRequest().ID
	e.openHome(requester)
	e.homeClick(requester, "dcs_home_mine_"+id, "dcs_cancel")
	e.threadHas(msg, "Withdrawn by <@"+requester+">")
	e.waitFor("message cancelled", func() bool {
		m := e.message(msg)
		return !hasButtons(t, m.Blocks) && strings.Contains(blocksText(t, m.Blocks), "Cancelled")
	})
	e.homeShows(requester, "without the request", func(_ string, blocks json.RawMessage) bool {
		return !hasBlock(t, blocks, "dcs_home_mine_"+id)
	})
	if n := len(e.dcs.Kills()); n != 0 {
		t.Fatalf("%d kills", n)
	}
}

// dmWith waits for n direct messages from the bot to user and returns them.
func (e *env) dmWith(user string, n int) []fakeslack.Message {
	e.t.Helper()
	var dms []fakeslack.Message
	e.waitFor(fmt.Sprintf("%d direct message(s) to %s", n, user), func() bool {
		dms = e.slack.DMs(user)
		return len(dms) >= n
	})
	return dms
}

// With notify_approvers dm, each approver who may decide a new request
// (group members too) gets it by direct message, with a link to it and
// the same buttons; the requester gets none. Approvals given there count
// as in the channel, and every message shows the outcome once it is in.
func TestDirectMessagesToApprovers(t *testing.T) {
	e := newEnv(t, withPolicy("  approvals_required: 2\n  notify_approvers: dm\n"))
	e.start()
	msg := e.request(killText)
	id := e.onlyRequest().ID
	link, ok := e.slack.Permalink(msg.Channel, msg.TS)
	if !ok {
		t.Fatal("no permalink for the approval message")
	}
	dm := map[string]fakeslack.Message{}
	for _, u := range []string{approver1, approver2, groupMate} {
		m := e.dmWith(u, 1)[0]
		mustContain(t, "direct message to "+u, blocksText(t, m.Blocks), id, link, "<@"+requester+">", "10.0.0.1:5000", "Approve", "Deny")
		if !hasButtons(t, m.Blocks) {
			t.Fatalf("the direct message to %s has no buttons", u)
		}
		dm[u] = m
	}
	if got := e.slack.DMs(requester); len(got) != 0 {
		t.Fatalf("the requester was sent their own request: %+v", got)
	}
	if got := e.slack.DMs(outsider); len(got) != 0 {
		t.Fatal("an outsider was messaged")
	}

	e.mustClick(approver2, dm[approver2], "dcs_approve")
	e.threadHas(msg, "<@"+approver2+"> approved (1 of 2)")
	e.mustClick(groupMate, dm[groupMate], "dcs_approve")
	if _, err := e.dcs.WaitKills(e.ctx(), 1); err != nil {
		t.Fatal(err)
	}
	e.threadHas(msg, "DCS accepted the kill")
	for _, u := range []string{approver1, approver2, groupMate} {
		e.waitFor("direct message to "+u+" in its final state", func() bool {
			m := e.slack.DMs(u)[0]
			return !hasButtons(t, m.Blocks) && strings.Contains(blocksText(t, m.Blocks), "Executed") && strings.Contains(blocksText(t, m.Blocks), link)
		})
	}
	if n := len(e.dcs.Kills()); n != 1 {
		t.Fatalf("%d kills, want 1", n)
	}
}

// A request denied in the channel redraws the approvers' direct messages.
func TestDirectMessagesShowADenial(t *testing.T) {
	e := newEnv(t, withPolicy("  approvals_required: 1\n  notify_approvers: dm\n"))
	e.start()
	msg := e.request(killText)
	id := e.onlyRequest().ID
	e.dmWith(approver2, 1)
	e.mustClick(approver1, msg, "dcs_deny")
	e.submitDeny(approver1, id, "wrong node")
	e.threadHas(msg, "Denied by <@"+approver1+">: wrong node")
	for _, u := range []string{approver1, approver2, groupMate} {
		e.waitFor("direct message to "+u+" shows the denial", func() bool {
			m := e.slack.DMs(u)[0]
			return !hasButtons(t, m.Blocks) && strings.Contains(blocksText(t, m.Blocks), "Denied")
		})
	}
}

// In dm mode the reminder goes by direct message to the approvers, not to
// the thread.
func TestReminderByDirectMessage(t *testing.T) {
	e := newEnv(t, withPolicy("  approvals_required: 1\n  notify_approvers: dm\n"), withExtra("schedule", "  remind: \"@every 1s\"\n"))
	e.start()
	msg := e.request(killText)
	id := e.onlyRequest().ID
	e.dmWith(approver1, 1)
	e.clock.Advance(8 * time.Minute)
	for _, u := range []string{approver1, approver2, groupMate} {
		r := e.dmWith(u, 2)[1]
		mustContain(t, "reminder to "+u, r.Text, "Still waiting for your approval", id)
	}
	if got := e.thread(msg); len(got) != 0 {
		t.Fatalf("reminded in the thread too: %q", got)
	}
	if len(e.slack.DMs(requester)) != 0 {
		t.Fatal("the requester was reminded of their own request")
	}
}

// /dcs pending lists, to the user alone, what waits for them.
func TestPendingCommand(t *testing.T) {
	e := newEnv(t)
	e.start()
	msg := e.request(killText + ` --reason "hot keys"`)
	id := e.onlyRequest().ID
	link, _ := e.slack.Permalink(msg.Channel, msg.TS)

	got := e.reply(approver1, "pending")
	mustContain(t, "/dcs pending of an approver", got, "*Waiting for your approval* (1)", "`"+id+"`", link, "<@"+requester+">", "hot keys", "*Your requests waiting* (0)")
	got = e.reply(requester, "pending")
	mustContain(t, "/dcs pending of the requester", got, "*Waiting for your approval* (0)", "*Your requests waiting* (1)", "`"+id+"`")
	got = e.reply(outsider, "pending")
	mustContain(t, "/dcs pending of an outsider", got, "Nothing waits for your approval.")
	if strings.Contains(got, id) {
		t.Errorf("an outsider sees %s:\n%s", id, got)
	}
	ack := e.slash(approver1, "COTHER0001", "pending")
	if s, _ := ack.PayloadMap()["text"].(string); !strings.Contains(s, "not enabled in this channel") {
		t.Errorf("/dcs pending in another channel: %q", s)
	}
	for _, m := range e.topLevel() {
		if m.TS != msg.TS {
			t.Errorf("/dcs pending posted in the channel: %q", m.Text)
		}
	}
}
