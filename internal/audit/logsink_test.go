package audit

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sendToLog(t *testing.T, h slog.Handler, batch []Record) {
	t.Helper()
	s := NewLogSink(slog.New(h))
	s.now = func() time.Time { return t0 }
	if err := s.Send(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
}

// With a JSON handler each record is one line whose "record" object is the
// record's JSON, field for field.
func TestLogSinkJSON(t *testing.T) {
	var buf bytes.Buffer
	// Level error: audit lines are written all the same.
	batch := []Record{full(), {Seq: 43, Event: "expired", At: t0, RequestID: "R2", Kind: "kill-all"}}
	sendToLog(t, slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError}), batch)

	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(batch) {
		t.Fatalf("%d lines for %d records:\n%s", len(lines), len(batch), buf.String())
	}
	for i, line := range lines {
		var got struct {
			Msg       string          `json:"msg"`
			Level     string          `json:"level"`
			Event     string          `json:"event"`
			RequestID string          `json:"request_id"`
			Record    json.RawMessage `json:"record"`
		}
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i, err, line)
		}
		if got.Msg != "audit" || got.Event != "audit" || got.Level != "INFO" || got.RequestID != batch[i].RequestID {
			t.Errorf("line %d: msg %q event %q level %q request_id %q", i, got.Msg, got.Event, got.Level, got.RequestID)
		}
		want, _ := Marshal(batch[i])
		var gotObj, wantObj map[string]any
		_ = json.Unmarshal(got.Record, &gotObj)
		_ = json.Unmarshal(want, &wantObj)
		if !reflect.DeepEqual(gotObj, wantObj) {
			t.Errorf("line %d: record\n got %s\nwant %s", i, got.Record, want)
		}
	}
}

// With a text handler each record is one line of readable pairs.
func TestLogSinkText(t *testing.T) {
	var buf bytes.Buffer
	r := full()
	r.Reason = "runaway KEYS"
	sendToLog(t, slog.NewTextHandler(&buf, nil), []Record{r})
	line := buf.String()
	if strings.Count(line, "\n") != 1 {
		t.Fatalf("want one line, got:\n%s", line)
	}
	for _, want := range []string{
		"msg=audit event=audit request_id=K7Q2M9 record.seq=42 record.event=failed record.at=2025-03-14T09:26:53.589Z",
		`record.sessions="[10.0.0.9:50012 10.0.0.2:41000]" record.reason="runaway KEYS"`,
		"record.error_code=DCS.4800 record.http_status=400",
	} {
		if !strings.Contains(line, want) {
			t.Errorf("line lacks %q:\n%s", want, line)
		}
	}
}
