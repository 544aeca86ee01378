package dcs

import (
	"context"
	"fmt"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/exchange"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dcs/v2/model"

	"dcsbot/internal/approvals"
)

// Nodes lists the nodes of an instance (ShowNodesInformation). A node's ID
// is its node_id, the ID the session APIs take; a node without one keeps
// an empty ID (its logical_node_id is LogicalID) and cannot take session
// commands.
func (c *Client) Nodes(ctx context.Context, inst approvals.Instance) ([]approvals.Node, error) {
	t, id, err := c.resolve(inst)
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	op := "list nodes of " + t.alias
	req := &model.ShowNodesInformationRequest{InstanceId: id}
	var resp *model.ShowNodesInformationResponse
	err = c.read(ctx, op, t, "ShowNodesInformation", func() (*exchange.SdkExchange, error) {
		inv := t.sdk.ShowNodesInformationInvoker(req)
		var err error
		resp, err = inv.Invoke()
		return inv.Exchange, err
	})
	if err != nil {
		return nil, err
	}
	var out []approvals.Node
	if resp.Nodes != nil {
		for _, n := range *resp.Nodes {
			node := approvals.Node{
				ID:        deref(n.NodeId),
				LogicalID: deref(n.LogicalNodeId),
				Name:      deref(n.Name),
				IP:        deref(n.NodeIp),
				Port:      deref(n.NodePort),
			}
			if n.NodeRole != nil {
				node.Role = n.NodeRole.Value()
			}
			if n.NodeType != nil {
				node.Type = n.NodeType.Value()
			}
			if n.Status != nil {
				node.Status = n.Status.Value()
			}
			out = append(out, node)
		}
	}
	return out, nil
}
