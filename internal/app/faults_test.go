package app_test

// Fault injection, one fault at a time and some together. Every test ends
// with fx.healthy: no session killed twice, no approved request stuck or
// silent (each ended succeeded, failed or unknown and its thread says so),
// and a fresh request still goes through.

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/fakedcs"
	"dcsbot/internal/fakeslack"
)

// DCS answers the kill with an error: the request fails, the thread shows
// the code, status and DCS request ID, and the kill is not retried. A
// gateway's 502 without a DCS code may hide a kill that happened: unknown.
func TestFaultDCSErrorAnswers(t *testing.T) {
	t.Parallel()
	f := newFx(t)
	f.start()
	for _, c := range []struct {
		reply       fakedcs.Reply
		want        []string
		state       approvals.State
		said, shown string
	}{
		{fakedcs.Error(400, "DCS.4800", "Invalid parameter."), []string{"DCS.4800", "HTTP 400"}, approvals.Failed, "The kill failed", "Failed"},
		{fakedcs.Error(403, "DCS.2003", "No permission."), []string{"DCS.2003", "HTTP 403", "permission"}, approvals.Failed, "The kill failed", "Failed"},
		{fakedcs.Error(404, "DCS.3022", "Instance does not exist."), []string{"DCS.3022", "HTTP 404"}, approvals.Failed, "The kill failed", "Failed"},
		{fakedcs.Error(429, "APIG.0308", "The request is throttled."), []string{"APIG.0308", "HTTP 429"}, approvals.Failed, "The kill failed", "Failed"},
		{fakedcs.Error(500, "DCS.5000", "Internal error."), []string{"DCS.5000", "HTTP 500"}, approvals.Failed, "The kill failed", "Failed"},
		{fakedcs.Error(503, "DCS.5006", "Service unavailable."), []string{"DCS.5006", "HTTP 503"}, approvals.Failed, "The kill failed", "Failed"},
		{fakedcs.Reply{Status: 502, Body: []byte("<html><body>502 Bad Gateway</body></html>")}, []string{"HTTP 502", "may or may not"},
			approvals.Unknown, "Outcome unknown", "Outcome unknown"},
	} {
		t.Logf("DCS answers HTTP %d %s", c.reply.Status, c.reply.Code)
		c.reply.RequestID = fmt.Sprintf("req-%d-%s", c.reply.Status, c.reply.Code)
		f.dcs.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return c.reply })
		m, a := f.ask()
		f.approve(m, a)
		f.ends(m, a, c.state, c.said, 1)
		for _, w := range append(c.want, c.reply.RequestID) {
			f.threadHas(m, w)
		}
		f.waitFor("message shows "+c.shown, func() bool { return strings.Contains(blocksText(t, f.message(m).Blocks), c.shown) })
		for _, s := range f.thread(m) {
			if strings.Contains(s, "<html>") {
				t.Errorf("raw HTML in the thread: %q", s)
			}
		}
	}
	f.dcs.SetKill(nil)
	f.healthy()
}

// DCS takes the kill and never answers, or drops the connection without an
// answer: the outcome is unknown, said so, and the kill is not sent again.
func TestFaultDCSNoAnswer(t *testing.T) {
	t.Parallel()
	f := newFx(t, withTimeout("1s"))
	f.start()

	f.dcs.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Reply{Hang: true} })
	m, a := f.ask()
	f.approve(m, a)
	f.ends(m, a, approvals.Unknown, "no answer within 1 s", 1)
	f.waitFor("message shows unknown", func() bool { return strings.Contains(blocksText(t, f.message(m).Blocks), "Outcome unknown") })

	f.dcs.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Reply{Drop: true} })
	m, a = f.ask()
	f.approve(m, a)
	f.ends(m, a, approvals.Unknown, "Outcome unknown", 1)

	f.dcs.SetKill(nil)
	f.healthy()
}

