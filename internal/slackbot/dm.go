package slackbot

import (
	"context"

	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
)

var _ approvals.ApproverMessenger = (*Notifier)(nil)

// Each Web API call below has its own budget (Client.Bound): the link
// to the approval message is one call, the message another.

// SendToApprover sends user a direct message about pending request r: the
// approval message as in the channel, its buttons included (they work the
// same), and a link to it.
func (n *Notifier) SendToApprover(ctx context.Context, r *approvals.Request, user string) (approvals.ApproverMessage, error) {
	im, err := n.openIM(ctx, user)
	if err != nil {
		return approvals.ApproverMessage{}, err
	}
	blocks := approverBlocks(r, n.requestLink(ctx, r))
	ch, ts, err := n.postDM(ctx, im, slack.MsgOptionText(approverText(r), false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		return approvals.ApproverMessage{}, err
	}
	return approvals.ApproverMessage{User: user, ChannelID: ch, TS: ts}, nil
}

// UpdateApproverMessage redraws a direct message about r for r's state.
func (n *Notifier) UpdateApproverMessage(ctx context.Context, r *approvals.Request, m approvals.ApproverMessage) error {
	blocks := approverBlocks(r, n.requestLink(ctx, r))
	ctx, cancel := n.c.Bound(ctx)
	defer cancel()
	_, _, _, err := n.api.UpdateMessageContext(ctx, m.ChannelID, m.TS,
		slack.MsgOptionText(approverText(r), false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		return n.failed("chat.update", err)
	}
	return nil
}

// RemindApprover posts a reminder in the direct-message conversation of m.
func (n *Notifier) RemindApprover(ctx context.Context, r *approvals.Request, m approvals.ApproverMessage) error {
	t := reminderDM(r, n.requestLink(ctx, r))
	_, _, err := n.postDM(ctx, m.ChannelID, slack.MsgOptionText(string(t), false))
	return err
}

// openIM opens the direct-message conversation with user.
func (n *Notifier) openIM(ctx context.Context, user string) (string, error) {
	ctx, cancel := n.c.Bound(ctx)
	defer cancel()
	ch, _, _, err := n.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}, ReturnIM: true})
	if err != nil {
		return "", n.failed("conversations.open", err)
	}
	return ch.ID, nil
}

// postDM posts in a direct-message conversation.
func (n *Notifier) postDM(ctx context.Context, channel string, opts ...slack.MsgOption) (string, string, error) {
	ctx, cancel := n.c.Bound(ctx)
	defer cancel()
	ch, ts, err := n.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return "", "", n.failed("chat.postMessage", err)
	}
	return ch, ts, nil
}

// requestLink is the permalink of r's approval message, or "" when Slack
// does not give it (the message is then named without a link).
func (n *Notifier) requestLink(ctx context.Context, r *approvals.Request) string {
	if r.MessageTS == "" {
		return ""
	}
	l, err := n.Permalink(ctx, r.ChannelID, r.MessageTS)
	if err != nil {
		n.log.WarnContext(ctx, "permalink of an approval message", "request_id", r.ID, "err", err)
		return ""
	}
	return l
}

// approverBlocks is the approval message of r under a line that says why
// the approver got it and links to it.
func approverBlocks(r *approvals.Request, permalink string) []slack.Block {
	intro := textf(":wave: %s asks for this in %s, and you may approve it.%s", mention(r.Requester), channelLink(r.ChannelID), openRequest(permalink))
	if r.State != approvals.Pending {
		intro = textf("You were asked to approve this in %s.%s", channelLink(r.ChannelID), openRequest(permalink))
	}
	return append([]slack.Block{slack.NewContextBlock("", md(intro))}, approvalBlocks(r)...)
}

// openRequest is " Open the request." linked to its approval message, or
// "" without a link.
func openRequest(permalink string) text {
	l := link(permalink, "Open the request")
	if l == "Open the request" {
		return ""
	}
	return " " + l + "."
}

// approverText is the notification fallback of a direct message.
func approverText(r *approvals.Request) string {
	if r.State == approvals.Pending {
		return stripMrkdwn(textf("Your approval is asked: %s", text(approvalText(r))))
	}
	return approvalText(r)
}

// reminderDM reminds an approver that r still waits.
func reminderDM(r *approvals.Request, permalink string) text {
	return textf(":bell: Still waiting for your approval: request %s, %s (%s of %s approval%s), expires %s.%s",
		id(r.ID), what(r), num(len(r.Approvals)), num(r.ApprovalsRequired), plural(r.ApprovalsRequired),
		slackDate(r.ExpiresAt), openRequest(permalink))
}
