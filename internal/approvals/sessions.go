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
//
// DCS lists sessions from a session scan, which takes a while; the reader
// shares scans between callers, and each method says which scans will do.
type SessionReader interface {
	// Sessions returns every session on the node as of a scan that ended
	// less than a second ago, or else a fresh one (previews, listings).
	Sessions(ctx context.Context, inst Instance, nodeID string) ([]Session, error)
	// SessionsSince returns every session on the node as of a scan that
	// started at or after since (one running or just ended is shared).
	SessionsSince(ctx context.Context, inst Instance, nodeID string, since time.Time) ([]Session, error)
	// SessionsBeforeKill is SessionsSince for a kill about to be sent to
	// the node. No new scan of the node starts until done is called,
	// which the caller must do once the kill has been sent or will not
	// be, so that a scan never holds the kill up. only, when not empty,
	// are the addresses the caller looks at: sessions at other addresses
	// may be left out.
	SessionsBeforeKill(ctx context.Context, inst Instance, nodeID string, since time.Time, only []string) (sessions []Session, done func(), err error)
	// Nodes returns the instance's nodes.
	Nodes(ctx context.Context, inst Instance) ([]Node, error)
}
