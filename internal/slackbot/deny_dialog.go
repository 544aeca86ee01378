package slackbot

import (
	"context"

	"github.com/slack-go/slack"

	"dcsbot/internal/commands"
)

// The deny dialog.
const (
	denyCallbackID     = "dcs_deny_dialog"
	denyReasonBlockID  = "dcs_deny_reason"
	denyReasonActionID = "reason"
	maxDenyReason      = commands.MaxReasonLen // a deny note is held to a reason's length
)

// denyDialog is the modal that asks a denier of request id for an
// optional reason.
func denyDialog(requestID string) slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(plain("Why (optional): wrong node, needs more context…"), denyReasonActionID)
	input.Multiline = true
	input.MaxLength = maxDenyReason
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      denyCallbackID,
		PrivateMetadata: requestID,
		Title:           plain("Deny " + text(requestID)),
		Submit:          plain("Deny"),
		Close:           plain("Back"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(md("Nothing will be killed. The reason goes in the request's thread."), nil, nil),
			slack.NewInputBlock(denyReasonBlockID, plain("Reason"), nil, input).WithOptional(true),
		}},
	}
}

// OpenDenyDialog opens the modal that asks a denier for an optional reason.
func (n *Notifier) OpenDenyDialog(ctx context.Context, triggerID, requestID string) error {
	ctx, cancel := n.c.Bound(ctx)
	defer cancel()
	if _, err := n.api.OpenViewContext(ctx, triggerID, denyDialog(requestID)); err != nil {
		return n.failed("views.open", err)
	}
	return nil
}