// DCS cannot be reached: its port refuses connections when the kill is
// sent (the request fails, nothing reached DCS), or every connection to it
// is cut while the kill is in flight (outcome unknown).
func TestFaultDCSConnectionRefused(t *testing.T) {
	t.Parallel()
	f := newFx(t)
	p := newFaultProxy(t, strings.TrimPrefix(f.dcs.URL, "http://"))
	f.yaml = strings.Replace(f.yaml, "endpoint: "+f.dcs.URL, "endpoint: http://"+p.Addr(), 1)
	f.start()

	m, a := f.ask()
	p.Cut()
	f.mustClick(approver1, m, "dcs_approve")
	f.ends(m, a, approvals.Failed, "could not reach DCS", 0)
	p.Restore()

	f.dcs.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Reply{Delay: 2 * time.Second} })
	m, a = f.ask()
	f.approve(m, a)
	p.Cut()
	f.ends(m, a, approvals.Unknown, "Outcome unknown", 1)
	p.Restore()

	f.dcs.SetKill(nil)
	f.healthy()
}

// Slack's Web API answers 429 (with Retry-After) or 5xx for a while on each
// method the bot uses: every post, redraw and ephemeral still arrives.
func TestFaultSlackRetried(t *testing.T) {
	t.Parallel()
	f := newFx(t)
	f.start()
	faults := []struct {
		name  string
		fault fakeslack.Fault
	}{
		{"429", fakeslack.RateLimited(1, time.Second)},
		{"500", fakeslack.ServerError(3)},
		{"503", fakeslack.Fault{Times: 2, Status: 503}},
	}
	for _, c := range faults {
		t.Logf("chat.postMessage %s: the approval message", c.name)
		f.slack.SetFault("chat.postMessage", c.fault)
		m, a := f.ask()
		f.approve(m, a)
		f.ends(m, a, approvals.Succeeded, "DCS accepted the kill", 1)

		t.Logf("chat.update %s: the redraw after the result", c.name)
		m, a = f.ask()
		f.slack.SetFault("chat.update", c.fault)
		f.approve(m, a)
		f.ends(m, a, approvals.Succeeded, "DCS accepted the kill", 1)
		f.waitFor("message shows executed", func() bool { return strings.Contains(blocksText(t, f.message(m).Blocks), "Executed") })

		t.Logf("chat.postEphemeral %s: a refusal", c.name)
		m, a = f.ask()
		f.slack.SetFault("chat.postEphemeral", c.fault)
		n := len(f.slack.Ephemerals())
		f.mustClick(outsider, m, "dcs_approve")
		f.waitFor("refusal to the outsider", func() bool {
			es := f.slack.Ephemerals()
			return len(es) > n && es[len(es)-1].User == outsider && strings.Contains(es[len(es)-1].Text, "not an approver")
		})
		f.approve(m, a)
		f.ends(m, a, approvals.Succeeded, "DCS accepted the kill", 1)
	}

	t.Log("chat.postMessage 5xx five times for the result reply, while the kill is in flight")
	f.dcs.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Reply{Delay: 300 * time.Millisecond} })
	m, a := f.ask()
	f.approve(m, a)
	f.threadHas(m, "Killing")
	f.slack.SetFault("chat.postMessage", fakeslack.ServerError(5))
	f.ends(m, a, approvals.Succeeded, "DCS accepted the kill", 1)
	f.dcs.SetKill(nil)
	f.healthy()
}

// Slack refuses the approval message outright (ok:false, not retried): the
// request is withdrawn rather than left pending unseen, the requester is
// told to try again, and nothing is killed.
func TestFaultSlackRefusesApprovalMessage(t *testing.T) {
	t.Parallel()
	f := newFx(t)
	f.start()
	f.slack.SetFault("chat.postMessage", fakeslack.APIError(0, "internal_error"))
	a := f.newAddr()
	f.slash(requester, channel, killOf(a))
	f.ephemeralTo(requester, "Try again")
	f.waitFor("request withdrawn", func() bool {
		rs, err := f.app.Store().List(context.Background(), approvals.ListFilter{})
		return err == nil && len(rs) == 1 && rs[0].State == approvals.Cancelled
	})
	f.slack.ClearFault("chat.postMessage")
	if n := len(f.topLevel()); n != 0 {
		t.Fatalf("%d messages posted", n)
	}
	if f.killsOf(a) != 0 {
		t.Fatal("killed without an approval message")
	}
	f.healthy()
}

