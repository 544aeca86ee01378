package slackbot

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
	"dcsbot/internal/commands"
	"dcsbot/internal/fakeslack"
)

// hostile are strings a user, a Redis client or DCS can put where the bot
// shows text: mentions, links, a forged line, code fences, entities, and
// sheer size.
var hostile = map[string]string{
	"channel mention": "<!channel> look",
	"here mention":    "<!here>",
	"user mention":    "<@UHOSTILE1> ping",
	"group mention":   "<!subteam^SHOSTILE1>",
	"link":            "<https://evil.example/approve|Click to re-approve>",
	"forged line":     "fine\n:white_check_mark: Done. DCS accepted the kill",
	"code fence":      "```\n*bold* ``boom``",
	"entities":        "&amp;&lt;&gt;&",
	"40 KB":           strings.Repeat("&<", 20*1024),
}

// place is somewhere outside text can show up: it renders s there.
type place struct {
	name string
	// blocks renders a message with s in it, or nil for a place that is
	// text only.
	blocks func(s string) []slack.Block
	text   func(s string) text
	view   func(s string) slack.HomeTabViewRequest // a Home tab with s in it
	modal  func(s string) slack.ModalViewRequest   // a modal with s in it
}

func places() []place {
	req := func(mod func(*approvals.Request)) *approvals.Request {
		r := sampleRequest(approvals.Pending)
		mod(r)
		return r
	}
	withSession := func(r *approvals.Request, x approvals.Session) {
		r.Preview = &approvals.Preview{At: r.CreatedAt, Sessions: 1, Targets: []approvals.Target{{Addr: r.Addrs[0], Session: &x}}}
	}
	failed := func(res approvals.Result) *approvals.Request {
		r := sampleRequest(approvals.Failed)
		r.Result = &res
		return r
	}
	return []place{
		{name: "reason in the message", blocks: func(s string) []slack.Block { return approvalBlocks(req(func(r *approvals.Request) { r.Reason = s })) }},
		{name: "reason in status", text: func(s string) text {
			return statusText(req(func(r *approvals.Request) { r.Reason = s }), nil)
		}},
		{name: "deny note in the message", blocks: func(s string) []slack.Block {
			r := sampleRequest(approvals.Denied)
			r.Note = s
			return approvalBlocks(r)
		}},
		{name: "deny note in the thread", text: func(s string) text {
			r := sampleRequest(approvals.Denied)
			r.Note = s
			return threadText(r, approvals.Note{Kind: approvals.NoteDenied, Actor: "UAPPROVER1"})
		}},
		{name: "withdraw note in the thread", text: func(s string) text {
			r := sampleRequest(approvals.Cancelled)
			r.DecidedBy, r.Note = r.Requester, s
			return threadText(r, approvals.Note{Kind: approvals.NoteCancelled, Actor: r.Requester})
		}},
		{name: "withdrawn by the bot", blocks: func(s string) []slack.Block {
			r := sampleRequest(approvals.Cancelled)
			r.Note = s
			return approvalBlocks(r)
		}},
		{name: "client name in the message", blocks: func(s string) []slack.Block {
			return approvalBlocks(req(func(r *approvals.Request) { withSession(r, approvals.Session{Name: s, User: s, DB: s, Cmd: s}) }))
		}},
		{name: "client name in /dcs clients", text: func(s string) text {
			v := &approvals.ClientsView{Instance: approvals.Instance{Alias: "orders-prod"}, NodeID: "n1", Matched: 1,
				Sessions: []approvals.Session{{Addr: "10.0.0.1:1", Name: s, User: s, DB: s, Cmd: s}}}
			return clientsText(v, commands.Clients{Filter: s, Sort: "idle"})
		}},
		{name: "selector echo in /dcs clients and its kill line", text: func(s string) text {
			v := &approvals.ClientsView{Instance: approvals.Instance{Alias: "orders-prod"}, NodeID: "n1", Matched: 1,
				Sessions: []approvals.Session{{Addr: "10.0.0.1:1", Name: s}}}
			return clientsText(v, commands.Clients{Sort: "idle", Select: commands.Selectors{Name: s, Cmd: s, IP: s}})
		}},
		{name: "selectors in the message", blocks: func(s string) []slack.Block {
			return approvalBlocks(req(func(r *approvals.Request) { r.Selectors = s }))
		}},
		{name: "selectors in status", text: func(s string) text { return statusText(req(func(r *approvals.Request) { r.Selectors = s }), nil) }},
		{name: "selectors in a refusal", text: func(s string) text {
			return refusalText(&approvals.Refusal{Code: approvals.RefuseNoMatch, Instance: "orders-prod", Selectors: s, Addrs: []string{s}, Unreadable: []string{s}})
		}},
		{name: "per-node sessions and unreadable node in the message", blocks: func(s string) []slack.Block { return approvalBlocks(perNodeRequest(approvals.Pending, s)) }},
		{name: "per-node sessions in status", text: func(s string) text { return statusText(perNodeRequest(approvals.Failed, s), nil) }},
		{name: "per-node report in the thread", text: func(s string) text { return resultText(perNodeRequest(approvals.Failed, s)) }},
		{name: "per-node check after the kill", text: func(s string) text {
			return verifiedText([]approvals.Check{{NodeID: s, Addr: "10.0.0.1:1", Outcome: approvals.CheckReconnected, NewAddr: s}})
		}},
		{name: "picker option labels", modal: func(s string) slack.ModalViewRequest { return hostilePicker(s) }},
		{name: "picker problem", modal: func(s string) slack.ModalViewRequest {
			return pickerView(pickerForm{meta: pickerMeta{Channel: "C1", Instance: "orders-prod", User: "U1"}, maxPick: 50,
				status: userMessage(discard(), &approvals.DCSError{HTTPStatus: 400, Code: s, Message: s, RequestID: s})})
		}},
		{name: "DCS answer in the message", blocks: func(s string) []slack.Block {
			return approvalBlocks(failed(approvals.Result{Code: s, Message: s, HTTPStatus: 400, DCSRequestID: s}))
		}},
		{name: "DCS answer in the thread", text: func(s string) text {
			return resultText(failed(approvals.Result{Code: s, Message: s, HTTPStatus: 400, DCSRequestID: s, Detail: s}))
		}},
		{name: "DCS code in /dcs history", text: func(s string) text {
			return historyText([]*approvals.Request{failed(approvals.Result{Code: s, HTTPStatus: 400})}, "")
		}},
		{name: "unknown outcome detail", text: func(s string) text {
			r := sampleRequest(approvals.Unknown)
			r.Result = &approvals.Result{Detail: s, HTTPStatus: 504, DCSRequestID: s}
			return resultText(r)
		}},
		{name: "unreadable sessions in the message", blocks: func(s string) []slack.Block {
			return approvalBlocks(req(func(r *approvals.Request) { r.Preview = &approvals.Preview{Unavailable: s} }))
		}},
		{name: "held-back session in the thread", text: func(s string) text {
			r := sampleRequest(approvals.Succeeded)
			r.Result.Skipped = []approvals.Skip{{Addr: "10.0.0.1:5000", Reason: approvals.SkipOtherName, Name: s, WasName: s},
				{Addr: "10.0.0.2:5000", Reason: approvals.SkipOtherID, ID: s, WasID: s}, {Addr: "10.0.0.3:5000", Why: s}}
			return resultText(r)
		}},
		{name: "audit detail in status", text: func(s string) text {
			return statusText(sampleRequest(approvals.Denied), []approvals.Event{{At: time.Now(), Actor: "UAPPROVER1", Kind: s, Detail: s}})
		}},
		{name: "node fields in /dcs nodes", text: func(s string) text {
			return nodesText(&approvals.NodesView{Instance: approvals.Instance{Alias: "orders-prod"},
				Nodes: []approvals.Node{{ID: s, Role: s, Type: s, IP: s, Port: s, Status: s}}})
		}},
		{name: "instance typed in a refusal", text: func(s string) text {
			return refusalText(&approvals.Refusal{Code: approvals.RefuseUnknownInstance, Instance: s, Known: []string{s}})
		}},
		{name: "DCS answer to a read", text: func(s string) text {
			return userMessage(discard(), &approvals.DCSError{HTTPStatus: 400, Code: s, Message: s, RequestID: s})
		}},
		{name: "reconnection after the kill", text: func(s string) text {
			return verifiedText([]approvals.Check{{Addr: "10.0.0.1:1", Outcome: approvals.CheckReconnected, NewAddr: s}})
		}},
		{name: "reason in a direct message", blocks: func(s string) []slack.Block {
			return approverBlocks(req(func(r *approvals.Request) { r.Reason = s }), "https://slack.example/archives/C1/p1")
		}},
		{name: "deny note in a direct message", blocks: func(s string) []slack.Block {
			r := sampleRequest(approvals.Denied)
			r.Note = s
			return approverBlocks(r, "https://slack.example/archives/C1/p1")
		}},
		{name: "link from Slack", text: func(s string) text { return link(s, "Open") + reminderDM(sampleRequest(approvals.Pending), s) }},
		{name: "reason in /dcs pending", text: func(s string) text {
			return pendingText(overviewWith(func(r *approvals.Request) { r.Reason = s }), map[string]string{"7K2QFM": "https://slack.example/archives/C1/p1"})
		}},
		{name: "reason and notes in the Home tab", view: func(s string) slack.HomeTabViewRequest {
			o := overviewWith(func(r *approvals.Request) { r.Reason, r.Note = s, s })
			return homeView(o, map[string]string{"7K2QFM": s}, "")
		}},
	}
}

