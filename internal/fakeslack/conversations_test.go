package fakeslack_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"dcsbot/internal/fakeslack"
)

func TestDirectMessages(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()))
	ctx := timeout(t, 5*time.Second)

	open := func(users ...string) (*slack.Channel, bool, error) {
		ch, _, already, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: users, ReturnIM: true})
		return ch, already, err
	}
	dm, already, err := open("U1")
	if err != nil || !strings.HasPrefix(dm.ID, "D") || already || !dm.IsIM || dm.User != "U1" {
		t.Fatalf("conversations.open U1 = %+v, %v, %v", dm, already, err)
	}
	again, already, err := open("U1")
	if err != nil || again.ID != dm.ID || !already {
		t.Errorf("again = %+v, %v, %v", again, already, err)
	}
	other, _, _ := open("U2")
	if other.ID == dm.ID || !strings.HasPrefix(other.ID, "D") {
		t.Errorf("U2's DM %q, U1's %q", other.ID, dm.ID)
	}
	if group, _, err := open("U2", "U1"); err != nil || !strings.HasPrefix(group.ID, "G") {
		t.Errorf("multi-person DM = %+v, %v", group, err)
	}
	if _, _, err := open("C1"); err == nil || err.Error() != "user_not_found" {
		t.Errorf("a channel as a user: %v", err)
	}
	if _, _, err := open(); err == nil || err.Error() != "users_list_not_supplied" {
		t.Errorf("no users: %v", err)
	}
	if id, ok := fake.DMChannel("U1"); !ok || id != dm.ID {
		t.Errorf("DMChannel(U1) = %q, %v", id, ok)
	}
	if info, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: dm.ID}); err != nil || !info.IsIM || info.User != "U1" {
		t.Errorf("conversations.info of the DM = %+v, %v", info, err)
	}

	// Posts into the DM, by its ID or by the user's ID, and updates there.
	_, ts, err := api.PostMessageContext(ctx, dm.ID, slack.MsgOptionText("request ABC needs you", false), slack.MsgOptionBlocks(buttons()...))
	if err != nil {
		t.Fatal(err)
	}
	ch, ts2, err := api.PostMessageContext(ctx, "U1", slack.MsgOptionText("reminder", false))
	if err != nil || ch != dm.ID {
		t.Fatalf("post to a user ID: %q, %v", ch, err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, dm.ID, ts, slack.MsgOptionText("request ABC approved", false), slack.MsgOptionBlocks()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, "D99999999", slack.MsgOptionText("x", false)); err == nil || err.Error() != "channel_not_found" {
		t.Errorf("a DM never opened: %v", err)
	}
	got := fake.DMs("U1")
	if len(got) != 2 || got[0].TS != ts || got[0].Text != "request ABC approved" || got[0].Updates != 1 || got[1].TS != ts2 {
		t.Errorf("DMs(U1) = %+v", got)
	}
	if n := len(fake.DMs("U2")); n != 0 {
		t.Errorf("U2 got %d DMs", n)
	}

	// chat.getPermalink: a URL under the fake that serves the message.
	link, err := api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: dm.ID, Ts: ts})
	want := fake.URL() + "/archives/" + dm.ID + "/p" + strings.Replace(ts, ".", "", 1)
	if err != nil || link != want {
		t.Fatalf("permalink = %q, %v; want %q", link, err, want)
	}
	if l, ok := fake.Permalink(dm.ID, ts); !ok || l != link {
		t.Errorf("Permalink = %q, %v", l, ok)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ TS, Text string }
	_ = json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if resp.StatusCode != 200 || m.TS != ts || m.Text != "request ABC approved" {
		t.Errorf("GET permalink: %d %+v", resp.StatusCode, m)
	}
	_, reply, err := api.PostMessageContext(ctx, dm.ID, slack.MsgOptionText("thread", false), slack.MsgOptionTS(ts))
	if err != nil {
		t.Fatal(err)
	}
	if l, err := api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: dm.ID, Ts: reply}); err != nil || !strings.HasSuffix(l, "?thread_ts="+ts+"&cid="+dm.ID) {
		t.Errorf("a reply's permalink = %q, %v", l, err)
	}
	if _, err := api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: dm.ID, Ts: "1600000000.000100"}); err == nil || err.Error() != "message_not_found" {
		t.Errorf("an unknown message: %v", err)
	}
	if _, err := api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Ts: ts}); err == nil || err.Error() != "channel_not_found" {
		t.Errorf("no channel: %v", err)
	}
}

func TestAppHomeOpened(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	events := make(chan slackevents.EventsAPIEvent, 2)
	b := startBot(t, fake, fake.AppToken(), func(evt socketmode.Event, c *socketmode.Client) {
		if evt.Type == socketmode.EventTypeEventsAPI {
			_ = c.Ack(*evt.Request)
			events <- evt.Data.(slackevents.EventsAPIEvent)
		}
	})
	ctx := timeout(t, 5*time.Second)

	ack, err := fake.SendAppHomeOpened(ctx, "U1")
	if err != nil {
		t.Fatalf("SendAppHomeOpened: %v", err)
	}
	ev := <-events
	opened, ok := ev.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	dm, _ := fake.DMChannel("U1")
	if !ok || ev.Type != slackevents.CallbackEvent || ev.TeamID != fakeslack.DefaultTeamID || opened.User != "U1" ||
		opened.Tab != "home" || opened.Channel != dm || !strings.HasPrefix(dm, "D") || opened.View != nil {
		t.Fatalf("event = %+v, inner %+v", ev, ev.InnerEvent.Data)
	}
	if acks := fake.Acks(ack.EnvelopeID); len(acks) != 1 {
		t.Errorf("acks = %+v", acks)
	}

	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, CallbackID: "home",
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewDividerBlock()}}}
	published, err := b.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1", View: home})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.SendAppHomeOpened(ctx, "U1"); err != nil {
		t.Fatal(err)
	}
	opened = (<-events).InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	if opened.View == nil || opened.View.ID != published.ID || opened.View.Hash != published.Hash || opened.View.CallbackID != "home" {
		t.Errorf("view in the event = %+v", opened.View)
	}
	if env := fake.Envelopes(); env[len(env)-1].Type != "events_api" || env[len(env)-1].AcceptsResponsePayload {
		t.Errorf("envelope = %+v", env[len(env)-1])
	}
}
