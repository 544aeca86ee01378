package fakeslack_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"dcsbot/internal/fakeslack"
)

// bot is a real socket-mode client run against the fake.
type bot struct {
	api    *slack.Client
	client *socketmode.Client
	done   chan error // RunContext's result
}

// startBot runs a socketmode client whose events go to handle (called on one
// goroutine). It is stopped, and waited for, when the test ends.
func startBot(t *testing.T, fake *fakeslack.Server, appToken string, handle func(socketmode.Event, *socketmode.Client), opts ...socketmode.Option) *bot {
	t.Helper()
	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()), slack.OptionAppLevelToken(appToken))
	client := socketmode.New(api, opts...)
	ctx, cancel := context.WithCancel(context.Background())
	b := &bot{api: api, client: client, done: make(chan error, 1)}
	var wg sync.WaitGroup
	wg.Go(func() { b.done <- client.RunContext(ctx) })
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-client.Events:
				if handle != nil {
					handle(evt, client)
				}
			}
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return b
}

func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func buttons() []slack.Block {
	text := slack.NewTextBlockObject(slack.MarkdownType, "*Kill* 2 sessions on `redis-prod`?", false, false)
	approve := slack.NewButtonBlockElement("approve", "req-1", slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false))
	approve.Style = slack.StylePrimary
	deny := slack.NewButtonBlockElement("deny", "req-1", slack.NewTextBlockObject(slack.PlainTextType, "Deny", false, false))
	return []slack.Block{
		slack.NewSectionBlock(text, nil, nil, slack.SectionBlockOptionBlockID("summary")),
		slack.NewActionBlock("decide", approve, deny),
	}
}

func TestSlashCommandRoundTrip(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	hello := make(chan struct{}, 1)
	cmds := make(chan slack.SlashCommand, 1)
	startBot(t, fake, fake.AppToken(), func(evt socketmode.Event, c *socketmode.Client) {
		switch evt.Type {
		case socketmode.EventTypeHello:
			hello <- struct{}{}
		case socketmode.EventTypeSlashCommand:
			cmd := evt.Data.(slack.SlashCommand)
			if err := c.Ack(*evt.Request, map[string]any{"text": "queued: " + cmd.Text}); err != nil {
				t.Errorf("ack: %v", err)
			}
			cmds <- cmd
		}
	})
	ctx := timeout(t, 5*time.Second)
	select {
	case <-hello:
	case <-ctx.Done():
		t.Fatal("no hello")
	}

	ack, err := fake.SendSlashCommand(ctx, fakeslack.SlashCommand{
		UserID: "U1", UserName: "alice", ChannelID: "C1", Command: "/dcs", Text: "kill 10.0.0.1:6379",
	})
	if err != nil {
		t.Fatalf("SendSlashCommand: %v", err)
	}
	if got := ack.PayloadMap()["text"]; got != "queued: kill 10.0.0.1:6379" {
		t.Errorf("ack payload text = %v", got)
	}
	cmd := <-cmds
	if cmd.UserID != "U1" || cmd.UserName != "alice" || cmd.ChannelID != "C1" || cmd.Command != "/dcs" ||
		cmd.Text != "kill 10.0.0.1:6379" || cmd.TeamID != fakeslack.DefaultTeamID || cmd.TriggerID == "" {
		t.Errorf("slash command = %+v", cmd)
	}
	if cmd.ResponseURL != ack.ResponseURL || !strings.HasPrefix(cmd.ResponseURL, fake.URL()+"/response/") {
		t.Errorf("response_url = %q, ack's %q", cmd.ResponseURL, ack.ResponseURL)
	}
	env := fake.Envelopes()
	if len(env) != 1 || env[0].ID != ack.EnvelopeID || env[0].Type != "slash_commands" || !env[0].AcceptsResponsePayload {
		t.Errorf("envelopes = %+v", env)
	}
	eph := fake.Ephemerals()
	if len(eph) != 1 || eph[0].Via != "ack" || eph[0].User != "U1" || eph[0].Channel != "C1" || eph[0].Text != "queued: kill 10.0.0.1:6379" {
		t.Errorf("ephemerals = %+v", eph)
	}

	// The bot answers later through the response_url.
	_, _, err = slack.New("unused").PostMessage("", slack.MsgOptionResponseURL(cmd.ResponseURL, slack.ResponseTypeEphemeral),
		slack.MsgOptionText("killed 1 session", false))
	if err != nil {
		t.Fatalf("response_url: %v", err)
	}
	if eph := fake.Ephemerals(); len(eph) != 2 || eph[1].Via != "response_url" || eph[1].Text != "killed 1 session" || eph[1].User != "U1" {
		t.Errorf("ephemerals after response_url = %+v", eph)
	}
}