// overviewWith is an overview whose every list holds a sample request
// changed by mod.
func overviewWith(mod func(*approvals.Request)) *approvals.Overview {
	pending, mine, denied := sampleRequest(approvals.Pending), sampleRequest(approvals.Pending), sampleRequest(approvals.Denied)
	mine.Requester = "UVIEWER01"
	for _, r := range []*approvals.Request{pending, mine, denied} {
		mod(r)
	}
	return &approvals.Overview{User: "UVIEWER01", At: pending.CreatedAt.Add(time.Minute),
		ToDecide: []*approvals.Request{pending}, Mine: []*approvals.Request{mine}, Decided: []*approvals.Request{denied}}
}

// Every place outside text can reach shows it escaped, on its line, capped,
// and the message stays within Slack's limits.
func TestOutsideTextIsInert(t *testing.T) {
	for _, p := range places() {
		for name, h := range hostile {
			t.Run(p.name+"/"+name, func(t *testing.T) {
				got, benign := render(t, p, h), render(t, p, "x")
				for _, bad := range []string{"<!channel>", "<!here>", "<@UHOSTILE1>", "<!subteam^SHOSTILE1>", "<https://evil"} {
					if strings.Contains(got, bad) && !strings.Contains(benign, bad) {
						t.Errorf("%q gets through: %.300q", bad, got)
					}
				}
				if strings.Count(got, "\n") != strings.Count(benign, "\n") {
					t.Errorf("outside text added lines: %.500q", got)
				}
				if strings.Count(got, "`") != strings.Count(benign, "`") {
					t.Errorf("outside text added backticks: %.500q", got)
				}
				if len(got) > len(benign)+8*capText {
					t.Errorf("outside text is not capped: %d bytes", len(got))
				}
			})
		}
	}
}

