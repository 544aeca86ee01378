package slackbot

import (
	"context"
	"strings"

	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
)

// Decider is what the approval message's buttons and the deny dialog need
// of the lifecycle.
type Decider interface {
	Approve(ctx context.Context, id, user string) error
	CanDeny(ctx context.Context, id, user string) error
	Deny(ctx context.Context, id, user, reason string) error
	Get(ctx context.Context, id string) (*approvals.Request, error)
}

// click handles Approve and Deny.
func (l *Listener) click(ctx context.Context, cb slack.InteractionCallback) {
	for _, a := range cb.ActionCallback.BlockActions {
		if a.BlockID != decisionBlockID {
			continue
		}
		var err error
		switch a.ActionID {
		case approveActionID:
			err = l.p.Decider.Approve(ctx, a.Value, cb.User.ID)
		case denyActionID:
			err = l.deny(ctx, cb, a.Value)
		default:
			continue
		}
		if err != nil {
			l.log.Info("click refused or failed", "request_id", a.Value, "user", cb.User.ID, "action", a.ActionID, "err", err)
			l.tell(ctx, cb.Channel.ID, cb.User.ID, userMessage(l.log.With("request_id", a.Value), err))
		}
	}
}

// deny opens the reason dialog for a user who may deny request id; if the
// dialog cannot be opened (Slack's trigger expired), it denies at once
// without a reason rather than drop the decision.
func (l *Listener) deny(ctx context.Context, cb slack.InteractionCallback, id string) error {
	if err := l.p.Decider.CanDeny(ctx, id, cb.User.ID); err != nil {
		return err
	}
	if _, _, err := l.p.Views.OpenView(ctx, cb.TriggerID, denyDialog(id)); err != nil {
		l.log.Warn("open deny dialog; denying without a reason", "request_id", id, "err", err)
		return l.p.Decider.Deny(ctx, id, cb.User.ID, "")
	}
	return nil
}

// denySubmitted denies with the reason typed in the dialog.
func (l *Listener) denySubmitted(ctx context.Context, cb slack.InteractionCallback) {
	id := cb.View.PrivateMetadata
	reason := ""
	if b, ok := cb.View.State.Values[denyReasonBlockID]; ok {
		reason = strings.TrimSpace(b[denyReasonActionID].Value)
	}
	if len([]rune(reason)) > maxDenyReason {
		reason = string([]rune(reason)[:maxDenyReason])
	}
	if err := l.p.Decider.Deny(ctx, id, cb.User.ID, reason); err != nil {
		l.log.Info("deny refused or failed", "request_id", id, "user", cb.User.ID, "err", err)
		ch := ""
		if r, serr := l.p.Decider.Get(ctx, id); serr == nil {
			ch = r.ChannelID
		}
		if ch != "" {
			l.tell(ctx, ch, cb.User.ID, userMessage(l.log.With("request_id", id), err))
		}
	}
}
