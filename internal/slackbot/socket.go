package slackbot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// socketState is what the listener knows of its Socket Mode connection:
// whether it is up, and if not, why.
type socketState struct {
	mu       sync.Mutex
	up       bool
	why      string // why it is not up; "" before Run
	lastRead string // the last read error on the open socket: why it may drop
}

// status returns whether the socket is up and, if not, why.
func (s *socketState) status() (up bool, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.up && s.why == "" {
		return false, "not started"
	}
	return s.up, s.why
}

func (s *socketState) set(up bool, why string) (wasUp bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	wasUp, s.up, s.why = s.up, up, why
	if up {
		s.lastRead = ""
	}
	return wasUp
}

// connecting records an attempt to connect starting. If the socket was up,
// it dropped: dropped is true and reason says why, as far as is known.
func (s *socketState) connecting() (dropped bool, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.up:
		reason = s.lastRead
		if reason == "" {
			reason = "the connection ended (closed, or no ping from Slack)"
		}
		s.up, s.why = false, "dropped: "+reason+"; reconnecting"
		return true, reason
	case s.why == "":
		s.why = "connecting"
	}
	return false, ""
}

func (s *socketState) readFailed(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastRead = reason
}

// SocketDown says why the socket is not connected now: the last failed
// attempt's reason and when the next comes, a drop, "connecting", or "not
// started". It is "" while the socket is connected.
func (l *Listener) SocketDown() string {
	if up, why := l.sock.status(); !up {
		return why
	}
	return ""
}

// connection tracks the socket's state; it reports whether evt was about
// the connection rather than an envelope. An attempt that fails is logged
// with its reason and the delay before the next one, and counted; a socket
// that was up and ends is a drop, reconnected at once.
func (l *Listener) connection(evt socketmode.Event) bool {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		if dropped, reason := l.sock.connecting(); dropped {
			l.p.Observer.Connected(false)
			l.log.Warn("slack socket dropped; reconnecting now", "reason", reason)
		} else if e, ok := evt.Data.(*slack.ConnectingEvent); ok {
			l.log.Debug("slack socket connecting", "attempt", e.Attempt)
		}
	case socketmode.EventTypeConnectionError:
		l.connectFailed(evt)
	case socketmode.EventTypeConnected:
		l.sock.set(true, "")
		l.p.Observer.Connected(true)
		l.log.Info("slack socket connected")
	case socketmode.EventTypeIncomingError:
		if e, ok := evt.Data.(*slack.IncomingEventError); ok && e.ErrorObj != nil {
			l.sock.readFailed(e.ErrorObj.Error())
		}
	case socketmode.EventTypeDisconnect:
		l.sock.readFailed("Slack asked for a new connection")
	case socketmode.EventTypeInvalidAuth:
		if l.sock.set(false, "Slack refused the app token") {
			l.p.Observer.Connected(false)
		}
		l.log.Error("slack refused the app token")
	default:
		return false
	}
	return true
}

// connectFailed records, logs and counts one failed attempt to connect.
func (l *Listener) connectFailed(evt socketmode.Event) {
	e, ok := evt.Data.(*slack.ConnectionErrorEvent)
	if !ok || errors.Is(e.ErrorObj, context.Canceled) {
		return // shutting down
	}
	reason := connectFailure(e.ErrorObj)
	if l.sock.set(false, fmt.Sprintf("%s (attempt %d failed; next in %s)", reason, e.Attempt, e.Backoff.Round(time.Millisecond))) {
		l.p.Observer.Connected(false)
	}
	l.p.Observer.ConnectFailed()
	l.log.Warn("slack socket could not connect", "reason", reason, "attempt", e.Attempt, "retry_in", e.Backoff)
}

// connectFailure says why an attempt to connect failed: at which step
// (apps.connections.open, or the websocket dial to the URL it gave) and
// what went wrong.
func connectFailure(err error) string {
	if err == nil {
		return "unknown error"
	}
	step := "websocket"
	var se slack.SlackErrorResponse
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var ue *url.Error
	switch {
	case errors.As(err, &se):
		return "apps.connections.open: Slack answered " + se.Err
	case errors.As(err, &rl):
		return fmt.Sprintf("apps.connections.open: rate limited (Retry-After %s)", rl.RetryAfter)
	case errors.As(err, &sc):
		return fmt.Sprintf("apps.connections.open: HTTP %d", sc.Code)
	case errors.As(err, &ue):
		// The HTTP client's errors: the websocket dial returns its own.
		step, err = "apps.connections.open", ue.Err
	}
	var dns *net.DNSError
	var ne net.Error
	switch {
	case errors.As(err, &dns):
		return step + ": DNS lookup failed: " + dns.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		return step + ": connection refused"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return step + ": timed out"
	case errors.Is(err, websocket.ErrBadHandshake):
		return step + ": the server refused the websocket handshake"
	}
	return step + ": " + err.Error()
}
