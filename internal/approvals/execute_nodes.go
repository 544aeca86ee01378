package approvals

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// This file runs a kill on every node (Request.PerNode): each node that
// has sessions to kill gets its own stale-target guard, its own kill and
// its own outcome; the request's state sums them up without claiming
// more than happened.

// onNode is r narrowed to one of its nodes: the request the single-node
// guard and verification work on.
func (r *Request) onNode(n NodeTargets) *Request {
	sub := *r
	sub.NodeID, sub.Addrs, sub.Preview, sub.AllNodes, sub.Nodes = n.NodeID, n.Addrs, n.Preview, false, nil
	return &sub
}

// runNodes performs an executing kill on every node: the guards first
// (their re-reads at once, each bounded as the single-node guard is), then
// one kill per node, in the request's node order, each reported on its
// own. Nodes that could not be read at request time, or where nothing
// matched, are left alone.
func (s *Service) runNodes(ctx context.Context, r *Request, since time.Time) ran {
	guards := make([]guarded, len(r.Nodes))
	var wg sync.WaitGroup
	sem := make(chan struct{}, nodeReads)
	for i, n := range r.Nodes {
		if !n.Killable() {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			guards[i] = s.guard(ctx, r.onNode(n), since)
		})
	}
	wg.Wait()
	res := &Result{DryRun: s.dryRun(r)}
	for i, n := range r.Nodes {
		if !n.Killable() {
			continue
		}
		to, nres := s.killGuarded(ctx, r, n.NodeID, guards[i])
		guards[i].done()
		nr := NodeResult{NodeID: n.NodeID, State: to, Result: *nres}
		s.log.InfoContext(ctx, "node kill finished", "node", n.NodeID, "outcome", nr.State, "sent", len(nr.Killed), "held_back", len(nr.Skipped))
		res.Nodes = append(res.Nodes, nr)
		res.Killed = append(res.Killed, nr.Killed...)
		res.Skipped = append(res.Skipped, nr.Skipped...)
	}
	res.Detail = nodesDetail(res.Nodes)
	return ran{to: NodesState(res.Nodes), res: res, at: time.Now()}
}

// NodesState is the state a kill on every node ends in: succeeded only
// when every node's kill was accepted, unknown when any node's outcome is
// unknown, failed otherwise (and when no node was sent anything).
func NodesState(nodes []NodeResult) State {
	if len(nodes) == 0 {
		return Failed
	}
	to := Succeeded
	for _, n := range nodes {
		switch n.State {
		case Unknown:
			return Unknown
		case Succeeded:
		default:
			to = Failed
		}
	}
	return to
}

// nodesDetail sums up the nodes' outcomes in a plain sentence, for the
// record and the audit trail.
func nodesDetail(nodes []NodeResult) string {
	count := map[State]int{}
	for _, n := range nodes {
		count[n.State]++
	}
	if count[Succeeded] == len(nodes) && len(nodes) > 0 {
		if nodes[0].DryRun {
			return fmt.Sprintf("%s, on %d node(s)", dryRunDetail, len(nodes))
		}
		return fmt.Sprintf("DCS accepted the kill on every node (%d)", len(nodes))
	}
	parts := []string{fmt.Sprintf("DCS accepted the kill on %d of %d node(s)", count[Succeeded], len(nodes))}
	if n := count[Failed]; n > 0 {
		parts = append(parts, fmt.Sprintf("failed on %d", n))
	}
	if n := count[Unknown]; n > 0 {
		parts = append(parts, fmt.Sprintf("outcome unknown on %d", n))
	}
	return strings.Join(parts, "; ")
}

// verifyNodes looks at the sessions of each node whose kill DCS accepted,
// and reports per node and address in one thread reply.
func (s *Service) verifyNodes(ctx context.Context, r *Request, res *Result, start, killed time.Time) {
	var checks []Check
	for _, nr := range res.Nodes {
		if nr.State != Succeeded || len(nr.Killed) == 0 {
			continue
		}
		var preview *Preview
		for _, n := range r.Nodes {
			if n.NodeID == nr.NodeID {
				preview = n.Preview
			}
		}
		after, err := s.p.Sessions.SessionsSince(ctx, r.Instance, nr.NodeID, killed)
		if err != nil {
			s.log.WarnContext(ctx, "read sessions after the kill", "node", nr.NodeID, "err", err)
			continue
		}
		for _, c := range Verify(nr.Killed, preview, after, time.Since(start)) {
			c.NodeID = nr.NodeID
			checks = append(checks, c)
		}
	}
	if len(checks) == 0 {
		return
	}
	s.reportChecks(ctx, r.ID, checks)
}
