package slackbot

import (
	"context"
	"log/slog"
	"sync"

	"github.com/slack-go/slack"

	"dcsbot/internal/approvals"
)

// HomeSource is what the Home tab needs of the lifecycle.
type HomeSource interface {
	OverviewOpened(ctx context.Context, user string) (*approvals.Overview, error)
	Overview(ctx context.Context, user string) (*approvals.Overview, error)
	OverviewWatchers(ctx context.Context, ids []string) ([]string, error)
	Cancel(ctx context.Context, id, user string) error
}

// homeSlack is what the Home tab needs of Slack (the Notifier): the links
// to approval messages, and views.publish.
type homeSlack interface {
	permalinker
	PublishHome(ctx context.Context, user string, v slack.HomeTabViewRequest) error
}

// HomeParams are what a Home needs.
type HomeParams struct {
	Source HomeSource
	Slack  homeSlack // the Notifier
	Logger *slog.Logger
}

// Home is the app's Home tab: what waits for the user who opens it, with
// the buttons to act on it. It is published when a user opens the tab
// (app_home_opened), and published again for the users who opened it
// within the lifecycle's overview window when a request it may show
// changes, on whichever process made the change: who opened the tab, and
// when, is kept in the store, which every replica shares.
type Home struct {
	p HomeParams

	mu      sync.Mutex
	changed map[string]struct{} // request IDs changed since the last refresh
	wake    chan struct{}
}

// NewHome returns a Home; Run keeps the tabs up to date.
func NewHome(p HomeParams) *Home {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	return &Home{p: p, changed: map[string]struct{}{}, wake: make(chan struct{}, 1)}
}

// Opened publishes user's Home tab and records that they look at it.
func (h *Home) Opened(ctx context.Context, user string) {
	o, err := h.p.Source.OverviewOpened(ctx, user)
	if err != nil {
		h.p.Logger.Error("build the Home tab", "user", user, "err", err)
		h.publishError(ctx, user)
		return
	}
	h.publish(ctx, o, "")
}

// Changed tells the Home tabs that request id changed. It never blocks;
// changes that come while a refresh runs are taken by the next one.
func (h *Home) Changed(id string) {
	h.mu.Lock()
	h.changed[id] = struct{}{}
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Run refreshes the Home tabs of the users the changed requests matter to
// until ctx ends.
func (h *Home) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.wake:
		}
		h.refresh(ctx)
	}
}

// refresh republishes the Home tab of each watcher of the requests changed
// since the last refresh.
func (h *Home) refresh(ctx context.Context) {
	h.mu.Lock()
	ids := make([]string, 0, len(h.changed))
	for id := range h.changed {
		ids = append(ids, id)
	}
	clear(h.changed)
	h.mu.Unlock()
	users, err := h.p.Source.OverviewWatchers(ctx, ids)
	if err != nil {
		h.p.Logger.Warn("find the Home tabs to refresh", "requests", ids, "err", err)
	}
	for _, u := range users {
		h.Show(ctx, u, "")
	}
}

// Show publishes user's Home tab as it is now, with notice first when set.
func (h *Home) Show(ctx context.Context, user string, notice text) {
	o, err := h.p.Source.Overview(ctx, user)
	if err != nil {
		h.p.Logger.Error("build the Home tab", "user", user, "err", err)
		return
	}
	h.publish(ctx, o, notice)
}

func (h *Home) publish(ctx context.Context, o *approvals.Overview, notice text) {
	links := requestLinks(ctx, h.p.Slack, shown(o.ToDecide, homeMaxToDecide), shown(o.Mine, homeMaxMine), o.Decided)
	h.publishView(ctx, o.User, homeView(o, links, notice))
}

// publishError shows a Home tab that says it could not be drawn.
func (h *Home) publishError(ctx context.Context, user string) {
	h.publishView(ctx, user, slack.HomeTabViewRequest{Type: slack.VTHomeTab, CallbackID: homeCallbackID, Blocks: slack.Blocks{BlockSet: []slack.Block{
		slack.NewSectionBlock(md(":warning: The bot could not gather your requests just now. Open this tab again in a moment."), nil, nil),
	}}})
}

func (h *Home) publishView(ctx context.Context, user string, v slack.HomeTabViewRequest) {
	if err := h.p.Slack.PublishHome(ctx, user, v); err != nil {
		h.p.Logger.Error("publish the Home tab", "user", user, "err", err)
	}
}

// PublishHome publishes user's Home tab (views.publish).
func (n *Notifier) PublishHome(ctx context.Context, user string, v slack.HomeTabViewRequest) error {
	ctx, cancel := n.c.Bound(ctx)
	defer cancel()
	if _, err := n.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: v}); err != nil {
		return n.failed("views.publish", err)
	}
	return nil
}

// cancel withdraws user's own request from the Home tab.
func (h *Home) cancel(ctx context.Context, id, user string) error {
	return h.p.Source.Cancel(ctx, id, user)
}