// The socket drops between the request and the click, between the click
// and the result, and while a click is being sent. Slack then redelivers
// the click's envelope. Each request is killed once and reported.
func TestFaultSocketDrop(t *testing.T) {
	t.Parallel()
	f := newFx(t)
	f.dcs.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Reply{Delay: 500 * time.Millisecond} })
	f.start()
	reconnect := func() {
		t.Helper()
		opens := f.slack.Opens()
		f.slack.DropConnections()
		f.waitFor("reconnect", func() bool { return f.slack.Opens() > opens && f.slack.Connections() == 1 })
	}

	t.Log("between request and click")
	m, a := f.ask()
	reconnect()
	f.approve(m, a)
	f.ends(m, a, approvals.Succeeded, "DCS accepted the kill", 1)

	t.Log("between click and result, then the click redelivered")
	m, a = f.ask()
	id := f.stored(m).ID
	ack, err := f.slack.SendBlockAction(f.ctx(), fakeslack.BlockAction{UserID: approver1, ChannelID: m.Channel,
		MessageTS: m.TS, BlockID: "dcs_decision", ActionID: "dcs_approve"})
	if err != nil {
		t.Fatal(err)
	}
	f.waitFor("kill at DCS", func() bool { return f.killsOf(a) == 1 })
	reconnect()
	f.ends(m, a, approvals.Succeeded, "DCS accepted the kill", 1)
	for _, opt := range [][]fakeslack.SendOption{
		{fakeslack.WithEnvelopeID(ack.EnvelopeID), fakeslack.WithRetry(1, "timeout")},
		{fakeslack.WithRetry(2, "timeout")}, // a new envelope ID for the same click
	} {
		if _, err := f.slack.SendBlockAction(f.ctx(), fakeslack.BlockAction{UserID: approver1, ChannelID: m.Channel,
			MessageTS: m.TS, BlockID: "dcs_decision", ActionID: "dcs_approve", Value: id, Force: true}, opt...); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := f.killsOf(a); n != 1 {
		t.Fatalf("a redelivered click killed again: %d kills", n)
	}

	t.Log("while the click is sent: it waits for the reconnect")
	m, a = f.ask()
	f.slack.DropConnections()
	f.approve(m, a)
	f.ends(m, a, approvals.Succeeded, "DCS accepted the kill", 1)

	f.dcs.SetKill(nil)
	f.healthy()
}

// sqliteFx is an env on a SQLite file of its own whose DSN sets the busy
// timeout to busy (the bot's default is 10 s).
func sqliteFx(t *testing.T, busy time.Duration) (*fx, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "locked.db")
	f := newFx(t, withStore(fmt.Sprintf("  driver: sqlite\n  dsn: \"file:%s?_timeout=%d\"\n", path, busy.Milliseconds())))
	return f, path
}

// expectTryAgain runs action and waits for a new ephemeral to user asking
// to try again.
func (f *fx) expectTryAgain(user string, action func()) {
	f.t.Helper()
	count := func() int {
		n := 0
		for _, e := range f.slack.Ephemerals() {
			if e.User == user && strings.Contains(e.Text, "Try again") {
				n++
			}
		}
		return n
	}
	before := count()
	action()
	f.waitFor("a new 'try again' ephemeral to "+user, func() bool { return count() > before })
}

// Another process holds the SQLite file's write lock (BEGIN EXCLUSIVE)
// longer than the bot's busy timeout while a command and a click arrive:
// both get a "try again" ephemeral and change nothing; once the lock is
// released the click works, and so does a new command.
func TestFaultSQLiteLocked(t *testing.T) {
	t.Parallel()
	f, path := sqliteFx(t, 300*time.Millisecond)
	f.start()
	m, a := f.ask()
	messages := len(f.topLevel())

	release := lockSQLite(t, path)
	b := f.newAddr()
	f.expectTryAgain(requester, func() {
		if ack := f.slash(requester, channel, killOf(b)); len(ack.Payload) > 0 {
			t.Fatalf("acked with %s", ack.Payload)
		}
	})
	f.expectTryAgain(approver1, func() { f.mustClick(approver1, m, "dcs_approve") })
	release()

	if n := len(f.topLevel()); n != messages {
		t.Fatalf("%d new messages while the store was locked", n-messages)
	}
	rs, err := f.app.Store().List(context.Background(), approvals.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].State != approvals.Pending || len(rs[0].Approvals) != 0 {
		t.Fatalf("the failed command or click left something behind: %d requests, first %+v", len(rs), rs[0])
	}
	if f.killsOf(a)+f.killsOf(b) != 0 {
		t.Fatal("killed while the store was locked")
	}
	f.approve(m, a)
	f.ends(m, a, approvals.Succeeded, "DCS accepted the kill", 1)
	f.healthy()
}

