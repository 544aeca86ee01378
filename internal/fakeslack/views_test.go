package fakeslack_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"dcsbot/internal/fakeslack"
)

// viewBot is a bot that acks interactions with what reply returns (nil: a
// plain ack) and keeps the callbacks it got.
type viewBot struct {
	*bot
	mu    sync.Mutex
	got   []slack.InteractionCallback
	reply func(slack.InteractionCallback) any
}

func startViewBot(t *testing.T, fake *fakeslack.Server) *viewBot {
	t.Helper()
	vb := &viewBot{}
	vb.bot = startBot(t, fake, fake.AppToken(), func(evt socketmode.Event, c *socketmode.Client) {
		if evt.Request == nil || evt.Request.EnvelopeID == "" {
			return
		}
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			_ = c.Ack(*evt.Request)
			return
		}
		vb.mu.Lock()
		vb.got = append(vb.got, cb)
		reply := vb.reply
		vb.mu.Unlock()
		if reply != nil {
			if p := reply(cb); p != nil {
				_ = c.Ack(*evt.Request, p)
				return
			}
		}
		_ = c.Ack(*evt.Request)
	})
	return vb
}

func (vb *viewBot) setReply(f func(slack.InteractionCallback) any) {
	vb.mu.Lock()
	defer vb.mu.Unlock()
	vb.reply = f
}

func (vb *viewBot) last(t *testing.T) slack.InteractionCallback {
	t.Helper()
	vb.mu.Lock()
	defer vb.mu.Unlock()
	if len(vb.got) == 0 {
		t.Fatal("the bot got no interaction")
	}
	return vb.got[len(vb.got)-1]
}

// trigger plays a slash command with a known trigger_id.
func trigger(t *testing.T, ctx context.Context, fake *fakeslack.Server, user, id string) {
	t.Helper()
	if _, err := fake.SendSlashCommand(ctx, fakeslack.SlashCommand{UserID: user, ChannelID: "C1", Command: "/dcs", TriggerID: id}); err != nil {
		t.Fatal(err)
	}
}

func pt(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// killForm is a modal like the bot's: a reason input, a node select, a
// multi-select of addresses and an optional note.
func killForm(title string) slack.ModalViewRequest {
	reason := slack.NewPlainTextInputBlockElement(nil, "text")
	reason.MaxLength = 10
	reason.MinLength = 2
	opts := []*slack.OptionBlockObject{
		slack.NewOptionBlockObject("n1", pt("node 1"), nil),
		slack.NewOptionBlockObject("n2", pt("node 2"), nil),
	}
	node := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, pt("Node"), "pick", opts...)
	addrs := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeStatic, pt("Addresses"), "pick",
		slack.NewOptionBlockObject("10.0.0.1:1", pt("10.0.0.1:1"), nil),
		slack.NewOptionBlockObject("10.0.0.2:2", pt("10.0.0.2:2"), nil))
	one := 1
	addrs.MaxSelectedItems = &one
	note := slack.NewPlainTextInputBlockElement(nil, "text")
	return slack.ModalViewRequest{
		Type: slack.VTModal, Title: pt(title), Submit: pt("Kill"), Close: pt("Back"),
		CallbackID: "kill_form", PrivateMetadata: "req-1",
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("reason", pt("Reason"), nil, reason),
			slack.NewInputBlock("node", pt("Node"), nil, node),
			slack.NewInputBlock("addrs", pt("Addresses"), nil, addrs),
			slack.NewInputBlock("note", pt("Note"), nil, note).WithOptional(true),
		}},
	}
}

