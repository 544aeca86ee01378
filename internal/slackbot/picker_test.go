package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
	"dcsbot/internal/fakeslack"
)

// fakePickerService serves the picker from fixed nodes and sessions, and
// applies the policy checks the lifecycle would.
type fakePickerService struct {
	pol       approvals.Policy
	nodes     []approvals.Node
	sessions  map[string][]approvals.Session
	submitted []approvals.KillRequest
}

var _ pickerService = (*fakePickerService)(nil)

func (f *fakePickerService) CheckPicker(user, channel, _ string) (approvals.Instance, approvals.Policy, error) {
	if err := f.pol.CheckRequester(user, channel); err != nil {
		return approvals.Instance{}, approvals.Policy{}, err
	}
	return approvals.Instance{Alias: "orders-prod"}, f.pol, nil
}

func (f *fakePickerService) Nodes(context.Context, string, string) (*approvals.NodesView, error) {
	return &approvals.NodesView{Nodes: f.nodes, Session: f.nodes}, nil
}

func (f *fakePickerService) Clients(_ context.Context, q approvals.ClientsQuery) (*approvals.ClientsView, error) {
	return &approvals.ClientsView{NodeID: q.Node.ID, Sessions: f.sessions[q.Node.ID]}, nil
}

func (f *fakePickerService) Precheck(k approvals.KillRequest) (approvals.Instance, error) {
	if err := f.pol.CheckRequester(k.User, k.Channel); err != nil {
		return approvals.Instance{}, err
	}
	if f.pol.RequireReason && k.Reason == "" {
		return approvals.Instance{}, &approvals.Refusal{Code: approvals.RefuseReasonRequired, Instance: k.Instance}
	}
	if len(k.Addrs) > f.pol.MaxAddrs {
		return approvals.Instance{}, &approvals.Refusal{Code: approvals.RefuseTooManyAddrs, Instance: k.Instance, Count: len(k.Addrs), Max: f.pol.MaxAddrs}
	}
	return approvals.Instance{Alias: k.Instance}, nil
}

func (f *fakePickerService) Submit(_ context.Context, k approvals.KillRequest) (*approvals.Request, error) {
	f.submitted = append(f.submitted, k)
	return &approvals.Request{ID: "7K2QFM", Addrs: k.Addrs}, nil
}

// idleSessions are n sessions, the first the least idle.
func idleSessions(n int) []approvals.Session {
	out := make([]approvals.Session, n)
	for i := range out {
		out[i] = approvals.Session{ID: fmt.Sprint(100 + i), Addr: fmt.Sprintf("10.0.%d.%d:5000", i/250, i%250+1),
			Name: fmt.Sprintf("worker-%d", i), Cmd: "get", Idle: time.Duration(n-i) * time.Second}
	}
	return out
}

const pickNode = "ff80808190c1a2b30190c1a2b3c40001"

func pickForm(sessions []approvals.Session, filter string, picked ...string) pickerForm {
	return pickerForm{meta: pickerMeta{Channel: "CINCIDENT1", Instance: "orders-prod", User: "UREQUESTER", Node: pickNode}, node: pickNode,
		nodes: []approvals.Node{{ID: pickNode, Name: "proxy-1", IP: "192.168.0.21", Port: "6379"}}, maxPick: 50,
		list: buildList(sessions, filter, picked)}
}

func mustView(t *testing.T, v slack.ModalViewRequest) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := fakeslack.CheckView(b); err != nil {
		t.Fatalf("Slack would refuse the view: %v", err)
	}
	return b
}

// Every drawing of the picker is a view Slack accepts.
func TestPickerViewsFitSlack(t *testing.T) {
	meta := pickerMeta{Channel: "CINCIDENT1", Instance: "orders-prod", User: "UREQUESTER", Reason: strings.Repeat("é", 500)}
	mustView(t, loadingView(meta, approvals.Instance{Alias: "orders-prod"}))
	unchosen := pickForm(nil, "")
	unchosen.node, unchosen.meta.Node = "", ""
	reading := pickForm(nil, "")
	reading.status = "reading"
	required := pickForm(idleSessions(3), "")
	required.requireReason = true
	for name, f := range map[string]pickerForm{
		"no node chosen": unchosen, "reading": reading, "no sessions": pickForm(nil, ""), "one": pickForm(idleSessions(1), ""),
		"150": pickForm(idleSessions(150), ""), "filtered": pickForm(idleSessions(150), "worker-1", "10.0.0.1:5000 100"),
		"reason required": required, "no nodes": {meta: meta, status: "broken"},
	} {
		t.Run(name, func(t *testing.T) {
			b := mustView(t, pickerView(f))
			if has := strings.Contains(string(b), `"submit"`); has != (len(f.nodes) > 0) {
				t.Errorf("submit button %v with %d nodes", has, len(f.nodes))
			}
		})
	}
}

