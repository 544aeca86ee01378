package slackbot

import (
	"dcsbot/internal/approvals"
)

// refusalText says in Slack mrkdwn why the lifecycle refused.
func refusalText(r *approvals.Refusal) text {
	switch r.Code {
	case approvals.RefuseChannel:
		return channelRefusal(r)
	case approvals.RefuseRequester:
		return "You are not on the list of people who may request session kills (policy.requesters)."
	case approvals.RefuseUnknownInstance:
		return textf("Unknown instance %s: only configured instances can be used. Known: %s.", id(r.Instance), ids(r.Known))
	case approvals.RefuseKillAllDisabled:
		return textf("`/dcs kill-all` is disabled for %s (policy.kill_all.enabled is off).", id(r.Instance))
	case approvals.RefuseReasonRequired:
		return textf("A reason is required for %s: add `--reason \"what and why\"`.", id(r.Instance))
	case approvals.RefuseTooManyAddrs:
		return textf("Too many addresses for %s: %s given, at most %s per request.", id(r.Instance), num(r.Count), num(r.Max))
	case approvals.RefuseNoReader:
		return "This bot cannot read sessions or list nodes: name the node by its ID."
	case approvals.RefuseTooManyPending:
		return textf("You already have %s request%s waiting for approval, the most allowed for %s (%s): %s. "+
			"Withdraw one with `/dcs cancel &lt;id&gt;`, or wait until one is decided or expires.",
			num(r.Count), plural(r.Count), id(r.Instance), num(r.Max), inlineAddrs(r.Requests))
	}
	if t := nodeRefusal(r); t != "" {
		return t
	}
	if t := targetRefusal(r); t != "" {
		return t
	}
	return requestRefusal(r)
}

func channelRefusal(r *approvals.Refusal) text {
	t := text("`/dcs` is not enabled in this channel.")
	if r.Instance != "" {
		t = textf("`/dcs` is not enabled for %s in this channel.", id(r.Instance))
	}
	if len(r.Channels) == 0 {
		return t
	}
	links := make([]text, len(r.Channels))
	for i, c := range r.Channels {
		links[i] = channelLink(c)
	}
	return t + " Ask in one of: " + join(links, ", ") + "."
}

// inCode is s for inside a code span the caller writes.
func inCode(s string) text { return outside(s).line(capWord) }

func nodeRefusal(r *approvals.Refusal) text {
	inst := id(r.Instance)
	switch r.Code {
	case approvals.RefuseNoNodeIndex:
		return textf("%s has no node #%s: it has %s session node(s), #0 to #%s. See `/dcs nodes %s`.",
			inst, num(r.Index), num(r.Count), num(r.Count-1), inCode(r.Instance))
	case approvals.RefuseNoNodeAddr:
		return textf("%s has no node at %s. See `/dcs nodes %s`.", inst, id(r.NodeAddr), inCode(r.Instance))
	case approvals.RefuseNameNode:
		return textf("%s has %s session nodes: name one (its ID, ip:port or #index from `/dcs nodes %s`).", inst, num(r.Count), inCode(r.Instance))
	case approvals.RefuseAllAbsent:
		return textf("None of the addresses is connected to %s node %s now, so nothing was requested: %s. `/dcs clients %s` lists the sessions.",
			inst, id(r.Node), inlineAddrs(r.Addrs), inCode(r.Instance))
	case approvals.RefuseNodeNotSessioned:
		return textf("Node %s of %s has no node ID that session commands take, so its sessions cannot be listed or killed. `/dcs nodes %s` lists the nodes that can.",
			id(r.Node), inst, inCode(r.Instance))
	}
	return ""
}

// selectorNames names the selector flags, for refusals.
const selectorNames text = "`--name`, `--ip`, `--cmd` or `--idle-over`"

// targetRefusal says why the sessions a kill names or chooses were refused.
func targetRefusal(r *approvals.Refusal) text {
	inst := id(r.Instance)
	switch r.Code {
	case approvals.RefuseNoTargets:
		return "Give at least one client address, or a selector (" + selectorNames + "). `/dcs help kill` shows how."
	case approvals.RefuseAllNodesAddrs:
		return "On every node (`--all-nodes`) give selectors (" + selectorNames + "), not client addresses: an address belongs to one node."
	case approvals.RefuseNoMatch:
		return noMatchText(r)
	case approvals.RefuseTooManyMatches:
		return textf("%s chooses %s sessions of %s, more than one request may kill (at most %s), so nothing was requested. "+
			"Narrow it: add or tighten %s, or give a node instead of `--all-nodes`.", outside(r.Selectors).code(capLine), num(r.Count), inst, num(r.Max), selectorNames)
	case approvals.RefusePickedChanged:
		return textf("Some sessions you picked changed since the list was read (gone, or another client at the address): %s. "+
			"Nothing was requested: open the list again with `/dcs kill %s`.", inlineAddrs(r.Addrs), inCode(r.Instance))
	}
	return ""
}

// noMatchText says what was searched when nothing matched.
func noMatchText(r *approvals.Refusal) text {
	where := textf("node %s of %s", id(r.Node), id(r.Instance))
	if r.Node == "" {
		where = textf("the %s session node%s of %s", num(r.Count), plural(r.Count), id(r.Instance))
	}
	t := textf("No session matches %s on %s (%s session%s searched)", outside(r.Selectors).code(capLine), where, num(r.Sessions), plural(r.Sessions))
	if len(r.Addrs) > 0 {
		t += textf(", and none of %s is connected", inlineAddrs(r.Addrs))
	}
	if len(r.Unreadable) > 0 {
		t += textf("; node%s %s could not be read", plural(len(r.Unreadable)), inlineAddrs(r.Unreadable))
	}
	return t + textf(". Nothing was requested. `/dcs clients %s` lists the sessions.", inCode(r.Instance))
}

func requestRefusal(r *approvals.Refusal) text {
	req := id(r.Request)
	switch r.Code {
	case approvals.RefuseNoSuchRequest:
		return textf("There is no request %s.", req)
	case approvals.RefuseNotReady:
		return textf("Request %s is still being set up (or was withdrawn); try again in a moment, or ask for the kill again.", req)
	case approvals.RefuseOwnRequest:
		return textf("You cannot approve your own request %s: another approver must.", req)
	case approvals.RefuseNotApprover:
		t := textf("You are not an approver for %s, so you cannot %s %s.", id(r.Instance), outside(r.Action).line(capWord), req)
		if len(r.Groups) > 0 {
			t += textf(" (Slack could not say who is in approver group %s just now: if you are, try again in a minute.)", ids(r.Groups))
		}
		return t
	case approvals.RefuseAlreadyApproved:
		return textf("You have already approved %s; it needs another approver.", req)
	case approvals.RefuseNotPending:
		return textf("Request %s is already %s.", req, outside(r.State).line(capWord))
	case approvals.RefuseExpired:
		return textf("Request %s expired at %s; nothing was killed. Ask again if it is still needed.", req, text(r.At.UTC().Format("15:04:05 MST")))
	case approvals.RefuseNotRequester:
		return textf("Only %s, who asked, can cancel %s. Approvers can deny it with its Deny button.", mention(r.User), req)
	}
	return "Sorry, that is not allowed."
}
