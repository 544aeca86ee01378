package slackbot

import (
	"fmt"
	"strings"
	"time"

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
	title := fmt.Sprintf("Kill %d client session%s on %s", len(r.Addrs), plural(len(r.Addrs)), r.Instance.Alias)
	if r.IsKillAll() {
		title = "Kill ALL client sessions on " + r.Instance.Alias
	}
	if r.DryRun {
		title = "[DRY RUN] " + title
	}
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
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, truncate(title, 150), false, false)),
		slack.NewSectionBlock(nil, fields, nil),
	}
	if r.DryRun {
		blocks = append(blocks, slack.NewContextBlock("", md(":test_tube: *Dry run*: approving runs every check but makes no DCS write call; the thread says what would have been killed.")))
	}
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
	if r.State == approvals.Pending {
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
		blocks = append(blocks, slack.NewActionBlock(decisionBlockID, approve, deny))
		blocks = append(blocks, slack.NewContextBlock("", md(
			"Needs %d approval%s from an approver other than the requester.", r.ApprovalsRequired, plural(r.ApprovalsRequired))))
		return blocks
	}
	return append(blocks, slack.NewSectionBlock(md("%s", stateLine(r)), nil, nil))
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

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// approvalText is the notification fallback for the approval message.
func approvalText(r *approvals.Request) string {
	return fmt.Sprintf("Kill request %s: %d session(s) on %s, %s", r.ID, len(r.Addrs), r.Instance.Alias, stateWord(r.State))
}

func stateWord(s approvals.State) string {
	switch s {
	case approvals.Pending:
		return "waiting for approval"
	case approvals.Approved, approvals.Executing:
		return "approved, killing"
	case approvals.Succeeded:
		return "executed"
	case approvals.Failed:
		return "failed"
	case approvals.Unknown:
		return "outcome unknown"
	}
	return string(s)
}

// stateLine is the final line of a message that has left pending.
func stateLine(r *approvals.Request) string {
	switch r.State {
	case approvals.Approved, approvals.Executing:
		return fmt.Sprintf(":hourglass_flowing_sand: *Approved* by %s: killing now.", mentions(r.Approvals))
	case approvals.Succeeded:
		if r.Result != nil && r.Result.DryRun {
			return fmt.Sprintf(":test_tube: *Dry run done*: nothing was killed; the thread says what would have been. Approved by %s.", mentions(r.Approvals))
		}
		return fmt.Sprintf(":white_check_mark: *Executed*: DCS accepted the kill. Approved by %s.", mentions(r.Approvals))
	case approvals.Failed:
		return fmt.Sprintf(":x: *Failed*: %s See the thread.", failureSummary(r.Result))
	case approvals.Unknown:
		return ":warning: *Outcome unknown*: the sessions may or may not have been killed. See the thread."
	case approvals.Denied:
		return fmt.Sprintf(":no_entry: *Denied* by <@%s>%s. Nothing was killed.", r.DecidedBy, reasonSuffix(r.Note))
	case approvals.Expired:
		return fmt.Sprintf(":hourglass: *Expired* at %s without enough approvals. Nothing was killed.", slackDate(r.ExpiresAt))
	case approvals.Cancelled:
		if r.DecidedBy == "" {
			return fmt.Sprintf(":heavy_minus_sign: *Cancelled*: %s. Nothing was killed.", r.Note)
		}
		return fmt.Sprintf(":heavy_minus_sign: *Cancelled* by <@%s>%s. Nothing was killed.", r.DecidedBy, reasonSuffix(r.Note))
	}
	return string(r.State)
}

// threadText is a reply in the approval message's thread.
func threadText(r *approvals.Request, n approvals.Note) string {
	switch n.Kind {
	case approvals.NoteApproval:
		left := r.ApprovalsRequired - len(r.Approvals)
		return fmt.Sprintf(":ballot_box_with_check: <@%s> approved (%d of %d). %d more approval%s needed.",
			n.Actor, len(r.Approvals), r.ApprovalsRequired, left, plural(left))
	case approvals.NoteExecuting:
		return fmt.Sprintf(":hourglass_flowing_sand: Approved by %s. Killing %d session%s on `%s` node `%s`…",
			mentions(r.Approvals), len(r.Addrs), plural(len(r.Addrs)), r.Instance.Alias, r.NodeID)
	case approvals.NoteResult:
		return resultText(r)
	case approvals.NoteDenied:
		return fmt.Sprintf(":no_entry: Denied by <@%s>%s. Nothing was killed.", n.Actor, reasonSuffix(r.Note))
	case approvals.NoteCancelled:
		return fmt.Sprintf(":heavy_minus_sign: Withdrawn by <@%s>%s. Nothing was killed.", n.Actor, reasonSuffix(r.Note))
	case approvals.NoteExpired:
		return fmt.Sprintf(":hourglass: Expired: not enough approvals before %s. Nothing was killed.", slackDate(r.ExpiresAt))
	case approvals.NoteVerified:
		return verifiedText(n.Checks)
	case approvals.NoteReminder:
		return fmt.Sprintf(":bell: Still waiting: %d of %d approval%s, expires %s. %s, can you take a look?",
			len(r.Approvals), r.ApprovalsRequired, plural(r.ApprovalsRequired), slackDate(r.ExpiresAt), approverMentions(n.Mention))
	case approvals.NoteRecovered:
		return ":warning: The bot stopped while this kill was in flight, so its outcome is *unknown*: DCS may or may not have killed the sessions. " +
			"Check the instance's client list before asking again."
	}
	return string(n.Kind)
}