func TestOptionLabel(t *testing.T) {
	x := approvals.Session{ID: "7", Addr: "10.0.0.1:5000", Name: "billing", Cmd: "keys", Idle: 10 * time.Minute}
	if got := optionLabel(x); got != "10.0.0.1:5000 · billing · 10m00s · keys" {
		t.Errorf("label %q", got)
	}
	if got := optionLabel(approvals.Session{Addr: "10.0.0.1:5000"}); got != "10.0.0.1:5000 · - · 0s · -" {
		t.Errorf("label of an unnamed client %q", got)
	}
	long := approvals.Session{Addr: "[fd00:1234:5678:9abc:def0:1234:5678:9abc]:65535", Name: strings.Repeat("&", 80), Cmd: strings.Repeat("c", 80), Idle: 999 * time.Hour}
	got := optionLabel(long)
	if n := utf8.RuneCountInString(got); n > maxOptionLabel || !strings.HasPrefix(got, long.Addr+" · ") || strings.Contains(got, "&amp&") {
		t.Errorf("long label (%d characters): %q", n, got)
	}
	if v := parseOptionValue(optionValue(x)); v.Addr != x.Addr || v.ID != x.ID {
		t.Errorf("value %q reads back as %+v", optionValue(x), v)
	}
}

func TestBuildList(t *testing.T) {
	ss := idleSessions(150) // most idle first
	l := buildList(ss, "", nil)
	if len(l.options) != maxPickOptions || l.more != 50 || l.matched != 150 || l.total != 150 || l.options[0].Addr != ss[0].Addr {
		t.Fatalf("list of 150: %d options, %d more, %d matched", len(l.options), l.more, l.matched)
	}
	// The filter narrows; picks stay in the list even when they do not
	// match, in idle order.
	picked := optionValue(ss[25])
	l = buildList(ss, "WORKER-1", []string{picked})
	if l.matched != 61 || len(l.options) != 62 || len(l.selected) != 1 || l.selected[0].Addr != ss[25].Addr {
		t.Fatalf("filtered: %d matched, %d offered, selected %+v", l.matched, len(l.options), l.selected)
	}
	prev := -1
	for _, x := range l.options {
		var i int
		fmt.Sscanf(x.Name, "worker-%d", &i)
		if !strings.HasPrefix(x.Name, "worker-1") && i != 25 || i < prev {
			t.Errorf("%s offered under the filter, or out of idle order", x.Name)
		}
		prev = i
	}
	if l = buildList(ss, "10.0.0.3:", nil); l.matched != 1 || l.options[0].Addr != "10.0.0.3:5000" {
		t.Errorf("address filter: %+v", l.options)
	}
}

// submission is the picker as Slack sends it back on submit: the view
// drawn from f, with what the user entered.
func submission(t *testing.T, f pickerForm, user, node, reason string, picked ...string) slack.InteractionCallback {
	t.Helper()
	var v slack.View
	if err := json.Unmarshal(mustView(t, pickerView(f)), &v); err != nil {
		t.Fatal(err)
	}
	v.CallbackID = pickerCallbackID
	var opts []slack.OptionBlockObject
	for _, p := range picked {
		opts = append(opts, slack.OptionBlockObject{Value: p})
	}
	v.State = &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		pickNodeBlock:   {pickNodeAction: {SelectedOption: slack.OptionBlockObject{Value: node}}},
		pickListBlock:   {pickListAction: {SelectedOptions: opts}},
		pickReasonBlock: {pickReasonAction: {Value: reason}},
	}}
	return slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: user}, View: v}
}

