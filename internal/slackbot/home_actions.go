package slackbot

import (
	"context"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// event handles an Events API event: app_home_opened on the Home tab
// publishes it. Other events are ignored.
func (l *Listener) event(data any) {
	ev, ok := data.(slackevents.EventsAPIEvent)
	if !ok {
		return
	}
	opened, ok := ev.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	if !ok || opened.Tab != "home" || opened.User == "" {
		return
	}
	l.spawn("app_home_opened", func(ctx context.Context) { l.p.Home.Opened(ctx, opened.User) })
}

// homeClick handles the Home tab's buttons. They go through the same
// lifecycle calls as the approval message's (Approve, the deny dialog,
// Cancel), which re-check everything against the stored request and
// update its message and thread. A refusal is shown at the top of the
// clicker's Home tab. A click that changes a request is not redrawn here:
// the change feed redraws the tab of everyone it matters to (Home.Changed),
// and a second, older drawing could win the race. A click drops the
// refusal the tab may still show for the clicker's previous click.
func (l *Listener) homeClick(ctx context.Context, cb slack.InteractionCallback) {
	user := cb.User.ID
	l.p.Home.forget(user)
	for _, a := range cb.ActionCallback.BlockActions {
		if !strings.HasPrefix(a.BlockID, homeDecideBlockIDPre) && !strings.HasPrefix(a.BlockID, homeMineBlockIDPre) {
			continue
		}
		var err error
		switch a.ActionID {
		case approveActionID:
			err = l.p.Decider.Approve(ctx, a.Value, user)
		case denyActionID:
			err = l.deny(ctx, cb, a.Value)
		case cancelActionID:
			err = l.p.Home.cancel(ctx, a.Value, user)
		default:
			continue
		}
		if err != nil {
			l.log.Info("Home tab click refused or failed", "request_id", a.Value, "user", user, "action", a.ActionID, "err", err)
			l.p.Home.Show(ctx, user, ":warning: "+userMessage(l.log.With("request_id", a.Value), err))
		}
	}
}
