// Package dcs talks to Huawei Cloud DCS (Distributed Cache Service) through
// the official Go SDK: it kills Redis client sessions for the approvals
// service and reads sessions and nodes.
//
// The SDK takes no context.Context. Each call is bounded by Params.Timeout
// (the SDK's http.Client timeout). A context is checked before a request is
// sent, and between retries of read-only calls; a request already sent is not
// abandoned when the context is cancelled. For a kill that is deliberate:
// on shutdown an in-flight kill finishes (or times out) so that its outcome
// can be recorded, instead of becoming unknown.
//
// A kill (HangUpClients, HangUpKillAllClients) is never retried. Read-only
// calls are retried a few times, with backoff and jitter, on HTTP 429 and
// 5xx and on connections that could not be opened. Starting a session scan
// (ScanClients) counts as a read: it changes nothing but DCS's cached list.
//
// DCS lists a node's sessions from its last session scan, so Sessions
// starts a scan (clean_cache), polls ListClients until the scan has
// finished, and reads every page. Kill-all is a job on the DCS side: a nil
// error from KillAll means DCS accepted the job (its job_id is logged).
package dcs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/exchange"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	dcsv2 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dcs/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dcs/v2/model"
	dcsregion "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dcs/v2/region"

	"dcsbot/internal/approvals"
)

// DefaultTimeout bounds one call when Params.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Params configure a Client.
type Params struct {
	Instances map[string]Endpoint // by instance alias
	AK, SK    string              // revealed secrets; never logged or put in errors
	Timeout   time.Duration       // per call (per attempt for retried reads); DefaultTimeout if zero
	// ScanWait bounds how long Sessions waits for DCS's session scan to
	// finish; twice the Timeout if zero.
	ScanWait time.Duration
	Logger   *slog.Logger // nil discards
	// Observe, if set, is told about every API call: its SDK name, the HTTP
	// status (0 when no answer came) and how long it took (metrics).
	Observe func(api string, status int, d time.Duration)
}

// Endpoint is where one instance lives.
type Endpoint struct {
	// InstanceID is the DCS instance ID. When set, a request for the alias
	// must carry the same ID (or none).
	InstanceID string
	ProjectID  string // required: the SDK must never look it up
	// Region is used to find the endpoint when URL is empty (e.g. cn-north-4).
	Region string
	// URL is the DCS endpoint, e.g. https://dcs.cn-north-4.myhuaweicloud.com,
	// or http://127.0.0.1:port in tests.
	URL string
}

// Client is a DCS client for the configured instances. It is safe for
// concurrent use.
type Client struct {
	targets  map[string]*target // by alias
	sdks     int                // distinct SDK clients built (one per URL and project)
	timeout  time.Duration
	scanWait time.Duration
	log      *slog.Logger
	redact   *strings.Replacer
	onCall   func(api string, status int, d time.Duration)
}

var (
	_ approvals.Killer        = (*Client)(nil)
	_ approvals.SessionReader = (*Client)(nil)
)

type target struct {
	alias string
	ep    Endpoint
	host  string // endpoint host, for messages
	sdk   *dcsv2.DcsClient
}

// Retries of read-only calls.
const (
	readAttempts = 3
	backoffBase  = 200 * time.Millisecond
	backoffMax   = 2 * time.Second
)