func TestViewsOpenTriggers(t *testing.T) {
	now := time.Unix(1700000000, 0)
	var clock sync.Mutex
	fake := fakeslack.New(t, fakeslack.Options{Now: func() time.Time { clock.Lock(); defer clock.Unlock(); return now }})
	b := startBot(t, fake, fake.AppToken(), ackAll)
	ctx := timeout(t, 5*time.Second)

	trigger(t, ctx, fake, "U1", "T.once")
	resp, err := b.api.OpenViewContext(ctx, "T.once", killForm("Kill"))
	if err != nil {
		t.Fatalf("views.open: %v", err)
	}
	if _, err := b.api.OpenViewContext(ctx, "T.once", killForm("Kill")); err == nil || err.Error() != "invalid_trigger_id" {
		t.Errorf("a trigger used twice: %v", err)
	}
	v, ok := fake.View(resp.ID)
	if !ok || v.User != "U1" || v.Type != "modal" || v.Title != "Kill" || v.PrivateMetadata != "req-1" || v.CallbackID != "kill_form" ||
		v.Hash == "" || v.Hash != resp.Hash || v.RootViewID != v.ID || !strings.Contains(string(v.Blocks), `"addrs"`) || v.Closed {
		t.Errorf("view = %+v, answer %+v", v, resp.View)
	}
	if vs := fake.Views(); len(vs) != 1 || vs[0].ID != resp.ID {
		t.Errorf("views = %+v", vs)
	}

	// A trigger is good for 3 seconds of the fake's clock.
	trigger(t, ctx, fake, "U1", "T.late")
	clock.Lock()
	now = now.Add(3*time.Second + time.Millisecond)
	clock.Unlock()
	if _, err := b.api.OpenViewContext(ctx, "T.late", killForm("Kill")); err == nil || err.Error() != "expired_trigger_id" {
		t.Errorf("a trigger after 3s: %v", err)
	}
	trigger(t, ctx, fake, "U1", "T.expired")
	fake.ExpireTrigger("T.expired")
	if _, err := b.api.OpenViewContext(ctx, "T.expired", killForm("Kill")); err == nil || err.Error() != "expired_trigger_id" {
		t.Errorf("an expired trigger: %v", err)
	}

	// An invalid view is refused with Slack's pointers, and the trigger is
	// not spent.
	trigger(t, ctx, fake, "U1", "T.bad")
	_, err = b.api.OpenViewContext(ctx, "T.bad", killForm("A title far over 24 chars"))
	var serr slack.SlackErrorResponse
	if !errors.As(err, &serr) || serr.Err != "invalid_arguments" || len(serr.ResponseMetadata.Messages) != 1 ||
		!strings.Contains(serr.ResponseMetadata.Messages[0], "json-pointer:/view/title/text") {
		t.Errorf("a 26-character title: %#v", err)
	}
	if _, err := b.api.OpenViewContext(ctx, "T.bad", killForm("Kill")); err != nil {
		t.Errorf("the trigger after a refused view: %v", err)
	}
}

