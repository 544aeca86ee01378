package slackbot

import (
	"context"

	"dcsbot/internal/approvals"
	"dcsbot/internal/commands"
)

// nodesLister is what /dcs nodes needs of the lifecycle.
type nodesLister interface {
	Nodes(ctx context.Context, channel, instance string) (*approvals.NodesView, error)
}

// Nodes answers /dcs nodes with the instance's nodes, to the user alone.
func (h *Commands) Nodes(in Input, c commands.Nodes, svc nodesLister) Answer {
	return Answer{Later: func(ctx context.Context) (text, error) {
		v, err := svc.Nodes(ctx, in.Channel, c.Instance)
		if err != nil {
			return "", err
		}
		return nodesText(v), nil
	}}
}

// nodesText renders /dcs nodes. Everything in a node comes from DCS.
func nodesText(v *approvals.NodesView) text {
	t := textf("*Nodes of %s* (%s)\n", id(v.Instance.Alias), id(v.Instance.ID))
	index := map[approvals.Node]int{}
	for i, n := range v.Session {
		index[n] = i
	}
	rows := [][]text{{"#", "NODE ID", "ROLE", "TYPE", "ADDRESS", "STATUS"}}
	noID := false
	for _, n := range v.Nodes {
		idx := text("-")
		if i, ok := index[n]; ok {
			idx = textf("#%s", num(i))
		}
		noID = noID || n.ID == ""
		rows = append(rows, []text{idx, outside(n.ID).or(capWord, "-"), cell(n.Role), cell(n.Type), outside(n.Addr()).line(capWord), cell(n.Status)})
	}
	t += "```" + table(rows) + "```\n"
	if noID {
		t += "A node whose NODE ID is `-` has none DCS's session commands take: its sessions cannot be listed or killed.\n"
	}
	if len(v.Session) > 0 && v.Session[0].IsProxy() {
		t += "Session commands on this instance go to its *proxy* nodes (the ones numbered #)."
	} else {
		t += "Session commands take a node numbered # above: its node ID, its address or its #index."
	}
	return t + textf(" Example: `/dcs clients %s #0`.", inCode(v.Instance.Alias))
}
