package slackbot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"dcsbot/internal/fakeslack"
	"dcsbot/internal/testkit"
)

// apps.connections.open is one HTTP request bounded by the attempt
// timeout: a held one gives up, a 500 is not retried under Socket Mode
// (which retries, logs and counts each failed attempt itself).
func TestSocketOpenBounded(t *testing.T) {
	fake := fakeslack.New(t, fakeslack.Options{})
	c := newTestClient(t, fake, 200*time.Millisecond, 30*time.Second)
	sm := c.socketMode()

	fake.SetFault("apps.connections.open", fakeslack.Hung(1))
	err := within(t, "a held apps.connections.open", func() error {
		_, _, err := sm.OpenContext(context.Background())
		return err
	})
	if got := connectFailure(err); got != "apps.connections.open: timed out" {
		t.Errorf("held open: %q (%v)", got, err)
	}

	fake.SetFault("apps.connections.open", fakeslack.ServerError(1))
	_, _, err = sm.OpenContext(context.Background())
	if got := connectFailure(err); got != "apps.connections.open: HTTP 500" {
		t.Errorf("500: %q (%v)", got, err)
	}
	if n := len(fake.Calls("apps.connections.open")); n != 2 {
		t.Errorf("%d calls of apps.connections.open, want 2: one per attempt", n)
	}
	if _, _, err := sm.OpenContext(context.Background()); err != nil {
		t.Errorf("open once Slack answers: %v", err)
	}
}

// The websocket dial of the Socket Mode client the bot runs is bounded
// too: a server that takes the connection and never answers the upgrade
// times out.
func TestSocketDialBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() })
		}
	}()
	// apps.connections.open answers at once, with the silent server's URL.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"url":"ws://%s/link"}`, ln.Addr())
	}))
	t.Cleanup(api.Close)
	c, err := NewClient(ClientParams{APIURL: api.URL + "/api/", BotToken: "xoxb-test", AppToken: "xapp-test",
		Attempt: 200 * time.Millisecond, Budget: 30 * time.Second, Retries: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Abort)
	sm := c.socketMode()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = sm.RunContext(ctx) }()
	err = within(t, "a websocket dial never answered", func() error {
		for evt := range sm.Events {
			if evt.Type == socketmode.EventTypeConnectionError {
				if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
					return ce.ErrorObj
				}
			}
		}
		return nil
	})
	if got := connectFailure(err); got != "websocket: timed out" {
		t.Errorf("%q (%v)", got, err)
	}
}

// Each reason says at which step the attempt failed and why, from the
// errors the HTTP client, the websocket dialer and slack-go return.
func TestConnectFailure(t *testing.T) {
	closed := testkit.ClosedAddr(t)
	_, refusedDial := net.Dial("tcp", closed)
	if !errors.Is(refusedDial, syscall.ECONNREFUSED) {
		t.Fatalf("dialing a closed port: %v", refusedDial)
	}
	_, refusedPost := http.Post("http://"+closed+"/api/apps.connections.open", "application/json", nil)
	_, _, refusedWS := websocket.DefaultDialer.Dial("ws://"+closed+"/link", nil)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("not a websocket")) }))
	t.Cleanup(plain.Close)
	_, _, badHandshake := websocket.DefaultDialer.Dial("ws"+plain.URL[len("http"):]+"/link", nil)
	dns := &url.Error{Op: "Post", URL: "https://slack.invalid/api/apps.connections.open",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "slack.invalid", IsNotFound: true}}}

	for _, tt := range []struct {
		err  error
		want string
	}{
		{slack.SlackErrorResponse{Err: "invalid_auth"}, "apps.connections.open: Slack answered invalid_auth"},
		{slack.StatusCodeError{Code: 503, Status: "503 Service Unavailable"}, "apps.connections.open: HTTP 503"},
		{&slack.RateLimitedError{RetryAfter: 3 * time.Second}, "apps.connections.open: rate limited (Retry-After 3s)"},
		{refusedPost, "apps.connections.open: connection refused"},
		{dns, "apps.connections.open: DNS lookup failed: lookup slack.invalid: no such host"},
		{refusedWS, "websocket: connection refused"},
		{badHandshake, "websocket: the server refused the websocket handshake"},
		{context.DeadlineExceeded, "websocket: timed out"},
		{errors.New("something else"), "websocket: something else"},
		{nil, "unknown error"},
	} {
		if got := connectFailure(tt.err); got != tt.want {
			t.Errorf("connectFailure(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
