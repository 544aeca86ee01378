package audit

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSink(t *testing.T) {
	tests := []struct {
		spec    string
		kind    SinkKind
		shown   string // String()
		key     string // Key()
		wantErr string // a part of the error
	}{
		{spec: "", kind: SinkLog, shown: "log", key: "log"},
		{spec: "log", kind: SinkLog, shown: "log", key: "log"},
		{spec: "  log ", kind: SinkLog, shown: "log", key: "log"},
		{spec: "file:/var/log/dcsbot/audit.jsonl", kind: SinkFile, shown: "file:/var/log/dcsbot/audit.jsonl", key: "file:/var/log/dcsbot/audit.jsonl"},
		{spec: "file:audit.jsonl", kind: SinkFile, shown: "file:audit.jsonl", key: "file:audit.jsonl"},
		{spec: "webhook:https://siem.example.com/in/dcsbot", kind: SinkWebhook,
			shown: "webhook:https://siem.example.com/in/dcsbot", key: "webhook:https://siem.example.com/in/dcsbot"},
		{spec: "webhook:http://10.0.0.5:8080/audit?token=SECRETTOKEN", kind: SinkWebhook,
			shown: "webhook:http://10.0.0.5:8080/audit?xxxxx", key: "webhook:http://10.0.0.5:8080/audit"},
		{spec: "webhook:https://bot:SECRETPASS@siem.example.com/x", kind: SinkWebhook,
			shown: "webhook:https://xxxxx@siem.example.com/x", key: "webhook:https://siem.example.com/x"},

		{spec: "log:x", wantErr: `"log" takes nothing after it`},
		{spec: "file:", wantErr: "file: needs the path"},
		{spec: "file:   ", wantErr: "file: needs the path"},
		{spec: "webhook:", wantErr: "webhook: needs the URL"},
		{spec: "webhook:ftp://example.com/x", wantErr: "must start with https:// or http://"},
		{spec: "webhook:/relative/path", wantErr: "must start with https:// or http://"},
		{spec: "webhook:https:///nohost", wantErr: "has no host"},
		{spec: "webhook:https://SECRETPASS@host:notaport/", wantErr: "does not parse"},
		{spec: "syslog", wantErr: `unknown sink "syslog": must be log, file:<path> or webhook:<url>`},
		{spec: "LOG", wantErr: `unknown sink "LOG"`},
		{spec: "https://bot:SECRETPASS@siem.example.com/?token=SECRETTOKEN", wantErr: "must be log, file:<path> or webhook:<url>"},
		{spec: "/var/log/audit", wantErr: "must be log, file:<path> or webhook:<url>"},
	}
	for _, tc := range tests {
		s, err := ParseSink(tc.spec)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseSink(%q) = %v, %v; want an error with %q", tc.spec, s, err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "SECRET") {
				t.Errorf("ParseSink(%q): the error shows a secret: %v", tc.spec, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseSink(%q): %v", tc.spec, err)
			continue
		}
		if s.Kind != tc.kind || s.String() != tc.shown || s.Key() != tc.key {
			t.Errorf("ParseSink(%q) = kind %s, shown %q, key %q; want %s, %q, %q", tc.spec, s.Kind, s, s.Key(), tc.kind, tc.shown, tc.key)
		}
	}
}

func TestOpenSink(t *testing.T) {
	logSpec, _ := ParseSink("log")
	if _, err := OpenSink(logSpec, OpenParams{}); err == nil {
		t.Error("a log sink opened without a logger")
	}
	if s, err := OpenSink(logSpec, OpenParams{Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Error(err)
	} else if _, ok := s.(*LogSink); !ok {
		t.Errorf("log spec opened a %T", s)
	}

	fileSpec, _ := ParseSink("file:" + filepath.Join(t.TempDir(), "a", "audit.jsonl"))
	s, err := OpenSink(fileSpec, OpenParams{File: testFileOptions})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*FileSink); !ok {
		t.Errorf("file spec opened a %T", s)
	}
	s.Close()

	hookSpec, _ := ParseSink("webhook:https://siem.example.com/x")
	if _, err := OpenSink(hookSpec, OpenParams{}); err == nil || !strings.Contains(err.Error(), "secret is empty") {
		t.Errorf("a webhook without a key: %v", err)
	}
	if s, err := OpenSink(hookSpec, OpenParams{WebhookKey: []byte("k"), WebhookTimeout: testWebhookTimeout}); err != nil {
		t.Error(err)
	} else if _, ok := s.(*WebhookSink); !ok {
		t.Errorf("webhook spec opened a %T", s)
	}
}
