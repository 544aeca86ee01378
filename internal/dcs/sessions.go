package dcs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/exchange"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dcs/v2/model"

	"dcsbot/internal/approvals"
)

// Session listing: DCS serves the session list of a node from its last
// finished session scan. Sessions starts a scan, waits until it knows the
// list comes from that scan, then reads the list.
const (
	pageSize     = 1000 // ListClients' largest limit
	pollBase     = 200 * time.Millisecond
	pollMax      = time.Second
	listRestarts = 2    // times the reading restarts when the list changes under it
	maxPages     = 1000 // pages read at most for one list
)

// recentScan is how long after a scan ended Sessions may serve it again.
const recentScan = time.Second

// Sessions returns every session on node as of a session scan that ended
// less than a second ago, or else one that starts after this call
// (ScanClients with clean_cache, then ListClients, all pages). Within this
// client, scans of a node are shared: a call made while a scan of the node
// runs waits for it and shares the next one with every other caller that
// asked meanwhile.
//
// A scan, bounded as a whole by Params.ScanBound:
//   - reads the list's time, then starts the scan; while DCS answers that a
//     session task runs on the node (DCS.4957, DCS.4017) it tries again,
//     with backoff and jitter, for up to Params.BusyTimeout (the call that
//     reads the list's time also lets the clicks approved together reach
//     the bot before the scan starts: they share it);
//   - follows the scan's job (ShowJobInfo) for up to Params.ScanWait: a job
//     that ends FAIL fails the read with DCS's reason; where the node's
//     last scan took d, the job is first read once d has passed;
//   - then the list is read, once for all the scan's readers, once it is
//     known to come from the scan: its job reached SUCCESS or, where the
//     job cannot be read, the list's time has moved past the one read
//     before the scan; every page of one read has the same time, or the
//     reading starts again (at most twice). A guard that looks at a few
//     addresses alone reads those instead (SessionsBeforeKill).
//
// Each call is a read: retried on 429, 5xx and connections never opened.
// A node where session management is not supported answers DCS.4848,
// returned as an *approvals.DCSError like every DCS answer. When ctx ends
// first, Sessions returns at once; the scan goes on for the others.
func (c *Client) Sessions(ctx context.Context, inst approvals.Instance, nodeID string) ([]approvals.Session, error) {
	ss, _, err := c.readScan(ctx, inst, nodeID, want{since: time.Now(), recent: recentScan})
	return ss, err
}

// SessionsSince returns every session on node as of a scan asked of DCS
// at or after since: a scan of this client that is running or ended is
// shared when it started late enough, else the next one is. The checks
// after kills use it, with the time DCS answered the kill.
func (c *Client) SessionsSince(ctx context.Context, inst approvals.Instance, nodeID string, since time.Time) ([]approvals.Session, error) {
	ss, _, err := c.readScan(ctx, inst, nodeID, want{since: since})
	return ss, err
}

// SessionsBeforeKill is SessionsSince for a kill about to be sent to the
// node (the stale-target guard, with the time of the approval): from the
// end of the scan it reads until done is called, no scan of the node
// starts, so the kill is not held up by one. The caller calls done once
// the kill has been sent or will not be; after Params.BusyTimeout plus
// Params.Timeout the node is released anyway.
//
// only, when not empty, are the addresses the caller looks at: the
// sessions at other addresses may be left out. DCS is then asked for each
// address alone (ListClients with addr), unless the scan's readers name
// more than maxOnly addresses in all or one wants the whole list. DCS does
// not document how addr filters: an answer is searched for the address
// exactly, and where an address is not found in it, or the call fails,
// the whole list is read instead.
func (c *Client) SessionsBeforeKill(ctx context.Context, inst approvals.Instance, nodeID string, since time.Time, only []string) ([]approvals.Session, func(), error) {
	ss, h, err := c.readScan(ctx, inst, nodeID, want{since: since, guard: true, only: only})
	if err != nil {
		if h != nil {
			h.release()
		}
		return nil, nil, err
	}
	return ss, h.release, nil
}

