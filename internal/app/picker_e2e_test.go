package app_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"dcsbot/internal/fakedcs"
	"dcsbot/internal/fakeslack"
)

// The picker's IDs, as the bot draws it.
const (
	pickerCallback = "dcs_kill_picker"
	pickNode       = "dcs_pick_node"
	pickFilter     = "dcs_pick_filter"
	pickSessions   = "dcs_pick_sessions"
	pickReason     = "dcs_pick_reason"
)

// openPicker types /dcs kill orders-prod with a trigger_id of its own and
// returns the modal the bot opened with it.
func (e *env) openPicker(user, trigger string) fakeslack.View {
	e.t.Helper()
	before := len(e.slack.Views())
	ack, err := e.slack.SendSlashCommand(e.ctx(), fakeslack.SlashCommand{UserID: user, ChannelID: channel, Command: "/dcs",
		Text: "kill orders-prod", TriggerID: trigger})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(ack.Payload) > 0 && string(ack.Payload) != "null" {
		e.t.Fatalf("/dcs kill orders-prod acked with %s", ack.Payload)
	}
	var v fakeslack.View
	e.waitFor("the picker to open", func() bool {
		vs := e.slack.Views()
		if len(vs) > before {
			v = vs[before]
		}
		return len(vs) > before
	})
	// Opened with the command's trigger_id, saying what it reads: the
	// list comes with views.update.
	opens := e.slack.Calls("views.open")
	if v.CallbackID != pickerCallback || len(opens) == 0 || opens[len(opens)-1].Arg("trigger_id") != trigger ||
		!strings.Contains(string(opens[len(opens)-1].Body), "Reading the nodes and sessions of `orders-prod`") {
		e.t.Fatalf("opened %s with views.open %+v", v.CallbackID, opens)
	}
	return v
}

// waitView waits until the view is as cond wants it and returns it.
func (e *env) waitView(id, what string, cond func(fakeslack.View) bool) fakeslack.View {
	e.t.Helper()
	var v fakeslack.View
	e.waitFor(what, func() bool {
		v, _ = e.slack.View(id)
		return cond(v)
	})
	return v
}

// pickOption is one session the picker lists.
type pickOption struct{ label, value string }

