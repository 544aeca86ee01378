package approvals

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Picked is a session picked from a list: its address, and the client ID
// the list showed ("" when DCS gave none).
type Picked struct{ Addr, ID string }

// nodeReads bounds how many nodes' sessions are read at once.
const nodeReads = 4

// checkTargets refuses a kill that names nothing to kill, or addresses on
// every node. It is pure.
func checkTargets(k KillRequest) error {
	switch {
	case k.KillAll:
		return nil
	case k.AllNodes && len(k.Addrs) > 0:
		return &Refusal{Code: RefuseAllNodesAddrs, Addrs: k.Addrs}
	case k.Select.IsZero() && (k.AllNodes || len(k.Addrs) == 0):
		return &Refusal{Code: RefuseNoTargets}
	}
	return nil
}

// choose decides what r kills, from a read of the sessions: the typed or
// picked addresses as they are now (preview), the sessions the selectors
// match on r's node, or on every node. What it chooses is what the
// approvers see and all that can be killed: sessions that match later are
// never added. Picks and selectors read a scan started after the request;
// typed addresses may be previewed from a scan that ended a moment ago
// (see preview).
func (s *Service) choose(ctx context.Context, r *Request, k KillRequest) error {
	var err error
	switch {
	case r.IsKillAll() || k.Select.IsZero():
		err = s.preview(ctx, r, len(k.Picked) > 0)
	case r.AllNodes:
		return s.chooseOnNodes(ctx, r, k.Select)
	default:
		err = s.chooseOnNode(ctx, r, k.Select)
	}
	if err != nil {
		return err
	}
	return checkPicked(r, k.Picked)
}

// chooseOnNode sets r's addresses to those it names and those the
// selector matches on its node now, and previews them.
func (s *Service) chooseOnNode(ctx context.Context, r *Request, sel Selector) error {
	if s.p.Sessions == nil {
		return &Refusal{Code: RefuseNoReader}
	}
	sessions, err := s.p.Sessions.SessionsSince(ctx, r.Instance, r.NodeID, time.Now())
	if errors.As(err, new(*Refusal)) {
		return err
	}
	if err != nil {
		// Without the sessions the selectors choose nothing that anyone
		// could check: refuse rather than guess.
		return fmt.Errorf("read the sessions of %s node %s to apply the selectors: %w", r.Instance.Alias, r.NodeID, err)
	}
	chosen := union(r.Addrs, sel.Choose(sessions))
	p := BuildPreview(chosen, sessions, s.p.Now().UTC())
	if len(p.Absent()) == len(chosen) {
		return &Refusal{Code: RefuseNoMatch, Instance: r.Instance.Alias, Node: r.NodeID, Count: 1,
			Selectors: r.Selectors, Sessions: len(sessions), Addrs: r.Addrs}
	}
	if max := s.PolicyFor(r.Instance.Alias).MaxAddrs; len(chosen) > max {
		return &Refusal{Code: RefuseTooManyMatches, Instance: r.Instance.Alias, Node: r.NodeID, Count: len(chosen), Max: max, Selectors: r.Selectors}
	}
	r.Addrs, r.Preview = chosen, p
	return nil
}

