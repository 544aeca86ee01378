package approvals

import (
	"fmt"
	"strings"
	"time"
)

// RefusalCode says which rule refused what a user asked.
type RefusalCode string

const (
	RefuseChannel          RefusalCode = "channel"           // /dcs is not enabled in this channel (for Instance, when set); Channels lists where it is
	RefuseRequester        RefusalCode = "requester"         // the user is not in policy.requesters
	RefuseUnknownInstance  RefusalCode = "unknown-instance"  // Instance as typed; Known lists the aliases
	RefuseKillAllDisabled  RefusalCode = "kill-all-disabled" // policy.kill_all.enabled is off for Instance
	RefuseReasonRequired   RefusalCode = "reason-required"   // policy.require_reason is on for Instance
	RefuseTooManyAddrs     RefusalCode = "too-many-addrs"    // Count addresses given, Max allowed
	RefuseNoReader         RefusalCode = "no-reader"         // the bot cannot read sessions or nodes
	RefuseNoNodeIndex      RefusalCode = "no-node-index"     // no session node #Index; Count session nodes
	RefuseNoNodeAddr       RefusalCode = "no-node-addr"      // no node at NodeAddr
	RefuseNameNode         RefusalCode = "name-node"         // Count session nodes: the user must name one
	RefuseAllAbsent        RefusalCode = "all-absent"        // none of Addrs is connected to Node now
	RefuseNoSuchRequest    RefusalCode = "no-such-request"   // no request Request
	RefuseNotReady         RefusalCode = "not-ready"         // the request's message was never recorded
	RefuseOwnRequest       RefusalCode = "own-request"       // a requester approving their own request
	RefuseNotApprover      RefusalCode = "not-approver"      // the user may not Action (approve or deny) Request; Groups could not be checked
	RefuseAlreadyApproved  RefusalCode = "already-approved"  // the user approved Request already
	RefuseNotPending       RefusalCode = "not-pending"       // Request is already State
	RefuseExpired          RefusalCode = "expired"           // Request expired At
	RefuseNotRequester     RefusalCode = "not-requester"     // only User, who asked, may cancel Request
	RefuseNodeNotSessioned RefusalCode = "node-no-sessions"  // Node cannot take session commands
	RefuseNoTargets        RefusalCode = "no-targets"        // a kill with no address, selector or picked session
	RefuseAllNodesAddrs    RefusalCode = "all-nodes-addrs"   // addresses (Addrs) given for every node: only selectors go there
	// RefuseNoMatch: no session matches Selectors (nor is any of Addrs
	// connected) on Node, or on Count nodes when Node is empty; Sessions
	// sessions were searched, and the nodes in Unreadable could not be read.
	RefuseNoMatch        RefusalCode = "no-match"
	RefuseTooManyMatches RefusalCode = "too-many-matches" // Count sessions chosen by Selectors (and addresses), at most Max per request
	RefusePickedChanged  RefusalCode = "picked-changed"   // the sessions picked at Addrs on Node are no longer the ones listed
	RefuseTooManyPending RefusalCode = "too-many-pending" // the user has Count pending Requests, Max allowed on Instance
)

// Refusal is a decision against what a user asked, with what the edge needs
// to say why. It is not a fault: nothing went wrong, the answer is no.
// Error is a plain sentence for logs; the Slack edge renders each code in
// its own words.
type Refusal struct {
	Code     RefusalCode
	Request  string // request ID
	Instance string // instance alias (as typed, for RefuseUnknownInstance)
	Node     string // node ID
	NodeAddr string // a node's ip:port
	User     string // Slack user ID the refusal names
	Action   string // "approve" or "deny"
	State    State
	Index    int
	Count    int
	Max      int
	At       time.Time
	Channels []string // channel IDs
	Known    []string // instance aliases
	Addrs    []string // client addresses
	// Selectors are the selectors of the request, as flags.
	Selectors string
	// Sessions is how many sessions were searched; Unreadable the node IDs
	// that could not be read.
	Sessions   int
	Unreadable []string
	Groups     []string // approver user groups that could not be resolved
	Requests   []string // request IDs
}