// render renders p with s, checking a message's blocks against Slack's
// limits as Slack would, and returns what it shows.
func render(t *testing.T, p place, s string) string {
	t.Helper()
	if p.text != nil {
		return string(p.text(s))
	}
	var view any
	switch {
	case p.view != nil:
		view = p.view(s)
	case p.modal != nil:
		view = p.modal(s)
	}
	if view != nil {
		b, err := json.Marshal(view)
		if err != nil {
			t.Fatal(err)
		}
		if err := fakeslack.CheckView(b); err != nil {
			t.Fatalf("Slack would refuse the view: %v", err)
		}
		return displayed(t, b)
	}
	blocks := p.blocks(s)
	b, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	if err := fakeslack.CheckBlocks(b); err != nil {
		t.Fatalf("Slack would refuse the message: %v", err)
	}
	return displayed(t, b)
}

// notShown are the fields of blocks and views that Slack never displays.
var notShown = map[string]bool{"value": true, "private_metadata": true, "action_id": true, "block_id": true}

// displayed is the text Slack displays of a view's or blocks' JSON: every
// string, decoded (json.Marshal writes <, > and & as \u003c… and a
// newline as \n), but those of fields Slack never displays, joined with
// a separator that is neither a newline nor a backtick.
func displayed(t *testing.T, raw []byte) string {
	t.Helper()
	var x any
	if err := json.Unmarshal(raw, &x); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, c := range x {
				walk(c)
			}
		case map[string]any:
			for k, c := range x {
				if !notShown[k] {
					walk(c)
				}
			}
		}
	}
	walk(x)
	return strings.Join(out, " | ")
}

