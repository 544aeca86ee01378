package logging

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestRedactor(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(NewRedactor(&buf, "xoxb-123-secret", "", "ak"), nil))
	log.Info("token xoxb-123-secret leaked", "k", "prefix-xoxb-123-secret-suffix", "ak", "ak")
	out := buf.String()
	if strings.Contains(out, "xoxb-123-secret") {
		t.Fatalf("secret in %s", out)
	}
	if strings.Count(out, Redacted) != 2 {
		t.Fatalf("want 2 redactions in %s", out)
	}
	if !strings.Contains(out, `"ak":"ak"`) {
		t.Fatalf("a short secret blanked an ordinary word: %s", out)
	}
}

func TestSlackLogger(t *testing.T) {
	var buf bytes.Buffer
	l := SlackLogger{Log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	_ = l.Output(2, "Dialing WebSocket endpoint\n")
	if !strings.Contains(buf.String(), `msg="Dialing WebSocket endpoint" component=slack-go`) {
		t.Fatalf("got %q", buf.String())
	}
}

func TestContextHandlerAddsRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(ContextHandler{slog.NewTextHandler(&buf, nil)}).With("component", "dcs")
	log.InfoContext(WithRequestID(context.Background(), "7K2QFM"), "dcs call")
	log.Info("no request")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "request_id=7K2QFM") || strings.Contains(lines[1], "request_id") {
		t.Fatalf("got %q", lines)
	}
}
