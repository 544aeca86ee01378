package audit

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// full has every field set, and a reason that tries to break the line.
func full() Record {
	return Record{
		Seq: 42, Event: "failed",
		At:        time.Date(2025, 3, 14, 18, 26, 53, 589793238, time.FixedZone("JST", 9*3600)),
		RequestID: "K7Q2M9", Actor: "U0ALICE", Instance: "prod-cache", InstanceID: "8f1c3d2e",
		NodeID: "node-b", Kind: "kill", Sessions: []string{"10.0.0.9:50012", "10.0.0.2:41000"},
		Reason: "line one\nline two\r\n\u2028<script>&", Detail: "HTTP 400 DCS.4800 bad", DryRun: false,
		DCSRequestID: "req-abc", JobID: "job-1", ErrorCode: "DCS.4800", HTTPStatus: 400,
		Killed: []string{"10.0.0.9:50012"}, HeldBack: []string{"10.0.0.2:41000"},
	}
}

func TestMarshalFull(t *testing.T) {
	got, err := Marshal(full())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"seq":42,"event":"failed","at":"2025-03-14T09:26:53.589Z","request_id":"K7Q2M9","actor":"U0ALICE",` +
		`"instance":"prod-cache","instance_id":"8f1c3d2e","node_id":"node-b","kind":"kill",` +
		`"sessions":["10.0.0.9:50012","10.0.0.2:41000"],"reason":"line one\nline two\r\n\u2028<script>&",` +
		`"detail":"HTTP 400 DCS.4800 bad","dry_run":false,"dcs_request_id":"req-abc","job_id":"job-1",` +
		`"error_code":"DCS.4800","http_status":400,"killed":["10.0.0.9:50012"],"held_back":["10.0.0.2:41000"]}`
	if string(got) != want {
		t.Errorf("Marshal\n got %s\nwant %s", got, want)
	}
	if bytes.ContainsAny(got, "\n\r") || strings.Contains(string(got), "\u2028") {
		t.Error("the line holds a raw line break")
	}
}

// The bot's own events (no actor) and kill-alls (no sessions) keep every
// always-present field; the outcome-only ones are left out.
func TestMarshalMinimal(t *testing.T) {
	got, err := Marshal(Record{Seq: 1, Event: "expired", At: time.Unix(0, 0), RequestID: "R", Kind: "kill-all"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"seq":1,"event":"expired","at":"1970-01-01T00:00:00.000Z","request_id":"R","actor":"",` +
		`"instance":"","instance_id":"","node_id":"","kind":"kill-all","sessions":[],"reason":"","detail":"","dry_run":false}`
	if string(got) != want {
		t.Errorf("Marshal\n got %s\nwant %s", got, want)
	}
}

func TestRecordJSONRoundTrip(t *testing.T) {
	r := full()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	want := r
	want.At = r.At.UTC().Truncate(time.Millisecond)
	if !reflect.DeepEqual(back, want) {
		t.Errorf("round trip\n got %+v\nwant %+v", back, want)
	}
	if err := json.Unmarshal([]byte(`{"seq":1,"at":"yesterday"}`), &back); err == nil {
		t.Error("a bad time was accepted")
	}
}

func TestMarshalInvalidUTF8(t *testing.T) {
	got, err := Marshal(Record{Reason: "bad \xff byte"})
	if err != nil {
		t.Fatal(err)
	}
	var w map[string]any
	if err := json.Unmarshal(got, &w); err != nil {
		t.Fatalf("not JSON: %s: %v", got, err)
	}
	if w["reason"] != "bad \ufffd byte" {
		t.Errorf("reason %q", w["reason"])
	}
}
