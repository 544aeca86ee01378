package slackbot

import (
	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
)

// This file draws a kill on every node (Request.PerNode): the sessions
// chosen on each node, the nodes that could not be read, and each node's
// outcome.

// perNodeTargetBlocks lists, node by node, the sessions chosen there as
// the bot saw them, and names the nodes it could not read.
func perNodeTargetBlocks(r *approvals.Request) []slack.Block {
	var lines []text
	listed, proxyOnly := 0, false
	for _, n := range r.Nodes {
		switch {
		case n.Unreadable != "":
			lines = append(lines, textf(":warning: *Node %s* could not be read (%s): nothing is killed there.", id(n.NodeID), outside(n.Unreadable).line(capLine)))
			continue
		case len(n.Addrs) == 0:
			lines = append(lines, textf("*Node %s*: no session matches (of %s).", id(n.NodeID), num(sessionsOf(n))))
			continue
		}
		proxyOnly = proxyOnly || n.Preview.ProxyOnly
		lines = append(lines, textf("*Node %s*: %s session%s (of %s):", id(n.NodeID), num(len(n.Addrs)), plural(len(n.Addrs)), num(sessionsOf(n))))
		for _, t := range n.Preview.Targets {
			if listed == maxListedAddrs {
				break
			}
			listed++
			lines = append(lines, targetLine(t))
		}
	}
	if rest := len(r.Addrs) - listed; rest > 0 {
		lines = append(lines, textf("…and %s more", num(rest)))
	}
	blocks := sections("*Client sessions, node by node*", lines)
	if proxyOnly {
		blocks = append(blocks, slack.NewContextBlock("", md(proxyWarning)))
	}
	return blocks
}

func sessionsOf(n approvals.NodeTargets) int {
	if n.Preview == nil {
		return 0
	}
	return n.Preview.Sessions
}

// killable counts the nodes a kill on every node sends a kill to.
func killable(r *approvals.Request) int {
	k := 0
	for _, n := range r.Nodes {
		if n.Killable() {
			k++
		}
	}
	return k
}

// perNodeExecutingText is the thread note of a kill on every node going out.
func perNodeExecutingText(r *approvals.Request) text {
	k := killable(r)
	return textf(":hourglass_flowing_sand: Approved by %s. Killing %s session%s on %s, node by node (%s node%s)…",
		mentions(r.Approvals), num(len(r.Addrs)), plural(len(r.Addrs)), id(r.Instance.Alias), num(k), plural(k))
}

// perNodeResultText reports each node's outcome, and the nodes left alone.
func perNodeResultText(r *approvals.Request) text {
	res := r.Result
	var t text
	switch r.State {
	case approvals.Succeeded:
		t = textf(":white_check_mark: Done on every node of %s.", id(r.Instance.Alias))
		if res.DryRun {
			t = textf(":test_tube: Dry run on every node of %s: no DCS write call was made.", id(r.Instance.Alias))
		}
	case approvals.Unknown:
		t = ":warning: Outcome unknown on at least one node: check the instance's client list before asking again."
	default:
		t = textf(":x: Not every node's kill went through: %s.", outside(res.Detail).line(capLine))
	}
	t += " Approved by " + mentions(r.Approvals) + "."
	for _, nr := range res.Nodes {
		t += "\n" + nodeResultLine(nr)
	}
	for _, n := range r.Nodes {
		if n.Unreadable != "" {
			t += textf("\n• Node %s: not read when the request was made, so nothing was killed there.", id(n.NodeID))
		}
	}
	return t
}

// nodeResultLine is one node's outcome, with what was sent and held back.
func nodeResultLine(nr approvals.NodeResult) text {
	var t text
	switch nr.State {
	case approvals.Succeeded:
		verb := text("DCS accepted the kill of")
		if nr.DryRun {
			verb = "would have killed"
		}
		t = textf("• Node %s: :white_check_mark: %s %s session%s: %s.", id(nr.NodeID), verb, num(len(nr.Killed)), plural(len(nr.Killed)), inlineAddrs(nr.Killed))
	case approvals.Unknown:
		t = textf("• Node %s: :warning: outcome unknown: %s.", id(nr.NodeID), unknownDetail(&nr.Result))
		if len(nr.Killed) > 0 {
			t += textf(" Sent: %s.", inlineAddrs(nr.Killed))
		}
	default:
		t = textf("• Node %s: :x: %s", id(nr.NodeID), failureSummary(&nr.Result))
	}
	for i, k := range nr.Skipped {
		if i == maxListedAddrs {
			t += textf("\n  …and %s more held back", num(len(nr.Skipped)-i))
			break
		}
		t += textf("\n  :shield: %s not killed: %s", id(k.Addr), skipText(k))
	}
	return t
}

// selectorsField is the approval message's field naming the selectors
// that chose the sessions, if any.
func selectorsField(r *approvals.Request) []*slack.TextBlockObject {
	if r.Selectors == "" {
		return nil
	}
	return []*slack.TextBlockObject{mdf("*Chosen by*\n%s", outside(r.Selectors).code(capLine))}
}