func TestBlockActionRoundTrip(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	fake.SetChannel(fakeslack.Channel{ID: "C1", Name: "oncall"})
	clicks := make(chan slack.InteractionCallback, 4)
	b := startBot(t, fake, fake.AppToken(), func(evt socketmode.Event, c *socketmode.Client) {
		if evt.Type == socketmode.EventTypeInteractive {
			_ = c.Ack(*evt.Request)
			clicks <- evt.Data.(slack.InteractionCallback)
		}
	})
	ctx := timeout(t, 5*time.Second)
	_, ts, err := b.api.PostMessageContext(ctx, "C1", slack.MsgOptionText("kill request", false), slack.MsgOptionBlocks(buttons()...))
	if err != nil {
		t.Fatal(err)
	}

	ack, err := fake.SendBlockAction(ctx, fakeslack.BlockAction{
		UserID: "U2", ChannelID: "C1", MessageTS: ts, BlockID: "decide", ActionID: "approve",
	})
	if err != nil {
		t.Fatalf("SendBlockAction: %v", err)
	}
	if ack.Payload != nil {
		t.Errorf("ack payload = %s", ack.Payload)
	}
	cb := <-clicks
	if cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("callback = %+v", cb)
	}
	act := cb.ActionCallback.BlockActions[0]
	if act.ActionID != "approve" || act.BlockID != "decide" || act.Value != "req-1" || act.Text.Text != "Approve" {
		t.Errorf("action = %+v", act)
	}
	if cb.User.ID != "U2" || cb.Channel.ID != "C1" || cb.Channel.Name != "oncall" || cb.Container.MessageTs != ts ||
		cb.Container.ChannelID != "C1" || cb.Message.Timestamp != ts || cb.Message.Text != "kill request" ||
		len(cb.Message.Blocks.BlockSet) != 2 || cb.ResponseURL == "" || cb.TriggerID == "" || cb.Team.ID != fakeslack.DefaultTeamID {
		t.Errorf("callback = %+v", cb)
	}

	// Only what the message shows can be clicked.
	for _, a := range []fakeslack.BlockAction{
		{UserID: "U2", ChannelID: "C1", MessageTS: ts, BlockID: "decide", ActionID: "escalate"},
		{UserID: "U2", ChannelID: "C1", MessageTS: ts, BlockID: "summary", ActionID: "approve"},
		{UserID: "U2", ChannelID: "C1", MessageTS: ts, BlockID: "decide", ActionID: "approve", Value: "req-2"},
	} {
		if _, err := fake.SendBlockAction(ctx, a); !errors.Is(err, fakeslack.ErrNoSuchElement) {
			t.Errorf("SendBlockAction(%s/%s=%s) = %v, want ErrNoSuchElement", a.BlockID, a.ActionID, a.Value, err)
		}
	}
	if _, err := fake.SendBlockAction(ctx, fakeslack.BlockAction{
		UserID: "U3", ChannelID: "C1", MessageTS: ts, BlockID: "decide", ActionID: "approve", Value: "req-2", Force: true,
	}); err != nil {
		t.Fatalf("forced click: %v", err)
	}
	if got := (<-clicks).ActionCallback.BlockActions[0].Value; got != "req-2" {
		t.Errorf("forced value = %q", got)
	}

	// replace_original through the click's response_url updates the message.
	if _, _, err := b.api.PostMessageContext(ctx, "", slack.MsgOptionReplaceOriginal(cb.ResponseURL), slack.MsgOptionText("approved by <@U2>", false)); err != nil {
		t.Fatalf("replace_original: %v", err)
	}
	msgs := fake.Messages()
	if len(msgs) != 1 || msgs[0].Text != "approved by <@U2>" || msgs[0].Updates != 1 || msgs[0].Blocks != nil {
		t.Errorf("messages after replace_original = %+v", msgs)
	}
	if _, err := fake.SendBlockAction(ctx, fakeslack.BlockAction{UserID: "U2", ChannelID: "C1", MessageTS: ts, BlockID: "decide", ActionID: "approve"}); !errors.Is(err, fakeslack.ErrNoSuchElement) {
		t.Errorf("click on a replaced button = %v, want ErrNoSuchElement", err)
	}
}

