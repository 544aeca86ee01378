package slackbot

import (
	"time"

	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
)

// The Home tab's IDs. Each request's buttons are in a block of their own,
// whose ID names the request: block IDs must be unique in a view.
const (
	homeCallbackID       = "dcs_home"
	homeDecideBlockIDPre = "dcs_home_decide_" // + request ID: Approve, Deny
	homeMineBlockIDPre   = "dcs_home_mine_"   // + request ID: Cancel
	cancelActionID       = "dcs_cancel"
)

// How many requests of each list the Home tab shows: with two blocks each,
// the view stays well within Slack's 100 blocks.
const (
	homeMaxToDecide = 20
	homeMaxMine     = 10
	homeMaxAddrs    = 10 // addresses listed per request
)

// homeView draws the Home tab of o's user: the requests waiting for them,
// their own waiting requests, the latest decisions. links are the
// permalinks of the approval messages by request ID; notice, when set,
// goes first (what became of the user's last click).
func homeView(o *approvals.Overview, links map[string]string, notice text) slack.HomeTabViewRequest {
	var blocks []slack.Block
	if notice != "" {
		blocks = append(blocks, slack.NewSectionBlock(md(notice), nil, nil))
	}
	blocks = append(blocks, slack.NewHeaderBlock(plain("Waiting for your approval")))
	blocks = append(blocks, toDecideBlocks(o, links)...)
	blocks = append(blocks, slack.NewDividerBlock(), slack.NewHeaderBlock(plain("Your requests waiting")))
	blocks = append(blocks, mineBlocks(o, links)...)
	blocks = append(blocks, slack.NewDividerBlock(), slack.NewHeaderBlock(plain("Latest decisions")))
	if len(o.Decided) == 0 {
		blocks = append(blocks, slack.NewContextBlock("", md("No decisions yet on the requests you can see.")))
	} else {
		lines := make([]text, len(o.Decided))
		for i, r := range o.Decided {
			lines[i] = decisionLine(r, links[r.ID])
		}
		blocks = append(blocks, sections("", lines)...)
	}
	blocks = append(blocks, slack.NewContextBlock("", mdf("Updated %s. It is redrawn when these requests change; `/dcs pending` lists the same in a channel.", slackDate(o.At))))
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, CallbackID: homeCallbackID, Blocks: slack.Blocks{BlockSet: blocks}}
}

func toDecideBlocks(o *approvals.Overview, links map[string]string) []slack.Block {
	if len(o.ToDecide) == 0 {
		return []slack.Block{slack.NewContextBlock("", md("Nothing waits for your approval."))}
	}
	var blocks []slack.Block
	for _, r := range shown(o.ToDecide, homeMaxToDecide) {
		t := requestSummary(r, o.At, links[r.ID])
		buttons := []slack.BlockElement{approveButton(r), denyButton(r)}
		if r.ApprovedBy(o.User) {
			t += "\n:ballot_box_with_check: You approved it; it needs another approver."
			buttons = buttons[1:]
		}
		blocks = append(blocks, slack.NewSectionBlock(md(t), nil, nil),
			slack.NewActionBlock(homeDecideBlockIDPre+r.ID, buttons...))
	}
	if rest := len(o.ToDecide) - homeMaxToDecide; rest > 0 {
		blocks = append(blocks, slack.NewContextBlock("", mdf("…and %s more: the soonest to expire are shown.", num(rest))))
	}
	return blocks
}

func mineBlocks(o *approvals.Overview, links map[string]string) []slack.Block {
	if len(o.Mine) == 0 {
		return []slack.Block{slack.NewContextBlock("", md("You have no request waiting for approval."))}
	}
	var blocks []slack.Block
	for _, r := range shown(o.Mine, homeMaxMine) {
		confirm := slack.NewConfirmationBlockObject(plain("Withdraw "+text(r.ID)+"?"), md("Nothing will be killed."), plain("Withdraw"), plain("Keep it"))
		cancel := slack.NewButtonBlockElement(cancelActionID, r.ID, plain("Cancel")).WithConfirm(confirm)
		blocks = append(blocks, slack.NewSectionBlock(md(requestSummary(r, o.At, links[r.ID])), nil, nil),
			slack.NewActionBlock(homeMineBlockIDPre+r.ID, cancel))
	}
	if rest := len(o.Mine) - homeMaxMine; rest > 0 {
		blocks = append(blocks, slack.NewContextBlock("", mdf("…and %s more.", num(rest))))
	}
	return blocks
}

// requestSummary says what a pending request is: its ID (linked to its
// approval message), what it kills, who asked and how long ago, when it
// expires, its approvals, its sessions and its reason.
func requestSummary(r *approvals.Request, now time.Time, permalink string) text {
	t := textf("*%s* %s\n", link(permalink, id(r.ID)), what(r))
	t += textf("Requested by %s %s ago · expires %s · %s of %s approval%s%s\n", mention(r.Requester), dur(now.Sub(r.CreatedAt)),
		slackDate(r.ExpiresAt), num(len(r.Approvals)), num(r.ApprovalsRequired), plural(r.ApprovalsRequired), approverList(r))
	if r.IsKillAll() {
		t += "Sessions: *every session*"
	} else {
		shown := r.Addrs[:min(len(r.Addrs), homeMaxAddrs)]
		t += "Sessions: " + ids(shown)
		if rest := len(r.Addrs) - len(shown); rest > 0 {
			t += textf(" and %s more", num(rest))
		}
	}
	if r.Reason != "" {
		t += "\nReason: " + outside(r.Reason).line(capLine)
	}
	return t
}

// decisionLine is one line of the latest decisions.
func decisionLine(r *approvals.Request, permalink string) text {
	t := textf("• %s %s: %s by %s: *%s*", link(permalink, id(r.ID)), slackDate(r.UpdatedAt), what(r), mention(r.Requester), stateWord(r.State))
	switch {
	case r.State == approvals.Denied && r.DecidedBy != "":
		t += ", denied by " + mention(r.DecidedBy)
	case r.State == approvals.Cancelled && r.DecidedBy != "":
		t += ", withdrawn by " + mention(r.DecidedBy)
	case len(r.Approvals) > 0:
		t += ", approved by " + mentions(r.Approvals)
	}
	return t
}
