package slackbot

import (
	"context"

	"dcsbot/internal/approvals"
	"dcsbot/internal/commands"
)

// historyReader is what /dcs history needs of the lifecycle.
type historyReader interface {
	CheckChannel(channel string) error
	History(ctx context.Context, channel, instance string, limit int) ([]*approvals.Request, error)
}

// History answers /dcs history with the newest requests of the instances
// the channel may see.
func (h *Commands) History(in Input, c commands.History, svc historyReader) Answer {
	if err := svc.CheckChannel(in.Channel); err != nil {
		return refusedNow(h.log, err)
	}
	return Answer{Later: func(ctx context.Context) (text, error) {
		rs, err := svc.History(ctx, in.Channel, c.Instance, c.Limit)
		if err != nil {
			return "", err
		}
		return historyText(rs, c.Instance), nil
	}}
}

// historyText renders /dcs history.
func historyText(rs []*approvals.Request, instance string) text {
	scope := text("the instances of this channel")
	if instance != "" {
		scope = id(instance)
	}
	if len(rs) == 0 {
		return "No requests yet for " + scope + "."
	}
	t := textf("*Last %s request(s) for %s*, newest first:\n", num(len(rs)), scope)
	for _, r := range rs {
		t += textf("• %s %s: %s by %s: *%s*", id(r.ID), slackDate(r.CreatedAt), what(r), mention(r.Requester), stateWord(r.State))
		if len(r.Approvals) > 0 {
			t += ", approved by " + mentions(r.Approvals)
		}
		if r.State == approvals.Denied && r.DecidedBy != "" {
			t += ", denied by " + mention(r.DecidedBy)
		}
		if r.Result != nil && r.Result.Code != "" {
			t += " (" + outside(r.Result.Code).code(capWord) + ")"
		}
		t += "\n"
	}
	return t + "`/dcs status &lt;id&gt;` shows one in full."
}
