package approvals

import (
	"regexp"
	"strings"
)

// Instance is a configured DCS instance: the alias users type and its ID.
type Instance struct {
	Alias string
	ID    string
}

// instanceIDRE is the shape of a DCS instance ID: a UUID.
var instanceIDRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ValidInstanceID reports whether id is a DCS instance ID: a UUID,
// 8-4-4-4-12 hex digits. The configuration and the DCS client both check
// instance IDs with it.
func ValidInstanceID(id string) bool { return instanceIDRE.MatchString(id) }

// IsUserGroup reports whether an approver entry names a Slack user group
// (S…) rather than a user (U… or W…).
func IsUserGroup(id string) bool { return strings.HasPrefix(id, "S") }

// Node roles and types as DCS reports them.
const (
	RoleProxy = "redis-proxy"
	TypeProxy = "proxy"
)

// Node is one node of a DCS instance.
type Node struct {
	// ID is the node ID session commands take (DCS node_id). A node
	// without one cannot take session commands.
	ID        string
	LogicalID string // DCS logical_node_id, to name a node without an ID
	Name      string
	Role      string // "redis-server" or "redis-proxy"
	Type      string // "master", "slave" or "proxy"
	IP        string
	Port      string
	Status    string // "Active", ...
}

// IsProxy reports whether n is a proxy node (Proxy Cluster and read/write
// splitting instances), where client sessions live.
func (n Node) IsProxy() bool { return n.Role == RoleProxy || n.Type == TypeProxy }

// Addr is the node's ip:port, with an IPv6 address in brackets.
func (n Node) Addr() string {
	if strings.Contains(n.IP, ":") {
		return "[" + n.IP + "]:" + n.Port
	}
	return n.IP + ":" + n.Port
}

// SessionNodes returns the nodes session commands address, in the order
// /dcs nodes lists them: the proxy nodes when the instance has any (Proxy
// Cluster, read/write splitting), else the Redis server nodes.
func SessionNodes(nodes []Node) []Node {
	var proxies, servers []Node
	for _, n := range nodes {
		if n.IsProxy() {
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