// listed returns the sessions the picker lists, in its order.
func listed(t *testing.T, v fakeslack.View) []pickOption {
	t.Helper()
	var blocks []struct {
		BlockID string `json:"block_id"`
		Element struct {
			Options []struct {
				Text  struct{ Text string } `json:"text"`
				Value string                `json:"value"`
			} `json:"options"`
		} `json:"element"`
	}
	if err := json.Unmarshal(v.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	var out []pickOption
	for _, b := range blocks {
		if b.BlockID == pickSessions {
			for _, o := range b.Element.Options {
				out = append(out, pickOption{label: o.Text.Text, value: o.Value})
			}
		}
	}
	return out
}

func optionFor(t *testing.T, opts []pickOption, addr string) string {
	t.Helper()
	for _, o := range opts {
		if strings.HasPrefix(o.label, addr+" · ") {
			return o.value
		}
	}
	t.Fatalf("no option for %s in %v", addr, opts)
	return ""
}

// The picker opens at once, lists a node's sessions once one is chosen
// (most idle first, with what each client is), narrows them with the
// filter, and a submission makes a request for exactly the sessions
// picked, posted in the channel; on approval only those are killed.
func TestPickerKillsExactlyThePicked(t *testing.T) {
	e := newEnv(t)
	e.start()
	v := e.openPicker(requester, "1700000001.1.picker")
	// Two session nodes: none is chosen for the user.
	v = e.waitView(v.ID, "the node select", func(v fakeslack.View) bool {
		return strings.Contains(string(v.Blocks), pickNode) && strings.Contains(blocksText(t, v.Blocks), "Choose a node")
	})
	if _, err := e.slack.SendViewAction(e.ctx(), fakeslack.ViewAction{ViewID: v.ID, BlockID: pickNode, ActionID: "node",
		Input: fakeslack.Input{Selected: []string{nodeID}}}); err != nil {
		t.Fatal(err)
	}
	v = e.waitView(v.ID, "the node's sessions listed", func(v fakeslack.View) bool { return len(listed(t, v)) == 3 })
	opts := listed(t, v)
	want := []string{"[fe80::1]:6379 · - · 40s · get", "10.0.0.1:5000 · orders-worker · 2s · keys", "10.0.0.7:41000 · billing · 1s · hgetall"}
	for i, o := range opts {
		if o.label != want[i] {
			t.Errorf("option %d is %q, want %q", i, o.label, want[i])
		}
	}
	// The filter narrows the list, and clearing it brings it back.
	if _, err := e.slack.SendViewAction(e.ctx(), fakeslack.ViewAction{ViewID: v.ID, BlockID: pickFilter, ActionID: "filter",
		Input: fakeslack.Input{Value: "BILL"}}); err != nil {
		t.Fatal(err)
	}
	v = e.waitView(v.ID, "the list filtered", func(v fakeslack.View) bool { return len(listed(t, v)) == 1 })
	mustContain(t, "the filtered picker", blocksText(t, v.Blocks), "3 sessions on node `"+nodeID+"`, 1 matching `BILL`")
	if _, err := e.slack.SendViewAction(e.ctx(), fakeslack.ViewAction{ViewID: v.ID, BlockID: pickFilter, ActionID: "filter"}); err != nil {
		t.Fatal(err)
	}
	v = e.waitView(v.ID, "the list whole again", func(v fakeslack.View) bool { return len(listed(t, v)) == 3 })

	ack, err := e.slack.SendViewSubmission(e.ctx(), fakeslack.ViewSubmission{ViewID: v.ID, Values: map[string]map[string]fakeslack.Input{
		pickSessions: {"sessions": {Selected: []string{optionFor(t, opts, "10.0.0.7:41000"), optionFor(t, opts, "[fe80::1]:6379")}}},
		pickReason:   {"reason": {Value: "picked by hand"}},
	}})
	if err != nil || len(ack.Payload) > 0 && string(ack.Payload) != "null" {
		t.Fatalf("submission: %v, ack %s", err, ack.Payload)
	}
	if v, _ := e.slack.View(v.ID); !v.Closed {
		t.Fatal("the picker stayed open")
	}
	e.waitFor("approval message posted with its buttons", func() bool { return len(e.topLevel()) == 1 && hasButtons(t, e.topLevel()[0].Blocks) })
	msg := e.topLevel()[0]
	text := blocksText(t, msg.Blocks)
	mustContain(t, "approval message", text, "Kill 2 client sessions", "<@"+requester+">", "picked by hand", "`10.0.0.7:41000`: *billing*", "`[fe80::1]:6379`")
	if msg.Channel != channel || strings.Contains(text, "10.0.0.1:5000") || strings.Contains(text, "Chosen by") {
		t.Fatalf("approval message in %s:\n%s", msg.Channel, text)
	}
	e.mustClick(approver1, msg, "dcs_approve")
	kills, err := e.dcs.WaitKills(e.ctx(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(kills[0].Addrs, []string{"10.0.0.7:41000", "[fe80::1]:6379"}) {
		t.Fatalf("killed %v", kills[0].Addrs)
	}
	e.threadHas(msg, "DCS accepted the kill of 2 sessions")
	left := e.dcs.Clients(instanceID, nodeID)
	if len(left) != 1 || left[0].Addr != "10.0.0.1:5000" {
		t.Fatalf("sessions left %+v: the one not picked must survive", left)
	}
}

// An instance with one session node has it chosen at once. Mistakes in a
// submission are shown in the modal (response_action errors), and a
// picked session that changed since it was listed is refused. Slack's
// documentation does not say whether the submitted state holds the node
// chosen for the user (the select's initial_option) when they leave it
// alone: the picker works either way.
func TestPickerErrors(t *testing.T) {
	for _, omitted := range []bool{false, true} {
		t.Run(fmt.Sprintf("initial values omitted=%v", omitted), func(t *testing.T) { testPickerErrors(t, omitted) })
	}
}

func testPickerErrors(t *testing.T, initialOmitted bool) {
	e := newEnv(t, withPolicy("  approvals_required: 1\n  require_reason: true\n"), withInitialValuesOmitted(initialOmitted))
	e.dcs.SetNodes(instanceID, []fakedcs.Node{{LogicalNodeID: nodeID, NodeID: nodeID, Name: "redis-0", NodeRole: "redis-server", NodeType: "master",
		NodeIP: "192.168.0.10", NodePort: "6379", Status: "Active"}})
	e.start()
	v := e.openPicker(requester, "1700000002.2.picker")
	v = e.waitView(v.ID, "the only node's sessions", func(v fakeslack.View) bool { return len(listed(t, v)) == 3 })
	var blocks []struct {
		BlockID  string `json:"block_id"`
		Optional bool   `json:"optional"`
	}
	if err := json.Unmarshal(v.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		if b.BlockID == pickReason && b.Optional {
			t.Error("the reason is optional where policy.require_reason applies")
		}
	}
	opts := listed(t, v)
	submit := func(values map[string]map[string]fakeslack.Input) map[string]any {
		t.Helper()
		ack, err := e.slack.SendViewSubmission(e.ctx(), fakeslack.ViewSubmission{ViewID: v.ID, Values: values, Force: true})
		if err != nil {
			t.Fatalf("submission: %v", err)
		}
		return ack.PayloadMap()
	}
	errorsOf := func(ack map[string]any) map[string]any {
		t.Helper()
		errs, _ := ack["errors"].(map[string]any)
		if ack["response_action"] != "errors" || len(errs) == 0 {
			t.Fatalf("ack %v, want response_action errors", ack)
		}
		return errs
	}
	errs := errorsOf(submit(map[string]map[string]fakeslack.Input{pickReason: {"reason": {Value: "why"}}}))
	if s, _ := errs[pickSessions].(string); !strings.Contains(s, "Pick at least one session") {
		t.Errorf("errors %v", errs)
	}
	picked := map[string]fakeslack.Input{"sessions": {Selected: []string{optionFor(t, opts, "10.0.0.1:5000")}}}
	errs = errorsOf(submit(map[string]map[string]fakeslack.Input{pickSessions: picked, pickReason: {"reason": {Value: " "}}}))
	if s, _ := errs[pickReason].(string); !strings.Contains(s, "A reason is required for orders-prod") {
		t.Errorf("errors %v", errs)
	}
	if v, _ := e.slack.View(v.ID); v.Closed || len(e.topLevel()) != 0 {
		t.Fatal("a refused submission closed the picker or made a request")
	}
	// Another client takes the picked address before the submission: the
	// request is refused, and nothing is posted.
	e.dcs.ReplaceClient(instanceID, nodeID, "10.0.0.1:5000", fakedcs.Client{ID: "999", Addr: "10.0.0.1:5000", Peer: "10.0.0.1:5000", Name: "someone-else", Age: 1})
	if ack := submit(map[string]map[string]fakeslack.Input{pickSessions: picked, pickReason: {"reason": {Value: "stuck"}}}); len(ack) != 0 {
		t.Fatalf("ack %v, want the picker closed", ack)
	}
	e.ephemeralTo(requester, "changed since the list was read")
	if len(e.topLevel()) != 0 || len(e.dcs.Kills()) != 0 {
		t.Fatal("a changed pick was requested")
	}
}

// The checks of the typed command apply before the picker opens; a
// trigger_id that expires before views.open gets the user told what to do.
func TestPickerRefusalsAndExpiredTrigger(t *testing.T) {
	e := newEnv(t, withPolicy("  approvals_required: 1\n  requesters: ["+requester+"]\n"))
	e.start()
	for _, c := range []struct{ user, channel, text, want string }{
		{requester, "CELSEWHERE", "kill orders-prod", "not enabled"},
		{approver2, channel, "kill orders-prod", "not on the list"},
		{requester, channel, "kill orders-staging", "Unknown instance `orders-staging`"},
	} {
		reply, _ := e.slash(c.user, c.channel, c.text).PayloadMap()["text"].(string)
		if !strings.Contains(reply, c.want) {
			t.Errorf("%s in %s: reply %q, want %q", c.user, c.channel, reply, c.want)
		}
	}
	if n := len(e.slack.Calls("views.open")); n != 0 {
		t.Fatalf("%d views opened for refused commands", n)
	}
	// views.open reaches Slack after the trigger's 3 seconds.
	e.slack.SetFault("views.open", fakeslack.Fault{Times: 1, Delay: 3500 * time.Millisecond})
	out := e.reply(requester, "kill orders-prod")
	mustContain(t, "expired trigger", out, "could not open in time", "`/dcs kill orders-prod`")
	if calls := e.slack.Calls("views.open"); len(calls) != 1 || calls[0].Error != "expired_trigger_id" || len(e.slack.Views()) != 0 {
		t.Fatalf("views.open calls %+v, views %d", calls, len(e.slack.Views()))
	}
}