func (r *Refusal) Error() string {
	switch r.Code {
	case RefuseChannel:
		return fmt.Sprintf("/dcs is not enabled %sin this channel (enabled in %s)", forInstance(r.Instance), strings.Join(r.Channels, ", "))
	case RefuseRequester:
		return "you are not on the list of people who may request session kills (policy.requesters)"
	case RefuseUnknownInstance:
		return fmt.Sprintf("unknown instance %s (known: %s)", r.Instance, strings.Join(r.Known, ", "))
	case RefuseKillAllDisabled:
		return fmt.Sprintf("/dcs kill-all is disabled for %s", r.Instance)
	case RefuseReasonRequired:
		return fmt.Sprintf("a reason is required for %s", r.Instance)
	case RefuseTooManyAddrs:
		return fmt.Sprintf("too many addresses for %s: %d given, at most %d", r.Instance, r.Count, r.Max)
	case RefuseNoReader:
		return "this bot cannot read sessions or list nodes"
	case RefuseNoNodeIndex:
		return fmt.Sprintf("%s has no node #%d: it has %d session node(s)", r.Instance, r.Index, r.Count)
	case RefuseNoNodeAddr:
		return fmt.Sprintf("%s has no node at %s", r.Instance, r.NodeAddr)
	case RefuseNameNode:
		return fmt.Sprintf("%s has %d session nodes: name one", r.Instance, r.Count)
	case RefuseAllAbsent:
		return fmt.Sprintf("none of the addresses is connected to %s node %s now, so nothing was requested: %s", r.Instance, r.Node, strings.Join(r.Addrs, ", "))
	case RefuseNodeNotSessioned:
		return fmt.Sprintf("node %s of %s cannot take session commands", r.Node, r.Instance)
	case RefuseTooManyPending:
		return fmt.Sprintf("you have %d pending requests, at most %d for %s: %s", r.Count, r.Max, r.Instance, strings.Join(r.Requests, ", "))
	}
	return r.targetError()
}

func (r *Refusal) targetError() string {
	switch r.Code {
	case RefuseNoTargets:
		return "a kill needs at least one address or selector"
	case RefuseAllNodesAddrs:
		return "on every node a kill takes selectors, not addresses"
	case RefuseNoMatch:
		where := "node " + r.Node
		if r.Node == "" {
			where = fmt.Sprintf("%d node(s)", r.Count)
		}
		return fmt.Sprintf("no session of %s on %s matches %s (%d searched; unreadable: %s)",
			r.Instance, where, r.Selectors, r.Sessions, strings.Join(r.Unreadable, ", "))
	case RefuseTooManyMatches:
		return fmt.Sprintf("%s chooses %d sessions of %s, at most %d per request", r.Selectors, r.Count, r.Instance, r.Max)
	case RefusePickedChanged:
		return fmt.Sprintf("the sessions picked at %s on %s node %s changed since they were listed", strings.Join(r.Addrs, ", "), r.Instance, r.Node)
	}
	return r.requestError()
}

func (r *Refusal) requestError() string {
	switch r.Code {
	case RefuseNoSuchRequest:
		return fmt.Sprintf("there is no request %s", r.Request)
	case RefuseNotReady:
		return fmt.Sprintf("request %s is still being set up (or was withdrawn)", r.Request)
	case RefuseOwnRequest:
		return fmt.Sprintf("you cannot approve your own request %s", r.Request)
	case RefuseNotApprover:
		if len(r.Groups) > 0 {
			return fmt.Sprintf("you are not an approver for %s, so you cannot %s %s (approver groups %s could not be checked)",
				r.Instance, r.Action, r.Request, strings.Join(r.Groups, ", "))
		}
		return fmt.Sprintf("you are not an approver for %s, so you cannot %s %s", r.Instance, r.Action, r.Request)
	case RefuseAlreadyApproved:
		return fmt.Sprintf("you have already approved %s", r.Request)
	case RefuseNotPending:
		return fmt.Sprintf("request %s is already %s", r.Request, r.State)
	case RefuseExpired:
		return fmt.Sprintf("request %s expired at %s", r.Request, r.At.UTC().Format("15:04:05 MST"))
	case RefuseNotRequester:
		return fmt.Sprintf("only %s, who asked, can cancel %s", r.User, r.Request)
	}
	return "refused: " + string(r.Code)
}

func forInstance(alias string) string {
	if alias == "" {
		return ""
	}
	return "for " + alias + " "
}
