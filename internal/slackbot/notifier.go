package slackbot

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
	"dcsbot/internal/logging"
)

// Notifier shows requests in Slack: the approval message, its updates, and
// replies in its thread. It implements approvals.Notifier. Rate limits (429
// with Retry-After) and Slack 5xx are retried by the slack-go client that
// NewClient builds.
type Notifier struct {
	api *slack.Client
	log *slog.Logger
	obs APIObserver
}

var _ approvals.Notifier = (*Notifier)(nil)

// APIObserver is told about failed Slack Web API calls, for metrics.
type APIObserver interface{ APIError(method string) }

type nopAPIObserver struct{}

func (nopAPIObserver) APIError(string) {}

// NewNotifier returns a Notifier posting through api.
func NewNotifier(api *slack.Client, log *slog.Logger, obs APIObserver) *Notifier {
	if obs == nil {
		obs = nopAPIObserver{}
	}
	return &Notifier{api: api, log: log, obs: obs}
}

// ClientParams configure the Slack Web API client.
type ClientParams struct {
	APIURL   string // must end in "/"
	BotToken string
	AppToken string
	// Retries is how many times a rate-limited or 5xx call is retried
	// (honouring Retry-After). Default 8.
	Retries int
	// Debug turns on slack-go's own debug output, to Logger at debug
	// level. It includes whole payloads: the logger must redact secrets.
	Debug  bool
	Logger *slog.Logger
}

// NewClient builds the slack-go client the bot uses, with retries on 429
// (honouring Retry-After) and 5xx. Debug output stays off: it would log
// tokens and whole payloads.
func NewClient(p ClientParams) *slack.Client {
	if p.Retries == 0 {
		p.Retries = 8
	}
	rc := slack.DefaultRetryConfig()
	rc.MaxRetries = p.Retries
	rc.RetryAfterJitter = 250 * time.Millisecond
	rc.BackoffMax = 5 * time.Second
	rc.Handlers = []slack.RetryHandler{slack.NewRateLimitErrorRetryHandler(rc), slack.NewServerErrorRetryHandler(rc)}
	opts := []slack.Option{
		slack.OptionAPIURL(p.APIURL),
		slack.OptionAppLevelToken(p.AppToken),
		slack.OptionRetryConfig(rc),
	}
	if p.Debug && p.Logger != nil {
		opts = append(opts, slack.OptionDebug(true), slack.OptionLog(logging.SlackLogger{Log: p.Logger}))
	}
	return slack.New(p.BotToken, opts...)
}

func (n *Notifier) failed(method string, err error) error {
	n.obs.APIError(method)
	return fmt.Errorf("slack %s: %w", method, err)
}

// Announce posts the approval message in the request's channel, without
// its buttons: Update adds them.
func (n *Notifier) Announce(ctx context.Context, r *approvals.Request) (string, string, error) {
	ch, ts, err := n.api.PostMessageContext(ctx, r.ChannelID,
		slack.MsgOptionText(approvalText(r), false),
		slack.MsgOptionBlocks(announceBlocks(r)...))
	if err != nil {
		return "", "", n.failed("chat.postMessage", err)
	}
	return ch, ts, nil
}

// Update redraws the approval message for r's state.
func (n *Notifier) Update(ctx context.Context, r *approvals.Request) error {
	_, _, _, err := n.api.UpdateMessageContext(ctx, r.ChannelID, r.MessageTS,
		slack.MsgOptionText(approvalText(r), false),
		slack.MsgOptionBlocks(approvalBlocks(r)...))
	if err != nil {
		return n.failed("chat.update", err)
	}
	return nil
}

// Thread replies in the approval message's thread.
func (n *Notifier) Thread(ctx context.Context, r *approvals.Request, note approvals.Note) error {
	_, _, err := n.api.PostMessageContext(ctx, r.ChannelID,
		slack.MsgOptionTS(r.MessageTS),
		slack.MsgOptionText(string(threadText(r, note)), false))
	if err != nil {
		return n.failed("chat.postMessage", err)
	}
	return nil
}

// Ephemeral shows text to user alone in channel.
func (n *Notifier) Ephemeral(ctx context.Context, channel, user, text string) error {
	if _, err := n.api.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(text, false)); err != nil {
		return n.failed("chat.postEphemeral", err)
	}
	return nil
}