func TestViewsUpdatePushPublish(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	vb := startViewBot(t, fake)
	api := vb.api
	ctx := timeout(t, 5*time.Second)
	trigger(t, ctx, fake, "U1", "T1")
	opened, err := api.OpenViewContext(ctx, "T1", killForm("Kill"))
	if err != nil {
		t.Fatal(err)
	}

	// views.update: by ID, with the current hash; a stale hash conflicts.
	updated, err := api.UpdateViewContext(ctx, killForm("Kill (2)"), "", opened.Hash, opened.ID)
	if err != nil {
		t.Fatalf("views.update: %v", err)
	}
	if updated.ID != opened.ID || updated.Hash == opened.Hash || updated.Title.Text != "Kill (2)" {
		t.Errorf("updated = %+v", updated.View)
	}
	if _, err := api.UpdateViewContext(ctx, killForm("Kill (3)"), "", opened.Hash, opened.ID); err == nil || err.Error() != "hash_conflict" {
		t.Errorf("a stale hash: %v", err)
	}
	if _, err := api.UpdateViewContext(ctx, killForm("Kill"), "", "", "V404"); err == nil || err.Error() != "not_found" {
		t.Errorf("an unknown view: %v", err)
	}
	bad := killForm("Kill")
	bad.Submit = nil
	if _, err := api.UpdateViewContext(ctx, bad, "", "", opened.ID); err == nil || err.Error() != "invalid_arguments" {
		t.Errorf("inputs without submit: %v", err)
	}
	if v, _ := fake.View(opened.ID); v.Title != "Kill (2)" || v.Updates != 1 || v.Hash != updated.Hash {
		t.Errorf("view after updates = %+v", v)
	}

	// views.push: onto the stack the trigger came from, at most 3 deep.
	done := slack.NewButtonBlockElement("more", "x", pt("More"))
	step := func(title string) slack.ModalViewRequest {
		return slack.ModalViewRequest{Type: slack.VTModal, Title: pt(title),
			Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewActionBlock("nav", done)}}}
	}
	if _, err := api.UpdateViewContext(ctx, step("Step 1"), "", "", opened.ID); err != nil {
		t.Fatal(err)
	}
	top := opened.ID
	for i := 2; i <= 4; i++ {
		if _, err := fake.SendViewAction(ctx, fakeslack.ViewAction{ViewID: top, BlockID: "nav", ActionID: "more", TriggerID: "push" + string(rune('0'+i))}); err != nil {
			t.Fatalf("click in %s: %v", top, err)
		}
		pushed, err := api.PushViewContext(ctx, "push"+string(rune('0'+i)), step("Step"))
		if i == 4 {
			if err == nil || err.Error() != "push_limit_reached" {
				t.Errorf("a fourth view: %v", err)
			}
			break
		}
		if err != nil {
			t.Fatalf("views.push %d: %v", i, err)
		}
		if pushed.PreviousViewID != top || pushed.RootViewID != opened.ID {
			t.Errorf("pushed = %+v", pushed.View)
		}
		top = pushed.ID
	}

	// views.publish: the user's Home tab, one per user, same ID each time.
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, PrivateMetadata: "home-1",
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewActionBlock("home", slack.NewButtonBlockElement("list", "mine", pt("My requests")))}}}
	h1, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1", View: home})
	if err != nil {
		t.Fatalf("views.publish: %v", err)
	}
	stale := h1.Hash
	h2, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1", View: home, Hash: &stale})
	if err != nil || h2.ID != h1.ID || h2.Hash == h1.Hash {
		t.Fatalf("republish: %+v, %v", h2, err)
	}
	if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1", View: home, Hash: &stale}); err == nil || err.Error() != "hash_conflict" {
		t.Errorf("publish with a stale hash: %v", err)
	}
	if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "C1", View: home}); err == nil || err.Error() != "invalid_arguments" {
		t.Errorf("publish to a channel: %v", err)
	}
	asModal := home
	asModal.Type = slack.VTModal
	if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1", View: asModal}); err == nil || err.Error() != "invalid_arguments" {
		t.Errorf("publish a modal: %v", err)
	}
	hv, ok := fake.HomeView("U1")
	if !ok || hv.ID != h1.ID || hv.Type != "home" || hv.PrivateMetadata != "home-1" || hv.Updates != 1 || hv.Hash != h2.Hash {
		t.Errorf("home view = %+v", hv)
	}
	if _, ok := fake.HomeView("U2"); ok {
		t.Error("U2 has a home view")
	}
}

