package slackbot

import (
	"context"
	"log/slog"
	"sync"
	"time"

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
//
// A refusal shown at the top of a user's tab (Show with a notice) stays
// there for homeNoticeKeep, through the redraws that come meanwhile: a
// redraw for someone else's click must not wipe it before it is read. A
// user's tab is drawn by one caller at a time, so the last drawing
// published is the last one built.
type Home struct {
	p HomeParams

	mu      sync.Mutex
	changed map[string]struct{} // request IDs changed since the last refresh
	notices map[string]homeNotice
	drawing map[string]*userDraw // users whose tab is being drawn
	wake    chan struct{}
	now     func() time.Time
}

// homeNoticeKeep is how long a refusal stays at the top of a Home tab.
const homeNoticeKeep = time.Minute

type homeNotice struct {
	text  text
	until time.Time
}

// userDraw serialises the drawings of one user's tab; waiters counts the
// callers holding or waiting for it, so that it is dropped after the last.
type userDraw struct {
	sync.Mutex
	waiters int
}

// NewHome returns a Home; Run keeps the tabs up to date.
func NewHome(p HomeParams) *Home {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	return &Home{p: p, changed: map[string]struct{}{}, notices: map[string]homeNotice{},
		drawing: map[string]*userDraw{}, wake: make(chan struct{}, 1), now: time.Now}
}

// draw takes user's turn to draw their tab; the function it returns ends
// the turn.
func (h *Home) draw(user string) (done func()) {
	h.mu.Lock()
	d := h.drawing[user]
	if d == nil {
		d = &userDraw{}
		h.drawing[user] = d
	}
	d.waiters++
	h.mu.Unlock()
	d.Lock()
	return func() {
		d.Unlock()
		h.mu.Lock()
		if d.waiters--; d.waiters == 0 {
			delete(h.drawing, user)
		}
		h.mu.Unlock()
	}
}

// notice records n as user's notice when set, and returns the notice
// their tab shows now.
func (h *Home) notice(user string, n text) text {
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	for u, kept := range h.notices {
		if !now.Before(kept.until) {
			delete(h.notices, u)
		}
	}
	if n != "" {
		h.notices[user] = homeNotice{text: n, until: now.Add(homeNoticeKeep)}
	}
	return h.notices[user].text
}

// forget drops user's notice: they have clicked again, and what the tab
// said about their last click is past.
func (h *Home) forget(user string) {
	h.mu.Lock()
	delete(h.notices, user)
	h.mu.Unlock()
}

// Opened publishes user's Home tab and records that they look at it.
func (h *Home) Opened(ctx context.Context, user string) {
	defer h.draw(user)()
	o, err := h.p.Source.OverviewOpened(ctx, user)
	if err != nil {
		h.p.Logger.Error("build the Home tab", "user", user, "err", err)
		h.publishError(ctx, user)
		return
	}
	h.publish(ctx, o, h.notice(user, ""))
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

// Show publishes user's Home tab as it is now, with notice first when set
// (and kept there for homeNoticeKeep), or the notice still kept.
func (h *Home) Show(ctx context.Context, user string, notice text) {
	// The notice is recorded before the turn is waited for, so that a
	// click the user makes meanwhile (forget) drops it.
	h.notice(user, notice)
	defer h.draw(user)()
	notice = h.notice(user, "")
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
