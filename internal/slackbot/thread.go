package slackbot

import (
	"fmt"
	"strings"
	"time"

	"dcsbot/internal/approvals"
)

// stateLine is the final line of a message that has left pending.
func stateLine(r *approvals.Request) string {
	switch r.State {
	case approvals.Approved, approvals.Executing:
		if r.JobID != "" {
			return fmt.Sprintf(":hourglass_flowing_sand: *Approved* by %s: DCS job `%s` is running.", mentions(r.Approvals), code1(r.JobID))
		}
		return fmt.Sprintf(":hourglass_flowing_sand: *Approved* by %s: killing now.", mentions(r.Approvals))
	case approvals.Succeeded:
		if r.Result != nil && r.Result.DryRun {
			return fmt.Sprintf(":test_tube: *Dry run done*: nothing was killed; the thread says what would have been. Approved by %s.", mentions(r.Approvals))
		}
		if r.JobID != "" {
			return fmt.Sprintf(":white_check_mark: *Executed*: DCS job `%s` ended SUCCESS. Approved by %s.", code1(r.JobID), mentions(r.Approvals))
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
		if r.IsKillAll() {
			return fmt.Sprintf(":hourglass_flowing_sand: Approved by %s. Killing %s…", mentions(r.Approvals), what(r)[len("kill "):])
		}
		return fmt.Sprintf(":hourglass_flowing_sand: Approved by %s. Killing %d session%s on `%s` node `%s`…",
			mentions(r.Approvals), len(r.Addrs), plural(len(r.Addrs)), r.Instance.Alias, r.NodeID)
	case approvals.NoteJobRunning:
		return fmt.Sprintf(":hourglass_flowing_sand: DCS accepted the job to %s: job `%s` is running. "+
			"The bot follows it and will say here how it ends.", what(r), code1(r.JobID))
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

// resultText reports the outcome of an executed request.
func resultText(r *approvals.Request) string {
	res := r.Result
	if res == nil {
		res = &approvals.Result{}
	}
	who := "Approved by " + mentions(r.Approvals) + "."
	var s string
	switch r.State {
	case approvals.Succeeded:
		s = successText(r, res) + " " + who
	case approvals.Failed:
		s = fmt.Sprintf(":x: The kill failed: %s %s", failureSummary(res), who)
	case approvals.Unknown:
		s = fmt.Sprintf(":warning: Outcome unknown: %s. The sessions may or may not have been killed; check the instance's client list before asking again. %s",
			strings.TrimSuffix(unknownDetail(res), "."), who)
	default:
		return stateLine(r)
	}
	if len(res.Skipped) > 0 {
		s += "\n:shield: Not killed, because the session changed since the request was made:"
		for _, k := range res.Skipped {
			s += fmt.Sprintf("\n• `%s`: %s", k.Addr, skipText(k))
		}
	}
	return s
}

func successText(r *approvals.Request, res *approvals.Result) string {
	switch {
	case res.DryRun && r.IsKillAll():
		return fmt.Sprintf(":test_tube: Dry run: would have killed %s. No DCS write call was made.", what(r)[len("kill "):])
	case res.DryRun:
		return fmt.Sprintf(":test_tube: Dry run: would have killed %d session%s on `%s` node `%s`: %s. No DCS write call was made.",
			len(res.Killed), plural(len(res.Killed)), r.Instance.Alias, r.NodeID, inlineAddrs(res.Killed))
	case r.IsKillAll() && r.JobID != "":
		return fmt.Sprintf(":white_check_mark: Done. DCS accepted the kill of %s, and its job `%s` ended SUCCESS.", what(r)[len("kill "):], code1(r.JobID))
	case r.IsKillAll():
		return fmt.Sprintf(":white_check_mark: Done. DCS accepted the kill of %s.", what(r)[len("kill "):])
	}
	killed := res.Killed
	if len(killed) == 0 {
		killed = r.Addrs
	}
	return fmt.Sprintf(":white_check_mark: Done. DCS accepted the kill of %d session%s on `%s` node `%s`: %s.",
		len(killed), plural(len(killed)), r.Instance.Alias, r.NodeID, inlineAddrs(killed))
}

func unknownDetail(res *approvals.Result) string {
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
	return detail
}

// skipText says why the guard held an address back.
func skipText(k approvals.Skip) string {
	switch k.Reason {
	case approvals.SkipNeverConnected:
		return "not connected when requested, and not now"
	case approvals.SkipNewSession:
		return "was not connected when the request was approved: the session there now was never shown to the approvers"
	case approvals.SkipGone:
		return "no longer connected"
	case approvals.SkipOtherID:
		return oneLine(fmt.Sprintf("reused by a new connection (client id %s, was %s)", k.ID, k.WasID))
	case approvals.SkipOtherName:
		return oneLine(fmt.Sprintf("reused by a new connection (client name %q, was %q)", k.Name, k.WasName))
	case approvals.SkipYounger:
		return fmt.Sprintf("reused by a new connection (connected %s ago, after the request)", k.Age.Round(time.Second))
	}
	return oneLine(k.Why)
}

// verifiedText reports the sessions re-read after a kill.
func verifiedText(checks []approvals.Check) string {
	var lines []string
	for _, c := range checks {
		icon := map[string]string{approvals.CheckKilled: ":white_check_mark:", approvals.CheckStillConnected: ":x:", approvals.CheckReconnected: ":repeat:"}[c.Outcome]
		line := fmt.Sprintf("%s `%s`: %s", icon, c.Addr, c.Outcome)
		if d := checkDetail(c); d != "" {
			line += " (" + d + ")"
		}
		lines = append(lines, line)
	}
	return "After the kill, the node's sessions show:\n" + strings.Join(lines, "\n")
}

func checkDetail(c approvals.Check) string {
	switch {
	case c.NoBaseline:
		return "a session is there; the bot had no earlier view to compare"
	case c.Outcome == approvals.CheckReconnected && c.NewAddr != "":
		return "from " + c.NewAddr
	case c.Outcome == approvals.CheckReconnected:
		return fmt.Sprintf("a new session on the same address, %s old", c.NewAge.Round(time.Second))
	}
	return ""
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

func reasonSuffix(note string) string {
	if note == "" {
		return ""
	}
	return ": " + note
}
