package slackbot

import (
	"context"
	"fmt"
	"strings"

	"dcsbot/internal/approvals"
	"dcsbot/internal/commands"
)

// historyReader is what /dcs history needs of the lifecycle.
type historyReader interface {
	CheckChannel(channel string) error
	History(ctx context.Context, instance string, limit int) ([]*approvals.Request, error)
}

// History answers /dcs history with the newest requests.
func (h *Commands) History(in Input, c commands.History, svc historyReader) Answer {
	if err := svc.CheckChannel(in.Channel); err != nil {
		return refusedNow(h.log, err)
	}
	return Answer{Later: func(ctx context.Context) (string, error) {
		rs, err := svc.History(ctx, c.Instance, c.Limit)
		if err != nil {
			return "", err
		}
		return historyText(rs, c.Instance), nil
	}}
}

// historyText renders /dcs history.
func historyText(rs []*approvals.Request, instance string) string {
	var b strings.Builder
	scope := "all instances"
	if instance != "" {
		scope = "`" + instance + "`"
	}
	if len(rs) == 0 {
		return "No requests yet for " + scope + "."
	}
	fmt.Fprintf(&b, "*Last %d request(s) for %s*, newest first:\n", len(rs), scope)
	for _, r := range rs {
		fmt.Fprintf(&b, "• `%s` %s: %s by <@%s>: *%s*", r.ID, slackDate(r.CreatedAt), what(r), r.Requester, stateWord(r.State))
		if len(r.Approvals) > 0 {
			fmt.Fprintf(&b, ", approved by %s", mentions(r.Approvals))
		}
		if r.State == approvals.Denied && r.DecidedBy != "" {
			fmt.Fprintf(&b, ", denied by <@%s>", r.DecidedBy)
		}
		if r.Result != nil && r.Result.Code != "" {
			fmt.Fprintf(&b, " (`%s`)", r.Result.Code)
		}
		b.WriteString("\n")
	}
	b.WriteString("`/dcs status <id>` shows one in full.")
	return b.String()
}
