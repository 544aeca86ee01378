package slackbot

import (
	"encoding/json"
	"testing"

	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
	"dcsbot/internal/fakeslack"
)

func hasActions(blocks []slack.Block) bool {
	for _, b := range blocks {
		if b.BlockType() == slack.MBTAction {
			return true
		}
	}
	return false
}

// The approval message is first posted without buttons; the redraw of the
// pending request adds them.
func TestAnnouncedMessageHasNoButtons(t *testing.T) {
	r := sampleRequest(approvals.Pending)
	first := announceBlocks(r)
	if hasActions(first) {
		t.Fatal("the message is posted with buttons")
	}
	if !hasActions(approvalBlocks(r)) {
		t.Fatal("the redraw of a pending request has no buttons")
	}
	raw, err := json.Marshal(first)
	if err != nil {
		t.Fatal(err)
	}
	if err := fakeslack.CheckBlocks(raw); err != nil {
		t.Fatal(err)
	}
}

// The Deny button asks for confirmation, so that a Deny without a reason
// (when the reason dialog cannot open) is still a deliberate one.
func TestDenyHasConfirmDialog(t *testing.T) {
	for _, b := range approvalBlocks(sampleRequest(approvals.Pending)) {
		a, ok := b.(*slack.ActionBlock)
		if !ok {
			continue
		}
		for _, e := range a.Elements.ElementSet {
			if btn, ok := e.(*slack.ButtonBlockElement); ok && btn.ActionID == denyActionID {
				if btn.Confirm == nil || btn.Confirm.Confirm == nil || btn.Confirm.Confirm.Text != "Deny" {
					t.Fatalf("the Deny button has no confirm dialog: %+v", btn.Confirm)
				}
				return
			}
		}
	}
	t.Fatal("no Deny button")
}