func TestPickerSubmissionChecks(t *testing.T) {
	svc := &fakePickerService{pol: approvals.Policy{Channels: []string{"CINCIDENT1"}, Requesters: []string{"UREQUESTER"}, MaxAddrs: 2}}
	pk := &picker{svc: svc, log: discard()}
	ss := idleSessions(5)
	f := pickForm(ss, "")
	a, b, c := optionValue(ss[0]), optionValue(ss[1]), optionValue(ss[2])
	other := f
	other.meta.Channel = "COTHER"
	forged := f
	forged.meta.User = "USOMEONE"
	required := f
	required.requireReason = true
	unlisted := f
	unlisted.node, unlisted.meta.Node = "", ""
	svc.pol.RequireReason = true // where it applies, the lifecycle refuses an empty reason
	tests := []struct {
		name   string
		cb     slack.InteractionCallback
		block  string
		needle string
	}{
		{"no node", submission(t, unlisted, "UREQUESTER", "", "x", a), pickNodeBlock, "Choose a node"},
		{"node not listed yet", submission(t, f, "UREQUESTER", "ff80808190c1a2b30190c1a2b3c40002", "x", a), pickNodeBlock, "still being read"},
		{"nothing picked", submission(t, f, "UREQUESTER", pickNode, "x"), pickListBlock, "Pick at least one"},
		{"a pick the list does not offer", submission(t, f, "UREQUESTER", pickNode, "x", "10.9.9.9:1 5"), pickListBlock, "pick again"},
		{"too many", submission(t, f, "UREQUESTER", pickNode, "x", a, b, c), pickListBlock, "Too many addresses"},
		{"reason required", submission(t, required, "UREQUESTER", pickNode, " ", a), pickReasonBlock, "A reason is required for"},
		{"reason too long", submission(t, f, "UREQUESTER", pickNode, strings.Repeat("x", 501), a), pickReasonBlock, "too long"},
		{"reason with a control character", submission(t, f, "UREQUESTER", pickNode, "a\x00b", a), pickReasonBlock, "control character"},
		{"channel not allowed", submission(t, other, "UREQUESTER", pickNode, "x", a), pickNodeBlock, "not enabled"},
		{"another user's dialog", submission(t, f, "USOMEONE", pickNode, "x", a), pickNodeBlock, "out of date"},
		{"requester not allowed", submission(t, forged, "USOMEONE", pickNode, "x", a), pickNodeBlock, "not on the list of people who may request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs, _ := pk.check(tt.cb)
			if len(errs) != 1 || !strings.Contains(errs[tt.block], tt.needle) {
				t.Fatalf("errors %v, want %q under %s", errs, tt.needle, tt.block)
			}
		})
	}
	errs, k := pk.check(submission(t, f, "UREQUESTER", pickNode, "  KEYS\n storm ", b, a))
	if len(errs) != 0 || k.Channel != "CINCIDENT1" || k.Node.ID != pickNode || k.Reason != "KEYS storm" ||
		len(k.Picked) != 2 || k.Picked[0] != (approvals.Picked{Addr: ss[1].Addr, ID: ss[1].ID}) || k.Addrs[1] != ss[0].Addr {
		t.Fatalf("errors %v, request %+v", errs, k)
	}
}

// recordingViews opens every modal as V1 and records each drawing.
type recordingViews struct{ drawn []slack.ModalViewRequest }

func (v *recordingViews) OpenView(_ context.Context, _ string, m slack.ModalViewRequest) (string, string, error) {
	v.drawn = append(v.drawn, m)
	return "V1", "h1", nil
}

func (v *recordingViews) UpdateView(_ context.Context, _, _ string, m slack.ModalViewRequest) (string, error) {
	v.drawn = append(v.drawn, m)
	return "h2", nil
}

// ephemerals records what the listener tells users.
type ephemerals struct{ told []text }

func (e *ephemerals) Ephemeral(_ context.Context, _, _ string, t text) error {
	e.told = append(e.told, t)
	return nil
}

// pickerListener is a Listener around a picker over svc whose lanes hold
// one job each and have no workers: a test sees in which lane work waits,
// and runs it.
func pickerListener(t *testing.T, svc *fakePickerService) (*Listener, *recordingViews) {
	t.Helper()
	views := &recordingViews{}
	q := newLanes(1, 1)
	pk, err := newPicker(discard(), views, []any{svc}, q.command)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := newRouter(&Commands{log: discard(), picker: pk}, fullService{})
	if err != nil {
		t.Fatal(err)
	}
	return &Listener{p: ListenerParams{Ephemeral: &ephemerals{}, Observer: nopListenerObserver{}}, log: discard(),
		router: rt, q: q, seen: newRecentSet(16), picker: pk}, views
}

