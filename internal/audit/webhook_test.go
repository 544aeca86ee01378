package audit

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var hookKey = []byte("0123456789abcdef-shared-secret")

// testWebhookTimeout bounds a POST in tests that do not time one out.
const testWebhookTimeout = 10 * time.Second

// delivery is one POST the receiver got.
type delivery struct {
	id   string
	seqs []int64
}

// receiver is a webhook endpoint that checks each POST's signature with its
// own HMAC code, and whose misbehaviour is scripted per call.
type receiver struct {
	t  *testing.T
	mu sync.Mutex
	// every POST's delivery ID, and the POSTs it kept
	ids  []string
	kept []delivery
	// act says what to do with call n (1-based): "500", "reset",
	// "keep-and-hang" (keep the batch, then never answer), or "" (keep, 200).
	act     func(n int) string
	changed chan struct{}
}

func newReceiver(t *testing.T, act func(int) string) (*receiver, *httptest.Server) {
	rc := &receiver{t: t, act: act, changed: make(chan struct{}, 1)}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return rc, srv
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	m := hmac.New(sha256.New, hookKey)
	m.Write(body)
	if want := "sha256=" + hex.EncodeToString(m.Sum(nil)); r.Header.Get("X-Dcsbot-Signature-256") != want {
		rc.t.Errorf("bad signature %q", r.Header.Get("X-Dcsbot-Signature-256"))
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-ndjson" ||
		!strings.HasPrefix(r.Header.Get("User-Agent"), "dcsbot-audit/") || r.Header.Get("X-Dcsbot-Delivery") == "" {
		rc.t.Errorf("request %s with headers %v", r.Method, r.Header)
	}
	d := delivery{id: r.Header.Get("X-Dcsbot-Delivery")}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		var rec Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			rc.t.Errorf("line %q: %v", sc.Text(), err)
		}
		d.seqs = append(d.seqs, rec.Seq)
	}
	if !bytes.HasSuffix(body, []byte("\n")) {
		rc.t.Error("the body does not end its last line")
	}
	rc.mu.Lock()
	rc.ids = append(rc.ids, d.id)
	act := rc.act(len(rc.ids))
	if act == "" || act == "keep-and-hang" {
		rc.kept = append(rc.kept, d)
	}
	rc.mu.Unlock()
	select {
	case rc.changed <- struct{}{}:
	default:
	}
	switch act {
	case "500":
		http.Error(w, "try later", http.StatusInternalServerError)
	case "reset":
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}
	case "keep-and-hang":
		<-r.Context().Done() // the client gives up
	}
}

// waitFor waits until the receiver has kept record last.
func (rc *receiver) waitFor(t *testing.T, last int64) {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		rc.mu.Lock()
		n := len(rc.kept)
		done := n > 0 && slices.Contains(rc.kept[n-1].seqs, last)
		rc.mu.Unlock()
		if done {
			return
		}
		select {
		case <-rc.changed:
		case <-deadline:
			t.Fatalf("the receiver never got record %d", last)
		}
	}
}