var instanceIDRe = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// New builds one SDK client per distinct (URL, project ID). It returns every
// configuration problem at once, each naming its key.
func New(p Params) (*Client, error) {
	var errs []error
	if p.AK == "" {
		errs = append(errs, errors.New("dcs: access key (AK) is empty"))
	}
	if p.SK == "" {
		errs = append(errs, errors.New("dcs: secret key (SK) is empty"))
	}
	if p.Timeout < 0 {
		errs = append(errs, fmt.Errorf("dcs: timeout %s is negative", p.Timeout))
	}
	if p.ScanWait < 0 {
		errs = append(errs, fmt.Errorf("dcs: scan wait %s is negative", p.ScanWait))
	}
	if len(p.Instances) == 0 {
		errs = append(errs, errors.New("dcs: no instances configured"))
	}

	aliases := make([]string, 0, len(p.Instances))
	for a := range p.Instances {
		aliases = append(aliases, a)
	}
	slices.Sort(aliases)

	resolved := map[string]Endpoint{}
	for _, a := range aliases {
		ep := p.Instances[a]
		key := fmt.Sprintf("dcs: instances[%q]", a)
		if a == "" {
			errs = append(errs, errors.New("dcs: an instance alias is empty"))
		}
		if ep.ProjectID == "" {
			errs = append(errs, fmt.Errorf("%s.project_id is empty", key))
		}
		if ep.InstanceID != "" && !instanceIDRe.MatchString(ep.InstanceID) {
			errs = append(errs, fmt.Errorf("%s.instance_id %q is not a DCS instance ID", key, ep.InstanceID))
		}
		switch {
		case ep.URL != "":
			u, err := url.Parse(ep.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
				(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
				errs = append(errs, fmt.Errorf("%s.url %q is not an http(s) endpoint like https://dcs.cn-north-4.myhuaweicloud.com", key, ep.URL))
				continue
			}
			ep.URL = u.Scheme + "://" + u.Host
		case ep.Region != "":
			reg, err := dcsregion.SafeValueOf(ep.Region)
			if err != nil || reg == nil || len(reg.Endpoints) == 0 {
				errs = append(errs, fmt.Errorf("%s.region %q is not a DCS region known to the SDK; set url", key, ep.Region))
				continue
			}
			ep.URL = reg.Endpoints[0]
		default:
			errs = append(errs, fmt.Errorf("%s: set url or region", key))
			continue
		}
		resolved[a] = ep
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	timeout := p.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	scanWait := p.ScanWait
	if scanWait == 0 {
		scanWait = 2 * timeout
	}
	log := p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		targets:  map[string]*target{},
		timeout:  timeout,
		scanWait: scanWait,
		log:      log,
		redact:   strings.NewReplacer(p.AK, "[redacted]", p.SK, "[redacted]"),
		onCall:   p.Observe,
	}

	type sdkKey struct{ url, project string }
	sdks := map[sdkKey]*dcsv2.DcsClient{}
	for _, a := range aliases {
		ep := resolved[a]
		k := sdkKey{ep.URL, ep.ProjectID}
		sdk, ok := sdks[k]
		if !ok {
			var err error
			sdk, err = buildSDK(ep, p.AK, p.SK, timeout)
			if err != nil {
				// SDK messages do not carry the keys, but be sure.
				return nil, fmt.Errorf("dcs: instances[%q]: build SDK client: %s", a, c.redact.Replace(err.Error()))
			}
			sdks[k] = sdk
		}
		u, _ := url.Parse(ep.URL)
		c.targets[a] = &target{alias: a, ep: ep, host: u.Host, sdk: sdk}
	}
	c.sdks = len(sdks)
	return c, nil
}

func buildSDK(ep Endpoint, ak, sk string, timeout time.Duration) (*dcsv2.DcsClient, error) {
	cred, err := basic.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithProjectId(ep.ProjectID).SafeBuild()
	if err != nil {
		return nil, err
	}
	// Our own transport: the SDK's default one ignores HTTPS_PROXY and has no
	// dial or TLS handshake timeouts. The http.Client timeout still bounds
	// the whole call. Idle connections are dropped well before a load
	// balancer's idle timeout (60 s is common): a kill written to a connection
	// the far end has just closed would end as an unknown outcome.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.IdleConnTimeout = 30 * time.Second
	hc := config.DefaultHttpConfig().
		WithTimeout(timeout).
		WithHttpTransport(tr).
		WithUserAgent("dcsbot")
	hcc, err := dcsv2.DcsClientBuilder().
		WithEndpoints([]string{ep.URL}).
		WithCredential(cred).
		WithHttpConfig(hc).
		SafeBuild()
	if err != nil {
		return nil, err
	}
	return dcsv2.NewDcsClient(hcc), nil
}

// resolve finds the target of inst and the instance ID to use.
func (c *Client) resolve(inst approvals.Instance) (*target, string, error) {
	t, ok := c.targets[inst.Alias]
	if !ok {
		return nil, "", fmt.Errorf("DCS instance alias %q is not configured", inst.Alias)
	}
	id := inst.ID
	switch {
	case id == "":
		id = t.ep.InstanceID
	case t.ep.InstanceID != "" && id != t.ep.InstanceID:
		return nil, "", fmt.Errorf("instance ID %q does not match the ID configured for alias %q", id, inst.Alias)
	}
	if id == "" {
		return nil, "", fmt.Errorf("no instance ID for alias %q", inst.Alias)
	}
	if !instanceIDRe.MatchString(id) {
		return nil, "", fmt.Errorf("instance ID %q for alias %q is not a DCS instance ID", id, inst.Alias)
	}
	return t, id, nil
}

// Kill asks DCS to close the sessions at addrs on node (HangUpClients). It
// sends one request and never retries it. A cancelled ctx stops the kill
// only before it is sent.
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
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: not sent: %w", op, err)
	}
	req := &model.HangUpClientsRequest{
		InstanceId: id,
		Body:       &model.HangUpClientsRequestBody{NodeId: nodeID, ClientAddrs: slices.Clone(addrs)},
	}
	return c.write(ctx, op, "HangUpClients", t, c.log.With("api", "HangUpClients", "instance", t.alias, "node_id", nodeID, "addrs", len(addrs)),
		func() (*exchange.SdkExchange, error) {
			inv := t.sdk.HangUpClientsInvoker(req)
			_, err := inv.Invoke()
			return inv.Exchange, err
		})
}