// run runs the job waiting in lane, which must hold exactly one.
func run(t *testing.T, lane chan job) {
	t.Helper()
	if len(lane) != 1 {
		t.Fatalf("%d jobs waiting, want 1", len(lane))
	}
	(<-lane)(context.Background())
}

// The picker opens with the clicks, ahead of slow commands; its reads wait
// with the commands, and a full command lane is said in the picker.
func TestPickerOpensWithTheClicksAndReadsWithTheCommands(t *testing.T) {
	svc := &fakePickerService{pol: approvals.Policy{Channels: []string{"CINCIDENT1"}, Requesters: []string{"UREQUESTER"}, MaxAddrs: 2},
		nodes: []approvals.Node{{ID: pickNode}}, sessions: map[string][]approvals.Session{pickNode: idleSessions(3)}}
	l, views := pickerListener(t, svc)
	if _, work, prompt := l.slash(slack.SlashCommand{Text: "pending", UserID: "UREQUESTER", ChannelID: "CINCIDENT1"}); work == nil || prompt {
		t.Fatalf("/dcs pending: work %v, prompt %v; want work for the command lane", work != nil, prompt)
	}
	kill := slack.SlashCommand{Text: "kill orders-prod", UserID: "UREQUESTER", ChannelID: "CINCIDENT1", TriggerID: "T1"}
	reply, work, prompt := l.slash(kill)
	if reply != "" || work == nil || !prompt {
		t.Fatalf("/dcs kill orders-prod: reply %q, work %v, prompt %v; want work for the click lane", reply, work != nil, prompt)
	}
	work(context.Background())
	if len(views.drawn) != 1 || len(l.q.commands) != 1 {
		t.Fatalf("after the open: %d drawings, %d reads waiting; want the modal opened and its reads queued", len(views.drawn), len(l.q.commands))
	}
	run(t, l.q.commands)
	if last := string(mustView(t, views.drawn[len(views.drawn)-1])); !strings.Contains(last, "3 sessions on node") {
		t.Fatalf("the picker after its reads: %s", last)
	}

	// Another picker while the command lane is full.
	l.q.commands <- func(context.Context) {}
	_, work, _ = l.slash(kill)
	work(context.Background())
	if last := string(mustView(t, views.drawn[len(views.drawn)-1])); !strings.Contains(last, busyText) {
		t.Fatalf("the picker with the command lane full: %s", last)
	}
}

// A picker's redraw (another node, a filter) waits with the commands.
func TestPickerActionWaitsWithTheCommands(t *testing.T) {
	l, _ := pickerListener(t, &fakePickerService{})
	cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, View: slack.View{CallbackID: pickerCallbackID}}
	if payload := l.interactive(cb); payload != nil || len(l.q.commands) != 1 || len(l.q.clicks) != 0 {
		t.Fatalf("payload %v; %d commands, %d clicks waiting; want the action in the command lane", payload, len(l.q.commands), len(l.q.clicks))
	}
}

// A checked submission is queued in the command lane before the ack closes
// the modal; with the lane full, the modal stays open and says so.
func TestPickerSubmissionQueuedBeforeTheAck(t *testing.T) {
	svc := &fakePickerService{pol: approvals.Policy{Channels: []string{"CINCIDENT1"}, Requesters: []string{"UREQUESTER"}, MaxAddrs: 2}}
	l, _ := pickerListener(t, svc)
	ss := idleSessions(3)
	cb := submission(t, pickForm(ss, ""), "UREQUESTER", pickNode, "x", optionValue(ss[0]))
	if payload := l.interactive(cb); payload != nil || len(l.q.clicks) != 0 {
		t.Fatalf("payload %v, %d clicks waiting; want a plain ack and the request in the command lane", payload, len(l.q.clicks))
	}
	payload := l.interactive(cb)
	resp, ok := payloadErrors(payload)
	if !ok || resp[pickNodeBlock] != busyText {
		t.Fatalf("with the command lane full: ack %+v, want the busy error in the modal", payload)
	}
	run(t, l.q.commands)
	if len(svc.submitted) != 1 || svc.submitted[0].Addrs[0] != ss[0].Addr {
		t.Fatalf("requests made: %+v, want the one queued", svc.submitted)
	}
}

// payloadErrors are the errors of a view submission's ack.
func payloadErrors(payload []any) (map[string]string, bool) {
	if len(payload) != 1 {
		return nil, false
	}
	r, ok := payload[0].(*slack.ViewSubmissionResponse)
	if !ok {
		return nil, false
	}
	return r.Errors, true
}
