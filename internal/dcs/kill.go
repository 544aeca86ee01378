package dcs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/exchange"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dcs/v2/model"

	"dcsbot/internal/approvals"
)

// Kill asks DCS to close the sessions at addrs on node (HangUpClients).
// It first waits for this client's own session scan of the node to end,
// and no scan of the node starts until the kill has been answered. While
// DCS answers DCS.4957 (a session task runs on the node; nothing was done)
// it sends the kill again until Params.BusyTimeout has passed since the
// call: as soon as another of this client's kills of the node has been
// answered, if one is in flight (so that kills go one after the other
// where DCS takes one at a time), else after a pause with backoff and
// jitter. Any other answer, or no answer, is final: the kill reaches DCS
// to effect at most once. A cancelled ctx stops the kill only before it
// is sent. Kills of one node are not merged: each is its own call.
func (c *Client) Kill(ctx context.Context, inst approvals.Instance, nodeID string, addrs []string) error {
	t, id, err := c.resolve(inst)
	if err != nil {
		return fmt.Errorf("kill sessions: %w", err)
	}
	op := "kill sessions on " + t.alias
	if nodeID == "" {
		return fmt.Errorf("%s: node ID is empty", op)
	}
	if len(addrs) == 0 || slices.Contains(addrs, "") {
		return fmt.Errorf("%s: no addresses, or an empty one", op)
	}
	deadline, key := time.Now().Add(c.busyTimeout), nodeKey{id, nodeID}
	release, err := c.board.holdForKill(ctx, key, deadline)
	if err != nil {
		return fmt.Errorf("%s: not sent: %w", op, err)
	}
	defer release()
	req := &model.HangUpClientsRequest{
		InstanceId: id,
		Body:       &model.HangUpClientsRequestBody{NodeId: nodeID, ClientAddrs: slices.Clone(addrs)},
	}
	log := c.log.With("api", "HangUpClients", "instance", t.alias, "node_id", nodeID, "addrs", len(addrs))
	turn := &killTurn{b: c.board, key: key, deadline: deadline}
	defer turn.done()
	return c.untilFree(ctx, t, nodeID, deadline, taskBusy, turn.wait(ctx), func() error {
		defer c.board.sending(key)()
		return c.write(ctx, op, "HangUpClients", t, log, func() (*exchange.SdkExchange, error) {
			inv := t.sdk.HangUpClientsInvoker(req)
			_, err := inv.Invoke()
			return inv.Exchange, err
		})
	})
}

// killTurn is how a kill refused as busy waits to be sent again: while
// other kills of the node from this client are in flight (DCS may take
// one kill of a node at a time), it takes the node's turn, which kills
// refused so pass from one to the next, and is sent again as soon as
// none is in flight; otherwise it pauses with backoff and jitter.
type killTurn struct {
	b        *board
	key      nodeKey
	deadline time.Time
	release  func() // the node's turn, once taken
}

func (k *killTurn) wait(ctx context.Context) func(n int) error {
	return func(n int) error {
		if k.release == nil && !k.b.othersSending(k.key) {
			return pause(ctx, jitter(backoff(n, busyBase, busyMax)), k.deadline)
		}
		if k.release == nil {
			var err error
			if k.release, err = k.b.takeTurn(ctx, k.key, k.deadline); err != nil {
				return err
			}
		}
		return k.b.awaitNoneSending(ctx, k.key, k.deadline)
	}
}

func (k *killTurn) done() {
	if k.release != nil {
		k.release()
	}
}

// KillAll asks DCS to close every session on node, or on every node of the
// instance when allNodes is true (nodeID must then be empty)
// (HangUpKillAllClients). DCS runs the kill-all as a job: a nil error means
// it accepted the job, whose ID KillAll returns (empty when DCS named
// none); WaitJob follows it. DCS.4957 is waited out as for Kill, and no
// other answer is retried. A cancelled ctx stops it only before it is sent.
func (c *Client) KillAll(ctx context.Context, inst approvals.Instance, nodeID string, allNodes bool) (string, error) {
	t, id, err := c.resolve(inst)
	if err != nil {
		return "", fmt.Errorf("kill all sessions: %w", err)
	}
	op := "kill all sessions on " + t.alias
	switch {
	case allNodes && nodeID != "":
		return "", fmt.Errorf("%s: node ID %q given for a kill on all nodes", op, nodeID)
	case !allNodes && nodeID == "":
		return "", fmt.Errorf("%s: node ID is empty", op)
	}
	deadline := time.Now().Add(c.busyTimeout)
	if !allNodes {
		release, err := c.board.holdForKill(ctx, nodeKey{id, nodeID}, deadline)
		if err != nil {
			return "", fmt.Errorf("%s: not sent: %w", op, err)
		}
		defer release()
	}
	body := &model.HangUpKillAllClientsRequestBody{KillAllNodes: ptr(allNodes)}
	if !allNodes {
		body.NodeId = ptr(nodeID)
	}
	req := &model.HangUpKillAllClientsRequest{InstanceId: id, Body: body}
	var job string
	log := c.log.With("api", "HangUpKillAllClients", "instance", t.alias, "node_id", nodeID, "all_nodes", allNodes)
	err = c.untilFree(ctx, t, nodeID, deadline, taskBusy, nil, func() error {
		return c.write(ctx, op, "HangUpKillAllClients", t, log, func() (*exchange.SdkExchange, error) {
			inv := t.sdk.HangUpKillAllClientsInvoker(req)
			resp, err := inv.Invoke()
			if resp != nil {
				job = jobID(resp.Body)
			}
			return inv.Exchange, err
		})
	})
	if err == nil {
		log.InfoContext(ctx, "dcs kill-all job accepted", "job_id", job)
	}
	return job, err
}

// write sends a request that changes something, once. A 2xx answer whose
// body the SDK could not decode still means DCS accepted the request.
func (c *Client) write(ctx context.Context, op, api string, t *target, log *slog.Logger, call func() (*exchange.SdkExchange, error)) error {
	start := time.Now()
	exch, err := call()
	status, rid := callInfo(exch, err)
	c.observe(api, status, time.Since(start))
	log = log.With("status", status, "dcs_request_id", rid, "duration", time.Since(start))
	if err != nil && accepted(err) {
		log.WarnContext(ctx, "dcs call: accepted, answer not understood")
		return nil
	}
	if err != nil {
		err = c.mapErr(op, t, err)
		log.InfoContext(ctx, "dcs call failed", "err", err)
		return err
	}
	log.InfoContext(ctx, "dcs call")
	return nil
}

// accepted says whether err is the SDK failing to decode a 2xx answer.
func accepted(err error) bool {
	var sre *sdkerr.ServiceResponseError
	return errors.As(err, &sre) && sre.StatusCode >= 200 && sre.StatusCode < 300
}

// jobID pulls job_id out of a response body the SDK keeps as interface{}.
func jobID(body *any) string {
	if body == nil {
		return ""
	}
	if m, ok := (*body).(map[string]any); ok {
		if job, ok := m["job_id"].(string); ok {
			return job
		}
	}
	return ""
}
