package approvals

import (
	"context"
	"time"
)

// Session is one client connection to a DCS node, as CLIENT LIST (and the
// DCS ListClients API) shows it. Name, User, DB and Cmd are outside text:
// any Redis client can set its name.
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

// SessionReader reads live sessions and nodes. It is internal/dcs in
// production; reads may be retried there, writes never.
type SessionReader interface {
	// Sessions returns every session on the node now (after a fresh scan
	// where DCS needs one).
	Sessions(ctx context.Context, inst Instance, nodeID string) ([]Session, error)
	// Nodes returns the instance's nodes.
	Nodes(ctx context.Context, inst Instance) ([]Node, error)
}
