package slackbot

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"dcsbot/internal/approvals"
	"dcsbot/internal/commands"
)

// clientsReader is what /dcs clients needs of the lifecycle.
type clientsReader interface {
	Clients(ctx context.Context, q approvals.ClientsQuery) (*approvals.ClientsView, error)
}

// Clients answers /dcs clients with the node's live sessions, to the user
// alone.
func (h *Commands) Clients(in Input, c commands.Clients, svc clientsReader) Answer {
	return Answer{Later: func(ctx context.Context) (text, error) {
		v, err := svc.Clients(ctx, approvals.ClientsQuery{User: in.User, Channel: in.Channel,
			Instance: c.Instance, Node: nodeRef(c.Node), Filter: c.Filter, FilterIsAddr: c.FilterIsAddrPrefix(), Sort: c.Sort})
		if err != nil {
			return "", err
		}
		return clientsText(v, c.Filter, c.Sort), nil
	}}
}

// clientsText renders /dcs clients.
func clientsText(v *approvals.ClientsView, filter, sort string) text {
	order := text("idle")
	if sort == "age" {
		order = "long-lived"
	}
	t := textf("*Sessions on %s node %s*", id(v.Instance.Alias), id(v.NodeID))
	if filter != "" {
		t += textf(" matching %s", outside(filter).code(capWord))
	}
	t += textf(", most %s first: %s of %s shown", order, num(len(v.Sessions)), num(v.Matched))
	if rest := v.Matched - len(v.Sessions); rest > 0 {
		t += textf(" (%s more not shown: narrow with a filter)", num(rest))
	}
	t += ".\n"
	if v.ProxyOnly {
		t += proxyWarning + "\n"
	}
	if len(v.Sessions) == 0 {
		return t + "No sessions."
	}
	rows := [][]text{{"ADDR", "NAME", "USER", "DB", "AGE", "IDLE", "LAST CMD"}}
	for _, s := range v.Sessions {
		rows = append(rows, []text{outside(s.Addr).line(capWord), cell(s.Name), cell(s.User), cell(s.DB), dur(s.Age), dur(s.Idle), cell(s.Cmd)})
	}
	return t + "```" + table(rows) + "```"
}

// table lays rows out in columns, for a code block.
func table(rows [][]text) text {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, row := range rows {
		fmt.Fprintln(tw, string(join(row, "\t")))
	}
	tw.Flush()
	return text(b.String())
}
