package config

import (
	"slices"
	"strings"

	"dcsbot/internal/approvals"
)

// reach is how many approvals requests under a policy can get: the
// approvers are users only (a user group may hold any number, so there is
// no limit to check), and nobody approves their own request.
type reach struct {
	limited bool // the approvers are users only
	users   int  // how many they are
	// anyone: someone who is not an approver may ask (requesters is
	// empty, or lists a non-approver), so a request can get every
	// approver's approval. Otherwise every request misses one.
	anyone bool
	// askers are the requesters who are approvers; empty with anyone set
	// and requesters empty, when every approver may ask.
	askers []string
}

func reachOf(pol Policy) reach {
	r := reach{limited: len(pol.Approvers) > 0 && !slices.ContainsFunc(pol.Approvers, approvals.IsUserGroup), users: len(pol.Approvers)}
	if len(pol.Requesters) == 0 {
		r.anyone = true
		return r
	}
	for _, u := range pol.Requesters {
		if slices.Contains(pol.Approvers, u) {
			r.askers = append(r.askers, u)
		} else {
			r.anyone = true
		}
	}
	return r
}

// max is the most approvals any request can get.
func (r reach) max() int {
	if r.anyone {
		return r.users
	}
	return r.users - 1
}

// checkReach refuses n approvals that no request could ever get.
func checkReach(p *problems, key string, n int, pol Policy) {
	r := reachOf(pol)
	switch {
	case !r.limited || n <= r.max():
	case r.anyone:
		p.add(key, "%d approvals can never be reached with %d approvers and no user group", n, r.users)
	default:
		p.add(key, "%d approvals can never be reached: every requester is one of the %d approvers (users, no user group), and nobody approves their own request", n, r.users)
	}
}

// warnReach warns when n approvals are out of reach of some requests
// only: those made by an approver, who cannot approve their own.
func warnReach(p *problems, key string, n int, pol Policy) {
	r := reachOf(pol)
	if !r.limited || n > r.max() || n < r.users || (len(pol.Requesters) > 0 && len(r.askers) == 0) {
		return
	}
	switch {
	case len(pol.Requesters) > 0:
	case r.users == 1:
		p.add(key, "%d approval: a request made by the only approver can never be approved, as nobody approves their own request", n)
		return
	default:
		p.add(key, "%d approvals: a request made by one of the %d approvers can never be approved, as nobody approves their own request", n, r.users)
		return
	}
	p.add(key, "%d approvals: a request made by %s can never be approved, as nobody approves their own request", n, strings.Join(r.askers, ", "))
}