func TestViewSubmission(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	vb := startViewBot(t, fake)
	ctx := timeout(t, 5*time.Second)
	trigger(t, ctx, fake, "U1", "T1")
	opened, err := vb.api.OpenViewContext(ctx, "T1", killForm("Kill"))
	if err != nil {
		t.Fatal(err)
	}
	id := opened.ID
	in := func(reason, node, addr string) map[string]map[string]fakeslack.Input {
		return map[string]map[string]fakeslack.Input{
			"reason": {"text": {Value: reason}},
			"node":   {"pick": {Selected: []string{node}}},
			"addrs":  {"pick": {Selected: []string{addr}}},
		}
	}

	// What the Slack client would not let the user submit.
	for name, sub := range map[string]fakeslack.ViewSubmission{
		"too long":          {ViewID: id, Values: in("far too long", "n1", "10.0.0.1:1")},
		"too short":         {ViewID: id, Values: in("x", "n1", "10.0.0.1:1")},
		"unknown option":    {ViewID: id, Values: in("stuck", "n9", "10.0.0.1:1")},
		"required left out": {ViewID: id, Values: map[string]map[string]fakeslack.Input{"reason": {"text": {Value: "stuck"}}}},
	} {
		if _, err := fake.SendViewSubmission(ctx, sub); !errors.Is(err, fakeslack.ErrWouldNotSend) {
			t.Errorf("%s: %v, want ErrWouldNotSend", name, err)
		}
	}
	if _, err := fake.SendViewSubmission(ctx, fakeslack.ViewSubmission{ViewID: id, Values: map[string]map[string]fakeslack.Input{"nope": {"text": {}}}}); !errors.Is(err, fakeslack.ErrNoSuchElement) {
		t.Errorf("unknown block: %v", err)
	}

	// The bot refuses the first submission with an error under an input.
	vb.setReply(func(cb slack.InteractionCallback) any {
		if cb.View.State.Values["reason"]["text"].Value == "stuck" {
			return slack.NewErrorsViewSubmissionResponse(map[string]string{"reason": "say more"})
		}
		return nil
	})
	ack, err := fake.SendViewSubmission(ctx, fakeslack.ViewSubmission{ViewID: id, Values: in("stuck", "n2", "10.0.0.2:2")})
	if err != nil {
		t.Fatalf("submission: %v", err)
	}
	var r slack.ViewSubmissionResponse
	if err := ack.Decode(&r); err != nil || r.ResponseAction != slack.RAErrors || r.Errors["reason"] != "say more" {
		t.Errorf("ack = %s, %v", ack.Payload, err)
	}
	cb := vb.last(t)
	st := cb.View.State.Values
	if cb.Type != slack.InteractionTypeViewSubmission || cb.View.ID != id || cb.View.CallbackID != "kill_form" || cb.View.PrivateMetadata != "req-1" ||
		cb.View.Hash != opened.Hash || cb.User.ID != "U1" || cb.TriggerID == "" || cb.Team.ID != fakeslack.DefaultTeamID ||
		st["node"]["pick"].SelectedOption.Value != "n2" || st["addrs"]["pick"].SelectedOptions[0].Value != "10.0.0.2:2" {
		t.Errorf("callback = %+v", cb)
	}
	if env := fake.Envelopes(); !env[len(env)-1].AcceptsResponsePayload {
		t.Error("view_submission envelopes accept a response payload")
	}
	if v, _ := fake.View(id); v.Closed || !strings.Contains(string(v.State), `"stuck"`) {
		t.Errorf("view after errors = %+v", v)
	}

	// Errors keyed by something other than an input block_id: Slack refuses.
	vb.setReply(func(slack.InteractionCallback) any {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{"text": "say more"})
	})
	if _, err := fake.SendViewSubmission(ctx, fakeslack.ViewSubmission{ViewID: id, Values: in("stuck", "n2", "10.0.0.2:2")}); !errors.Is(err, fakeslack.ErrBadResponse) {
		t.Errorf("errors keyed by an action_id: %v", err)
	}

	// response_action update replaces the view; a plain ack closes it.
	vb.setReply(func(slack.InteractionCallback) any {
		return slack.NewUpdateViewSubmissionResponse(&slack.ModalViewRequest{Type: slack.VTModal, Title: pt("Sure?"), Submit: pt("Yes")})
	})
	if _, err := fake.SendViewSubmission(ctx, fakeslack.ViewSubmission{ViewID: id, Values: in("stuck", "n2", "10.0.0.2:2")}); err != nil {
		t.Fatal(err)
	}
	if v, _ := fake.View(id); v.Title != "Sure?" || v.Closed || v.Updates != 1 {
		t.Errorf("view after update = %+v", v)
	}
	vb.setReply(nil)
	if _, err := fake.SendViewSubmission(ctx, fakeslack.ViewSubmission{ViewID: id}); err != nil {
		t.Fatal(err)
	}
	if v, _ := fake.View(id); !v.Closed {
		t.Errorf("view after a plain ack = %+v", v)
	}
	if _, err := vb.api.UpdateViewContext(ctx, killForm("Kill"), "", "", id); err == nil || err.Error() != "not_found" {
		t.Errorf("update of a closed view: %v", err)
	}
	if _, err := fake.SendViewSubmission(ctx, fakeslack.ViewSubmission{ViewID: id}); !errors.Is(err, fakeslack.ErrNoSuchElement) {
		t.Errorf("submission of a closed view: %v", err)
	}
}

