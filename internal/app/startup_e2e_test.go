package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"dcsbot/internal/app"
	"dcsbot/internal/config"
	"dcsbot/internal/testkit"
	"dcsbot/internal/version"
)

// With a Slack that accepts connections and never answers, /healthz
// answers while auth.test is still held, /readyz answers 503 saying what
// the bot waits for, and the log says it too; once Slack answers, the bot
// connects and is ready.
func TestHealthDoesNotWaitOnSlack(t *testing.T) {
	e := newEnv(t)
	e.slack.SetWebAPIHung(true)
	e.launch()
	base := "http://" + e.app.HTTPAddr()
	e.waitFor("auth.test held by Slack", func() bool { return e.slack.InFlight("auth.test") == 1 })

	if code, body := get(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("healthz %d %q while Slack hangs", code, body)
	}
	code, body := get(t, base+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "starting: checking the Slack bot token (auth.test)") {
		t.Errorf("readyz %d %q, want 503 naming the token check", code, body)
	}
	if n := e.slack.InFlight("auth.test"); n != 1 {
		t.Fatalf("auth.test no longer held (%d in flight): the answers above do not show health served while Slack hangs", n)
	}
	if len(logLines(t, e, "starting: checking the Slack bot token (auth.test)")) != 1 {
		t.Errorf("the log does not say what the bot waits for:\n%s", e.logs)
	}

	e.slack.SetWebAPIHung(false)
	e.waitFor("ready once Slack answers", func() bool { c, _ := get(t, base+"/readyz"); return c == http.StatusOK })
	if e.slack.Connections() != 1 {
		t.Errorf("%d sockets open, want 1", e.slack.Connections())
	}
}

// A socket open that Slack holds unanswered times out (after the attempt
// timeout), is logged with its reason and the next attempt's delay, and
// /readyz says so while /healthz stays green; the socket comes back once
// Slack answers.
func TestHungSocketOpenSaysWhy(t *testing.T) {
	e := newEnv(t)
	e.tune = func(tu *config.Tuning) { tu.Slack.Attempt = time.Second }
	e.start()
	base := "http://" + e.app.HTTPAddr()
	e.waitFor("ready", func() bool { c, _ := get(t, base+"/readyz"); return c == http.StatusOK })

	e.slack.SetWebAPIHung(true)
	e.slack.DropConnections()
	e.waitFor("a timed-out attempt logged", func() bool {
		return hasReason(logLines(t, e, "slack socket could not connect"), "apps.connections.open: timed out")
	})
	code, body := get(t, base+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "slack: socket not connected: apps.connections.open: timed out (attempt ") {
		t.Errorf("readyz %d %q, want 503 with the timed-out open", code, body)
	}
	if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("healthz %d while the socket cannot connect", code)
	}
	if n := len(logLines(t, e, "slack socket dropped; reconnecting now")); n != 1 {
		t.Errorf("%d drop lines, want 1: failed attempts are not drops", n)
	}

	e.slack.SetWebAPIHung(false)
	e.waitFor("ready again", func() bool { c, _ := get(t, base+"/readyz"); return c == http.StatusOK })
}

// A Slack that refuses connections: the bot starts anyway, keeps trying,
// and says why it is not ready.
func TestRefusedSlackSaysWhy(t *testing.T) {
	closed := "http://" + testkit.ClosedAddr(t) + "/api/"
	e := newEnv(t)
	e.yaml = strings.Replace(e.yaml, e.slack.APIURL(), closed, 1)
	e.launch()
	base := "http://" + e.app.HTTPAddr()
	e.waitFor("a refused attempt logged", func() bool {
		return hasReason(logLines(t, e, "slack socket could not connect"), "apps.connections.open: connection refused")
	})
	e.waitFor("readyz names the refusal", func() bool {
		code, body := get(t, base+"/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "slack: socket not connected: apps.connections.open: connection refused")
	})
	if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("healthz %d while Slack refuses connections", code)
	}
	if n := len(logLines(t, e, "slack socket dropped; reconnecting now")); n != 0 {
		t.Errorf("a socket that never connected is logged dropped %d times", n)
	}
}

// The start-up line names the version, the config file, the instances,
// the store driver, the listen address, and a dry run.
func TestStartupLine(t *testing.T) {
	for _, dry := range []bool{false, true} {
		e := newEnv(t, withExtra("huaweicloud", "  dry_run: "+strconv.FormatBool(dry)+"\n"),
			withExtra("instances", "  cache-eu:\n    id: 11111111-2222-4333-8444-555555555555\n"))
		cfg, err := config.Parse([]byte(e.yaml), e.env)
		if err != nil {
			t.Fatal(err)
		}
		a, err := app.New(context.Background(), cfg, app.Options{LogOutput: e.logs, ConfigPath: "/etc/dcsbot/config.yaml"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = a.Run(ctx) // closes what New opened

		lines := logLines(t, e, "dcsbot starting")
		if len(lines) != 1 {
			t.Fatalf("dry_run %v: %d start-up lines:\n%s", dry, len(lines), e.logs)
		}
		l, v := lines[0], version.Get()
		want := map[string]any{"version": v.Version, "revision": v.Revision, "go": v.GoVersion, "config": "/etc/dcsbot/config.yaml",
			"instances": "cache-eu,orders-prod", "store": "sqlite", "listen": a.HTTPAddr()}
		if dry {
			want["dry_run"] = true
		}
		for k, w := range want {
			if l[k] != w {
				t.Errorf("dry_run %v: %s = %v, want %v", dry, k, l[k], w)
			}
		}
		if _, ok := l["dry_run"]; ok && !dry {
			t.Errorf("dry_run shown while off: %v", l)
		}
		var first map[string]any
		if err := json.Unmarshal([]byte(strings.SplitN(e.logs.String(), "\n", 2)[0]), &first); err != nil || first["msg"] != "dcsbot starting" {
			t.Errorf("the start-up line is not the first: %v", first)
		}
	}
}
