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
	return Answer{Later: func(ctx context.Context) (string, error) {
		v, err := svc.Clients(ctx, approvals.ClientsQuery{User: in.User, Channel: in.Channel,
			Instance: c.Instance, Node: nodeRef(c.Node), Filter: c.Filter, FilterIsAddr: c.FilterIsAddrPrefix(), Sort: c.Sort})
		if err != nil {
			return "", err
		}
		return clientsText(v, c.Filter, c.Sort), nil
	}}
}

// clientsText renders /dcs clients.
func clientsText(v *approvals.ClientsView, filter, sort string) string {
	if sort == "" {
		sort = "idle"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*Sessions on `%s` node `%s`*", v.Instance.Alias, v.NodeID)
	if filter != "" {
		fmt.Fprintf(&b, " matching `%s`", strings.ReplaceAll(filter, "`", ""))
	}
	fmt.Fprintf(&b, ", most %s first: %d of %d shown", map[string]string{"idle": "idle", "age": "long-lived"}[sort], len(v.Sessions), v.Matched)
	if rest := v.Matched - len(v.Sessions); rest > 0 {
		fmt.Fprintf(&b, " (%d more not shown: narrow with a filter)", rest)
	}
	b.WriteString(".\n")
	if v.ProxyOnly {
		b.WriteString(proxyWarning + "\n")
	}
	if len(v.Sessions) == 0 {
		b.WriteString("No sessions.")
		return b.String()
	}
	b.WriteString("```")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDR\tNAME\tUSER\tDB\tAGE\tIDLE\tLAST CMD")
	for _, s := range v.Sessions {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Addr, cell(s.Name), cell(s.User), cell(s.DB), dur(s.Age), dur(s.Idle), cell(s.Cmd))
	}
	tw.Flush()
	b.WriteString("```")
	return b.String()
}
