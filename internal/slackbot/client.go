package slackbot

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"dcsbot/internal/logging"
)

// Client is the bot's Slack Web API client: slack-go retrying 429 (after
// Retry-After) and 5xx answers, over an HTTP client with a timeout on
// each attempt, and a budget on each call that its retries and their
// waits count against. Abort ends every call at once, for shutdown.
// Nothing the bot does waits on Slack for longer than a budget. Socket
// Mode's connection attempts are bounded by the attempt timeout (see
// socketMode).
type Client struct {
	api     *slack.Client
	socket  *slack.Client // apps.connections.open, for Socket Mode
	http    *http.Client
	attempt time.Duration
	budget  time.Duration
	alive   context.Context // ends with Abort
	abort   context.CancelFunc
}

// ClientParams configure the Slack Web API client. The durations and the
// retries must be set: their defaults are in internal/config (Tuning).
type ClientParams struct {
	APIURL   string // must end in "/"
	BotToken string
	AppToken string
	Attempt  time.Duration // one HTTP request
	Budget   time.Duration // one call, its retries and their waits included
	Retries  int           // retries of a 429 or 5xx answer
	// Debug turns on slack-go's own debug output, to Logger at debug
	// level. It includes whole payloads: the logger must redact secrets.
	Debug  bool
	Logger *slog.Logger
}

// NewClient builds the client, refusing unset limits.
func NewClient(p ClientParams) (*Client, error) {
	if p.Attempt <= 0 || p.Budget <= 0 || p.Retries < 0 {
		return nil, fmt.Errorf("slack client: attempt %s, budget %s, retries %d: want positive durations and retries >= 0",
			p.Attempt, p.Budget, p.Retries)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// The workers post in bursts (a batch of approvals): keep their
	// connections for the next one rather than two.
	tr.MaxIdleConnsPerHost = 32
	hc := &http.Client{Timeout: p.Attempt, Transport: tr}
	rc := slack.DefaultRetryConfig()
	rc.MaxRetries = p.Retries
	rc.RetryAfterJitter = 250 * time.Millisecond
	rc.BackoffMax = 5 * time.Second
	rc.Handlers = []slack.RetryHandler{slack.NewRateLimitErrorRetryHandler(rc), slack.NewServerErrorRetryHandler(rc)}
	opts := []slack.Option{
		slack.OptionAPIURL(p.APIURL),
		slack.OptionAppLevelToken(p.AppToken),
		slack.OptionHTTPClient(hc),
	}
	if p.Debug && p.Logger != nil {
		opts = append(opts, slack.OptionDebug(true), slack.OptionLog(logging.SlackLogger{Log: p.Logger}))
	}
	alive, abort := context.WithCancel(context.Background())
	return &Client{
		// The retries wrap the HTTP client, so they come after it.
		api: slack.New(p.BotToken, append(opts, slack.OptionRetryConfig(rc))...),
		// Socket Mode retries a failed open itself, with its own backoff,
		// and tells the listener of each failure: no retries under it.
		socket:  slack.New(p.BotToken, opts...),
		http:    hc,
		attempt: p.Attempt,
		budget:  p.Budget,
		alive:   alive,
		abort:   abort,
	}, nil
}

// API is the slack-go client, for the app's own calls (Socket Mode has a
// client of its own, socketMode).
// A call made through it directly should take its context from Bound.
func (c *Client) API() *slack.Client { return c.api }

// socketMode returns a Socket Mode client over c: apps.connections.open
// is one HTTP request bounded by the attempt timeout, and the websocket
// dial (TCP, TLS, the upgrade) is bounded by it too.
func (c *Client) socketMode(opts ...socketmode.Option) *socketmode.Client {
	return socketmode.New(c.socket, append(opts, socketmode.OptionDialer(c.socketDialer()))...)
}

// socketDialer dials Socket Mode's websocket: the whole dial (TCP, TLS,
// the upgrade) within the attempt timeout.
func (c *Client) socketDialer() *websocket.Dialer {
	nd := &net.Dialer{Timeout: c.attempt, KeepAlive: 30 * time.Second}
	return &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		NetDialContext:   nd.DialContext,
		HandshakeTimeout: c.attempt,
		WriteBufferSize:  32 << 10, // slack-go's own default
	}
}

// Bound returns ctx limited to one call's budget, and ended by Abort.
func (c *Client) Bound(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, c.budget)
	stop := context.AfterFunc(c.alive, cancel)
	return ctx, func() { stop(); cancel() }
}

// Abort ends every call in flight, makes every later one fail at once, and
// closes the idle connections.
func (c *Client) Abort() {
	c.abort()
	c.http.CloseIdleConnections()
}

// postWebhook posts msg to a response_url within a call's budget.
func (c *Client) postWebhook(ctx context.Context, url string, msg *slack.WebhookMessage) error {
	ctx, cancel := c.Bound(ctx)
	defer cancel()
	return slack.PostWebhookCustomHTTPContext(ctx, url, c.http, msg)
}