// readScan joins a scan of node that w admits, waits for it, and reads the
// sessions w asks for from it.
func (c *Client) readScan(ctx context.Context, inst approvals.Instance, nodeID string, w want) ([]approvals.Session, *hold, error) {
	t, id, err := c.resolve(inst)
	if err != nil {
		return nil, nil, fmt.Errorf("list sessions: %w", err)
	}
	op := "list sessions on " + t.alias
	if nodeID == "" {
		return nil, nil, fmt.Errorf("%s: node ID is empty", op)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s: not sent: %w", op, err)
	}
	key := nodeKey{id, nodeID}
	run, h := c.board.join(key, w, func(r *scanRun) {
		// The scan belongs to every reader that joined it: its own
		// deadline bounds it and the reading of its list, not the first
		// reader's context.
		r.deadline = time.Now().Add(c.scanBound)
		rctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), r.deadline)
		defer cancel()
		r.fresh, r.err = c.scanFresh(rctx, t, key, r)
		if r.err == nil && c.board.wholeList(r) {
			// The readers that joined want the whole list: it is read
			// before the scan counts as ended.
			if lr, first := c.board.listing(r); first {
				c.readWhole(rctx, t, key, r, lr)
				r.err = lr.err // a scan whose list could not be read is not kept for others
			}
		}
	})
	select {
	case <-run.done:
	case <-ctx.Done():
		return nil, h, fmt.Errorf("%s: gave up waiting for the session scan: %w", op, ctx.Err())
	}
	if run.err != nil {
		return nil, h, run.err
	}
	if len(w.only) > 0 && !c.board.wholeList(run) {
		if ss, ok := c.readOnly(ctx, t, key, run.fresh, w.only); ok {
			return ss, h, nil
		}
	}
	ss, err := c.whole(ctx, op, t, key, run)
	return ss, h, err
}

// scanFresh scans node, for r's readers, and says which session lists
// come from that scan.
func (c *Client) scanFresh(ctx context.Context, t *target, key nodeKey, r *scanRun) (freshness, error) {
	op := "list sessions on " + t.alias
	start := time.Now()
	sc, err := c.startScan(ctx, t, key, func() { c.board.markSent(r) })
	if err != nil {
		return freshness{}, err
	}
	f, err := c.awaitScan(ctx, op, t, key, sc)
	if err != nil {
		return freshness{}, err
	}
	c.log.InfoContext(ctx, "dcs session scan ended", "instance", t.alias, "node_id", key.node, "job_id", sc.job,
		"fresh_by", f.by(), "list_time_before", sc.before, "readers", c.board.readers(r), "duration", time.Since(start))
	return f, nil
}

// whole returns the whole session list of run's scan, reading it once
// for all its readers (readWhole). When ctx ends first, whole returns at
// once; the reading goes on for the others.
func (c *Client) whole(ctx context.Context, op string, t *target, key nodeKey, run *scanRun) ([]approvals.Session, error) {
	lr, first := c.board.listing(run)
	if first {
		go func() {
			// Bounded by the scan's own deadline (Params.ScanBound from
			// its start), not by this reader's context.
			rctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), run.deadline)
			defer cancel()
			c.readWhole(rctx, t, key, run, lr)
		}()
	}
	select {
	case <-lr.done:
		if lr.err != nil {
			return nil, lr.err
		}
		return slices.Clone(lr.sessions), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: gave up waiting for the session list: %w", op, ctx.Err())
	}
}

// readWhole reads every page of a list that run's scan admits into lr.
func (c *Client) readWhole(ctx context.Context, t *target, key nodeKey, run *scanRun, lr *listRead) {
	defer close(lr.done)
	start := time.Now()
	op := "list sessions on " + t.alias
	out, first, pages, err := c.readList(ctx, op, t, key.instance, key.node, run.fresh)
	if err != nil {
		lr.err = err
		return
	}
	lr.sessions = out
	c.log.InfoContext(ctx, "dcs sessions read", "instance", t.alias, "node_id", key.node, "sessions", len(out),
		"pages", pages, "list_time", deref(first.Time), "readers", c.board.readers(run), "duration", time.Since(start))
}