func TestViewClosed(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	vb := startViewBot(t, fake)
	ctx := timeout(t, 5*time.Second)
	open := func(tid string, notify bool) string {
		trigger(t, ctx, fake, "U1", tid)
		m := killForm("Kill")
		m.NotifyOnClose = notify
		v, err := vb.api.OpenViewContext(ctx, tid, m)
		if err != nil {
			t.Fatal(err)
		}
		return v.ID
	}
	id := open("T1", true)
	if _, err := fake.SendViewClosed(ctx, fakeslack.ViewClosed{ViewID: id}); err != nil {
		t.Fatal(err)
	}
	if cb := vb.last(t); cb.Type != slack.InteractionTypeViewClosed || cb.View.ID != id || cb.User.ID != "U1" || cb.IsCleared {
		t.Errorf("callback = %+v", cb)
	}
	if v, _ := fake.View(id); !v.Closed {
		t.Error("the view is still open")
	}

	quiet := open("T2", false)
	n := len(fake.Envelopes())
	if _, err := fake.SendViewClosed(ctx, fakeslack.ViewClosed{ViewID: quiet}); !errors.Is(err, fakeslack.ErrWouldNotSend) {
		t.Errorf("view_closed without notify_on_close: %v", err)
	}
	if v, _ := fake.View(quiet); !v.Closed || len(fake.Envelopes()) != n {
		t.Errorf("view %+v, %d envelopes", v, len(fake.Envelopes())-n)
	}
}

