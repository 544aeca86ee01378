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
// DCS runs one session task (a session scan, a kill-all) on a node at a
// time, and refuses other session calls meanwhile with DCS.4957, doing
// nothing. The client reads that answer as "busy": it waits, with backoff
// and jitter, and asks again, for up to Params.BusyTimeout. That is the only
// answer after which a kill (HangUpClients, HangUpKillAllClients) is sent
// again; any other answer, or none, is final. Read-only calls are retried a
// few times, with backoff and jitter, on HTTP 429 and 5xx and on connections
// that could not be opened. Starting a session scan (ScanClients) counts as
// a read: it changes nothing but DCS's cached list.
//
// DCS lists a node's sessions from its last finished session scan, so
// Sessions starts a scan (clean_cache), follows its job (ShowJobInfo) and
// reads the list only once it is known to come from that scan (see
// Sessions). Within one Client, scans of a node are shared and never run
// two at a time (see board): each read says which scans will do for it (a
// recent one for previews and listings, one started after a given time
// for the re-read before a kill and the check after it). A kill waits for
// a running scan of its node, and kills come before queued scans: kills
// read for together are all sent before the node's next scan starts. A
// kill-all is a job on the DCS side: KillAll returns its job_id, and
// WaitJob follows it to its end.
package dcs

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	dcsv2 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dcs/v2"
	dcsregion "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dcs/v2/region"

	"dcsbot/internal/approvals"
)

// Params configure a Client.
type Params struct {
	Instances map[string]Endpoint // by instance alias
	AK, SK    string              // revealed secrets; never logged or put in errors
	Timeout   time.Duration       // per call (per attempt for retried reads); required
	// ScanWait bounds how long Sessions waits for DCS's session scan to
	// finish, and then for a list from it; required.
	ScanWait time.Duration
	// BusyTimeout bounds how long a scan start or a kill waits out a node
	// busy with a session task (DCS.4957); required.
	BusyTimeout time.Duration
	// ScanBound bounds one session scan of a node, from its start to the
	// last page of its list, for every reader that joined it
	// (config.HuaweiCloud.ScanBound); required.
	ScanBound time.Duration
	Logger    *slog.Logger // nil discards
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
	targets     map[string]*target // by alias
	timeout     time.Duration
	scanWait    time.Duration
	busyTimeout time.Duration
	scanBound   time.Duration
	board       *board // this client's session scans, by node
	log         *slog.Logger
	redact      *strings.Replacer
	onCall      func(api string, status int, d time.Duration)
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

// New builds one SDK client per distinct (URL, project ID). It returns every
// configuration problem at once, each naming its key.
func New(p Params) (*Client, error) {
	resolved, err := p.check()
	if err != nil {
		return nil, err
	}
	log := p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		targets:     map[string]*target{},
		timeout:     p.Timeout,
		scanWait:    p.ScanWait,
		busyTimeout: p.BusyTimeout,
		scanBound:   p.ScanBound,
		board:       newBoard(p.BusyTimeout + p.Timeout),
		log:         log,
		redact:      strings.NewReplacer(p.AK, "[redacted]", p.SK, "[redacted]"),
		onCall:      p.Observe,
	}
	type sdkKey struct{ url, project string }
	sdks := map[sdkKey]*dcsv2.DcsClient{}
	for _, a := range slices.Sorted(maps.Keys(resolved)) {
		ep := resolved[a]
		k := sdkKey{ep.URL, ep.ProjectID}
		sdk, ok := sdks[k]
		if !ok {
			sdk, err = buildSDK(ep, p.AK, p.SK, p.Timeout)
			if err != nil {
				// SDK messages do not carry the keys, but be sure.
				return nil, fmt.Errorf("dcs: instances[%q]: build SDK client: %s", a, c.redact.Replace(err.Error()))
			}
			sdks[k] = sdk
		}
		u, _ := url.Parse(ep.URL)
		c.targets[a] = &target{alias: a, ep: ep, host: u.Host, sdk: sdk}
	}
	return c, nil
}

// check returns each instance's endpoint with its URL resolved, or every
// problem with p.
func (p Params) check() (map[string]Endpoint, error) {
	var errs []error
	if p.AK == "" {
		errs = append(errs, errors.New("dcs: access key (AK) is empty"))
	}
	if p.SK == "" {
		errs = append(errs, errors.New("dcs: secret key (SK) is empty"))
	}
	if p.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("dcs: timeout is %s, want a positive duration", p.Timeout))
	}
	if p.ScanWait <= 0 {
		errs = append(errs, fmt.Errorf("dcs: scan wait is %s, want a positive duration", p.ScanWait))
	}
	if p.BusyTimeout <= 0 {
		errs = append(errs, fmt.Errorf("dcs: busy timeout is %s, want a positive duration", p.BusyTimeout))
	}
	if p.ScanBound <= 0 {
		errs = append(errs, fmt.Errorf("dcs: scan bound is %s, want a positive duration", p.ScanBound))
	}
	if len(p.Instances) == 0 {
		errs = append(errs, errors.New("dcs: no instances configured"))
	}
	resolved := map[string]Endpoint{}
	for _, a := range slices.Sorted(maps.Keys(p.Instances)) {
		ep, err := resolveEndpoint(a, p.Instances[a])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		resolved[a] = ep
	}
	return resolved, errors.Join(errs...)
}

// resolveEndpoint checks the endpoint of alias and resolves its URL. The
// bot's configuration always passes a URL (config resolves a region's
// endpoint itself); the region branch, with the SDK's own table, serves
// callers of New without the bot's configuration.
func resolveEndpoint(alias string, ep Endpoint) (Endpoint, error) {
	key := fmt.Sprintf("dcs: instances[%q]", alias)
	var errs []error
	if alias == "" {
		errs = append(errs, errors.New("dcs: an instance alias is empty"))
	}
	if ep.ProjectID == "" {
		errs = append(errs, fmt.Errorf("%s.project_id is empty", key))
	}
	if ep.InstanceID != "" && !approvals.ValidInstanceID(ep.InstanceID) {
		errs = append(errs, fmt.Errorf("%s.instance_id %q is not a DCS instance ID", key, ep.InstanceID))
	}
	switch {
	case ep.URL != "":
		u, err := url.Parse(ep.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			errs = append(errs, fmt.Errorf("%s.url %q is not an http(s) endpoint like https://dcs.cn-north-4.myhuaweicloud.com", key, ep.URL))
			break
		}
		ep.URL = u.Scheme + "://" + u.Host
	case ep.Region != "":
		reg, err := dcsregion.SafeValueOf(ep.Region)
		if err != nil || reg == nil || len(reg.Endpoints) == 0 {
			errs = append(errs, fmt.Errorf("%s.region %q is not a DCS region known to the SDK; set url", key, ep.Region))
			break
		}
		ep.URL = reg.Endpoints[0]
	default:
		errs = append(errs, fmt.Errorf("%s: set url or region", key))
	}
	return ep, errors.Join(errs...)
}

// idleConnsPerHost is how many idle connections to DCS are kept.
const idleConnsPerHost = 32

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
	// Kills approved together go out together, to one endpoint: keep their
	// connections (and TLS sessions) for the next burst rather than two.
	tr.MaxIdleConnsPerHost = idleConnsPerHost
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
	if !approvals.ValidInstanceID(id) {
		return nil, "", fmt.Errorf("instance ID %q for alias %q is not a DCS instance ID", id, inst.Alias)
	}
	return t, id, nil
}

var _ approvals.Explainer = (*explained)(nil)
