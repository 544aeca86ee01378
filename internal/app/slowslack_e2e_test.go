package app_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"dcsbot/internal/approvals"
	"dcsbot/internal/config"
	"dcsbot/internal/fakedcs"
	"dcsbot/internal/fakeslack"
)

// botGoroutines returns the stacks of the goroutines running the bot's
// own code or slack-go's (not the fakes', not net/http's idle
// connections).
func botGoroutines() []string {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, pkg := range []string{"dcsbot/internal/approvals.", "dcsbot/internal/slackbot.", "dcsbot/internal/app.(*App)", "github.com/slack-go/slack"} {
			if strings.Contains(g, pkg) {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

// With chat.postMessage hung, the outcome of an approved kill is recorded
// while Slack still holds the "Killing…" note; shutdown does not wait out
// shutdown_timeout for Slack; and no goroutine of the bot is left behind.
func TestHungSlackDoesNotHoldTheOutcome(t *testing.T) {
	const shutdownTimeout = 10 * time.Second // the env's
	e := newEnv(t)
	e.tune = func(tu *config.Tuning) { tu.Slack.Grace = time.Second }
	before := len(botGoroutines())
	e.start()
	if len(botGoroutines()) <= before {
		t.Fatal("the goroutine check does not see the bot's goroutines")
	}
	msg := e.request(killText)

	e.slack.SetFault("chat.postMessage", fakeslack.Hung(0))
	e.mustClick(approver1, msg, "dcs_approve")
	e.waitFor("outcome recorded", func() bool { return e.onlyRequest().State.Final() })
	if st := e.onlyRequest().State; st != approvals.Succeeded {
		t.Fatalf("recorded %s, want succeeded", st)
	}
	// Recorded while Slack still holds the "Killing…" note: no post has
	// had to time out first.
	for _, c := range e.slack.Calls("chat.postMessage") {
		if c.Hung {
			t.Fatal("the outcome was recorded only after a Slack post gave up")
		}
	}
	if e.slack.InFlight("chat.postMessage") == 0 {
		t.Fatal("Slack no longer holds the note: the test shows nothing")
	}

	start := time.Now()
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took >= shutdownTimeout {
		t.Fatalf("shutdown took %v: it waited out shutdown_timeout on Slack", took)
	}
	var left []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if left = botGoroutines(); len(left) <= before {
			return
		}
	}
	t.Fatalf("%d goroutines of the bot left after shutdown (%d before start):\n%s", len(left), before, strings.Join(left, "\n\n"))
}

// A live worker keeps its request from the sweep, however long the kill
// takes: with requests taken for abandoned after 1 s without a lease, a
// kill DCS answers in 4 s still ends succeeded, not unknown.
func TestSweepLeavesLiveKillAlone(t *testing.T) {
	e := newEnv(t, withTimeout("10s"))
	e.tune = func(tu *config.Tuning) { tu.Lease = 2 * time.Second }
	e.staleAfter = time.Second
	e.start()
	msg := e.request(killText)
	e.dcs.SetKill(func(fakedcs.KillCall) fakedcs.Reply { return fakedcs.Reply{Delay: 4 * time.Second} })
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "DCS accepted the kill")
	if st := e.onlyRequest().State; st != approvals.Succeeded {
		t.Fatalf("state %s, want succeeded", st)
	}
	for _, s := range e.thread(msg) {
		if strings.Contains(s, "unknown") {
			t.Errorf("the thread calls a live kill unknown: %q", s)
		}
	}
}
