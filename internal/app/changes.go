package app

import (
	"context"

	"dcsbot/internal/approvals"
)

// changeFeed tells its subscribers which request the lifecycle just
// changed (and so recorded an audit event for): the audit shipper, to ship
// at once, and the Home tab, to redraw. Subscribers must not block; they
// are all added before the bot runs.
type changeFeed struct {
	subs []func(requestID string)
}

func (f *changeFeed) subscribe(fn func(requestID string)) { f.subs = append(f.subs, fn) }

func (f *changeFeed) changed(id string) {
	for _, fn := range f.subs {
		fn(id)
	}
}

// watchedStore is the app's store as the lifecycle sees it: every change
// that commits is told to the feed, after the commit.
type watchedStore struct {
	store
	feed *changeFeed
}

func (s watchedStore) Create(ctx context.Context, r *approvals.Request) error {
	err := s.store.Create(ctx, r)
	if err == nil {
		s.feed.changed(r.ID)
	}
	return err
}

func (s watchedStore) SetMessage(ctx context.Context, id, channelID, ts string) error {
	err := s.store.SetMessage(ctx, id, channelID, ts)
	if err == nil {
		s.feed.changed(id)
	}
	return err
}

func (s watchedStore) Apply(ctx context.Context, id string, t approvals.Transition) (bool, error) {
	done, err := s.store.Apply(ctx, id, t)
	if done {
		s.feed.changed(id)
	}
	return done, err
}

func (s watchedStore) Approve(ctx context.Context, id string, v approvals.Vote) (approvals.Tally, error) {
	t, err := s.store.Approve(ctx, id, v)
	if t.Added || t.Claimed {
		s.feed.changed(id)
	}
	return t, err
}