func TestViewActions(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	vb := startViewBot(t, fake)
	ctx := timeout(t, 5*time.Second)
	trigger(t, ctx, fake, "U1", "T1")
	m := killForm("Kill")
	nodes := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, pt("Instance"), "instance",
		slack.NewOptionBlockObject("i1", pt("orders"), nil), slack.NewOptionBlockObject("i2", pt("carts"), nil))
	picks := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeStatic, pt("Addresses"), "addrs",
		slack.NewOptionBlockObject("a1", pt("a1"), nil), slack.NewOptionBlockObject("a2", pt("a2"), nil), slack.NewOptionBlockObject("a3", pt("a3"), nil))
	two := 2
	picks.MaxSelectedItems = &two
	m.Blocks.BlockSet = append(m.Blocks.BlockSet,
		slack.NewActionBlock("picked", picks),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Instance*", false, false), nil, slack.NewAccessory(nodes), slack.SectionBlockOptionBlockID("where")),
		slack.NewInputBlock("filter", pt("Filter"), nil, slack.NewPlainTextInputBlockElement(nil, "q")).WithDispatchAction(true))
	opened, err := vb.api.OpenViewContext(ctx, "T1", m)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := fake.SendViewAction(ctx, fakeslack.ViewAction{ViewID: opened.ID, BlockID: "where", ActionID: "instance", Input: fakeslack.Input{Selected: []string{"i2"}}}); err != nil {
		t.Fatalf("select: %v", err)
	}
	cb := vb.last(t)
	if cb.Type != slack.InteractionTypeBlockActions || cb.Container.Type != "view" || cb.Container.ViewID != opened.ID || cb.View.ID != opened.ID ||
		len(cb.ActionCallback.BlockActions) != 1 || cb.User.ID != "U1" || cb.TriggerID == "" {
		t.Fatalf("callback = %+v", cb)
	}
	act := cb.ActionCallback.BlockActions[0]
	if act.Type != "static_select" || act.BlockID != "where" || act.ActionID != "instance" || act.SelectedOption.Value != "i2" || act.SelectedOption.Text.Text != "carts" {
		t.Errorf("action = %+v", act)
	}
	if cb.View.State.Values["where"]["instance"].SelectedOption.Value != "i2" {
		t.Errorf("state = %+v", cb.View.State)
	}

	if _, err := fake.SendViewAction(ctx, fakeslack.ViewAction{ViewID: opened.ID, BlockID: "filter", ActionID: "q", Input: fakeslack.Input{Value: "batch"}}); err != nil {
		t.Fatalf("dispatching input: %v", err)
	}
	if act := vb.last(t).ActionCallback.BlockActions[0]; act.Type != "plain_text_input" || act.Value != "batch" {
		t.Errorf("input action = %+v", act)
	}
	if _, err := fake.SendViewAction(ctx, fakeslack.ViewAction{ViewID: opened.ID, BlockID: "picked", ActionID: "addrs", Input: fakeslack.Input{Selected: []string{"a1", "a2"}}}); err != nil {
		t.Fatalf("multi-select: %v", err)
	}
	if act := vb.last(t).ActionCallback.BlockActions[0]; act.Type != "multi_static_select" || len(act.SelectedOptions) != 2 || act.SelectedOptions[1].Value != "a2" {
		t.Errorf("multi-select action = %+v", act)
	}
	if v, _ := fake.View(opened.ID); !strings.Contains(string(v.State), `"batch"`) || !strings.Contains(string(v.State), `"a2"`) {
		t.Errorf("state = %s", v.State)
	}
	for name, a := range map[string]fakeslack.ViewAction{
		"over max_selected_items":       {ViewID: opened.ID, BlockID: "picked", ActionID: "addrs", Input: fakeslack.Input{Selected: []string{"a1", "a2", "a3"}}},
		"input without dispatch_action": {ViewID: opened.ID, BlockID: "reason", ActionID: "text", Input: fakeslack.Input{Value: "x"}},
		"unknown option":                {ViewID: opened.ID, BlockID: "where", ActionID: "instance", Input: fakeslack.Input{Selected: []string{"i9"}}},
	} {
		if _, err := fake.SendViewAction(ctx, a); !errors.Is(err, fakeslack.ErrWouldNotSend) {
			t.Errorf("%s: %v, want ErrWouldNotSend", name, err)
		}
	}
	if _, err := fake.SendViewAction(ctx, fakeslack.ViewAction{ViewID: opened.ID, BlockID: "where", ActionID: "nodes"}); !errors.Is(err, fakeslack.ErrNoSuchElement) {
		t.Errorf("unknown element: %v", err)
	}

	// A button in the Home tab: the ViewID comes from the user's Home tab.
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab,
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewActionBlock("home", slack.NewButtonBlockElement("list", "mine", pt("My requests")))}}}
	h, err := vb.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U2", View: home})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.SendViewAction(ctx, fakeslack.ViewAction{UserID: "U2", BlockID: "home", ActionID: "list"}); err != nil {
		t.Fatalf("home button: %v", err)
	}
	cb = vb.last(t)
	if act := cb.ActionCallback.BlockActions[0]; cb.Container.ViewID != h.ID || cb.View.Type != slack.VTHomeTab || act.Value != "mine" || act.Text.Text != "My requests" {
		t.Errorf("home callback = %+v", cb)
	}
	if _, err := fake.SendViewAction(ctx, fakeslack.ViewAction{UserID: "U2", BlockID: "home", ActionID: "list", Input: fakeslack.Input{Value: "all"}}); !errors.Is(err, fakeslack.ErrNoSuchElement) {
		t.Errorf("a button value it does not have: %v", err)
	}
	home.Blocks.BlockSet = []slack.Block{slack.NewDividerBlock()}
	if _, err := vb.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U2", View: home}); err != nil {
		t.Fatal(err)
	}
	if _, err := fake.SendViewAction(ctx, fakeslack.ViewAction{UserID: "U2", BlockID: "home", ActionID: "list"}); !errors.Is(err, fakeslack.ErrNoSuchElement) {
		t.Errorf("a button no longer shown: %v", err)
	}
}