// The write lock is held for less than the bot's default busy timeout
// (10 s): the command is acked at once, other envelopes are still served,
// and the command completes when the lock goes.
func TestFaultSQLiteBusyWaits(t *testing.T) {
	t.Parallel()
	f := newFx(t)
	f.start()
	release := lockSQLite(t, f.dbPath)
	a := f.newAddr()
	const hold = 1500 * time.Millisecond
	if ack := f.slash(requester, channel, killOf(a)); ack.Latency >= hold {
		t.Fatalf("the ack waited for the store: %v", ack.Latency)
	}
	// The socket reader is not held up: another user's command is answered.
	start := time.Now()
	help := f.slash(approver2, channel, "help")
	if reply, _ := help.PayloadMap()["text"].(string); !strings.Contains(reply, "/dcs kill") || help.Latency >= hold {
		t.Fatalf("/dcs help while the store is locked: %q after %v", reply, help.Latency)
	}
	time.Sleep(hold - time.Since(start))
	if n := len(f.topLevel()); n != 0 {
		t.Fatal("posted before the store recorded the request")
	}
	release()
	f.waitFor("approval message with its buttons", func() bool { return len(f.topLevel()) == 1 && hasButtons(t, f.topLevel()[0].Blocks) })
	m := f.topLevel()[0]
	f.approve(m, a)
	f.ends(m, a, approvals.Succeeded, "DCS accepted the kill", 1)
	f.healthy()
}

// The write lock is taken while DCS is answering a kill: the outcome is
// recorded once the lock goes (retried, not lost) and reported.
func TestFaultSQLiteLockedDuringKill(t *testing.T) {
	t.Parallel()
	f, path := sqliteFx(t, 300*time.Millisecond)
	f.dcs.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Reply{Delay: 300 * time.Millisecond} })
	f.start()
	m, a := f.ask()
	f.approve(m, a)
	release := lockSQLite(t, path)
	time.Sleep(2 * time.Second)
	release()
	f.ends(m, a, approvals.Succeeded, "DCS accepted the kill", 1)
	f.dcs.SetKill(nil)
	f.healthy()
}

// PostgreSQL restarts: a proxy between the bot and the database cuts every
// connection and refuses new ones for a while. A command and a click in
// that time fail with a "try again" ephemeral and leave nothing behind; a
// kill in flight has its outcome recorded once the database is back; later
// commands succeed.
func TestFaultPostgresRestart(t *testing.T) {
	t.Parallel()
	dsn := faultPostgresDSN(t)
	p := newFaultProxy(t, postgresTarget(t, dsn))
	f := newFx(t, withStore(fmt.Sprintf("  driver: postgres\n  dsn: %q\n", faultSchema(t, dsn, p.Addr()))))
	f.dcs.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Reply{Delay: 400 * time.Millisecond} })
	f.start()
	m, a := f.ask()

	p.Cut()
	b := f.newAddr()
	f.expectTryAgain(requester, func() { f.slash(requester, channel, killOf(b)) })
	f.expectTryAgain(approver1, func() { f.mustClick(approver1, m, "dcs_approve") })
	p.Restore()

	r, err := f.app.Store().Get(context.Background(), f.stored(m).ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != approvals.Pending || len(r.Approvals) != 0 {
		t.Fatalf("the failed click left %s with %d approvals", r.State, len(r.Approvals))
	}
	if rs, _ := f.app.Store().List(context.Background(), approvals.ListFilter{}); len(rs) != 1 {
		t.Fatalf("%d requests stored, want only the one from before the restart", len(rs))
	}
	f.approve(m, a)
	f.ends(m, a, approvals.Succeeded, "DCS accepted the kill", 1)

	t.Log("the database restarts while a kill is in flight")
	m, a = f.ask()
	f.approve(m, a)
	p.Cut()
	time.Sleep(1500 * time.Millisecond)
	p.Restore()
	f.ends(m, a, approvals.Succeeded, "DCS accepted the kill", 1)

	f.dcs.SetKill(nil)
	f.healthy()
}

