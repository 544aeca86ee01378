package slackbot

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
)

// Directory resolves user groups with usergroups.users.list, caching each
// group's members for a short while (the method is rate-limited, tier 2).
// It implements approvals.Directory.
type Directory struct {
	api *slack.Client
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

// NewDirectory returns a Directory caching members for ttl (default 60 s).
func NewDirectory(api *slack.Client, ttl time.Duration) *Directory {
	if ttl <= 0 {
		ttl = time.Minute
	}
	return &Directory{api: api, ttl: ttl, now: time.Now, cache: map[string]groupEntry{}}
}

// GroupMembers returns the user IDs in group id.
func (d *Directory) GroupMembers(ctx context.Context, id string) ([]string, error) {
	d.mu.Lock()
	e, ok := d.cache[id]
	d.mu.Unlock()
	if ok && d.now().Sub(e.at) < d.ttl {
		return e.members, nil
	}
	members, err := d.api.GetUserGroupMembersContext(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("slack usergroups.users.list %s: %w", id, err)
	}
	members = slices.Clone(members)
	d.mu.Lock()
	d.cache[id] = groupEntry{members: members, at: d.now()}
	d.mu.Unlock()
	return members, nil
}
