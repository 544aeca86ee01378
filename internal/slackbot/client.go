package slackbot

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/slack-go/slack"

	"dcsbot/internal/logging"
)

// Client is the bot's Slack Web API client: slack-go retrying 429 (after
// Retry-After) and 5xx answers, over an HTTP client with a timeout on
// each attempt, and a budget on each call that its retries and their
// waits count against. Abort ends every call at once, for shutdown.
// Nothing the bot does waits on Slack for longer than a budget.
type Client struct {
	api    *slack.Client
	http   *http.Client
	budget time.Duration
	alive  context.Context // ends with Abort
	abort  context.CancelFunc
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
		slack.OptionHTTPClient(hc), // before the retries, which wrap it
		slack.OptionRetryConfig(rc),
	}
	if p.Debug && p.Logger != nil {
		opts = append(opts, slack.OptionDebug(true), slack.OptionLog(logging.SlackLogger{Log: p.Logger}))
	}
	alive, abort := context.WithCancel(context.Background())
	return &Client{api: slack.New(p.BotToken, opts...), http: hc, budget: p.Budget, alive: alive, abort: abort}, nil
}

// API is the slack-go client, for Socket Mode and calls of the app's own.
// A call made through it directly should take its context from Bound.
func (c *Client) API() *slack.Client { return c.api }

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
