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
			Instance: c.Instance, Node: nodeRef(c.Node), Filter: c.Filter, FilterIsAddr: c.FilterIsAddrPrefix(), Sort: c.Sort, Select: selector(c.Select)})
		if err != nil {
			return "", err
		}
		return clientsText(v, c), nil
	}}
}

// clientsText renders /dcs clients: the table, then the /dcs kill
// command that would ask for the sessions shown.
func clientsText(v *approvals.ClientsView, c commands.Clients) text {
	filter, sel := c.Filter, selector(c.Select)
	order := text("idle")
	if c.Sort == "age" {
		order = "long-lived"
	}
	t := textf("*Sessions on %s node %s*", id(v.Instance.Alias), id(v.NodeID))
	if filter != "" {
		t += textf(" matching %s", outside(filter).code(capWord))
	}
	if !sel.IsZero() {
		t += textf(" chosen by %s", outside(sel.String()).code(capLine))
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
	return t + "```" + table(rows) + "```" + killLine(v, c)
}

// killLine is the line under the table: the exact /dcs kill command that
// asks for the sessions shown, to copy. When they are all that the
// selectors (and a name filter) match, it gives the node and the
// selectors, which choose the same sessions when the request is made;
// otherwise it lists their addresses.
func killLine(v *approvals.ClientsView, c commands.Clients) text {
	if len(v.Sessions) == 0 {
		return ""
	}
	sel, translated := selector(c.Select), true
	switch {
	case c.Filter == "":
	case !c.FilterIsAddrPrefix() && sel.Name == "":
		sel.Name = c.Filter // a name filter matches as --name does
	default:
		translated = false
	}
	asSelectors := translated && !sel.IsZero() && len(v.Sessions) == v.Matched
	args := []string{"/dcs kill", v.Instance.Alias, v.NodeID}
	if asSelectors {
		args = append(args, sel.String())
	} else {
		for _, x := range v.Sessions {
			args = append(args, x.Addr)
		}
	}
	return textf("\nTo ask for the kill of these %s session%s, copy: %s", num(len(v.Sessions)), plural(len(v.Sessions)),
		outside(strings.Join(args, " ")).code(capText))
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