// readOnly reads the sessions at addrs from a list f admits, asking DCS
// for each address alone (ListClients with addr). DCS does not document
// how addr filters (the whole address, a prefix, a part, or not at all),
// so each answer is searched for the address exactly. A session found so
// is the one at that address, however much the answer left out; ok is
// false, and the whole list is to be read instead, when an answer fails,
// is not admitted, or holds no session at the address: a session is never
// taken for gone on a filter's word.
func (c *Client) readOnly(ctx context.Context, t *target, key nodeKey, f freshness, addrs []string) (out []approvals.Session, ok bool) {
	for _, a := range addrs {
		page, err := c.listAddr(ctx, t, key.instance, key.node, a)
		if err != nil || !f.admits(deref(page.Time)) {
			c.log.DebugContext(ctx, "dcs session list by address not used; reading the whole list",
				"instance", t.alias, "node_id", key.node, "err", err)
			return nil, false
		}
		n := len(out)
		if page.Clients != nil {
			for _, ci := range *page.Clients {
				if deref(ci.Addr) == a {
					out = appendSessions(out, &[]model.ClientInfo{ci})
				}
			}
		}
		if len(out) == n {
			return nil, false
		}
	}
	return out, true
}

// readList reads every page of one snapshot that f admits, starting again
// when the list changes between pages.
func (c *Client) readList(ctx context.Context, op string, t *target, id, nodeID string, f freshness) ([]approvals.Session, *model.ListClientsResponse, int, error) {
	deadline := time.Now().Add(c.scanWait)
	for restart := 0; ; restart++ {
		first, err := c.firstPage(ctx, op, t, id, nodeID, f, deadline)
		if err != nil {
			return nil, nil, 0, err
		}
		out, pages, err := c.readPages(ctx, t, id, nodeID, first)
		if errors.Is(err, errListChanged) && restart < listRestarts {
			c.log.InfoContext(ctx, "dcs session list changed while read; reading again", "instance", t.alias, "node_id", nodeID)
			continue
		}
		if err != nil {
			return nil, nil, 0, fmt.Errorf("%s: %w", op, err)
		}
		return out, first, pages, nil
	}
}

// firstPage asks for the list's first page until DCS serves one that f
// admits, until deadline.
func (c *Client) firstPage(ctx context.Context, op string, t *target, id, nodeID string, f freshness, deadline time.Time) (*model.ListClientsResponse, error) {
	for n := 0; ; n++ {
		page, err := c.listPage(ctx, t, id, nodeID, 0, pageSize)
		switch {
		case err != nil && !busy(err):
			return nil, err
		case err == nil && f.admits(deref(page.Time)):
			return page, nil
		}
		if !time.Now().Before(deadline) {
			if err != nil {
				return nil, fmt.Errorf("%s: session list not served within %s of the scan: %w", op, seconds(c.scanWait), err)
			}
			return nil, fmt.Errorf("%s: the session list still shows the data of %s, from before the scan, after %s",
				op, deref(page.Time), seconds(c.scanWait))
		}
		if cerr := pause(ctx, backoff(n, pollBase, pollMax), deadline); cerr != nil {
			return nil, fmt.Errorf("%s: waiting for the session list: %w", op, cerr)
		}
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
		page, err := c.listPage(ctx, t, id, nodeID, len(out), pageSize)
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

// listPage reads one page of node's session list (ListClients).
func (c *Client) listPage(ctx context.Context, t *target, id, nodeID string, offset, limit int) (*model.ListClientsResponse, error) {
	req := &model.ListClientsRequest{InstanceId: id, NodeId: ptr(nodeID), Limit: ptr(int32(limit))}
	if offset > 0 {
		req.Offset = ptr(int32(offset))
	}
	return c.list(ctx, t, req)
}

// listAddr reads the first page of node's session list filtered by addr.
func (c *Client) listAddr(ctx context.Context, t *target, id, nodeID, addr string) (*model.ListClientsResponse, error) {
	return c.list(ctx, t, &model.ListClientsRequest{InstanceId: id, NodeId: ptr(nodeID),
		Limit: ptr(int32(pageSize)), Addr: ptr(addr)})
}

func (c *Client) list(ctx context.Context, t *target, req *model.ListClientsRequest) (*model.ListClientsResponse, error) {
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
