package app_test

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// auditRecord is a record of the audit stream as a receiver reads it.
type auditRecord struct {
	Seq          int64    `json:"seq"`
	Event        string   `json:"event"`
	At           string   `json:"at"`
	RequestID    string   `json:"request_id"`
	Actor        string   `json:"actor"`
	Instance     string   `json:"instance"`
	InstanceID   string   `json:"instance_id"`
	NodeID       string   `json:"node_id"`
	Kind         string   `json:"kind"`
	Sessions     []string `json:"sessions"`
	Reason       string   `json:"reason"`
	Detail       string   `json:"detail"`
	DryRun       bool     `json:"dry_run"`
	DCSRequestID string   `json:"dcs_request_id"`
	Killed       []string `json:"killed"`
}

// parseRecords reads NDJSON records.
func parseRecords(t *testing.T, b []byte) []auditRecord {
	t.Helper()
	var out []auditRecord
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r auditRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("record %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

// wholeRequest runs a kill from request to outcome and returns its ID.
func (e *env) wholeRequest() string {
	e.t.Helper()
	msg := e.request(killText + ` --reason "hot keys"`)
	e.mustClick(approver1, msg, "dcs_approve")
	e.threadHas(msg, "DCS accepted the kill")
	return e.onlyRequest().ID
}

// checkLifecycle checks the records of a whole request: every event, in
// order, once each, with who, the instance, node and sessions, and the
// outcome's details on the outcome.
func checkLifecycle(t *testing.T, recs []auditRecord, id string) {
	t.Helper()
	var mine []auditRecord
	seen := map[int64]bool{}
	for _, r := range recs {
		if r.RequestID == id && !seen[r.Seq] {
			seen[r.Seq] = true
			mine = append(mine, r)
		}
	}
	var events, actors []string
	for i, r := range mine {
		events, actors = append(events, r.Event), append(actors, r.Actor)
		if i > 0 && r.Seq <= mine[i-1].Seq {
			t.Errorf("record %d (seq %d) after seq %d", i, r.Seq, mine[i-1].Seq)
		}
		if r.Instance != "orders-prod" || r.InstanceID != instanceID || r.NodeID != nodeID || r.Kind != "kill" ||
			!slices.Equal(r.Sessions, []string{"10.0.0.1:5000", "[fe80::1]:6379"}) || r.Reason != "hot keys" || r.At == "" {
			t.Errorf("record %+v", r)
		}
	}
	if want := []string{"requested", "approval", "approved", "executing", "succeeded"}; !slices.Equal(events, want) {
		t.Fatalf("events %v, want %v", events, want)
	}
	if want := []string{requester, approver1, approver1, approver1, ""}; !slices.Equal(actors, want) {
		t.Errorf("actors %v, want %v", actors, want)
	}
	if out := mine[4]; !slices.Equal(out.Killed, []string{"10.0.0.1:5000", "[fe80::1]:6379"}) || out.Detail == "" {
		t.Errorf("outcome record %+v", out)
	}
}

// The log sink (the default): one line per record on the bot's log, with
// event=audit and the record.
func TestAuditStreamToTheLog(t *testing.T) {
	e := newEnv(t)
	e.start()
	id := e.wholeRequest()
	var recs []auditRecord
	e.waitFor("five audit lines in the log", func() bool {
		recs = nil
		for _, line := range strings.Split(e.logs.String(), "\n") {
			var l struct {
				Msg       string      `json:"msg"`
				Event     string      `json:"event"`
				RequestID string      `json:"request_id"`
				Record    auditRecord `json:"record"`
			}
			if json.Unmarshal([]byte(line), &l) == nil && l.Event == "audit" && l.Msg == "audit" && l.RequestID == id {
				recs = append(recs, l.Record)
			}
		}
		return len(recs) >= 5
	})
	checkLifecycle(t, recs, id)
}

// The file sink: the records appended to the file, one per line.
func TestAuditStreamToAFile(t *testing.T) {
	e := newEnv(t)
	path := filepath.Join(t.TempDir(), "audit", "dcsbot.jsonl")
	e.yaml += "audit:\n  sink: file:" + path + "\n"
	e.start()
	id := e.wholeRequest()
	var recs []auditRecord
	e.waitFor("five records in the audit file", func() bool {
		b, _ := os.ReadFile(path)
		if len(b) == 0 || b[len(b)-1] != '\n' {
			return false
		}
		recs = parseRecords(t, b)
		return len(recs) >= 5
	})
	checkLifecycle(t, recs, id)
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("audit file mode %v, %v", st.Mode(), err)
	}
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if n := len(parseRecords(t, b)); n != 5 {
		t.Errorf("%d records after shutdown, want 5", n)
	}
}

// webhookReceiver fails its first fails POSTs with 503, then accepts. It
// checks every POST's signature itself.
type webhookReceiver struct {
	t     *testing.T
	key   []byte
	fails int

	mu       sync.Mutex
	bodies   [][]byte // every POST, in order
	accepted [][]byte
	badSigs  int
}

func (w *webhookReceiver) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		rw.WriteHeader(http.StatusBadRequest)
		return
	}
	mac := hmac.New(sha256.New, w.key)
	mac.Write(body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	w.mu.Lock()
	defer w.mu.Unlock()
	if !hmac.Equal([]byte(r.Header.Get("X-Dcsbot-Signature-256")), []byte(want)) || r.Header.Get("Content-Type") != "application/x-ndjson" {
		w.badSigs++
		rw.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.bodies = append(w.bodies, body)
	if len(w.bodies) <= w.fails {
		rw.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.accepted = append(w.accepted, body)
	rw.WriteHeader(http.StatusNoContent)
}

func (w *webhookReceiver) setFails(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.fails = n
}

func (w *webhookReceiver) posts() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.bodies)
}