// Several faults at once.
func TestFaultCombined(t *testing.T) {
	t.Parallel()
	f := newFx(t, withTimeout("1s"))
	f.start()

	t.Log("DCS 503, Slack 429 on posts and 5xx on redraws")
	f.dcs.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Error(503, "DCS.5006", "Service unavailable.") })
	m, a := f.ask()
	f.slack.SetFault("chat.postMessage", fakeslack.RateLimited(1, time.Second))
	f.slack.SetFault("chat.update", fakeslack.ServerError(2))
	f.approve(m, a)
	f.ends(m, a, approvals.Failed, "DCS.5006", 1)

	t.Log("DCS hangs, the socket drops mid-kill, Slack 5xx on the thread reply")
	f.dcs.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Reply{Hang: true} })
	m, a = f.ask()
	f.approve(m, a)
	f.slack.DropConnections()
	f.slack.SetFault("chat.postMessage", fakeslack.ServerError(2))
	f.ends(m, a, approvals.Unknown, "Outcome unknown", 1)
	f.waitFor("reconnect", func() bool { return f.slack.Connections() == 1 })

	f.dcs.SetKill(nil)
	f.healthy()
}

// The SQLite file is locked, the socket drops and Slack rate-limits the
// ephemeral, all while a command is handled: the requester still hears to
// try again, nothing is stored, and the bot serves once the lock goes.
func TestFaultCombinedLockDropRateLimit(t *testing.T) {
	t.Parallel()
	f, path := sqliteFx(t, 500*time.Millisecond)
	f.start()
	release := lockSQLite(t, path)
	f.slack.SetFault("chat.postEphemeral", fakeslack.RateLimited(1, time.Second))
	f.expectTryAgain(requester, func() {
		f.slash(requester, channel, killOf(f.newAddr()))
		f.slack.DropConnections()
	})
	release()
	if rs, _ := f.app.Store().List(context.Background(), approvals.ListFilter{}); len(rs) != 0 {
		t.Fatalf("%d requests stored while locked", len(rs))
	}
	f.waitFor("reconnect", func() bool { return f.slack.Connections() == 1 })
	f.healthy()
}

// The store is locked between the approval message's post and the record of
// where it went: SetMessage fails, and so does the withdrawal. The requester
// is told nothing was changed, and the message, which never got its
// buttons, says the request is cancelled. A click all the same (a stale
// client, a forged payload) must never revive it: it is refused, and
// nothing is killed.
func TestFaultSQLiteLockedAfterPost(t *testing.T) {
	t.Parallel()
	f, path := sqliteFx(t, 300*time.Millisecond)
	f.start()
	f.slack.SetFault("chat.postMessage", fakeslack.Fault{Times: 1, Delay: time.Second})
	a := f.newAddr()
	f.slash(requester, channel, killOf(a))
	f.waitFor("request created", func() bool {
		rs, err := f.app.Store().List(context.Background(), approvals.ListFilter{})
		return err == nil && len(rs) == 1
	})
	release := lockSQLite(t, path) // while Slack holds the post back
	f.tryAgainTo(requester)
	time.Sleep(500 * time.Millisecond) // the withdrawal fails too
	release()
	f.waitFor("approval message", func() bool { return len(f.topLevel()) == 1 })
	m := f.topLevel()[0]
	f.waitFor("message says cancelled", func() bool { return strings.Contains(blocksText(t, f.message(m).Blocks), "Cancelled") })
	if hasButtons(t, f.message(m).Blocks) {
		t.Fatal("the message of a request the bot withdrew has buttons")
	}
	id := f.onlyRequest().ID
	if _, err := f.slack.SendBlockAction(f.ctx(), fakeslack.BlockAction{UserID: approver1, ChannelID: m.Channel, MessageTS: m.TS,
		BlockID: "dcs_decision", ActionID: "dcs_approve", Value: id, Force: true}); err != nil {
		t.Fatal(err)
	}
	f.ephemeralTo(approver1, "still being set up (or was withdrawn)")
	if n := f.killsOf(a); n != 0 {
		t.Fatalf("a request the bot withdrew was killed %d times", n)
	}
}
