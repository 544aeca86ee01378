package slackbot

import (
	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
)

// Block and action IDs of the approval message's buttons. Every button has a
// block_id: slack-go parses an action as a block action only when it has one.
const (
	decisionBlockID = "dcs_decision"
	approveActionID = "dcs_approve"
	denyActionID    = "dcs_deny"
)

// maxListedAddrs bounds how many addresses the message lists in full.
const maxListedAddrs = 50

// approvalBlocks draws the approval message for r's current state: the
// request, what its targets are, then either the buttons (pending) or the
// final state. Every block stays within Slack's limits, whatever the
// request holds: long lists go over several sections, long text is capped
// (/dcs status shows it whole).
func approvalBlocks(r *approvals.Request) []slack.Block { return messageBlocks(r, true) }

// announceBlocks draws a pending request's message as first posted:
// without its buttons, which come once the bot has recorded where the
// message is.
func announceBlocks(r *approvals.Request) []slack.Block { return messageBlocks(r, false) }

func messageBlocks(r *approvals.Request, buttons bool) []slack.Block {
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(text(truncate(approvalTitle(r), 150)))),
		slack.NewSectionBlock(nil, approvalFields(r), nil),
	}
	if r.DryRun {
		blocks = append(blocks, slack.NewContextBlock("", md(":test_tube: *Dry run*: approving runs every check but makes no DCS write call; the thread says what would have been killed.")))
	}
	blocks = append(blocks, targetBlocks(r)...)
	if r.State == approvals.Pending && !buttons {
		return append(blocks, slack.NewContextBlock("", md(":hourglass_flowing_sand: Setting up: the Approve and Deny buttons appear in a moment.")))
	}
	if r.State == approvals.Pending {
		return append(blocks, decisionBlocks(r)...)
	}
	return append(blocks, slack.NewSectionBlock(md(stateLine(r)), nil, nil))
}

func approvalTitle(r *approvals.Request) string {
	title := "Kill " + string(num(len(r.Addrs))) + " client session" + string(plural(len(r.Addrs))) + " on " + r.Instance.Alias
	if r.IsKillAll() {
		title = "Kill ALL client sessions on " + r.Instance.Alias
	}
	if r.DryRun {
		title = "[DRY RUN] " + title
	}
	return title
}

func approvalFields(r *approvals.Request) []*slack.TextBlockObject {
	node := id(r.NodeID)
	if r.AllNodes {
		node = "*every node*"
	}
	fields := []*slack.TextBlockObject{
		mdf("*Request*\n%s", id(r.ID)),
		mdf("*Requested by*\n%s", mention(r.Requester)),
		mdf("*Instance*\n%s (%s)", id(r.Instance.Alias), id(r.Instance.ID)),
		mdf("*Node*\n%s", node),
		mdf("*Approvals*\n%s of %s%s", num(len(r.Approvals)), num(r.ApprovalsRequired), approverList(r)),
		mdf("*Expires*\n%s", slackDate(r.ExpiresAt)),
	}
	if r.Reason != "" {
		fields = append(fields, mdf("*Reason*\n%s", outside(r.Reason).line(capField)))
	}
	return append(fields, selectorsField(r)...)
}

// targetBlocks says what the request kills and what the bot saw there.
func targetBlocks(r *approvals.Request) []slack.Block {
	if r.PerNode() {
		return perNodeTargetBlocks(r)
	}
	var blocks []slack.Block
	if r.IsKillAll() {
		scope := textf("node %s", id(r.NodeID))
		if r.AllNodes {
			scope = "*every node of the instance*"
		}
		warn := textf(":rotating_light: *This closes EVERY client connection on %s*", scope)
		if r.Preview.Usable() {
			warn += textf(" (%s session%s now)", num(r.Preview.Sessions), plural(r.Preview.Sessions))
		}
		warn += ". Every application using it will have to reconnect."
		blocks = append(blocks, slack.NewSectionBlock(md(warn), nil, nil))
	} else {
		blocks = append(blocks, sections("*Client addresses*", targetLines(r))...)
	}
	if r.Preview.Usable() && r.Preview.ProxyOnly {
		blocks = append(blocks, slack.NewContextBlock("", md(proxyWarning)))
	}
	if r.Preview != nil && !r.Preview.Usable() {
		blocks = append(blocks, slack.NewContextBlock("", mdf(
			":warning: The live sessions could not be read (%s): approvers see only the addresses, and the bot cannot check before the kill that they are still the same clients.",
			outside(r.Preview.Unavailable).line(capLine))))
	}
	return blocks
}

