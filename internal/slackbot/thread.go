package slackbot

import (
	"time"

	"dcsbot/internal/approvals"
)

// stateLine is the final line of a message that has left pending.
func stateLine(r *approvals.Request) text {
	switch r.State {
	case approvals.Approved, approvals.Executing:
		if r.JobID != "" {
			return textf(":hourglass_flowing_sand: *Approved* by %s: DCS job %s is running.", mentions(r.Approvals), outside(r.JobID).code(capWord))
		}
		return textf(":hourglass_flowing_sand: *Approved* by %s: killing now.", mentions(r.Approvals))
	case approvals.Succeeded:
		if r.Result != nil && r.Result.DryRun {
			return textf(":test_tube: *Dry run done*: nothing was killed; the thread says what would have been. Approved by %s.", mentions(r.Approvals))
		}
		if r.JobID != "" {
			return textf(":white_check_mark: *Executed*: DCS job %s ended SUCCESS. Approved by %s.", outside(r.JobID).code(capWord), mentions(r.Approvals))
		}
		return textf(":white_check_mark: *Executed*: DCS accepted the kill. Approved by %s.", mentions(r.Approvals))
	case approvals.Failed:
		return textf(":x: *Failed*: %s See the thread.", failureSummary(r.Result))
	case approvals.Unknown:
		return ":warning: *Outcome unknown*: the sessions may or may not have been killed. See the thread."
	case approvals.Denied:
		return textf(":no_entry: *Denied* by %s%s. Nothing was killed.", mention(r.DecidedBy), reasonSuffix(r.Note))
	case approvals.Expired:
		return textf(":hourglass: *Expired* at %s without enough approvals. Nothing was killed.", slackDate(r.ExpiresAt))
	case approvals.Cancelled:
		if r.DecidedBy == "" {
			return textf(":heavy_minus_sign: *Cancelled*: %s. Nothing was killed.", outside(r.Note).line(capLine))
		}
		return textf(":heavy_minus_sign: *Cancelled* by %s%s. Nothing was killed.", mention(r.DecidedBy), reasonSuffix(r.Note))
	}
	return outside(r.State).line(capWord)
}

// threadText is a reply in the approval message's thread.
func threadText(r *approvals.Request, n approvals.Note) text {
	switch n.Kind {
	case approvals.NoteApproval:
		return approvalNote(r, n)
	case approvals.NoteExecuting:
		if r.PerNode() {
			return perNodeExecutingText(r)
		}
		if r.IsKillAll() {
			return textf(":hourglass_flowing_sand: Approved by %s. Killing %s…", mentions(r.Approvals), whatKilled(r))
		}
		return textf(":hourglass_flowing_sand: Approved by %s. Killing %s session%s on %s node %s…",
			mentions(r.Approvals), num(len(r.Addrs)), plural(len(r.Addrs)), id(r.Instance.Alias), id(r.NodeID))
	case approvals.NoteJobRunning:
		return textf(":hourglass_flowing_sand: DCS accepted the job to %s: job %s is running. "+
			"The bot follows it and will say here how it ends.", what(r), outside(r.JobID).code(capWord))
	case approvals.NoteResult:
		return resultText(r)
	case approvals.NoteDenied:
		return textf(":no_entry: Denied by %s%s. Nothing was killed.", mention(n.Actor), reasonSuffix(r.Note))
	case approvals.NoteCancelled:
		return textf(":heavy_minus_sign: Withdrawn by %s%s. Nothing was killed.", mention(n.Actor), reasonSuffix(r.Note))
	case approvals.NoteExpired:
		return textf(":hourglass: Expired: not enough approvals before %s. Nothing was killed.", slackDate(r.ExpiresAt))
	case approvals.NoteVerified:
		return verifiedText(n.Checks)
	case approvals.NoteReminder:
		return textf(":bell: Still waiting: %s of %s approval%s, expires %s. %s, can you take a look?",
			num(len(r.Approvals)), num(r.ApprovalsRequired), plural(r.ApprovalsRequired), slackDate(r.ExpiresAt), approverMentions(n.Mention))
	case approvals.NoteRecovered:
		return ":warning: The bot stopped while this kill was in flight, so its outcome is *unknown*: DCS may or may not have killed the sessions. " +
			"Check the instance's client list before asking again."
	}
	return outside(n.Kind).line(capWord)
}

// approvalNote counts the approvals after one more: those of approvers
// who are no longer approvers are named, and do not count.
func approvalNote(r *approvals.Request, n approvals.Note) text {
	left := r.ApprovalsRequired - n.Count
	t := textf(":ballot_box_with_check: %s approved (%s of %s).", mention(n.Actor), num(n.Count), num(r.ApprovalsRequired))
	if len(n.Lapsed) > 0 {
		lapsed := make([]approvals.Approval, len(n.Lapsed))
		for i, u := range n.Lapsed {
			lapsed[i].User = u
		}
		t += textf(" Not counted: %s, no longer an approver.", mentions(lapsed))
	}
	return t + textf(" %s more approval%s needed.", num(left), plural(left))
}

