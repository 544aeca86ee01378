package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"dcsbot/internal/app"
	"dcsbot/internal/config"
)

// runWithEnv runs a bot whose secrets come from lookup and returns what Run
// returned, failing if it does not return within 10 s.
func runWithEnv(t *testing.T, e *env, lookup func(string) (string, bool)) error {
	t.Helper()
	cfg, err := config.Parse([]byte(e.yaml), lookup)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := app.New(ctx, cfg, app.Options{Logger: slog.New(slog.NewTextHandler(e.logs, nil))})
	if err != nil {
		return err
	}
	err = a.Run(ctx)
	if ctx.Err() != nil {
		t.Fatal("Run did not fail fast")
	}
	return err
}

func httpStatus(t *testing.T, url string) int {
	t.Helper()
	status, _ := get(t, url)
	return status
}

func httpBody(t *testing.T, url string) string {
	t.Helper()
	_, body := get(t, url)
	return body
}

// get fetches url, failing the test if no answer comes within 5 s.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// logLines returns the bot's JSON log lines with the message msg.
func logLines(t *testing.T, e *env, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(e.logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

func hasReason(lines []map[string]any, reason string) bool {
	for _, l := range lines {
		if l["reason"] == reason {
			return true
		}
	}
	return false
}

var reconnectsRE = regexp.MustCompile(`(?m)^dcsbot_slack_socket_reconnects_total (\d+)$`)

// reconnects reads dcsbot_slack_socket_reconnects_total.
func reconnects(t *testing.T, base string) int {
	t.Helper()
	_, body := get(t, base+"/metrics")
	m := reconnectsRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no dcsbot_slack_socket_reconnects_total in:\n%s", body)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