func resultText(r *approvals.Request) string {
	res := r.Result
	if res == nil {
		res = &approvals.Result{}
	}
	who := "Approved by " + mentions(r.Approvals) + "."
	var s string
	switch r.State {
	case approvals.Succeeded:
		switch {
		case res.DryRun && r.IsKillAll():
			s = fmt.Sprintf(":test_tube: Dry run: would have killed %s. No DCS write call was made. %s", what(r)[len("kill "):], who)
		case res.DryRun:
			s = fmt.Sprintf(":test_tube: Dry run: would have killed %d session%s on `%s` node `%s`: %s. No DCS write call was made. %s",
				len(res.Killed), plural(len(res.Killed)), r.Instance.Alias, r.NodeID, inlineAddrs(res.Killed), who)
		case r.IsKillAll():
			s = fmt.Sprintf(":white_check_mark: Done. DCS accepted the kill of %s. %s", what(r)[len("kill "):], who)
		default:
			killed := res.Killed
			if len(killed) == 0 {
				killed = r.Addrs
			}
			s = fmt.Sprintf(":white_check_mark: Done. DCS accepted the kill of %d session%s on `%s` node `%s`: %s. %s",
				len(killed), plural(len(killed)), r.Instance.Alias, r.NodeID, inlineAddrs(killed), who)
		}
	case approvals.Failed:
		s = fmt.Sprintf(":x: The kill failed: %s %s", failureSummary(res), who)
	case approvals.Unknown:
		detail := oneLine(res.Detail)
		if detail == "" {
			detail = "DCS gave no answer"
		}
		if res.HTTPStatus != 0 {
			detail = fmt.Sprintf("%s (HTTP %d", detail, res.HTTPStatus)
			if res.DCSRequestID != "" {
				detail += ", request ID `" + code1(res.DCSRequestID) + "`"
			}
			detail += ")"
		}
		s = fmt.Sprintf(":warning: Outcome unknown: %s. The sessions may or may not have been killed; check the instance's client list before asking again. %s", strings.TrimSuffix(detail, "."), who)
	default:
		return stateLine(r)
	}
	if len(res.Skipped) > 0 {
		s += "\n:shield: Not killed, because the session changed since the request was made:"
		for _, k := range res.Skipped {
			s += fmt.Sprintf("\n• `%s`: %s", k.Addr, oneLine(k.Why))
		}
	}
	return s
}

// verifiedText reports the sessions re-read after a kill.
func verifiedText(checks []approvals.Check) string {
	var lines []string
	for _, c := range checks {
		icon := map[string]string{approvals.CheckKilled: ":white_check_mark:", approvals.CheckStillConnected: ":x:", approvals.CheckReconnected: ":repeat:"}[c.Outcome]
		line := fmt.Sprintf("%s `%s`: %s", icon, c.Addr, c.Outcome)
		if c.Detail != "" {
			line += " (" + c.Detail + ")"
		}
		lines = append(lines, line)
	}
	return "After the kill, the node's sessions show:\n" + strings.Join(lines, "\n")
}

// approverMentions mentions users as <@U…> and user groups as <!subteam^S…>.
func approverMentions(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if strings.HasPrefix(id, "S") {
			out[i] = "<!subteam^" + id + ">"
		} else {
			out[i] = "<@" + id + ">"
		}
	}
	if len(out) == 0 {
		return "Approvers"
	}
	return strings.Join(out, " ")
}

// failureSummary says what DCS answered, keeping its code, status and
// request ID visible, or why the call did not reach DCS.
func failureSummary(res *approvals.Result) string {
	if res == nil {
		return "no details were recorded."
	}
	if res.Code != "" || res.HTTPStatus != 0 {
		s := dcsAnswer(res.Code, res.HTTPStatus, res.Message, res.DCSRequestID)
		if res.HTTPStatus < 500 {
			s += " Nothing was killed."
		}
		return s
	}
	if res.Detail != "" {
		return strings.TrimSuffix(oneLine(res.Detail), ".") + "."
	}
	return "no details were recorded."
}

func md(format string, args ...any) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, fmt.Sprintf(format, args...), false, false)
}

func plain(format string, args ...any) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, fmt.Sprintf(format, args...), false, false)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func reasonSuffix(note string) string {
	if note == "" {
		return ""
	}
	return ": " + note
}

func mentions(as []approvals.Approval) string {
	if len(as) == 0 {
		return "nobody"
	}
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = "<@" + a.User + ">"
	}
	return strings.Join(out, ", ")
}

func approverList(r *approvals.Request) string {
	if len(r.Approvals) == 0 {
		return ""
	}
	return " (" + mentions(r.Approvals) + ")"
}

// slackDate renders t in each reader's own time zone, with a UTC fallback.
func slackDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time_secs}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04:05 UTC"))
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

func inlineAddrs(addrs []string) string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = "`" + a + "`"
	}
	return strings.Join(out, ", ")
}