func TestWebAPIMessages(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{BotUserID: "UBOT"})
	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()))
	ctx := timeout(t, 5*time.Second)

	auth, err := api.AuthTestContext(ctx)
	if err != nil || auth.UserID != "UBOT" || auth.TeamID != fakeslack.DefaultTeamID {
		t.Fatalf("auth.test = %+v, %v", auth, err)
	}
	ch, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("kill request", false), slack.MsgOptionBlocks(buttons()...))
	if err != nil || ch != "C1" || ts == "" {
		t.Fatalf("PostMessage = %q %q %v", ch, ts, err)
	}
	done := slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Approved", false, false), nil, nil, slack.SectionBlockOptionBlockID("summary"))
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("approved", false), slack.MsgOptionBlocks(done)); err != nil {
		t.Fatalf("UpdateMessage: %v", err)
	}
	_, r1, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("killed 10.0.0.1:6379", false), slack.MsgOptionTS(ts))
	if err != nil {
		t.Fatal(err)
	}
	// A reply to a reply lands in the parent's thread.
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("done", false), slack.MsgOptionTS(r1)); err != nil {
		t.Fatal(err)
	}
	if r1 <= ts {
		t.Errorf("ts not increasing: %q then %q", ts, r1)
	}

	msgs := fake.Messages()
	if len(msgs) != 1 {
		t.Fatalf("messages = %+v", msgs)
	}
	m := msgs[0]
	if m.TS != ts || m.Channel != "C1" || m.User != "UBOT" || m.Text != "approved" || m.Updates != 1 ||
		!strings.Contains(string(m.Blocks), `"Approved"`) || strings.Contains(string(m.Blocks), `"decide"`) {
		t.Errorf("message = %+v blocks %s", m, m.Blocks)
	}
	th := fake.Thread("C1", ts)
	if len(th) != 2 || th[0].TS != r1 || th[0].ThreadTS != ts || th[0].Text != "killed 10.0.0.1:6379" || th[1].Text != "done" || th[1].ThreadTS != ts {
		t.Errorf("thread = %+v", th)
	}
	posts := fake.Calls("chat.postMessage")
	if len(posts) != 3 || !strings.Contains(string(posts[0].Blocks), `"action_id":"approve"`) || posts[0].Form.Get("text") != "kill request" {
		t.Errorf("chat.postMessage calls = %+v", posts)
	}
	if got := fake.Calls("chat.update"); len(got) != 1 || got[0].Form.Get("ts") != ts {
		t.Errorf("chat.update calls = %+v", got)
	}

	var serr slack.SlackErrorResponse
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", "1600000000.000100", slack.MsgOptionText("x", false)); !errors.As(err, &serr) || serr.Err != "message_not_found" {
		t.Errorf("update of an unknown ts: %v", err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C1"); err == nil || err.Error() != "no_text" {
		t.Errorf("empty post: %v", err)
	}
	twice := []slack.Block{slack.NewDividerBlock(), slack.NewDividerBlock()}
	twice[0].(*slack.DividerBlock).BlockID, twice[1].(*slack.DividerBlock).BlockID = "same", "same"
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionBlocks(twice...)); err == nil || err.Error() != "invalid_blocks" {
		t.Errorf("duplicate block_id: %v", err)
	}

	if _, err := api.PostEphemeralContext(ctx, "C1", "U9", slack.MsgOptionText("only you", false)); err != nil {
		t.Fatal(err)
	}
	if eph := fake.Ephemerals(); len(eph) != 1 || eph[0].User != "U9" || eph[0].Text != "only you" || eph[0].Via != "chat.postEphemeral" || eph[0].TS == "" {
		t.Errorf("ephemerals = %+v", eph)
	}

	fake.SetUsergroup("S1", "U1", "U2")
	if users, err := api.GetUserGroupMembersContext(ctx, "S1"); err != nil || strings.Join(users, ",") != "U1,U2" {
		t.Errorf("usergroups.users.list = %v, %v", users, err)
	}
	if _, err := api.GetUserGroupMembersContext(ctx, "S404"); err == nil || err.Error() != "no_such_subteam" {
		t.Errorf("unknown group: %v", err)
	}

	fake.SetChannel(fakeslack.Channel{ID: "G1", Name: "secret", IsPrivate: true})
	if c, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "G1"}); err != nil || c.Name != "secret" || !c.IsPrivate {
		t.Errorf("conversations.info = %+v, %v", c, err)
	}

	if _, err := api.OpenViewContext(ctx, "123.456.789", slack.ModalViewRequest{Type: slack.VTModal}); err == nil || err.Error() != "invalid_trigger_id" {
		t.Errorf("views.open with an unknown trigger: %v", err)
	}

	for name, c := range map[string]*slack.Client{
		"wrong":   slack.New("xoxb-wrong", slack.OptionAPIURL(fake.APIURL())),
		"missing": slack.New("", slack.OptionAPIURL(fake.APIURL())),
		"app":     slack.New(fake.AppToken(), slack.OptionAPIURL(fake.APIURL())),
	} {
		want := map[string]string{"wrong": "invalid_auth", "missing": "not_authed", "app": "not_allowed_token_type"}[name]
		if _, _, err := c.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false)); err == nil || err.Error() != want {
			t.Errorf("%s token: %v, want %s", name, err, want)
		}
	}
	if n := len(fake.Messages()); n != 1 {
		t.Errorf("%d messages after the failed posts", n)
	}
}

