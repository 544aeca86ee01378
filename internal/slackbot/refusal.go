package slackbot

import (
	"fmt"
	"strings"

	"dcsbot/internal/approvals"
)

// refusalText says in Slack mrkdwn why the lifecycle refused.
func refusalText(r *approvals.Refusal) string {
	switch r.Code {
	case approvals.RefuseChannel:
		return channelRefusal(r)
	case approvals.RefuseRequester:
		return "You are not on the list of people who may request session kills (policy.requesters)."
	case approvals.RefuseUnknownInstance:
		return fmt.Sprintf("Unknown instance %s: only configured instances can be used. Known: %s.", code(r.Instance), codeList(r.Known))
	case approvals.RefuseKillAllDisabled:
		return fmt.Sprintf("`/dcs kill-all` is disabled for %s (policy.kill_all.enabled is off).", code(r.Instance))
	case approvals.RefuseReasonRequired:
		return fmt.Sprintf("A reason is required for %s: add `--reason \"what and why\"`.", code(r.Instance))
	case approvals.RefuseTooManyAddrs:
		return fmt.Sprintf("Too many addresses for %s: %d given, at most %d per request.", code(r.Instance), r.Count, r.Max)
	case approvals.RefuseNoReader:
		return "This bot cannot read sessions or list nodes: name the node by its ID."
	}
	if s := nodeRefusal(r); s != "" {
		return s
	}
	return requestRefusal(r)
}

func channelRefusal(r *approvals.Refusal) string {
	s := "`/dcs` is not enabled in this channel."
	if r.Instance != "" {
		s = fmt.Sprintf("`/dcs` is not enabled for %s in this channel.", code(r.Instance))
	}
	if len(r.Channels) == 0 {
		return s
	}
	links := make([]string, len(r.Channels))
	for i, id := range r.Channels {
		links[i] = "<#" + escape(id) + ">"
	}
	return s + " Ask in one of: " + strings.Join(links, ", ") + "."
}

func nodeRefusal(r *approvals.Refusal) string {
	inst := code(r.Instance)
	switch r.Code {
	case approvals.RefuseNoNodeIndex:
		return fmt.Sprintf("%s has no node #%d: it has %d session node(s), #0 to #%d. See `/dcs nodes %s`.",
			inst, r.Index, r.Count, r.Count-1, codeText(r.Instance))
	case approvals.RefuseNoNodeAddr:
		return fmt.Sprintf("%s has no node at %s. See `/dcs nodes %s`.", inst, code(r.NodeAddr), codeText(r.Instance))
	case approvals.RefuseNameNode:
		return fmt.Sprintf("%s has %d session nodes: name one (its ID, ip:port or #index from `/dcs nodes %s`).", inst, r.Count, codeText(r.Instance))
	case approvals.RefuseAllAbsent:
		return fmt.Sprintf("None of the addresses is connected to %s node %s now, so nothing was requested: %s. `/dcs clients %s` lists the sessions.",
			inst, code(r.Node), codeList(r.Addrs), codeText(r.Instance))
	case approvals.RefuseNodeNotSessioned:
		return fmt.Sprintf("Node %s of %s has no node ID that session commands take, so its sessions cannot be listed or killed. `/dcs nodes %s` lists the nodes that can.",
			code(r.Node), inst, codeText(r.Instance))
	}
	return ""
}

func requestRefusal(r *approvals.Refusal) string {
	id := code(r.Request)
	switch r.Code {
	case approvals.RefuseNoSuchRequest:
		return fmt.Sprintf("There is no request %s.", id)
	case approvals.RefuseNotReady:
		return fmt.Sprintf("Request %s is still being set up (or was withdrawn); try again in a moment, or ask for the kill again.", id)
	case approvals.RefuseOwnRequest:
		return fmt.Sprintf("You cannot approve your own request %s: another approver must.", id)
	case approvals.RefuseNotApprover:
		return fmt.Sprintf("You are not an approver for %s, so you cannot %s %s.", code(r.Instance), r.Action, id)
	case approvals.RefuseAlreadyApproved:
		return fmt.Sprintf("You have already approved %s; it needs another approver.", id)
	case approvals.RefuseNotPending:
		return fmt.Sprintf("Request %s is already %s.", id, r.State)
	case approvals.RefuseExpired:
		return fmt.Sprintf("Request %s expired at %s; nothing was killed. Ask again if it is still needed.", id, r.At.UTC().Format("15:04:05 MST"))
	case approvals.RefuseNotRequester:
		return fmt.Sprintf("Only <@%s>, who asked, can cancel %s. Approvers can deny it with its Deny button.", escape(r.User), id)
	}
	return "Sorry, that is not allowed."
}