// A receiver that fails a batch three ways before taking it (500, a reset
// connection, and a batch kept but never answered, so sent again) ends with
// every record, in order; the only repeats are whole retried batches.
func TestWebhookThroughFailures(t *testing.T) {
	rc, srv := newReceiver(t, func(n int) string {
		return map[int]string{1: "500", 2: "reset", 3: "keep-and-hang"}[n]
	})
	u, _ := url.Parse(srv.URL + "/audit")
	sink, err := NewWebhookSink(WebhookParams{URL: u, Key: hookKey, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	m := newMemStore()
	m.add(250)
	d := &delays{poll: testPoll}
	runShipper(t, newTestShipper(t, m, sink, "a", &fakeClock{t: t0}, d))
	rc.waitFor(t, 250)

	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.ids) < 6 || rc.ids[0] != rc.ids[1] || rc.ids[1] != rc.ids[2] || rc.ids[2] != rc.ids[3] {
		t.Errorf("delivery IDs %v: want the first batch's four attempts to share one", rc.ids)
	}
	var seen []int64
	var high int64
	for i, dl := range rc.kept {
		if dl.seqs[0] <= high {
			// A repeat: only as a whole batch kept before, with its ID.
			if !slices.ContainsFunc(rc.kept[:i], func(p delivery) bool { return p.id == dl.id && slices.Equal(p.seqs, dl.seqs) }) {
				t.Errorf("delivery %d (%v) goes back to %d after %d without repeating a batch", i, dl.seqs, dl.seqs[0], high)
			}
			continue
		}
		seen = append(seen, dl.seqs...)
		high = dl.seqs[len(dl.seqs)-1]
	}
	if !slices.Equal(seen, upTo(250)) {
		t.Errorf("receiver's records without repeats: %v, want 1..250", seen)
	}
	// One delay per failed POST: three scripted, and any that a slow
	// machine let time out; 3 batches were accepted.
	if n := len(d.list()); n < 3 || n > len(rc.ids)-3 {
		t.Errorf("%d backoff delays for %d POSTs of 3 batches, want one per failure (at least 3)", n, len(rc.ids))
	}
}

const (
	secretPass  = "SECRETPASS"
	secretToken = "SECRETTOKEN"
)

func secretURL(t *testing.T, base string) *url.URL {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("bot", secretPass)
	u.Path = "/in"
	u.RawQuery = "token=" + secretToken
	return u
}

func checkNoSecret(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	for _, s := range []string{secretPass, secretToken, string(hookKey)} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error shows a secret: %v", err)
		}
	}
	if !strings.Contains(err.Error(), "xxxxx@127.0.0.1") || !strings.Contains(err.Error(), "/in?xxxxx") {
		t.Errorf("error does not name the redacted URL: %v", err)
	}
}

func TestWebhookErrorsHideSecrets(t *testing.T) {
	_, srv := newReceiver(t, func(int) string { return "500" })
	sink, err := NewWebhookSink(WebhookParams{URL: secretURL(t, srv.URL), Key: hookKey, Timeout: testWebhookTimeout})
	if err != nil {
		t.Fatal(err)
	}
	err = sink.Send(t.Context(), records(1, 1))
	checkNoSecret(t, err)
	if !strings.Contains(err.Error(), "HTTP 500") || !strings.Contains(err.Error(), "try later") {
		t.Errorf("error does not say what the receiver answered: %v", err)
	}

	// No answer at all: a transport error, whose url.Error would quote the URL.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	sink, _ = NewWebhookSink(WebhookParams{URL: secretURL(t, dead.URL), Key: hookKey, Timeout: testWebhookTimeout})
	checkNoSecret(t, sink.Send(t.Context(), records(1, 1)))
}

// A redirect is an error, not followed: the signed trail goes nowhere else.
func TestWebhookDoesNotFollowRedirects(t *testing.T) {
	rc, elsewhere := newReceiver(t, func(int) string { return "" })
	redirector := httptest.NewServer(http.RedirectHandler(elsewhere.URL, http.StatusTemporaryRedirect))
	defer redirector.Close()
	u, _ := url.Parse(redirector.URL)
	sink, _ := NewWebhookSink(WebhookParams{URL: u, Key: hookKey, Timeout: testWebhookTimeout})
	if err := sink.Send(t.Context(), records(1, 1)); err == nil || !strings.Contains(err.Error(), "HTTP 307") {
		t.Errorf("Send through a redirect: %v, want an HTTP 307 error", err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.ids) != 0 {
		t.Error("the redirect was followed")
	}
}

func TestSignVerify(t *testing.T) {
	body := []byte(`{"seq":1}` + "\n")
	m := hmac.New(sha256.New, []byte("k"))
	m.Write(body)
	want := "sha256=" + hex.EncodeToString(m.Sum(nil))
	if got := Sign([]byte("k"), body); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	if !Verify([]byte("k"), body, want) || Verify([]byte("k2"), body, want) || Verify([]byte("k"), append(body, ' '), want) {
		t.Error("Verify accepts a wrong key or body, or refuses the right one")
	}
	if DeliveryID(body) != DeliveryID(bytes.Clone(body)) || DeliveryID(body) == DeliveryID(append(body, ' ')) {
		t.Error("DeliveryID is not a function of the body")
	}
}

// The webhook sink takes no default timeout.
func TestWebhookNeedsATimeout(t *testing.T) {
	u, _ := url.Parse("https://siem.example.com/in")
	if _, err := NewWebhookSink(WebhookParams{URL: u, Key: hookKey}); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("a webhook sink without a timeout: %v, want an error naming the timeout", err)
	}
}