// A view's initial values are in its state, as the Slack client shows
// them, until the user changes them; an update keeps what the user
// entered and shows the new drawing's initial values in the others. With
// InitialValuesOmitted the state holds only what the user entered. Either
// way a required input at its initial value counts as filled in.
func TestViewStateHoldsInitialValues(t *testing.T) {
	form := func(reason, node string) slack.ModalViewRequest {
		f := killForm("Kill")
		in := f.Blocks.BlockSet[0].(*slack.InputBlock).Element.(*slack.PlainTextInputBlockElement)
		in.InitialValue = reason
		sel := f.Blocks.BlockSet[1].(*slack.InputBlock).Element.(*slack.SelectBlockElement)
		sel.InitialOption = slack.NewOptionBlockObject(node, pt("node"), nil)
		return f
	}
	for _, omitted := range []bool{false, true} {
		t.Run(fmt.Sprintf("omitted=%v", omitted), func(t *testing.T) {
			fake := fakeslack.New(t, fakeslack.Options{InitialValuesOmitted: omitted})
			vb := startViewBot(t, fake)
			ctx := timeout(t, 5*time.Second)
			trigger(t, ctx, fake, "U1", "T1")
			opened, err := vb.api.OpenViewContext(ctx, "T1", form("stuck", "n1"))
			if err != nil {
				t.Fatal(err)
			}
			// The user picks n1 and submits; the bot answers with an
			// error, then redraws the form with other initial values.
			vb.setReply(func(slack.InteractionCallback) any {
				return slack.NewErrorsViewSubmissionResponse(map[string]string{"addrs": "pick again"})
			})
			if _, err := fake.SendViewSubmission(ctx, fakeslack.ViewSubmission{ViewID: opened.ID, Values: map[string]map[string]fakeslack.Input{
				"node": {"pick": {Selected: []string{"n1"}}}, "addrs": {"pick": {Selected: []string{"10.0.0.2:2"}}},
			}}); err != nil {
				t.Fatal(err)
			}
			if _, err := vb.api.UpdateViewContext(ctx, form("again", "n2"), "", "", opened.ID); err != nil {
				t.Fatal(err)
			}
			vb.setReply(nil)
			// A required input the user cleared is empty, initial value or not.
			if _, err := fake.SendViewSubmission(ctx, fakeslack.ViewSubmission{ViewID: opened.ID, Values: map[string]map[string]fakeslack.Input{
				"reason": {"text": {Value: ""}}, "addrs": {"pick": {Selected: []string{"10.0.0.1:1"}}},
			}}); !errors.Is(err, fakeslack.ErrWouldNotSend) {
				t.Fatalf("a cleared required input: %v, want ErrWouldNotSend", err)
			}
			_, err = fake.SendViewSubmission(ctx, fakeslack.ViewSubmission{ViewID: opened.ID, Values: map[string]map[string]fakeslack.Input{
				"addrs": {"pick": {Selected: []string{"10.0.0.1:1"}}},
			}})
			if err != nil { // required inputs at their initial values are filled in
				t.Fatal(err)
			}
			st := vb.last(t).View.State.Values
			reason, node := st["reason"]["text"].Value, st["node"]["pick"].SelectedOption.Value
			switch {
			case node != "n1":
				t.Errorf("state = %+v, want the node the user picked", st)
			case omitted && reason != "":
				t.Errorf("state = %+v, want no initial values", st)
			case !omitted && reason != "again":
				t.Errorf("state = %+v, want the reason at the new drawing's initial value", st)
			}
		})
	}
}
