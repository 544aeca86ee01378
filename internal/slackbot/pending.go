package slackbot

import (
	"context"

	"dcsbot/internal/approvals"
	"dcsbot/internal/commands"
)

// overviewReader is what /dcs pending needs of the lifecycle.
type overviewReader interface {
	CheckChannel(channel string) error
	Overview(ctx context.Context, user string) (*approvals.Overview, error)
}

// permalinker gives the link to a message (chat.getPermalink).
type permalinker interface {
	Permalink(ctx context.Context, channel, ts string) (string, error)
}

// pendingMax bounds how many requests of each list /dcs pending shows.
const pendingMax = 20

// Pending answers /dcs pending: what waits for the user, with links.
func (h *Commands) Pending(in Input, _ commands.Pending, svc overviewReader, links permalinker) Answer {
	if err := svc.CheckChannel(in.Channel); err != nil {
		return refusedNow(h.log, err)
	}
	return Answer{Later: func(ctx context.Context) (text, error) {
		o, err := svc.Overview(ctx, in.User)
		if err != nil {
			return "", err
		}
		return pendingText(o, requestLinks(ctx, links, shown(o.ToDecide, pendingMax), shown(o.Mine, pendingMax))), nil
	}}
}

// shown is what a list that shows at most n requests shows of rs.
func shown(rs []*approvals.Request, n int) []*approvals.Request { return rs[:min(len(rs), n)] }

// requestLinks returns the permalinks of the requests' approval messages
// by request ID; a request whose link Slack does not give has none.
func requestLinks(ctx context.Context, links permalinker, lists ...[]*approvals.Request) map[string]string {
	out := map[string]string{}
	for _, rs := range lists {
		for _, r := range rs {
			if r.MessageTS == "" || out[r.ID] != "" {
				continue
			}
			if l, err := links.Permalink(ctx, r.ChannelID, r.MessageTS); err == nil {
				out[r.ID] = l
			}
		}
	}
	return out
}

// pendingText renders /dcs pending.
func pendingText(o *approvals.Overview, links map[string]string) text {
	t := textf("*Waiting for your approval* (%s):", num(len(o.ToDecide)))
	if len(o.ToDecide) == 0 {
		t += "\nNothing waits for your approval."
	}
	t += pendingItems(o, o.ToDecide, links)
	t += textf("\n*Your requests waiting* (%s):", num(len(o.Mine)))
	if len(o.Mine) == 0 {
		t += "\nYou have no request waiting for approval."
	}
	t += pendingItems(o, o.Mine, links)
	return t + "\nApprove or deny from each request's message, or from the app's Home tab; `/dcs cancel &lt;id&gt;` withdraws your own."
}

func pendingItems(o *approvals.Overview, rs []*approvals.Request, links map[string]string) text {
	var t text
	for _, r := range shown(rs, pendingMax) {
		t += "\n• " + requestSummary(r, o.At, links[r.ID])
		if r.Requester != o.User && r.ApprovedBy(o.User) {
			t += " (you approved it)"
		}
	}
	if rest := len(rs) - pendingMax; rest > 0 {
		t += textf("\n…and %s more.", num(rest))
	}
	return t
}
