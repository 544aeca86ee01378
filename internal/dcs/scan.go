package dcs

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/exchange"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dcs/v2/model"

	"dcsbot/internal/approvals"
)

// scanStart is a session scan this client started.
type scanStart struct {
	job    string // its job_id; empty when DCS named none
	before string // the list's time read just before it started; empty when DCS served no list
	sent   time.Time
	rtt    time.Duration // how long ScanClients took to answer
}

// startScan reads the list's time, then starts a session scan of the node,
// calling sending just before each ScanClients. While DCS answers that a
// session task runs on the node it tries both again, with backoff and
// jitter, until Params.BusyTimeout has passed.
func (c *Client) startScan(ctx context.Context, t *target, key nodeKey, sending func()) (scanStart, error) {
	var s scanStart
	err := c.untilFree(ctx, t, key.node, time.Now().Add(c.busyTimeout), busy, nil, func() error {
		var err error
		if s.before, err = c.listTime(ctx, t, key.instance, key.node); err != nil {
			return err
		}
		sending()
		s.sent = time.Now()
		s.job, err = c.scan(ctx, t, key.instance, key.node)
		s.rtt = time.Since(s.sent)
		return err
	})
	return s, err
}

// listTime is the time of the list DCS serves for node now, or "" when it
// serves none (DCS.4957: no scan has finished, or one is running).
func (c *Client) listTime(ctx context.Context, t *target, id, nodeID string) (string, error) {
	page, err := c.listPage(ctx, t, id, nodeID, 0, 1)
	if busy(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return deref(page.Time), nil
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

// freshness says which session lists may be used after a scan.
type freshness struct {
	jobDone bool   // the scan's job reached SUCCESS: any list from now on
	before  string // else a list whose time is past this one; "" admits any
}

func (f freshness) admits(listTime string) bool {
	return f.jobDone || f.before == "" || newer(listTime, f.before)
}

// by says, for the logs, how the list was known to be fresh.
func (f freshness) by() string {
	if f.jobDone {
		return "job"
	}
	return "list time"
}

// awaitScan follows the scan's job until it ends, for up to
// Params.ScanWait. Where the job cannot be followed (no job ID, or DCS
// does not show it) the list's time will tell instead.
func (c *Client) awaitScan(ctx context.Context, op string, t *target, key nodeKey, sc scanStart) (freshness, error) {
	f := freshness{before: sc.before}
	if sc.job == "" {
		c.log.WarnContext(ctx, "dcs session scan named no job; the list's time will show when it ended",
			"instance", t.alias, "node_id", key.node)
		return f, nil
	}
	first, base := c.scanPolls(key, sc)
	job, err := c.pollJob(ctx, t, sc.job, time.Now().Add(c.scanWait), first, base)
	switch {
	case err == nil && job.Status == approvals.JobSuccess:
		f.jobDone = true
		if !job.Begin.IsZero() && job.End.After(job.Begin) {
			c.board.setTook(key, job.End.Sub(job.Begin))
		}
		return f, nil
	case err == nil:
		reason := strings.TrimSpace(job.FailReason)
		if reason == "" {
			reason = "DCS gave no reason"
		}
		return f, &explained{text: "the session scan on DCS failed: " + reason,
			err: fmt.Errorf("%s: session scan job %s failed: %s", op, sc.job, reason)}
	case errors.Is(err, errStillRunning):
		return f, &explained{text: fmt.Sprintf("the session scan on DCS did not finish within %s", seconds(c.scanWait)),
			err: fmt.Errorf("%s: session scan did not finish within %s (job %s is %s)", op, seconds(c.scanWait), sc.job, job.Status)}
	case ctx.Err() != nil:
		return f, fmt.Errorf("%s: %w", op, err)
	}
	c.log.WarnContext(ctx, "dcs session scan job cannot be read; the list's time will show when it ended",
		"instance", t.alias, "node_id", key.node, "job_id", sc.job, "err", err)
	return f, nil
}

// Reads of a scan's job, when the node's last scan took pollNear or more:
// the first once that time has passed (and half the round trip of
// starting the scan, so that the read reaches DCS after the job's end),
// then every pollNear, doubling up to pollMax. (DCS writes a job's times
// in milliseconds: shorter scans are read at once.)
const pollNear = 50 * time.Millisecond

// scanPolls says when to read the job of scan sc of key: the pause before
// the first read, and the base of the pauses after. Without a scan of the
// node seen before, or after a short one: at once, then after 200 ms,
// doubling up to 1 s.
func (c *Client) scanPolls(key nodeKey, sc scanStart) (first, base time.Duration) {
	took := c.board.took(key)
	if took < pollNear {
		return 0, pollBase
	}
	return time.Until(sc.sent.Add(took + sc.rtt/2)), pollNear
}

// newer says whether list time a is past list time b. Times DCS writes in
// a known layout (or as milliseconds) are compared as times; otherwise a
// time other than b counts as a later snapshot.
func newer(a, b string) bool {
	ta, okA := parseListTime(a)
	tb, okB := parseListTime(b)
	if okA && okB {
		return ta.After(tb)
	}
	return a != "" && a != b
}

var listTimeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"}

func parseListTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms), true
	}
	for _, l := range listTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
