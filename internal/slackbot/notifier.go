package slackbot

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
)

// Notifier shows requests in Slack: the approval message, its updates, and
// replies in its thread. It implements approvals.Notifier. Rate limits (429
// with Retry-After) and Slack 5xx are retried by the Client, each call
// within its budget.
type Notifier struct {
	c     *Client
	api   *slack.Client
	log   *slog.Logger
	obs   APIObserver
	links permalinks
}

var _ approvals.Notifier = (*Notifier)(nil)

// APIObserver is told about failed Slack Web API calls, for metrics.
type APIObserver interface{ APIError(method string) }

type nopAPIObserver struct{}

func (nopAPIObserver) APIError(string) {}

// NewNotifier returns a Notifier posting through c.
func NewNotifier(c *Client, log *slog.Logger, obs APIObserver) *Notifier {
	if obs == nil {
		obs = nopAPIObserver{}
	}
	return &Notifier{c: c, api: c.API(), log: log, obs: obs}
}

func (n *Notifier) failed(method string, err error) error {
	n.obs.APIError(method)
	return fmt.Errorf("slack %s: %w", method, err)
}

// Announce posts the approval message in the request's channel, without
// its buttons: Update adds them.
func (n *Notifier) Announce(ctx context.Context, r *approvals.Request) (string, string, error) {
	ctx, cancel := n.c.Bound(ctx)
	defer cancel()
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
	ctx, cancel := n.c.Bound(ctx)
	defer cancel()
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
	ctx, cancel := n.c.Bound(ctx)
	defer cancel()
	_, _, err := n.api.PostMessageContext(ctx, r.ChannelID,
		slack.MsgOptionTS(r.MessageTS),
		slack.MsgOptionText(string(threadText(r, note)), false))
	if err != nil {
		return n.failed("chat.postMessage", err)
	}
	return nil
}

// Ephemeral shows text to user alone in channel.
func (n *Notifier) Ephemeral(ctx context.Context, channel, user string, t text) error {
	ctx, cancel := n.c.Bound(ctx)
	defer cancel()
	if _, err := n.api.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(string(t), false)); err != nil {
		return n.failed("chat.postEphemeral", err)
	}
	return nil
}
