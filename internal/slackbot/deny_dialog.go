package slackbot

import (
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