// KillAll asks DCS to close every session on node, or on every node of the
// instance when allNodes is true (nodeID must then be empty)
// (HangUpKillAllClients). DCS runs the kill as a job: a nil error means it
// accepted the job. It sends one request and never retries it. A cancelled
// ctx stops it only before it is sent.
func (c *Client) KillAll(ctx context.Context, inst approvals.Instance, nodeID string, allNodes bool) error {
	t, id, err := c.resolve(inst)
	if err != nil {
		return fmt.Errorf("kill all sessions: %w", err)
	}
	op := "kill all sessions on " + t.alias
	switch {
	case allNodes && nodeID != "":
		return fmt.Errorf("%s: node ID %q given for a kill on all nodes", op, nodeID)
	case !allNodes && nodeID == "":
		return fmt.Errorf("%s: node ID is empty", op)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: not sent: %w", op, err)
	}
	body := &model.HangUpKillAllClientsRequestBody{KillAllNodes: ptr(allNodes)}
	if !allNodes {
		body.NodeId = ptr(nodeID)
	}
	req := &model.HangUpKillAllClientsRequest{InstanceId: id, Body: body}
	var job string
	log := c.log.With("api", "HangUpKillAllClients", "instance", t.alias, "node_id", nodeID, "all_nodes", allNodes)
	err = c.write(ctx, op, "HangUpKillAllClients", t, log, func() (*exchange.SdkExchange, error) {
		inv := t.sdk.HangUpKillAllClientsInvoker(req)
		resp, err := inv.Invoke()
		if resp != nil {
			job = jobID(resp.Body)
		}
		return inv.Exchange, err
	})
	if err == nil && job != "" {
		log.InfoContext(ctx, "dcs kill-all job accepted", "job_id", job)
	}
	return err
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

// Nodes lists the nodes of an instance (ShowNodesInformation). A node's ID
// is its node_id, which the session APIs take, or its logical_node_id when
// node_id is empty.
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
				ID:   deref(n.NodeId),
				Name: deref(n.Name),
				IP:   deref(n.NodeIp),
				Port: deref(n.NodePort),
			}
			if node.ID == "" {
				node.ID = deref(n.LogicalNodeId)
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

// read runs a read-only call, retrying it on 429, 5xx and connections that
// could not be opened, with exponential backoff and full jitter. ctx is
// checked before each attempt and cuts the waits short.
func (c *Client) read(ctx context.Context, op string, t *target, api string, call func() (*exchange.SdkExchange, error)) error {
	var err error
	for attempt := 1; ; attempt++ {
		if cerr := ctx.Err(); cerr != nil {
			if err != nil {
				return fmt.Errorf("%s: gave up after attempt %d (%w): %w", op, attempt-1, cerr, err)
			}
			return fmt.Errorf("%s: not sent: %w", op, cerr)
		}
		start := time.Now()
		var exch *exchange.SdkExchange
		exch, err = call()
		status, rid := callInfo(exch, err)
		c.observe(api, status, time.Since(start))
		if err == nil {
			c.log.DebugContext(ctx, "dcs call", "api", api, "instance", t.alias, "status", status,
				"dcs_request_id", rid, "duration", time.Since(start), "attempt", attempt)
			return nil
		}
		err = c.mapErr(op, t, err)
		c.log.DebugContext(ctx, "dcs call failed", "api", api, "instance", t.alias, "status", status,
			"dcs_request_id", rid, "duration", time.Since(start), "attempt", attempt, "err", err)
		if attempt >= readAttempts || !retryable(err) {
			return err
		}
		d := min(backoffMax, backoffBase<<(attempt-1))
		d = d/2 + rand.N(d/2+1) // jitter in [d/2, d]
		timer := time.NewTimer(d)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
		}
	}
}

func (c *Client) observe(api string, status int, d time.Duration) {
	if c.onCall != nil {
		c.onCall(api, status, d)
	}
}