func (w *webhookReceiver) records() []auditRecord {
	w.mu.Lock()
	defer w.mu.Unlock()
	return parseRecords(w.t, bytes.Join(w.accepted, nil))
}

// The webhook sink: signed POSTs, retried until the receiver accepts (it
// fails twice first), the same batch again each time, every record in
// order; neither the key nor the URL's token shows in the logs.
func TestAuditStreamToAWebhook(t *testing.T) {
	const key, token = "e2e-audit-webhook-key", "e2e-url-token-value"
	recv := &webhookReceiver{t: t, key: []byte(key), fails: 2}
	srv := httptest.NewServer(recv)
	t.Cleanup(srv.Close)

	e := newEnv(t)
	e.extraEnv = map[string]string{"AUDIT_WEBHOOK_SECRET": key}
	e.yaml += "audit:\n  sink: webhook:" + srv.URL + "/audit?token=" + token + "\n"
	e.start()
	id := e.wholeRequest()
	e.waitFor("five records accepted by the webhook", func() bool { return len(recv.records()) >= 5 })
	checkLifecycle(t, recv.records(), id)

	recv.mu.Lock()
	if recv.badSigs != 0 {
		t.Errorf("%d POSTs with a bad signature", recv.badSigs)
	}
	if len(recv.bodies) < 3 || !bytes.Equal(recv.bodies[0], recv.bodies[1]) || !bytes.Equal(recv.bodies[1], recv.bodies[2]) {
		t.Errorf("the refused batch was not sent again as it was: %q", recv.bodies)
	}
	recv.mu.Unlock()
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "audit sink refused a batch") {
		t.Error("the refused batches were not logged")
	}
	for _, secret := range []string{key, token} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs show %q", secret)
		}
	}
}

// A webhook that refuses everything holds no kill back; the records wait
// in the store, and a restarted bot delivers them all once it accepts.
func TestAuditWebhookDownHoldsNoKill(t *testing.T) {
	const key = "e2e-audit-webhook-key"
	recv := &webhookReceiver{t: t, key: []byte(key), fails: 1 << 30}
	srv := httptest.NewServer(recv)
	t.Cleanup(srv.Close)

	e := newEnv(t)
	e.extraEnv = map[string]string{"AUDIT_WEBHOOK_SECRET": key}
	e.yaml += "audit:\n  sink: webhook:" + srv.URL + "/audit\n"
	e.start()
	id := e.wholeRequest()
	if n := len(e.dcs.Kills()); n != 1 {
		t.Fatalf("%d kills, want 1", n)
	}
	e.waitFor("the webhook refusing again and again", func() bool { return recv.posts() >= 2 })
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	if n := len(recv.records()); n != 0 {
		t.Fatalf("%d records accepted by a webhook that accepts none", n)
	}

	recv.setFails(0)
	e.start()
	e.waitFor("the records delivered after the restart", func() bool { return len(recv.records()) >= 5 })
	checkLifecycle(t, recv.records(), id)
}