func TestLineCapsEscapedLength(t *testing.T) {
	got := outside(strings.Repeat("&", 1000)).line(capField)
	if n := len([]rune(string(got))); n > capField {
		t.Fatalf("%d characters, cap %d", n, capField)
	}
	if strings.Contains(string(got), "&amp&") || !strings.HasSuffix(string(got), "&amp;…") {
		t.Fatalf("an entity was cut: %.40q", got[len(got)-40:])
	}
	if got := outside("a\n\tb  c").line(10); got != "a b c" {
		t.Fatalf("white space not folded: %q", got)
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// perNodeRequest is a kill on every node in state, with s wherever outside
// text goes: the client fields, an unreadable node's reason, the DCS
// answer of a node.
func perNodeRequest(state approvals.State, s string) *approvals.Request {
	r := sampleRequest(state)
	x := &approvals.Session{ID: s, Addr: "10.20.1.11:52001", Name: s, User: s, DB: s, Cmd: s}
	r.AllNodes, r.NodeID, r.Selectors, r.Addrs = true, "", "--name billing", []string{"10.20.1.11:52001", "[2001:db8::51]:47105"}
	r.Nodes = []approvals.NodeTargets{
		{NodeID: "ff80808190c1a2b30190c1a2b3c40001", Addrs: r.Addrs[:1], Preview: &approvals.Preview{Sessions: 5, Targets: []approvals.Target{{Addr: x.Addr, Session: x}}}},
		{NodeID: "ff80808190c1a2b30190c1a2b3c40002", Addrs: r.Addrs[1:], Preview: &approvals.Preview{Sessions: 5, Targets: []approvals.Target{{Addr: r.Addrs[1]}}}},
		{NodeID: "ff80808190c1a2b30190c1a2b3c40003", Unreadable: s},
		{NodeID: "ff80808190c1a2b30190c1a2b3c40004", Preview: &approvals.Preview{Sessions: 3}},
	}
	if state.Final() {
		r.Result = &approvals.Result{Detail: s, Killed: r.Addrs, Nodes: []approvals.NodeResult{
			{NodeID: "ff80808190c1a2b30190c1a2b3c40001", State: approvals.Succeeded, Result: approvals.Result{Killed: r.Addrs[:1],
				Skipped: []approvals.Skip{{Addr: "10.0.0.3:1", Reason: approvals.SkipOtherName, Name: s, WasName: s}}}},
			{NodeID: "ff80808190c1a2b30190c1a2b3c40002", State: approvals.Failed, Result: approvals.Result{Code: s, Message: s, HTTPStatus: 400, DCSRequestID: s, Killed: r.Addrs[1:]}},
			{NodeID: "ff80808190c1a2b30190c1a2b3c40005", State: approvals.Unknown, Result: approvals.Result{Detail: s, HTTPStatus: 504, DCSRequestID: s}},
		}}
	}
	return r
}

// hostilePicker is the picker listing sessions and nodes whose every
// outside field is s.
func hostilePicker(s string) slack.ModalViewRequest {
	var sessions []approvals.Session
	for i := range 120 {
		sessions = append(sessions, approvals.Session{ID: s, Addr: fmt.Sprintf("[fd00:1234:5678:9abc:def0:1234:%04x:1]:%d", i, 40000+i),
			Name: s, Cmd: s, Idle: time.Duration(i) * 1000 * time.Hour})
	}
	node := approvals.Node{ID: "ff80808190c1a2b30190c1a2b3c40001", Name: s, Role: s, IP: s, Port: s}
	// The reason typed with the command is the requester's own input, put
	// back into their reason input as it was (see pickerView); no outside
	// text.
	f := pickerForm{meta: pickerMeta{Channel: "C1", Instance: "orders-prod", User: "U1", Node: node.ID, Reason: "typed"},
		node: node.ID, nodes: []approvals.Node{node}, maxPick: 50, list: buildList(sessions, s, []string{optionValue(sessions[7])})}
	if f.list.options == nil {
		f.list = buildList(sessions, "", []string{optionValue(sessions[7])})
	}
	return pickerView(f)
}