// chooseOnNodes sets r's nodes to what the selector matches on each
// session node of the instance now. A node that cannot be read is kept,
// with why, and the others go ahead.
func (s *Service) chooseOnNodes(ctx context.Context, r *Request, sel Selector) error {
	if s.p.Sessions == nil {
		return &Refusal{Code: RefuseNoReader}
	}
	nodes, err := s.p.Sessions.Nodes(ctx, r.Instance)
	if err != nil {
		return fmt.Errorf("list nodes of %s: %w", r.Instance.Alias, err)
	}
	now := s.p.Now().UTC()
	var targets []NodeTargets
	var all, unreadable []string
	searched := 0
	for _, rd := range s.readNodes(ctx, r.Instance, SessionNodes(nodes)) {
		t := NodeTargets{NodeID: rd.id}
		if rd.err != nil {
			s.log.WarnContext(ctx, "read sessions of a node for the selectors; requesting without it", "node", rd.id, "err", rd.err)
			t.Unreadable = unreadableSentence(rd.err)
			unreadable = append(unreadable, rd.id)
		} else {
			t.Addrs = union(nil, sel.Choose(rd.sessions))
			t.Preview = BuildPreview(t.Addrs, rd.sessions, now)
			searched += len(rd.sessions)
			all = append(all, t.Addrs...)
		}
		targets = append(targets, t)
	}
	if len(all) == 0 {
		return &Refusal{Code: RefuseNoMatch, Instance: r.Instance.Alias, Count: len(targets), Selectors: r.Selectors,
			Sessions: searched, Unreadable: unreadable}
	}
	if max := s.PolicyFor(r.Instance.Alias).MaxAddrs; len(all) > max {
		return &Refusal{Code: RefuseTooManyMatches, Instance: r.Instance.Alias, Count: len(all), Max: max, Selectors: r.Selectors}
	}
	r.Nodes, r.Addrs = targets, all
	return nil
}

// nodeRead is one node's sessions, or why they could not be read.
type nodeRead struct {
	id       string
	sessions []Session
	err      error
}

// readNodes reads the sessions of nodes, a few at a time, in their order.
func (s *Service) readNodes(ctx context.Context, inst Instance, nodes []Node) []nodeRead {
	out := make([]nodeRead, len(nodes))
	sem := make(chan struct{}, nodeReads)
	asked := time.Now()
	var wg sync.WaitGroup
	for i, n := range nodes {
		out[i].id = n.ID
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i].sessions, out[i].err = s.p.Sessions.SessionsSince(ctx, inst, n.ID, asked)
		})
	}
	wg.Wait()
	return out
}

// union is addrs followed by the addresses of the sessions not already
// among them (by address or peer address), each once.
func union(addrs []string, sessions []Session) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range addrs {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, x := range sessions {
		if seen[x.Addr] || x.Peer != "" && seen[x.Peer] {
			continue
		}
		seen[x.Addr] = true
		out = append(out, x.Addr)
	}
	return out
}

// checkPicked refuses r when a session picked from a list is no longer
// the one the list showed: gone, or another client at its address.
func checkPicked(r *Request, picked []Picked) error {
	if len(picked) == 0 || !r.Preview.Usable() {
		return nil
	}
	var changed []string
	for _, p := range picked {
		x := findTarget(r.Preview, p.Addr)
		if x == nil || p.ID != "" && x.ID != p.ID {
			changed = append(changed, p.Addr)
		}
	}
	if len(changed) > 0 {
		return &Refusal{Code: RefusePickedChanged, Instance: r.Instance.Alias, Node: r.NodeID, Addrs: changed}
	}
	return nil
}

// findTarget returns the session the preview found at addr, nil if none.
func findTarget(p *Preview, addr string) *Session {
	for _, t := range p.Targets {
		if t.Addr == addr {
			return t.Session
		}
	}
	return nil
}

// unreadableSentence says why a node could not be read, for the message.
func unreadableSentence(err error) string {
	var ref *Refusal
	if errors.As(err, &ref) {
		return ref.Error()
	}
	return sentence(err)
}

// CheckPicker applies, before the picker opens, the checks a kill gets
// before its ack that need no I/O and no targets: the instance, the
// channel, the requester. It returns the instance and its policy (the
// picker asks for a reason where the policy requires one, and offers at
// most MaxAddrs sessions at once).
func (s *Service) CheckPicker(user, channel, instance string) (Instance, Policy, error) {
	inst, err := s.resolveInstance(instance)
	if err != nil {
		return Instance{}, Policy{}, err
	}
	pol := s.PolicyFor(inst.Alias)
	if err := pol.CheckRequester(user, channel); err != nil {
		return Instance{}, Policy{}, err
	}
	return inst, pol, nil
}
