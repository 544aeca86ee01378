package approvals

import (
	"context"
	"fmt"
)

// NodeRef is how a user named a node: its ID, its ip:port, or its index in
// the /dcs nodes listing. At most one of ID, Addr and IsIndex is set; the
// zero NodeRef names the instance's only session node.
type NodeRef struct {
	ID      string
	Addr    string // canonical ip:port, IPv6 in brackets
	Index   int    // valid when IsIndex
	IsIndex bool
}

// IsZero reports whether n names no node.
func (n NodeRef) IsZero() bool { return n.ID == "" && n.Addr == "" && !n.IsIndex }

// resolveNode turns what the user typed into a node ID. An ID is taken as
// it is (DCS checks it); an ip:port or an index is looked up in the
// instance's nodes. An empty ref is the instance's only session node. A
// node found that has no node ID cannot take session commands: refused.
func (s *Service) resolveNode(ctx context.Context, inst Instance, ref NodeRef) (string, error) {
	if ref.ID != "" {
		return ref.ID, nil
	}
	if s.p.Sessions == nil {
		return "", &Refusal{Code: RefuseNoReader}
	}
	nodes, err := s.p.Sessions.Nodes(ctx, inst)
	if err != nil {
		return "", fmt.Errorf("list nodes of %s: %w", inst.Alias, err)
	}
	usable := SessionNodes(nodes)
	switch {
	case ref.IsIndex:
		if ref.Index < 0 || ref.Index >= len(usable) {
			return "", &Refusal{Code: RefuseNoNodeIndex, Instance: inst.Alias, Index: ref.Index, Count: len(usable)}
		}
		return sessionID(inst, usable[ref.Index])
	case ref.Addr != "":
		for _, n := range nodes {
			if n.Addr() == ref.Addr {
				return sessionID(inst, n)
			}
		}
		return "", &Refusal{Code: RefuseNoNodeAddr, Instance: inst.Alias, NodeAddr: ref.Addr}
	}
	if len(usable) == 1 {
		return sessionID(inst, usable[0])
	}
	return "", &Refusal{Code: RefuseNameNode, Instance: inst.Alias, Count: len(usable)}
}

// sessionID is the node ID n takes session commands by, or a refusal when
// DCS gave it none (only a logical node ID).
func sessionID(inst Instance, n Node) (string, error) {
	if n.ID != "" {
		return n.ID, nil
	}
	name := n.LogicalID
	switch {
	case n.IP != "":
		name = n.Addr()
	case name == "":
		name = n.Name
	}
	return "", &Refusal{Code: RefuseNodeNotSessioned, Instance: inst.Alias, Node: name}
}