func TestFaults(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()))
	ctx := timeout(t, 5*time.Second)
	post := func() error {
		_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false))
		return err
	}

	fake.SetFault("chat.postMessage", fakeslack.RateLimited(2, 7*time.Second))
	for i := range 2 {
		var rl *slack.RateLimitedError
		if err := post(); !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
			t.Fatalf("call %d: %v, want RateLimitedError after 7s", i, err)
		}
	}
	if err := post(); err != nil {
		t.Fatalf("after the fault: %v", err)
	}

	fake.SetFault("chat.postMessage", fakeslack.ServerError(1))
	var sc slack.StatusCodeError
	if err := post(); !errors.As(err, &sc) || sc.Code != http.StatusInternalServerError {
		t.Fatalf("500 fault: %v", err)
	}

	fake.SetFault("chat.postMessage", fakeslack.APIError(0, "channel_not_found"))
	for range 3 {
		if err := post(); err == nil || err.Error() != "channel_not_found" {
			t.Fatalf("API error fault: %v", err)
		}
	}
	fake.ClearFault("chat.postMessage")
	if err := post(); err != nil {
		t.Fatal(err)
	}

	calls := fake.Calls("chat.postMessage")
	var statuses []int
	for _, c := range calls {
		statuses = append(statuses, c.Status)
	}
	if len(calls) != 8 || calls[0].Status != 429 || calls[3].Status != 500 || calls[4].Error != "channel_not_found" || calls[7].Error != "" {
		t.Errorf("recorded %d calls, statuses %v", len(calls), statuses)
	}
	if n := len(fake.Messages()); n != 2 {
		t.Errorf("%d messages, want 2", n)
	}
}

func TestReconnectAfterDrop(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{Debug: true})
	startBot(t, fake, fake.AppToken(), ackAll)
	ctx := timeout(t, 10*time.Second)
	if err := fake.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if n := fake.Opens(); n != 1 {
		t.Fatalf("Opens = %d", n)
	}
	fake.DropConnections()
	if err := fake.WaitFor(ctx, func(s *fakeslack.Server) bool { return s.Opens() == 2 && s.Connections() == 1 }); err != nil {
		t.Fatalf("no reconnect: opens %d, connections %d: %v", fake.Opens(), fake.Connections(), err)
	}
	ack, err := fake.SendSlashCommand(ctx, fakeslack.SlashCommand{UserID: "U1", ChannelID: "C1", Command: "/dcs", Text: "help"})
	if err != nil {
		t.Fatal(err)
	}
	if ack.ConnID != fake.ConnIDs()[0] || ack.ConnID == 1 {
		t.Errorf("acked on connection %d, open: %v", ack.ConnID, fake.ConnIDs())
	}

	fake.Disconnect()
	if err := fake.WaitFor(ctx, func(s *fakeslack.Server) bool { return s.Opens() == 3 && s.Connections() == 1 }); err != nil {
		t.Fatalf("no reconnect after disconnect: %v", err)
	}
	if _, err := fake.SendSlashCommand(ctx, fakeslack.SlashCommand{UserID: "U1", ChannelID: "C1", Command: "/dcs"}); err != nil {
		t.Fatal(err)
	}
}

func ackAll(evt socketmode.Event, c *socketmode.Client) {
	if evt.Request != nil && evt.Request.EnvelopeID != "" {
		_ = c.Ack(*evt.Request)
	}
}

