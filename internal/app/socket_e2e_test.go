package app_test

import (
	"net/http"
	"testing"

	"dcsbot/internal/fakeslack"
)

// Failed opens before the first connection are logged with the reason
// and the delay, and counted, and are no drop; a drop is logged once, and
// the failed attempts after it are logged and counted too.
func TestConnectionLogsAndReconnects(t *testing.T) {
	e := newEnv(t)
	e.slack.SetFault("apps.connections.open", fakeslack.APIError(2, "internal_error"))
	e.start()
	base := "http://" + e.app.HTTPAddr()
	e.waitFor("ready", func() bool { c, _ := get(t, base+"/readyz"); return c == http.StatusOK })
	failed := logLines(t, e, "slack socket could not connect")
	if len(failed) != 2 {
		t.Fatalf("%d failed-attempt lines, want 2:\n%s", len(failed), e.logs)
	}
	for i, l := range failed {
		if l["reason"] != "apps.connections.open: Slack answered internal_error" || l["attempt"] != float64(i+1) {
			t.Errorf("line %d: %v", i, l)
		}
		if d, ok := l["retry_in"].(float64); !ok || d <= 0 {
			t.Errorf("line %d has no delay before the next attempt: %v", i, l)
		}
	}
	if n := len(logLines(t, e, "slack socket dropped; reconnecting now")); n != 0 {
		t.Errorf("%d drop lines before the socket was ever up", n)
	}
	if got := reconnects(t, base); got != 2 || e.slack.FailedOpens() != 2 {
		t.Errorf("reconnects_total %d, failed opens %d: want 2 and 2", got, e.slack.FailedOpens())
	}

	e.slack.SetFault("apps.connections.open", fakeslack.ServerError(2))
	e.slack.DropConnections()
	e.waitFor("the drop logged", func() bool { return len(logLines(t, e, "slack socket dropped; reconnecting now")) > 0 })
	e.waitFor("ready again", func() bool { c, _ := get(t, base+"/readyz"); return c == http.StatusOK })
	if n := len(logLines(t, e, "slack socket dropped; reconnecting now")); n != 1 {
		t.Errorf("%d drop lines, want 1", n)
	}
	failed = logLines(t, e, "slack socket could not connect")
	if len(failed) != 4 || failed[2]["reason"] != "apps.connections.open: HTTP 500" || failed[3]["reason"] != "apps.connections.open: HTTP 500" {
		t.Errorf("failed-attempt lines after the drop: %v", failed)
	}
	// Every attempt after the first: four failed ones, one reconnection.
	if got, want := reconnects(t, base), e.slack.FailedOpens()+1; got != want || want != 5 {
		t.Errorf("reconnects_total %d, want %d (failed opens + 1) = 5", got, want)
	}
}
