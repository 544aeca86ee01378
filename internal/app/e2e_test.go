package app_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"dcsbot/internal/app"
	"dcsbot/internal/approvals"
	"dcsbot/internal/config"
	"dcsbot/internal/fakedcs"
	"dcsbot/internal/fakeslack"
	"dcsbot/internal/slackbot"
	"dcsbot/internal/store/sqlite"
)

const killText = "kill orders-prod " + nodeID + " 10.0.0.1:5000 [FE80::1]:6379 10.0.0.1:5000"

func TestHappyPath(t *testing.T) {
	e := newEnv(t)
	e.start()
	msg := e.request(killText)

	text := blocksText(t, msg.Blocks)
	for _, want := range []string{"<@" + requester + ">", "`orders-prod`", instanceID, nodeID, "10.0.0.1:5000", "[fe80::1]:6379", "0 of 1", "<!date^", "Approve", "Deny"} {
		if !strings.Contains(text, want) {
			t.Errorf("approval message lacks %q:\n%s", want, text)
		}
	}
	if strings.Count(text, "10.0.0.1:5000") != 1 {
		t.Errorf("duplicate address not folded:\n%s", text)
	}
	if !hasButtons(t, msg.Blocks) {
		t.Fatal("approval message has no buttons")
	}
	if !strings.Contains(string(msg.Blocks), `"confirm"`) || !strings.Contains(string(msg.Blocks), `"style":"primary"`) || !strings.Contains(string(msg.Blocks), `"style":"danger"`) {
		t.Errorf("Approve must be primary with a confirm dialog and Deny danger: %s", msg.Blocks)
	}

	e.mustClick(approver1, msg, "dcs_approve")
	kills, err := e.dcs.WaitKills(e.ctx(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if k := kills[0]; k.InstanceID != instanceID || k.NodeID != nodeID || !slices.Equal(k.Addrs, []string{"10.0.0.1:5000", "[fe80::1]:6379"}) {
		t.Fatalf("DCS got %+v", k)
	}
	if n := e.dcs.BadSignatures(); n != 0 {
		t.Fatalf("%d requests with a bad signature", n)
	}
	e.threadHas(msg, "DCS accepted the kill of 2 sessions")
	e.threadHas(msg, "Approved by <@"+approver1+">")
	e.waitFor("message in final state", func() bool {
		m := e.message(msg)
		return !hasButtons(t, m.Blocks) && strings.Contains(blocksText(t, m.Blocks), "Executed")
	})
	r := e.onlyRequest()
	if r.State != approvals.Succeeded || r.DecidedBy != approver1 {
		t.Fatalf("stored: %+v", r)
	}
	// The audit trail has every step with who did it.
	evs, err := e.app.Store().Events(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, ev := range evs {
		trail = append(trail, ev.Kind+":"+ev.Actor)
	}
	want := []string{"requested:" + requester, "approval:" + approver1, "approved:" + approver1, "executing:" + approver1, "succeeded:"}
	if !slices.Equal(trail, want) {
		t.Fatalf("audit trail %v, want %v", trail, want)
	}
	// A late click on the old button is refused and kills nothing more.
	e.staleClick(approver2, msg, "dcs_approve")
	e.ephemeralTo(approver2, "already succeeded")
	if len(e.dcs.Kills()) != 1 {
		t.Fatal("second click killed again")
	}
}

func (e *env) onlyRequest() *approvals.Request {
	e.t.Helper()
	rs, err := e.app.Store().List(context.Background(), approvals.ListFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(rs) != 1 {
		e.t.Fatalf("%d requests stored, want 1", len(rs))
	}
	r, err := e.app.Store().Get(context.Background(), rs[0].ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func TestRefusedApprovals(t *testing.T) {
	e := newEnv(t)
	e.start()
	msg := e.request(killText)

	e.mustClick(requester, msg, "dcs_approve")
	e.ephemeralTo(requester, "cannot approve your own request")
	e.mustClick(outsider, msg, "dcs_approve")
	e.ephemeralTo(outsider, "not an approver")
	e.mustClick(outsider, msg, "dcs_deny")
	e.ephemeralTo(outsider, "not an approver")
	if len(e.dcs.Kills()) != 0 || e.onlyRequest().State != approvals.Pending {
		t.Fatal("a refused click changed something")
	}
	// Refusals go to the clicker alone, never to the channel.
	for _, m := range e.slack.Ephemerals() {
		if m.User != requester && m.User != outsider {
			t.Errorf("ephemeral to %s", m.User)
		}
	}
	if len(e.thread(msg)) != 0 {
		t.Errorf("refusals leaked into the thread: %v", e.thread(msg))
	}

	// A member of an approver user group may approve.
	e.mustClick(groupMate, msg, "dcs_approve")
	if _, err := e.dcs.WaitKills(e.ctx(), 1); err != nil {
		t.Fatal(err)
	}
	e.threadHas(msg, "Approved by <@"+groupMate+">")
}

func TestTwoApprovers(t *testing.T) {
	e := newEnv(t, withPolicy("  approvals_required: 2\n"))
	e.start()
	msg := e.request(killText)
	if !strings.Contains(blocksText(t, msg.Blocks), "0 of 2") {
		t.Fatal("message does not say 2 approvals are needed")
	}
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "approved (1 of 2)")
	e.waitFor("message shows 1 of 2", func() bool { return strings.Contains(blocksText(t, e.message(msg).Blocks), "1 of 2") })
	e.mustClick(approver1, msg, "dcs_approve")
	e.ephemeralTo(approver1, "already approved")
	if len(e.dcs.Kills()) != 0 {
		t.Fatal("killed after one approval of two")
	}
	e.mustClick(approver2, msg, "dcs_approve")
	if _, err := e.dcs.WaitKills(e.ctx(), 1); err != nil {
		t.Fatal(err)
	}
	e.threadHas(msg, "Approved by <@"+approver1+">, <@"+approver2+">")
}

func TestDeny(t *testing.T) {
	e := newEnv(t)
	e.start()
	msg := e.request(killText)
	e.mustClick(approver1, msg, "dcs_deny")
	// The bot asks for a reason in a dialog; the approver gives one.
	e.waitFor("deny dialog opened", func() bool { return len(e.slack.Calls("views.open")) == 1 })
	if body := string(e.slack.Calls("views.open")[0].Body); !strings.Contains(body, e.onlyRequest().ID) || !strings.Contains(body, "dcs_deny_dialog") {
		t.Fatalf("views.open body %s", body)
	}
	if e.onlyRequest().State != approvals.Pending {
		t.Fatal("denied before the dialog was submitted")
	}
	e.submitDeny(approver1, e.onlyRequest().ID, "wrong node, see #inc-42")
	e.threadHas(msg, "Denied by <@"+approver1+">: wrong node, see #inc-42")
	e.waitFor("message shows denied", func() bool {
		m := e.message(msg)
		return !hasButtons(t, m.Blocks) && strings.Contains(blocksText(t, m.Blocks), "Denied")
	})
	if e.onlyRequest().State != approvals.Denied || len(e.dcs.Kills()) != 0 {
		t.Fatal("deny did not end the request, or something was killed")
	}
	// The old Approve button no longer works (forced, as the message has none).
	e.staleClick(approver2, msg, "dcs_approve")
	e.ephemeralTo(approver2, "already denied")
	if len(e.dcs.Kills()) != 0 {
		t.Fatal("a denied request was killed")
	}
}

func TestExpiry(t *testing.T) {
	e := newEnv(t)
	e.start()
	msg := e.request(killText)
	e.clock.Advance(15*time.Minute + time.Second)
	// The cron sweep (every second here) expires it.
	e.threadHas(msg, "Expired")
	e.waitFor("message shows expired", func() bool {
		m := e.message(msg)
		return !hasButtons(t, m.Blocks) && strings.Contains(blocksText(t, m.Blocks), "Expired")
	})
	e.staleClick(approver1, msg, "dcs_approve")
	e.ephemeralTo(approver1, "already expired")
	if len(e.dcs.Kills()) != 0 {
		t.Fatal("expired request killed")
	}
	if n := len(e.thread(msg)); n != 1 {
		t.Fatalf("%d thread replies, want exactly one expiry note: %v", n, e.thread(msg))
	}
}

func TestClickAfterTTLBeforeSweep(t *testing.T) {
	e := newEnv(t)
	e.yaml = strings.Replace(e.yaml, `sweep: "@every 1s"`, `sweep: "@every 1h"`, 1)
	e.start()
	msg := e.request(killText)
	e.clock.Advance(16 * time.Minute)
	e.mustClick(approver1, msg, "dcs_approve")
	e.ephemeralTo(approver1, "expired at")
	e.threadHas(msg, "Expired")
	if len(e.dcs.Kills()) != 0 {
		t.Fatal("expired request killed")
	}
}

func TestSimultaneousApprovalsKillOnce(t *testing.T) {
	e := newEnv(t)
	e.start()
	const requests = 5
	var msgs []fakeslack.Message
	for i := range requests {
		msgs = append(msgs, e.request(e.uniqueKill(i)))
	}
	var wg sync.WaitGroup
	for _, m := range msgs {
		for _, u := range []string{approver1, approver2, groupMate, approver1, approver2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := e.click(u, m, "dcs_approve"); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	for _, m := range msgs {
		e.threadHas(m, "DCS accepted the kill")
	}
	time.Sleep(300 * time.Millisecond) // let any wrong extra kill arrive
	if n := len(e.dcs.Kills()); n != requests {
		t.Fatalf("%d kills for %d requests", n, requests)
	}
	for _, m := range msgs {
		results := 0
		for _, s := range e.thread(m) {
			if strings.Contains(s, "DCS accepted the kill") {
				results++
			}
		}
		if results != 1 {
			t.Errorf("message %s: %d result replies", m.TS, results)
		}
	}
}

func TestDCSErrorInThread(t *testing.T) {
	e := newEnv(t)
	e.dcs.SetKill(func(fakedcs.KillCall) fakedcs.Reply {
		r := fakedcs.Error(400, "DCS.4800", "Invalid parameter node_id.")
		r.RequestID = "req-4800-abc"
		return r
	})
	e.start()
	msg := e.request(killText)
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "DCS.4800")
	e.threadHas(msg, "HTTP 400")
	e.threadHas(msg, "req-4800-abc")
	e.threadHas(msg, "Invalid parameter node_id")
	e.waitFor("message shows failed", func() bool { return strings.Contains(blocksText(t, e.message(msg).Blocks), "Failed") })
	r := e.onlyRequest()
	if r.State != approvals.Failed || r.Result == nil || r.Result.Code != "DCS.4800" || r.Result.HTTPStatus != 400 || r.Result.DCSRequestID != "req-4800-abc" {
		t.Fatalf("stored %+v %+v", r, r.Result)
	}
	if len(e.dcs.Kills()) != 1 {
		t.Fatal("a failed kill was retried")
	}
}

func TestDCSHangReportsUnknown(t *testing.T) {
	e := newEnv(t, withTimeout("1s"))
	e.dcs.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Reply{Hang: true} })
	e.start()
	msg := e.request(killText)
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "no answer within 1 s")
	e.threadHas(msg, "Outcome unknown")
	e.waitFor("message shows unknown", func() bool { return strings.Contains(blocksText(t, e.message(msg).Blocks), "Outcome unknown") })
	if r := e.onlyRequest(); r.State != approvals.Unknown {
		t.Fatalf("state %s", r.State)
	}
	time.Sleep(200 * time.Millisecond)
	if len(e.dcs.Kills()) != 1 {
		t.Fatal("a kill whose outcome is unknown was retried")
	}
}

func TestRestartKeepsPendingRequests(t *testing.T) {
	e := newEnv(t)
	e.start()
	msg := e.request(killText)
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	e.start()
	e.mustClick(approver1, msg, "dcs_approve")
	if _, err := e.dcs.WaitKills(e.ctx(), 1); err != nil {
		t.Fatal(err)
	}
	e.threadHas(msg, "DCS accepted the kill")
}

func TestRestartMarksInFlightUnknown(t *testing.T) {
	e := newEnv(t)
	e.start()
	msg := e.request(killText)
	id := e.onlyRequest().ID
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	// Play a process that died mid-call: the request is left executing.
	st, err := sqlite.Open(context.Background(), e.dbPath, nil, sqlite.Options{StatementTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, tr := range [][2]approvals.State{{approvals.Pending, approvals.Approved}, {approvals.Approved, approvals.Executing}} {
		if ok, err := st.Apply(context.Background(), id, approvals.Transition{From: tr[0], To: tr[1], At: now, Actor: approver1}); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	st.Close()

	e.start()
	e.threadHas(msg, "outcome is *unknown*")
	e.waitFor("message shows unknown", func() bool { return strings.Contains(blocksText(t, e.message(msg).Blocks), "Outcome unknown") })
	if r := e.onlyRequest(); r.State != approvals.Unknown {
		t.Fatalf("state %s", r.State)
	}
	if len(e.dcs.Kills()) != 0 {
		t.Fatal("an in-flight kill was sent again after restart")
	}
}

func TestBadInput(t *testing.T) {
	e := newEnv(t, withPolicy("  approvals_required: 1\n  requesters: ["+requester+", "+approver1+"]\n  max_addrs: 3\n"))
	e.start()
	cases := []struct {
		user, channel, text, want string
	}{
		{requester, channel, "kill", "Usage"},
		{requester, channel, "kill orders-prod --name worker", "Usage"},
		{requester, channel, "kill orders-prod --all-nodes", "needs at least one selector"},
		{requester, channel, "kill orders-prod " + nodeID, "Usage"},
		{requester, channel, "kill orders-prod " + nodeID + " 10.0.0.1", "10.0.0.1"},
		{requester, channel, "kill orders-prod " + nodeID + " 10.0.0.1:0", "port"},
		{requester, channel, "kill orders-prod " + nodeID + " 10.0.0.1:70000", "port"},
		{requester, channel, "kill orders-prod " + nodeID + " redis.local:6379", "redis.local"},
		{requester, channel, "kill orders-prod not-a-node 10.0.0.1:5000", "is not a node"},
		{requester, channel, "kill orders-staging " + nodeID + " 10.0.0.1:5000", "Unknown instance `orders-staging`"},
		{requester, channel, "kill orders-prod " + nodeID + " 10.0.0.1:1 10.0.0.1:2 10.0.0.1:3 10.0.0.1:4", "too many addresses"},
		{requester, channel, "kill orders-prod " + nodeID + " 10.0.0.1:5000;reboot", "not allowed"},
		{requester, channel, "kill orders-prod " + nodeID + " $(reboot)", "not allowed"},
		{requester, channel, "kill orders-prod " + nodeID + " " + strings.Repeat("A", 5000), "too long"},
		{requester, channel, "frobnicate", "unknown subcommand"},
		{requester, "CELSEWHERE", killText, "not enabled in this channel"},
		{approver2, channel, killText, "not on the list"},
	}
	for _, c := range cases {
		ack := e.slash(c.user, c.channel, c.text)
		reply, _ := ack.PayloadMap()["text"].(string)
		if !strings.Contains(reply, c.want) {
			t.Errorf("/dcs %.60s: reply %q does not contain %q", c.text, reply, c.want)
		}
		if len(reply) > 3000 {
			t.Errorf("/dcs %.60s: reply is %d characters", c.text, len(reply))
		}
	}
	for _, text := range []string{"", "help"} {
		reply, _ := e.slash(requester, channel, text).PayloadMap()["text"].(string)
		if !strings.Contains(reply, "/dcs kill") {
			t.Errorf("/dcs %q: no usage in %q", text, reply)
		}
	}
	if n := len(e.topLevel()); n != 0 {
		t.Fatalf("bad input posted %d messages", n)
	}
	if n := len(e.dcs.Kills()); n != 0 {
		t.Fatal("bad input reached DCS")
	}
	rs, _ := e.app.Store().List(context.Background(), approvals.ListFilter{})
	if len(rs) != 0 {
		t.Fatalf("bad input stored %d requests", len(rs))
	}
}

func TestDuplicateEnvelopeMakesOneRequest(t *testing.T) {
	e := newEnv(t)
	e.start()
	ack := e.slash(requester, channel, killText)
	// Slack redelivers the same envelope (same ID) as a retry.
	_, err := e.slack.SendSlashCommand(e.ctx(), fakeslack.SlashCommand{UserID: requester, ChannelID: channel, Command: "/dcs", Text: killText},
		fakeslack.WithEnvelopeID(ack.EnvelopeID), fakeslack.WithRetry(1, "timeout"))
	if err != nil {
		t.Fatal(err)
	}
	e.waitFor("approval message", func() bool { return len(e.topLevel()) >= 1 })
	time.Sleep(300 * time.Millisecond)
	if n := len(e.topLevel()); n != 1 {
		t.Fatalf("%d approval messages for one command", n)
	}
}

func TestSocketDropReconnects(t *testing.T) {
	e := newEnv(t)
	e.start()
	opens := e.slack.Opens()
	e.slack.DropConnections()
	e.waitFor("reconnect", func() bool { return e.slack.Opens() > opens && e.slack.Connections() == 1 })
	msg := e.request(killText)
	e.mustClick(approver1, msg, "dcs_approve")
	if _, err := e.dcs.WaitKills(e.ctx(), 1); err != nil {
		t.Fatal(err)
	}
}

func TestSlackRateLimitedPostsStillArrive(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.slack.SetFault("chat.postMessage", fakeslack.RateLimited(2, time.Second))
	msg := e.request(killText)
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "After the kill")
	replies := e.thread(msg)
	if len(replies) != 3 || !strings.Contains(replies[0], "Killing") || !strings.Contains(replies[1], "DCS accepted") || !strings.Contains(replies[2], "After the kill") {
		t.Fatalf("thread out of order or incomplete: %v", replies)
	}
}

func TestShutdownFinishesInFlightKill(t *testing.T) {
	e := newEnv(t)
	e.dcs.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Reply{Delay: 1500 * time.Millisecond} })
	e.start()
	msg := e.request(killText)
	e.mustClick(approver1, msg, "dcs_approve")
	if _, err := e.dcs.WaitKills(e.ctx(), 1); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := e.stop(); err != nil {
		t.Fatalf("Run returned %v", err)
	}
	if time.Since(start) < time.Second {
		t.Fatalf("stopped after %v, before the in-flight kill answered", time.Since(start))
	}
	st, err := sqlite.Open(context.Background(), e.dbPath, nil, sqlite.Options{StatementTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rs, _ := st.List(context.Background(), approvals.ListFilter{})
	if len(rs) != 1 || rs[0].State != approvals.Succeeded {
		t.Fatalf("after shutdown: %+v", rs)
	}
	e.threadHas(msg, "DCS accepted the kill")
}

func TestSecretsNeverLogged(t *testing.T) {
	e := newEnv(t, withTimeout("1s"))
	e.slack.SetFault("chat.postEphemeral", fakeslack.ServerError(20))
	e.start()
	// Walk through success, refusals, DCS errors and a DCS timeout at debug level.
	msg := e.request(killText)
	e.mustClick(requester, msg, "dcs_approve")
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "DCS accepted")
	e.dcs.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Error(401, "DCS.1001", "token expired") })
	e.seedSessions()
	msg2 := e.request(killText)
	e.mustClick(approver1, msg2, "dcs_approve")
	e.threadHas(msg2, "DCS.1001")
	e.dcs.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Reply{Hang: true} })
	e.seedSessions()
	msg3 := e.request(killText)
	e.mustClick(approver1, msg3, "dcs_approve")
	e.threadHas(msg3, "Outcome unknown")
	e.stop()
	logs := e.logs.String()
	if !strings.Contains(logs, "request_id") || !strings.Contains(logs, `"component":"slack-go"`) || !strings.Contains(logs, `"level":"DEBUG"`) {
		t.Fatal("the logs lack debug lines, request IDs or slack-go's own output")
	}
	// The DCS client's lines about a kill carry the request's ID too.
	killLines := 0
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, `"api":"HangUpClients"`) {
			killLines++
			if !strings.Contains(line, `"request_id":"`) {
				t.Errorf("a DCS log line about a kill has no request_id: %s", line)
			}
		}
	}
	if killLines == 0 {
		t.Error("no DCS log line about the kills")
	}
	for name, secret := range map[string]string{"app token": appToken, "bot token": botToken, "AK": accessKey, "SK": secretKey} {
		if strings.Contains(logs, secret) {
			t.Errorf("the %s appears in the logs", name)
		}
		for _, m := range e.slack.Messages() {
			if strings.Contains(m.Text, secret) || strings.Contains(string(m.Blocks), secret) {
				t.Errorf("the %s appears in a Slack message", name)
			}
		}
	}
}

