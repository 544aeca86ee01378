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
