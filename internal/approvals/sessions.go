package approvals

import (
	"context"
	"time"
)

// Session is one client connection to a DCS node, as CLIENT LIST (and the
// DCS ListClients API) shows it.
type Session struct {
	ID   string // Redis client id
	Addr string // ip:port the node sees
	Peer string // ip:port of the client as DCS reports it ("peer"); may equal Addr
	Name string // CLIENT SETNAME, often empty
	User string
	DB   string
	Cmd  string // last command
	Age  time.Duration
	Idle time.Duration
}

// Node is one node of a DCS instance.
type Node struct {
	ID     string // the node ID session commands take (DCS node_id)
	Name   string
	Role   string // "redis-server" or "redis-proxy"
	Type   string // "master", "slave" or "proxy"
	IP     string
	Port   string
	Status string // "Active", ...
}

// SessionReader reads live sessions and nodes. It is internal/dcs in
// production; reads may be retried there, writes never.
type SessionReader interface {
	// Sessions returns every session on the node now (after a fresh scan
	// where DCS needs one).
	Sessions(ctx context.Context, inst Instance, nodeID string) ([]Session, error)
	// Nodes returns the instance's nodes.
	Nodes(ctx context.Context, inst Instance) ([]Node, error)
}

// SessionNodes returns the nodes session commands address, in the order
// /dcs nodes lists them: the proxy nodes when the instance has any (Proxy
// Cluster, read/write splitting), else the Redis server nodes.
func SessionNodes(nodes []Node) []Node {
	var proxies, servers []Node
	for _, n := range nodes {
		if n.Role == "redis-proxy" || n.Type == "proxy" {
			proxies = append(proxies, n)
		} else {
			servers = append(servers, n)
		}
	}
	if len(proxies) > 0 {
		return proxies
	}
	return servers
}