// sections puts a heading and lines into as many section blocks as Slack's
// 3000-character limit needs, never cutting a line.
func sections(heading text, lines []text) []slack.Block {
	var blocks []slack.Block
	cur := heading
	for _, l := range lines {
		if len([]rune(string(cur)))+1+len([]rune(string(l))) > capText && cur != "" {
			blocks = append(blocks, slack.NewSectionBlock(md(cur), nil, nil))
			cur = ""
		}
		if cur != "" {
			cur += "\n"
		}
		cur += l
	}
	if cur != "" {
		blocks = append(blocks, slack.NewSectionBlock(md(cur), nil, nil))
	}
	return blocks
}

// decisionBlocks are the Approve and Deny buttons of a pending request.
func decisionBlocks(r *approvals.Request) []slack.Block {
	return []slack.Block{
		slack.NewActionBlock(decisionBlockID, approveButton(r), denyButton(r)),
		slack.NewContextBlock("", mdf("Needs %s approval%s from an approver other than the requester.", num(r.ApprovalsRequired), plural(r.ApprovalsRequired))),
	}
}

// approveButton is a pending request's Approve button, with its confirm
// dialog.
func approveButton(r *approvals.Request) *slack.ButtonBlockElement {
	n := textf("%s session%s", num(len(r.Addrs)), plural(len(r.Addrs)))
	if r.IsKillAll() {
		n = "ALL sessions"
	}
	confirm := slack.NewConfirmationBlockObject(
		plain(textf("Kill %s?", n)),
		mdf("This closes the client connections of request %s on %s. Clients may reconnect.", id(r.ID), id(r.Instance.Alias)),
		plain("Approve and kill"),
		plain("Cancel"),
	)
	return slack.NewButtonBlockElement(approveActionID, r.ID, plain("Approve")).
		WithStyle(slack.StylePrimary).WithConfirm(confirm)
}

// denyButton is a pending request's Deny button, with a confirm dialog: a
// Deny is deliberate even when Slack's trigger for the reason dialog has
// expired by the time the bot sees it (it then denies at once).
func denyButton(r *approvals.Request) *slack.ButtonBlockElement {
	confirm := slack.NewConfirmationBlockObject(
		plain("Deny request "+text(r.ID)+"?"),
		mdf("Nothing will be killed. Next you can say why. (Your own request is withdrawn.)"),
		plain("Deny"),
		plain("Back"),
	).WithStyle(slack.StyleDanger)
	return slack.NewButtonBlockElement(denyActionID, r.ID, plain("Deny")).WithStyle(slack.StyleDanger).WithConfirm(confirm)
}

// targetLines lists the addresses with what the preview found at each.
func targetLines(r *approvals.Request) []text {
	if !r.Preview.Usable() {
		return addrLines(r.Addrs)
	}
	var lines []text
	for i, t := range r.Preview.Targets {
		if i == maxListedAddrs {
			lines = append(lines, textf("…and %s more", num(len(r.Preview.Targets)-i)))
			break
		}
		lines = append(lines, targetLine(t))
	}
	return lines
}

// targetLine shows a target as the bot saw it when the request was made:
// its session, or that nothing was connected there.
func targetLine(t approvals.Target) text {
	if t.Session == nil {
		return textf("%s: :warning: *not connected now* (when the request was made)", id(t.Addr))
	}
	return sessionLine(t.Addr, t.Session)
}

// sessionLine shows a session: its address and what its client is.
func sessionLine(addr string, x *approvals.Session) text {
	return textf("%s: %s · user %s · db %s · age %s · idle %s · last %s",
		id(addr), sessionName(x.Name), cell(x.User), cell(x.DB), dur(x.Age), dur(x.Idle), outside(x.Cmd).code(24))
}

func sessionName(name string) text {
	if name == "" {
		return "_no name_"
	}
	return "*" + cell(name) + "*"
}

// approvalText is the notification fallback for the approval message.
func approvalText(r *approvals.Request) string {
	return stripMrkdwn(textf("Kill request %s: %s, %s", id(r.ID), whatKilled(r), stateWord(r.State)))
}

func approverList(r *approvals.Request) text {
	if len(r.Approvals) == 0 {
		return ""
	}
	return " (" + mentions(r.Approvals) + ")"
}

// addrLines lists addresses, one per line, at most maxListedAddrs.
func addrLines(addrs []string) []text {
	var lines []text
	for i, a := range addrs {
		if i == maxListedAddrs {
			lines = append(lines, textf("…and %s more", num(len(addrs)-i)))
			break
		}
		lines = append(lines, id(a))
	}
	return lines
}
