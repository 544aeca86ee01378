package slackbot

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"dcsbot/internal/approvals"
)

// Directory resolves user groups with usergroups.users.list, caching each
// group's members for a short while (the method is rate-limited, tier 2).
// It implements approvals.Directory.
type Directory struct {
	c   *Client
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	cache map[string]groupEntry
}

type groupEntry struct {
	members []string
	at      time.Time
}

var _ approvals.Directory = (*Directory)(nil)

// NewDirectory returns a Directory caching members for ttl.
func NewDirectory(c *Client, ttl time.Duration) (*Directory, error) {
	if ttl <= 0 {
		return nil, fmt.Errorf("slack directory: cache ttl is %s, want a positive duration", ttl)
	}
	return &Directory{c: c, ttl: ttl, now: time.Now, cache: map[string]groupEntry{}}, nil
}

// GroupMembers returns the user IDs in group id.
func (d *Directory) GroupMembers(ctx context.Context, id string) ([]string, error) {
	d.mu.Lock()
	e, ok := d.cache[id]
	d.mu.Unlock()
	if ok && d.now().Sub(e.at) < d.ttl {
		return e.members, nil
	}
	ctx, cancel := d.c.Bound(ctx)
	defer cancel()
	members, err := d.c.API().GetUserGroupMembersContext(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("slack usergroups.users.list %s: %w", id, err)
	}
	members = slices.Clone(members)
	d.mu.Lock()
	d.cache[id] = groupEntry{members: members, at: d.now()}
	d.mu.Unlock()
	return members, nil
}
