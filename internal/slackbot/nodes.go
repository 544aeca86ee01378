package slackbot

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"dcsbot/internal/approvals"
	"dcsbot/internal/commands"
)

// nodesLister is what /dcs nodes needs of the lifecycle.
type nodesLister interface {
	Nodes(ctx context.Context, channel, instance string) (*approvals.NodesView, error)
}

// Nodes answers /dcs nodes with the instance's nodes, to the user alone.
func (h *Commands) Nodes(in Input, c commands.Nodes, svc nodesLister) Answer {
	return Answer{Later: func(ctx context.Context) (string, error) {
		v, err := svc.Nodes(ctx, in.Channel, c.Instance)
		if err != nil {
			return "", err
		}
		return nodesText(v), nil
	}}
}

// nodesText renders /dcs nodes.
func nodesText(v *approvals.NodesView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*Nodes of `%s`* (`%s`)\n", v.Instance.Alias, v.Instance.ID)
	index := map[approvals.Node]int{}
	for i, n := range v.Session {
		index[n] = i
	}
	b.WriteString("```")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tNODE ID\tROLE\tTYPE\tADDRESS\tSTATUS")
	noID := false
	for _, n := range v.Nodes {
		idx := "-"
		if i, ok := index[n]; ok {
			idx = fmt.Sprintf("#%d", i)
		}
		noID = noID || n.ID == ""
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", idx, orDash(n.ID), cell(n.Role), cell(n.Type), n.Addr(), cell(n.Status))
	}
	tw.Flush()
	b.WriteString("```\n")
	if noID {
		b.WriteString("A node whose NODE ID is `-` has none DCS's session commands take: its sessions cannot be listed or killed.\n")
	}
	if len(v.Session) > 0 && v.Session[0].IsProxy() {
		b.WriteString("Session commands on this instance go to its *proxy* nodes (the ones numbered #).")
	} else {
		b.WriteString("Session commands take a node numbered # above: its node ID, its address or its #index.")
	}
	fmt.Fprintf(&b, " Example: `/dcs clients %s #0`.", v.Instance.Alias)
	return b.String()
}