func TestWrongAppTokenFailsFast(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	start := time.Now()
	b := startBot(t, fake, "xapp-wrong", nil)
	select {
	case err := <-b.done:
		if err == nil || err.Error() != "invalid_auth" {
			t.Fatalf("RunContext = %v, want invalid_auth", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("RunContext did not return")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	if fake.Opens() != 0 || len(fake.Calls("apps.connections.open")) != 1 {
		t.Errorf("opens %d, calls %+v", fake.Opens(), fake.Calls("apps.connections.open"))
	}

	// The bot token where the app token belongs is not one of the errors
	// slack-go gives up on: it would retry forever.
	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()), slack.OptionAppLevelToken(fake.BotToken()))
	if _, _, err := api.StartSocketModeContext(timeout(t, 5*time.Second)); err == nil || err.Error() != "not_allowed_token_type" {
		t.Errorf("bot token for apps.connections.open: %v", err)
	}
}

func TestOpenFaultIsRetried(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	fake.SetFault("apps.connections.open", fakeslack.ServerError(2))
	startBot(t, fake, fake.AppToken(), ackAll)
	ctx := timeout(t, 10*time.Second)
	if err := fake.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if n, calls := fake.Opens(), len(fake.Calls("apps.connections.open")); n != 1 || calls != 3 {
		t.Errorf("opens %d, calls %d; want 1 and 3", n, calls)
	}
}

func TestPings(t *testing.T) {
	t.Run("keep the connection", func(t *testing.T) {
		fake := fakeslack.New(t, fakeslack.Options{PingInterval: 50 * time.Millisecond})
		startBot(t, fake, fake.AppToken(), ackAll, socketmode.OptionPingInterval(600*time.Millisecond))
		if err := fake.WaitConnections(timeout(t, 5*time.Second), 1); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond)
		if n := fake.Opens(); n != 1 {
			t.Errorf("Opens = %d, want 1", n)
		}
	})
	t.Run("without pings the client reconnects", func(t *testing.T) {
		fake := fakeslack.New(t, fakeslack.Options{PingInterval: -1})
		startBot(t, fake, fake.AppToken(), ackAll, socketmode.OptionPingInterval(200*time.Millisecond))
		if err := fake.WaitFor(timeout(t, 5*time.Second), func(s *fakeslack.Server) bool { return s.Opens() >= 2 }); err != nil {
			t.Errorf("no reconnect: %v", err)
		}
	})
}

