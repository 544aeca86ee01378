package slackbot

import (
	"fmt"
	"strings"

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
// final state.
func approvalBlocks(r *approvals.Request) []slack.Block {
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, truncate(approvalTitle(r), 150), false, false)),
		slack.NewSectionBlock(nil, approvalFields(r), nil),
	}
	if r.DryRun {
		blocks = append(blocks, slack.NewContextBlock("", md(":test_tube: *Dry run*: approving runs every check but makes no DCS write call; the thread says what would have been killed.")))
	}
	blocks = append(blocks, targetBlocks(r)...)
	if r.State == approvals.Pending {
		return append(blocks, decisionBlocks(r)...)
	}
	return append(blocks, slack.NewSectionBlock(md("%s", stateLine(r)), nil, nil))
}

func approvalTitle(r *approvals.Request) string {
	title := fmt.Sprintf("Kill %d client session%s on %s", len(r.Addrs), plural(len(r.Addrs)), r.Instance.Alias)
	if r.IsKillAll() {
		title = "Kill ALL client sessions on " + r.Instance.Alias
	}
	if r.DryRun {
		title = "[DRY RUN] " + title
	}
	return title
}

func approvalFields(r *approvals.Request) []*slack.TextBlockObject {
	node := fmt.Sprintf("`%s`", r.NodeID)
	if r.AllNodes {
		node = "*every node*"
	}
	fields := []*slack.TextBlockObject{
		md("*Request*\n`%s`", r.ID),
		md("*Requested by*\n<@%s>", r.Requester),
		md("*Instance*\n`%s` (`%s`)", r.Instance.Alias, r.Instance.ID),
		md("*Node*\n%s", node),
		md("*Approvals*\n%d of %d%s", len(r.Approvals), r.ApprovalsRequired, approverList(r)),
		md("*Expires*\n%s", slackDate(r.ExpiresAt)),
	}
	if r.Reason != "" {
		fields = append(fields, md("*Reason*\n%s", escape(r.Reason)))
	}
	return fields
}

// targetBlocks says what the request kills and what the bot saw there.
func targetBlocks(r *approvals.Request) []slack.Block {
	var blocks []slack.Block
	if r.IsKillAll() {
		scope := fmt.Sprintf("node `%s`", r.NodeID)
		if r.AllNodes {
			scope = "*every node of the instance*"
		}
		warn := fmt.Sprintf(":rotating_light: *This closes EVERY client connection on %s*", scope)
		if r.Preview.Usable() {
			warn += fmt.Sprintf(" (%d session%s now)", r.Preview.Sessions, plural(r.Preview.Sessions))
		}
		warn += ". Every application using it will have to reconnect."
		blocks = append(blocks, slack.NewSectionBlock(md("%s", warn), nil, nil))
	} else {
		blocks = append(blocks, slack.NewSectionBlock(md("*Client addresses*\n%s", targetList(r)), nil, nil))
	}
	if r.Preview.Usable() && r.Preview.ProxyOnly {
		blocks = append(blocks, slack.NewContextBlock("", md("%s", proxyWarning)))
	}
	if r.Preview != nil && !r.Preview.Usable() {
		blocks = append(blocks, slack.NewContextBlock("", md(
			":warning: The live sessions could not be read (%s): approvers see only the addresses, and the bot cannot check before the kill that they are still the same clients.",
			oneLine(r.Preview.Unavailable))))
	}
	return blocks
}

// decisionBlocks are the Approve and Deny buttons of a pending request.
func decisionBlocks(r *approvals.Request) []slack.Block {
	n := fmt.Sprintf("%d session%s", len(r.Addrs), plural(len(r.Addrs)))
	if r.IsKillAll() {
		n = "ALL sessions"
	}
	confirm := slack.NewConfirmationBlockObject(
		plain("Kill %s?", n),
		md("This closes the client connections of request `%s` on `%s`. Clients may reconnect.", r.ID, r.Instance.Alias),
		plain("Approve and kill"),
		plain("Cancel"),
	)
	approve := slack.NewButtonBlockElement(approveActionID, r.ID, plain("Approve")).
		WithStyle(slack.StylePrimary).WithConfirm(confirm)
	deny := slack.NewButtonBlockElement(denyActionID, r.ID, plain("Deny")).WithStyle(slack.StyleDanger)
	return []slack.Block{
		slack.NewActionBlock(decisionBlockID, approve, deny),
		slack.NewContextBlock("", md("Needs %d approval%s from an approver other than the requester.", r.ApprovalsRequired, plural(r.ApprovalsRequired))),
	}
}

// targetList lists the addresses with what the preview found at each.
func targetList(r *approvals.Request) string {
	if !r.Preview.Usable() {
		return addrList(r.Addrs)
	}
	var lines []string
	for i, t := range r.Preview.Targets {
		if i == maxListedAddrs {
			lines = append(lines, fmt.Sprintf("…and %d more", len(r.Preview.Targets)-i))
			break
		}
		if t.Session == nil {
			lines = append(lines, fmt.Sprintf("`%s`: :warning: *not connected now* (when the request was made)", t.Addr))
			continue
		}
		x := t.Session
		lines = append(lines, fmt.Sprintf("`%s`: %s · user %s · db %s · age %s · idle %s · last `%s`",
			t.Addr, sessionName(x.Name), cell(x.User), cell(x.DB), dur(x.Age), dur(x.Idle), cell(x.Cmd)))
	}
	return strings.Join(lines, "\n")
}

func sessionName(name string) string {
	if name == "" {
		return "_no name_"
	}
	return "*" + escape(cell(name)) + "*"
}

// approvalText is the notification fallback for the approval message.
func approvalText(r *approvals.Request) string {
	return fmt.Sprintf("Kill request %s: %d session(s) on %s, %s", r.ID, len(r.Addrs), r.Instance.Alias, stateWord(r.State))
}

func approverList(r *approvals.Request) string {
	if len(r.Approvals) == 0 {
		return ""
	}
	return " (" + mentions(r.Approvals) + ")"
}

func addrList(addrs []string) string {
	shown := addrs
	if len(shown) > maxListedAddrs {
		shown = shown[:maxListedAddrs]
	}
	s := "```" + strings.Join(shown, "\n") + "```"
	if extra := len(addrs) - len(shown); extra > 0 {
		s += fmt.Sprintf("\n…and %d more", extra)
	}
	return s
}