// resultText reports the outcome of an executed request.
func resultText(r *approvals.Request) text {
	res := r.Result
	if res == nil {
		res = &approvals.Result{}
	}
	if r.PerNode() && len(res.Nodes) > 0 {
		return perNodeResultText(r)
	}
	who := "Approved by " + mentions(r.Approvals) + "."
	var t text
	switch r.State {
	case approvals.Succeeded:
		t = successText(r, res) + " " + who
	case approvals.Failed:
		t = textf(":x: The kill failed: %s %s", failureSummary(res), who)
	case approvals.Unknown:
		t = textf(":warning: Outcome unknown: %s. The sessions may or may not have been killed; check the instance's client list before asking again. %s",
			unknownDetail(res), who)
	default:
		return stateLine(r)
	}
	if len(res.Skipped) > 0 {
		t += "\n:shield: Not killed, because the session changed since the request was made:"
		for i, k := range res.Skipped {
			if i == maxListedAddrs {
				t += textf("\n…and %s more", num(len(res.Skipped)-i))
				break
			}
			t += textf("\n• %s: %s", id(k.Addr), skipText(k))
		}
	}
	return t
}

func successText(r *approvals.Request, res *approvals.Result) text {
	switch {
	case res.DryRun && r.IsKillAll():
		return textf(":test_tube: Dry run: would have killed %s. No DCS write call was made.", whatKilled(r))
	case res.DryRun:
		return textf(":test_tube: Dry run: would have killed %s session%s on %s node %s: %s. No DCS write call was made.",
			num(len(res.Killed)), plural(len(res.Killed)), id(r.Instance.Alias), id(r.NodeID), inlineAddrs(res.Killed))
	case r.IsKillAll() && r.JobID != "":
		return textf(":white_check_mark: Done. DCS accepted the kill of %s, and its job %s ended SUCCESS.", whatKilled(r), outside(r.JobID).code(capWord))
	case r.IsKillAll():
		return textf(":white_check_mark: Done. DCS accepted the kill of %s.", whatKilled(r))
	}
	killed := res.Killed
	if len(killed) == 0 {
		killed = r.Addrs
	}
	return textf(":white_check_mark: Done. DCS accepted the kill of %s session%s on %s node %s: %s.",
		num(len(killed)), plural(len(killed)), id(r.Instance.Alias), id(r.NodeID), inlineAddrs(killed))
}

func unknownDetail(res *approvals.Result) text {
	detail := outside(res.Detail).clause(capLine, "DCS gave no answer")
	if res.HTTPStatus != 0 {
		detail += textf(" (HTTP %s", num(res.HTTPStatus))
		if res.DCSRequestID != "" {
			detail += textf(", request ID %s", outside(res.DCSRequestID).code(capWord))
		}
		detail += ")"
	}
	return detail
}

// skipText says why the guard held an address back.
func skipText(k approvals.Skip) text {
	switch k.Reason {
	case approvals.SkipNeverConnected:
		return "not connected when requested, and not now"
	case approvals.SkipNewSession:
		return "was not connected when the request was approved: the session there now was never shown to the approvers"
	case approvals.SkipGone:
		return "no longer connected"
	case approvals.SkipOtherID:
		return textf("reused by a new connection (client id %s, was %s)", outside(k.ID).line(capWord), outside(k.WasID).line(capWord))
	case approvals.SkipOtherName:
		return textf("reused by a new connection (client name %s, was %s)", outside(k.Name).code(capWord), outside(k.WasName).code(capWord))
	case approvals.SkipYounger:
		return textf("reused by a new connection (connected %s ago, after the request)", dur(k.Age))
	}
	return outside(k.Why).line(capLine)
}

// verifiedText reports the sessions re-read after a kill.
func verifiedText(checks []approvals.Check) text {
	lines := []text{"After the kill, the node's sessions show:"}
	node := ""
	for i, c := range checks {
		if i == maxListedAddrs {
			lines = append(lines, textf("…and %s more", num(len(checks)-i)))
			break
		}
		if c.NodeID != node {
			node = c.NodeID
			lines = append(lines, textf("*Node %s*:", id(node)))
		}
		icon := map[string]text{approvals.CheckKilled: ":white_check_mark:", approvals.CheckStillConnected: ":x:", approvals.CheckReconnected: ":repeat:"}[c.Outcome]
		line := textf("%s %s: %s", icon, id(c.Addr), outside(c.Outcome).line(capWord))
		if d := checkDetail(c); d != "" {
			line += " (" + d + ")"
		}
		lines = append(lines, line)
	}
	return join(lines, "\n")
}

func checkDetail(c approvals.Check) text {
	switch {
	case c.NoBaseline:
		return "a session is there; the bot had no earlier view to compare"
	case c.Outcome == approvals.CheckReconnected && c.NewAddr != "":
		return "from " + outside(c.NewAddr).line(capWord)
	case c.Outcome == approvals.CheckReconnected:
		return textf("a new session on the same address, %s old", text(c.NewAge.Round(time.Second).String()))
	}
	return ""
}

// failureSummary says what DCS answered, keeping its code, status and
// request ID visible, or why the call did not reach DCS.
func failureSummary(res *approvals.Result) text {
	if res == nil {
		return "no details were recorded."
	}
	if res.Code != "" || res.HTTPStatus != 0 {
		t := dcsAnswer(res.Code, res.HTTPStatus, res.Message, res.DCSRequestID)
		if res.HTTPStatus < 500 {
			t += " Nothing was killed."
		}
		return t
	}
	if res.Detail != "" {
		return outside(res.Detail).clause(capLine, "") + "."
	}
	return "no details were recorded."
}

// reasonSuffix is ": <reason>" for a decision's note, or "".
func reasonSuffix(note string) text {
	if note == "" {
		return ""
	}
	return ": " + outside(note).line(capLine)
}
