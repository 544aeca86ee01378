package dcs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/exchange"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dcs/v2/model"

	"dcsbot/internal/approvals"
)

// Session listing: DCS serves the session list of a node from its last
// session scan. Sessions starts a scan, waits for it, then reads the list.
const (
	pageSize     = 1000 // ListClients' largest limit
	pollBase     = 200 * time.Millisecond
	pollMax      = time.Second
	listRestarts = 2    // times the reading restarts when the list changes under it
	maxPages     = 1000 // pages read at most for one list
)

// DCS error codes that mean "a job is running; ask again shortly".
const (
	codeTaskState  = "DCS.4957" // not allowed in the task's current state (scan not finished)
	codeJobRunning = "DCS.4017"
)

// Sessions returns every session on node as of a session scan started by
// this call (ScanClients with clean_cache, then ListClients, all pages).
// While DCS answers that the scan has not finished (DCS.4957, DCS.4017) it
// asks again, waiting 200 ms doubling to 1 s, for up to Params.ScanWait.
// Each call is a read: retried on 429, 5xx and connections never opened.
// A node where session management is not supported answers DCS.4848,
// returned as an *approvals.DCSError like every DCS answer.
func (c *Client) Sessions(ctx context.Context, inst approvals.Instance, nodeID string) ([]approvals.Session, error) {
	t, id, err := c.resolve(inst)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	op := "list sessions on " + t.alias
	if nodeID == "" {
		return nil, fmt.Errorf("%s: node ID is empty", op)
	}
	start := time.Now()
	deadline := start.Add(c.scanWait)

	var job string
	err = c.poll(ctx, op, "session scan could not start", deadline, func() error {
		var err error
		job, err = c.scan(ctx, t, id, nodeID)
		return err
	})
	if err != nil {
		return nil, err
	}

	for restart := 0; ; restart++ {
		var first *model.ListClientsResponse
		err = c.poll(ctx, op, "session scan did not finish", deadline, func() error {
			var err error
			first, err = c.listPage(ctx, t, id, nodeID, 0)
			return err
		})
		if err != nil {
			return nil, err
		}
		out, pages, err := c.readPages(ctx, t, id, nodeID, first)
		if errors.Is(err, errListChanged) && restart < listRestarts {
			c.log.InfoContext(ctx, "dcs session list changed while read; reading again", "instance", t.alias, "node_id", nodeID)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		c.log.InfoContext(ctx, "dcs sessions read", "instance", t.alias, "node_id", nodeID, "job_id", job,
			"sessions", len(out), "pages", pages, "list_time", deref(first.Time), "duration", time.Since(start))
		return out, nil
	}
}

var errListChanged = errors.New("the session list changed while it was read (another scan?)")

// readPages reads the pages after first, offset by offset, until count
// sessions are read. Pages shorter than asked do not end the reading (DCS
// may cap them); an empty one does, and then fewer sessions than count is an
// error: a partial list must not pass for the whole.
func (c *Client) readPages(ctx context.Context, t *target, id, nodeID string, first *model.ListClientsResponse) ([]approvals.Session, int, error) {
	total := int(deref32(first.Count))
	out := make([]approvals.Session, 0, min(max(total, 0), 1<<16))
	out = appendSessions(out, first.Clients)
	pages := 1
	for n := clientsLen(first.Clients); n > 0 && len(out) < total; {
		if pages >= maxPages {
			return nil, pages, fmt.Errorf("session list of %d sessions not read after %d pages", total, pages)
		}
		page, err := c.listPage(ctx, t, id, nodeID, len(out))
		if busy(err) {
			return nil, pages, errListChanged
		}
		if err != nil {
			return nil, pages, err
		}
		if deref32(page.Count) != deref32(first.Count) || deref(page.Time) != deref(first.Time) {
			return nil, pages, errListChanged
		}
		pages++
		n = clientsLen(page.Clients)
		out = appendSessions(out, page.Clients)
	}
	if len(out) < total {
		return nil, pages, fmt.Errorf("read %d sessions of the %d DCS counted", len(out), total)
	}
	if len(out) > total {
		c.log.WarnContext(ctx, "dcs session list longer than its count", "instance", t.alias, "node_id", nodeID,
			"count", total, "read", len(out))
	}
	return out, pages, nil
}

// poll runs call until it answers something other than "a job is
// running", waiting between tries, until deadline.
func (c *Client) poll(ctx context.Context, op, what string, deadline time.Time, call func() error) error {
	wait := pollBase
	for {
		err := call()
		if !busy(err) {
			return err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("%s: %s within %s: %w", op, what, seconds(c.scanWait), err)
		}
		timer := time.NewTimer(min(wait, left))
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("%s: %s: %w (last answer: %w)", op, what, ctx.Err(), err)
		}
		wait = min(2*wait, pollMax)
	}
}

// busy says whether err is DCS saying a job is running.
func busy(err error) bool {
	var de *approvals.DCSError
	return errors.As(err, &de) && (de.Code == codeTaskState || de.Code == codeJobRunning)
}

// scan starts a session scan of node (ScanClients) and returns its job ID.
func (c *Client) scan(ctx context.Context, t *target, id, nodeID string) (string, error) {
	req := &model.ScanClientsRequest{InstanceId: id,
		Body: &model.ScanClientsRequestBody{NodeId: ptr(nodeID), CleanCache: ptr(true)}}
	var job string
	err := c.read(ctx, "scan sessions on "+t.alias, t, "ScanClients", func() (*exchange.SdkExchange, error) {
		inv := t.sdk.ScanClientsInvoker(req)
		resp, err := inv.Invoke()
		if err != nil && accepted(err) {
			return inv.Exchange, nil // started; the answer had no job ID
		}
		if resp != nil {
			job = jobID(resp.Body)
		}
		return inv.Exchange, err
	})
	return job, err
}

// listPage reads one page of node's session list (ListClients).
func (c *Client) listPage(ctx context.Context, t *target, id, nodeID string, offset int) (*model.ListClientsResponse, error) {
	req := &model.ListClientsRequest{InstanceId: id, NodeId: ptr(nodeID), Limit: ptr(int32(pageSize))}
	if offset > 0 {
		req.Offset = ptr(int32(offset))
	}
	var resp *model.ListClientsResponse
	err := c.read(ctx, "list sessions on "+t.alias, t, "ListClients", func() (*exchange.SdkExchange, error) {
		inv := t.sdk.ListClientsInvoker(req)
		var err error
		resp, err = inv.Invoke()
		return inv.Exchange, err
	})
	return resp, err
}

func clientsLen(cs *[]model.ClientInfo) int {
	if cs == nil {
		return 0
	}
	return len(*cs)
}

func appendSessions(out []approvals.Session, cs *[]model.ClientInfo) []approvals.Session {
	if cs == nil {
		return out
	}
	for _, ci := range *cs {
		out = append(out, approvals.Session{
			ID:   deref(ci.Id),
			Addr: deref(ci.Addr),
			Peer: deref(ci.Peer),
			Name: deref(ci.Name),
			User: deref(ci.User),
			DB:   deref(ci.Db),
			Cmd:  deref(ci.Cmd),
			Age:  time.Duration(deref32(ci.Age)) * time.Second,
			Idle: time.Duration(deref32(ci.Idle)) * time.Second,
		})
	}
	return out
}
