package fakedcs

import (
	"maps"
	"net/http"
	"slices"
)

// This file holds the nodes of instances: ShowNodesInformation, the node
// check of the session routes, and a ready-made Proxy Cluster layout.

// SetNodes sets the nodes ShowNodesInformation shows for an instance. From
// then on the session routes refuse other node IDs of the instance.
func (s *Server) SetNodes(instanceID string, ns []Node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodes[instanceID] = slices.Clone(ns)
}

// nodeKnown says whether node is a node of the instance: always, until
// SetNodes is called for it.
func (s *Server) nodeKnown(instanceID, node string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ns, ok := s.nodes[instanceID]
	if !ok {
		return true
	}
	return slices.ContainsFunc(ns, func(n Node) bool { return sessionNodeID(n) == node })
}

// sessionNodeID is the ID the session routes take for n: NodeID, or
// LogicalNodeID when NodeID is empty.
func sessionNodeID(n Node) string {
	if n.NodeID != "" {
		return n.NodeID
	}
	return n.LogicalNodeID
}

func (s *Server) serveNodes(w http.ResponseWriter, instanceID string) {
	s.mu.Lock()
	ns := slices.Clone(s.nodes[instanceID])
	s.mu.Unlock()
	if ns == nil {
		ns = []Node{}
	}
	s.writeJSON(w, Reply{}, http.StatusOK, map[string]any{
		"instance_id": instanceID,
		"total":       len(ns),
		"nodes":       ns,
	})
}

// Cluster is the layout of one instance: its nodes and the live sessions
// of each, keyed by the node ID the session routes take.
type Cluster struct {
	Nodes    []Node
	Sessions map[string][]Client
}

// SetCluster sets the nodes of an instance (SetNodes) and the live
// sessions of each node in c.Sessions (SetClients).
func (s *Server) SetCluster(instanceID string, c Cluster) {
	s.SetNodes(instanceID, c.Nodes)
	for _, id := range slices.Sorted(maps.Keys(c.Sessions)) {
		s.SetClients(instanceID, id, c.Sessions[id])
	}
}

// Node IDs of the ProxyCluster layout. Sessions live on the two proxies.
const (
	ProxyNode1   = "ff80808190c1a2b30190c1a2b3c40001" // proxy "proxy-1"
	ProxyNode2   = "ff80808190c1a2b30190c1a2b3c40002" // proxy "proxy-2"
	ShardMaster1 = "ff80808190c1a2b30190c1a2b3c40011" // group-0 master
	ShardSlave1  = "ff80808190c1a2b30190c1a2b3c40012" // group-0 slave
	ShardMaster2 = "ff80808190c1a2b30190c1a2b3c40021" // group-1 master
	ShardSlave2  = "ff80808190c1a2b30190c1a2b3c40022" // group-1 slave
)

// ProxyCluster is a Proxy Cluster instance: two proxy nodes (node_role
// redis-proxy, node_type proxy) in front of two shards, each a master and
// a slave (redis-server). Each proxy has its own sessions: named
// (CLIENT SETNAME) and unnamed clients, with different last commands, ages
// and idle times, IPv4 and IPv6; the same application is connected to
// both proxies. Every session's Peer is its Addr. The server nodes have no
// sessions. Each call returns fresh values a test may change.
func ProxyCluster() Cluster {
	proxy := func(id, logical, name, ip string) Node {
		return Node{LogicalNodeID: logical, NodeID: id, Name: name, Status: "Active", AzCode: "az-1",
			NodeRole: "redis-proxy", NodeType: "proxy", NodeIP: ip, NodePort: "6379", PriorityWeight: 100, IsAccess: true}
	}
	server := func(id, logical, name, typ, ip, group string, weight int) Node {
		return Node{LogicalNodeID: logical, NodeID: id, Name: name, Status: "Active", AzCode: "az-1",
			NodeRole: "redis-server", NodeType: typ, NodeIP: ip, NodePort: "6379", PriorityWeight: weight,
			GroupID: "grp-" + group, GroupName: "group-" + group}
	}
	c := func(id, addr, name, cmd string, age, idle int) Client {
		return Client{ID: id, Addr: addr, Peer: addr, Fd: "1" + id, Name: name, Cmd: cmd, Age: age, Idle: idle,
			DB: "0", Flags: "N", Events: "r", Network: "tcp", User: "default"}
	}
	sub := c("203", "10.20.2.22:41102", "billing-api", "subscribe", 5000, 300)
	sub.Sub, sub.Flags = 1, "P"
	return Cluster{
		Nodes: []Node{
			proxy(ProxyNode1, "6e2f0c7a1b3d4e5f8091a2b3c4d5e6f1", "proxy-1", "192.168.0.21"),
			proxy(ProxyNode2, "6e2f0c7a1b3d4e5f8091a2b3c4d5e6f2", "proxy-2", "192.168.0.22"),
			server(ShardMaster1, "7a1b2c3d4e5f60718293a4b5c6d7e811", "redis-0-0", "master", "192.168.0.31", "0", 100),
			server(ShardSlave1, "7a1b2c3d4e5f60718293a4b5c6d7e812", "redis-0-1", "slave", "192.168.0.32", "0", 50),
			server(ShardMaster2, "7a1b2c3d4e5f60718293a4b5c6d7e821", "redis-1-0", "master", "192.168.0.33", "1", 100),
			server(ShardSlave2, "7a1b2c3d4e5f60718293a4b5c6d7e822", "redis-1-1", "slave", "192.168.0.34", "1", 50),
		},
		Sessions: map[string][]Client{
			ProxyNode1: {
				c("101", "10.20.1.11:52001", "orders-worker", "get", 3600, 2),
				c("102", "10.20.1.12:52002", "orders-worker", "blpop", 7200, 45),
				c("103", "10.20.2.21:41003", "billing-api", "hgetall", 600, 0),
				c("104", "10.20.3.31:60004", "", "ping", 86400, 3600),
				c("105", "10.20.4.41:35005", "reporting", "scan", 120, 119),
			},
			ProxyNode2: {
				c("201", "10.20.1.11:52101", "orders-worker", "set", 3500, 1),
				c("202", "10.20.1.13:52102", "orders-worker", "get", 3400, 7),
				sub,
				c("204", "10.20.5.51:47104", "", "info", 30, 30),
				c("205", "[2001:db8::51]:47105", "cache-warmer", "mget", 900, 10),
			},
		},
	}
}