func TestInvalidTokensFailFast(t *testing.T) {
	for _, c := range []struct{ name, from, to string }{
		{"app token", appToken, "xapp-1-wrong"},
		{"bot token", botToken, "xoxb-wrong"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			base := e.env
			_ = base
			cfgEnv := func(name string) (string, bool) {
				v, ok := e.env(name)
				if v == c.from {
					v = c.to
				}
				return v, ok
			}
			err := runWithEnv(t, e, cfgEnv)
			if err == nil || !strings.Contains(err.Error(), "invalid_auth") {
				t.Fatalf("Run returned %v, want an invalid_auth error", err)
			}
			if c.name == "app token" && !errors.Is(err, slackbot.ErrInvalidAuth) {
				t.Fatalf("Run returned %v, want slackbot.ErrInvalidAuth", err)
			}
			if strings.Contains(err.Error(), c.to) {
				t.Fatal("the token appears in the error")
			}
		})
	}
}

func TestHealthEndpoints(t *testing.T) {
	e := newEnv(t)
	e.start()
	base := "http://" + e.app.HTTPAddr()
	e.waitFor("ready", func() bool { return httpStatus(t, base+"/readyz") == 200 })
	if s := httpStatus(t, base+"/healthz"); s != 200 {
		t.Fatalf("healthz %d", s)
	}
	msg := e.request(killText)
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "DCS accepted")
	body := httpBody(t, base+"/metrics")
	for _, want := range []string{
		`dcsbot_commands_total{outcome="ok",subcommand="kill"} 1`,
		`dcsbot_requests_finished_total{state="succeeded"} 1`,
		`dcsbot_decisions_total{kind="approval"} 1`,
		`dcsbot_requests_pending 0`,
		`dcsbot_slack_socket_connected 1`,
		`dcsbot_dcs_kill_seconds_count{outcome="succeeded"} 1`,
		`dcsbot_ack_seconds_count`,
		`dcsbot_dcs_calls_total{api="HangUpClients",status="204"} 1`,
		`dcsbot_dcs_call_seconds_count{api="ListClients"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// Socket down (and Slack refusing new ones): not ready, and says why.
	e.slack.SetFault("apps.connections.open", fakeslack.ServerError(1000))
	e.slack.DropConnections()
	e.waitFor("not ready", func() bool { return httpStatus(t, base+"/readyz") == 503 })
	if body := httpBody(t, base+"/readyz"); !strings.Contains(body, "slack: socket not connected") {
		t.Fatalf("readyz body %q", body)
	}
	if s := httpStatus(t, base+"/healthz"); s != 200 {
		t.Fatalf("healthz %d while the socket is down", s)
	}
	e.slack.ClearFault("apps.connections.open")
	e.waitFor("ready again", func() bool { return httpStatus(t, base+"/readyz") == 200 })
	// Each failed open and the reconnection count.
	if got, want := reconnects(t, base), e.slack.FailedOpens()+1; got != want || want < 2 {
		t.Errorf("reconnects_total %d, want %d: the failed opens and the reconnection", got, want)
	}
}

func TestStoreUnreachableAtStart(t *testing.T) {
	e := newEnv(t, withStore("  driver: postgres\n  dsn: postgres://dcsbot:hunter2secret@127.0.0.1:1/dcsbot?connect_timeout=2\n"))
	cfg, err := config.Parse([]byte(e.yaml), e.env)
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.New(context.Background(), cfg, app.Options{LogOutput: e.logs})
	if err == nil || !strings.Contains(err.Error(), "open postgres store") {
		t.Fatalf("New with an unreachable database: %v", err)
	}
	if strings.Contains(err.Error(), "hunter2secret") || strings.Contains(e.logs.String(), "hunter2secret") {
		t.Fatal("the database password leaked")
	}
}

// A Slack endpoint that does not answer auth.test (a proxy, an old fake)
// does not stop the bot; only a refused token does.
func TestAuthTestUnavailableIsNotFatal(t *testing.T) {
	e := newEnv(t)
	e.slack.SetFault("auth.test", fakeslack.APIError(1, "unknown_method"))
	e.start()
	msg := e.request(killText)
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "DCS accepted the kill")
}
