package approvals

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Status returns a request and its audit trail, if channel may see its
// instance: requests are shown only in their instance's channels.
func (s *Service) Status(ctx context.Context, channel, id string) (*Request, []Event, error) {
	r, err := s.Get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if pol := s.PolicyFor(r.Instance.Alias); !slices.Contains(pol.Channels, channel) {
		return nil, nil, &Refusal{Code: RefuseChannel, Instance: r.Instance.Alias, Channels: pol.Channels}
	}
	evs, err := s.p.Store.Events(ctx, id)
	if err != nil {
		return nil, nil, fmt.Errorf("audit trail of %s: %w", id, err)
	}
	return r, evs, nil
}

// History returns the newest requests of the instances channel may see,
// or of one of them when instance is not empty.
func (s *Service) History(ctx context.Context, channel, instance string, limit int) ([]*Request, error) {
	f := ListFilter{Limit: limit}
	if instance != "" {
		inst, err := s.Viewable(channel, instance)
		if err != nil {
			return nil, err
		}
		f.Instances = []string{inst.Alias}
	} else if f.Instances = s.viewableIn(channel); len(f.Instances) == 0 {
		return nil, &Refusal{Code: RefuseChannel}
	}
	rs, err := s.p.Store.List(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	return rs, nil
}

// viewableIn returns the aliases of the instances channel may see, sorted.
func (s *Service) viewableIn(channel string) []string {
	var out []string
	for alias := range s.p.Instances {
		if slices.Contains(s.PolicyFor(alias).Channels, channel) {
			out = append(out, alias)
		}
	}
	slices.Sort(out)
	return out
}

// ClientsQuery asks for the live sessions of a node.
type ClientsQuery struct {
	User, Channel string
	Instance      string
	Node          NodeRef
	Filter        string   // an address prefix, or a client-name substring
	FilterIsAddr  bool     // Filter is an address prefix
	Select        Selector // only the sessions it matches, when not zero
	Sort          string   // "idle" (default) or "age"
	Limit         int      // rows shown; default 50
}

// ClientsView is what /dcs clients shows.
type ClientsView struct {
	Instance  Instance
	NodeID    string
	Sessions  []Session // sorted, at most Limit
	Matched   int       // sessions that matched the filter
	Total     int       // sessions on the node
	ProxyOnly bool
}

// Clients reads the live sessions of a node, filtered and sorted.
func (s *Service) Clients(ctx context.Context, q ClientsQuery) (*ClientsView, error) {
	inst, err := s.Viewable(q.Channel, q.Instance)
	if err != nil {
		return nil, err
	}
	if s.p.Sessions == nil {
		return nil, &Refusal{Code: RefuseNoReader}
	}
	nodeID, err := s.resolveNode(ctx, inst, q.Node)
	if err != nil {
		return nil, err
	}
	all, err := s.p.Sessions.Sessions(ctx, inst, nodeID)
	if err != nil {
		return nil, fmt.Errorf("read sessions on %s node %s: %w", inst.Alias, nodeID, err)
	}
	v := &ClientsView{Instance: inst, NodeID: nodeID, Total: len(all), ProxyOnly: BuildPreview(nil, all, time.Time{}).ProxyOnly}
	var matched []Session
	for _, x := range all {
		if matchesFilter(x, q.Filter, q.FilterIsAddr) && (q.Select.IsZero() || q.Select.Match(x)) {
			matched = append(matched, x)
		}
	}
	SortSessions(matched, q.Sort)
	v.Matched = len(matched)
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	v.Sessions = matched[:min(limit, len(matched))]
	return v, nil
}

func matchesFilter(x Session, f string, isAddr bool) bool {
	if f == "" {
		return true
	}
	if isAddr {
		return strings.HasPrefix(x.Addr, f) || strings.HasPrefix(x.Peer, f)
	}
	return Selector{Name: f}.Match(x)
}

// SortSessions orders sessions most idle first ("idle") or oldest first
// ("age"), then by address.
func SortSessions(ss []Session, by string) {
	slices.SortStableFunc(ss, func(a, b Session) int {
		x, y := a.Idle, b.Idle
		if by == "age" {
			x, y = a.Age, b.Age
		}
		if x != y {
			if x > y {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Addr, b.Addr)
	})
}

// NodesView is what /dcs nodes shows.
type NodesView struct {
	Instance Instance
	Nodes    []Node // every node
	Session  []Node // the nodes session commands take, in index order
}

// Nodes lists an instance's nodes.
func (s *Service) Nodes(ctx context.Context, channel, instance string) (*NodesView, error) {
	inst, err := s.Viewable(channel, instance)
	if err != nil {
		return nil, err
	}
	if s.p.Sessions == nil {
		return nil, &Refusal{Code: RefuseNoReader}
	}
	nodes, err := s.p.Sessions.Nodes(ctx, inst)
	if err != nil {
		return nil, fmt.Errorf("list nodes of %s: %w", inst.Alias, err)
	}
	return &NodesView{Instance: inst, Nodes: nodes, Session: SessionNodes(nodes)}, nil
}