// retryable says whether a mapped error from a read-only call is worth
// another try.
func retryable(err error) bool {
	var de *approvals.DCSError
	if errors.As(err, &de) {
		return de.HTTPStatus == http.StatusTooManyRequests || de.HTTPStatus >= 500
	}
	var ns *notSentError
	return errors.As(err, &ns)
}

// callInfo pulls the HTTP status and DCS request ID of a call.
func callInfo(exch *exchange.SdkExchange, err error) (int, string) {
	var sre *sdkerr.ServiceResponseError
	if errors.As(err, &sre) {
		return sre.StatusCode, sre.RequestId
	}
	if exch != nil && exch.ApiReference != nil {
		return exch.ApiReference.StatusCode, exch.ApiReference.RequestId
	}
	return 0, ""
}

// notSentError is a transport failure before the request left: DCS never
// saw it.
// explained carries, beside the error, a sentence for people
// (approvals.Explainer): the thread shows it instead of Go's error text.
type explained struct {
	text string
	err  error
}

func (e *explained) Error() string   { return e.err.Error() }
func (e *explained) Unwrap() error   { return e.err }
func (e *explained) Explain() string { return e.text }

var _ approvals.Explainer = (*explained)(nil)

type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// maxMessage bounds a DCS message kept in an error (an unparseable answer
// becomes the message whole).
const maxMessage = 300

// mapErr turns an SDK error into the bot's terms:
//   - an HTTP error answer becomes *approvals.DCSError;
//   - a failure to open the connection (refused, DNS, TLS) is a plain error:
//     the request never left;
//   - a timeout, or a connection that failed once open, wraps
//     approvals.ErrOutcomeUnknown: the request may have been acted on.
//
// Every error text is scrubbed of the AK and SK.
func (c *Client) mapErr(op string, t *target, err error) error {
	var sre *sdkerr.ServiceResponseError
	if errors.As(err, &sre) {
		msg := c.redact.Replace(sre.ErrorMessage)
		if len(msg) > maxMessage {
			msg = msg[:maxMessage] + "…"
		}
		de := &approvals.DCSError{
			HTTPStatus: sre.StatusCode,
			Code:       c.redact.Replace(sre.ErrorCode),
			Message:    msg,
			RequestID:  sre.RequestId,
		}
		return &redacted{err: fmt.Errorf("%s: %w", op, de), r: c.redact}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		cause := ue.Err
		if cause == nil {
			cause = ue
		}
		switch {
		case neverSent(ue):
			return &explained{text: "the bot could not reach DCS (connection refused, DNS or TLS failure), so nothing was sent",
				err: &redacted{err: fmt.Errorf("%s: could not reach DCS at %s: %w", op, t.host, &notSentError{cause}), r: c.redact}}
		case ue.Timeout():
			return &explained{text: "no answer within " + seconds(c.timeout),
				err: &redacted{err: fmt.Errorf("%s: %w: no answer within %s", op, approvals.ErrOutcomeUnknown, seconds(c.timeout)), r: c.redact}}
		default:
			return &explained{text: "the connection to DCS broke after the request was sent",
				err: &redacted{err: fmt.Errorf("%s: %w: connection to %s failed after the request was sent: %w",
					op, approvals.ErrOutcomeUnknown, t.host, cause), r: c.redact}}
		}
	}
	// Errors from building or signing the request: nothing was sent.
	return &redacted{err: fmt.Errorf("%s: %w", op, err), r: c.redact}
}

// neverSent says whether a transport error happened before any byte of the
// request was written: dialling, name resolution, a proxy or TLS handshake.
// A timeout that fires while dialling is not recognisable as such (the
// http.Client flattens it) and counts as possibly sent.
func neverSent(ue *url.Error) bool {
	var dnsErr *net.DNSError
	if errors.As(ue, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	if errors.As(ue, &opErr) && (opErr.Op == "dial" || opErr.Op == "proxyconnect") {
		return true
	}
	var (
		certErr    *tls.CertificateVerificationError
		unknownCA  x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalidErr x509.CertificateInvalidError
		recordErr  tls.RecordHeaderError
		alertErr   tls.AlertError
	)
	return errors.As(ue, &certErr) || errors.As(ue, &unknownCA) || errors.As(ue, &hostErr) ||
		errors.As(ue, &invalidErr) || errors.As(ue, &recordErr) || errors.As(ue, &alertErr)
}

// redacted scrubs the secrets out of an error's text and keeps its chain.
type redacted struct {
	err error
	r   *strings.Replacer
}

func (e *redacted) Error() string { return e.r.Replace(e.err.Error()) }
func (e *redacted) Unwrap() error { return e.err }

func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
}

func ptr[T any](v T) *T { return &v }

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func deref32(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}