func TestDeliveryAcrossConnections(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	type seen struct {
		replica int
		id      string
		retry   int
	}
	var mu sync.Mutex
	var got []seen
	for replica := range 2 {
		startBot(t, fake, fake.AppToken(), func(evt socketmode.Event, c *socketmode.Client) {
			if evt.Type != socketmode.EventTypeSlashCommand {
				return
			}
			mu.Lock()
			got = append(got, seen{replica, evt.Request.EnvelopeID, evt.Request.RetryAttempt})
			mu.Unlock()
			_ = c.Ack(*evt.Request, map[string]string{"text": fmt.Sprintf("replica %d", replica)})
		})
	}
	ctx := timeout(t, 10*time.Second)
	if err := fake.WaitConnections(ctx, 2); err != nil {
		t.Fatal(err)
	}
	cmd := fakeslack.SlashCommand{UserID: "U1", ChannelID: "C1", Command: "/dcs", Text: "list"}

	// Round-robin: two commands, two connections.
	a1, err := fake.SendSlashCommand(ctx, cmd)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := fake.SendSlashCommand(ctx, cmd)
	if err != nil {
		t.Fatal(err)
	}
	if a1.ConnID == a2.ConnID || a1.EnvelopeID == a2.EnvelopeID {
		t.Errorf("acks %+v and %+v", a1, a2)
	}

	// One envelope to every replica.
	a3, err := fake.SendSlashCommand(ctx, cmd, fakeslack.ToAll())
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.WaitFor(ctx, func(s *fakeslack.Server) bool { return len(s.Acks(a3.EnvelopeID)) == 2 }); err != nil {
		t.Fatalf("acks for %s: %+v", a3.EnvelopeID, fake.Acks(a3.EnvelopeID))
	}
	if acks := fake.Acks(a3.EnvelopeID); acks[0].ConnID == acks[1].ConnID {
		t.Errorf("both acks on connection %d", acks[0].ConnID)
	}

	// A redelivery with the same envelope ID.
	a4, err := fake.SendSlashCommand(ctx, cmd, fakeslack.WithEnvelopeID(a1.EnvelopeID), fakeslack.WithRetry(1, "timeout"))
	if err != nil || a4.EnvelopeID != a1.EnvelopeID {
		t.Fatalf("redelivery: %+v, %v", a4, err)
	}
	if acks := fake.Acks(a1.EnvelopeID); len(acks) != 2 {
		t.Errorf("acks for %s: %+v", a1.EnvelopeID, acks)
	}

	// Slack shows the payload of the first ack of an envelope only.
	if eph := fake.Ephemerals(); len(eph) != 3 {
		t.Errorf("ephemerals = %+v, want one per envelope ID", eph)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 5 {
		t.Fatalf("bots saw %+v", got)
	}
	if got[4].id != a1.EnvelopeID || got[4].retry != 1 || got[0].replica == got[1].replica {
		t.Errorf("bots saw %+v", got)
	}
}

func TestDuplicateOnOneConnection(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	ids := make(chan string, 2)
	startBot(t, fake, fake.AppToken(), func(evt socketmode.Event, c *socketmode.Client) {
		if evt.Type == socketmode.EventTypeInteractive {
			ids <- evt.Request.EnvelopeID
			_ = c.Ack(*evt.Request)
		}
	})
	ctx := timeout(t, 5*time.Second)
	ack, err := fake.SendEnvelope(ctx, "interactive", json.RawMessage(`{"type":"block_actions","actions":[{"type":"button","block_id":"b","action_id":"a","value":"v"}]}`), fakeslack.Duplicate())
	if err != nil {
		t.Fatal(err)
	}
	if a, b := <-ids, <-ids; a != ack.EnvelopeID || b != ack.EnvelopeID {
		t.Errorf("bot saw %s and %s, want %s twice", a, b, ack.EnvelopeID)
	}
	if env := fake.Envelopes(); len(env) != 2 || env[0].ID != env[1].ID || env[0].AcceptsResponsePayload {
		t.Errorf("envelopes = %+v", env)
	}
}

func TestLateAndMissingAcks(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{AckDeadline: 100 * time.Millisecond})
	startBot(t, fake, fake.AppToken(), func(evt socketmode.Event, c *socketmode.Client) {
		if evt.Type != socketmode.EventTypeSlashCommand {
			return
		}
		switch evt.Data.(slack.SlashCommand).Text {
		case "slow":
			time.Sleep(300 * time.Millisecond)
			_ = c.Ack(*evt.Request)
		case "never":
		}
	})
	ctx := timeout(t, 5*time.Second)
	ack, err := fake.SendSlashCommand(ctx, fakeslack.SlashCommand{UserID: "U1", ChannelID: "C1", Command: "/dcs", Text: "slow"})
	if !errors.Is(err, fakeslack.ErrLateAck) || ack.Latency < 300*time.Millisecond {
		t.Errorf("slow ack: %+v, %v", ack, err)
	}
	_, err = fake.SendSlashCommand(timeout(t, 300*time.Millisecond), fakeslack.SlashCommand{UserID: "U1", ChannelID: "C1", Command: "/dcs", Text: "never"})
	if !errors.Is(err, fakeslack.ErrNoAck) {
		t.Errorf("no ack: %v", err)
	}
}

func TestViewsOpenWithTrigger(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	views := make(chan error, 1)
	startBot(t, fake, fake.AppToken(), func(evt socketmode.Event, c *socketmode.Client) {
		if evt.Type == socketmode.EventTypeSlashCommand {
			_ = c.Ack(*evt.Request)
			_, err := c.OpenView(evt.Data.(slack.SlashCommand).TriggerID, slack.ModalViewRequest{
				Type: slack.VTModal, Title: slack.NewTextBlockObject(slack.PlainTextType, "Kill", false, false),
			})
			views <- err
		}
	})
	ctx := timeout(t, 5*time.Second)
	if _, err := fake.SendSlashCommand(ctx, fakeslack.SlashCommand{UserID: "U1", ChannelID: "C1", Command: "/dcs"}); err != nil {
		t.Fatal(err)
	}
	if err := <-views; err != nil {
		t.Fatalf("views.open: %v", err)
	}
	calls := fake.Calls("views.open")
	if len(calls) != 1 || !strings.Contains(string(calls[0].Body), `"Kill"`) || calls[0].Error != "" {
		t.Errorf("views.open calls = %+v", calls)
	}
}

func TestWaitForTimesOut(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	start := time.Now()
	err := fake.WaitFor(timeout(t, 100*time.Millisecond), func(s *fakeslack.Server) bool { return len(s.Messages()) > 0 })
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Errorf("WaitFor = %v after %v", err, time.Since(start))
	}
	if err := fake.WaitConnections(timeout(t, 100*time.Millisecond), 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitConnections = %v", err)
	}
}
