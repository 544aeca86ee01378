// Package fakedcs is an httptest fake of the Huawei Cloud DCS v2 session
// API, for tests that drive the real SDK. It checks the SDK-HMAC-SHA256
// signature of every request (re-implemented here, not borrowed from the
// SDK), records kills, runs session scans and kill-alls as jobs, and
// answers as a test programs it.
//
// Routes served, under /v2/{project_id}/instances/{instance_id}:
//
//	POST /clients/kill      HangUpClients         {"node_id","client_addrs"} -> 204
//	POST /clients/kill-all  HangUpKillAllClients  {"node_id","kill_all_nodes"} -> 200 {"job_id"}
//	POST /clients           ScanClients           {"node_id","clean_cache"} -> 200 {"job_id"}
//	GET  /clients           ListClients           ?node_id&offset&limit&addr&sort&order -> {"time","count","clients"}
//	GET  /logical-nodes     ShowNodesInformation  -> {"instance_id","total","nodes"}
//
// and GET /v2/{project_id}/jobs/{job_id} (ShowJobInfo) -> {"job_id",
// "job_type","status","begin_time","end_time","fail_reason"}, times in ms
// since the epoch as strings; end_time only once the job has ended,
// fail_reason only when it failed. A job ID the fake never issued gets
// 400 DCS.4800 (DCS documents no answer for it). Jobs, WaitJobs and
// WaitJobEnd show the jobs to a test.
//
// Jobs. A scan (ScanClients) and a kill-all (HangUpKillAllClients) each
// start a job: INIT for JobPlan.Init, RUNNING for JobPlan.Duration (or
// until FinishJob when JobPlan.Hold), then SUCCESS, or FAIL with a
// fail_reason when JobPlan.Fail. The default plan runs Options.ScanDelay or
// Options.KillAllDelay and succeeds; a zero plan ends before the call is
// answered. Options.ScanPlan, Options.KillAllPlan, SetScanPlan and
// SetKillAllPlan choose a plan per job.
//
// Session tasks. While a job is INIT or RUNNING it is the session task of
// its node (of every node of the instance for a kill-all of all nodes).
// During it a scan, a kill or a kill-all of that node is refused with 400
// DCS.4957 and does nothing (unless SetKill or SetReply programs an answer
// with a Status or Body). ListClients is not affected by a kill-all.
//
// Snapshots. ListClients serves the result of the node's last successful
// scan, a snapshot of the live sessions taken when the scan ended, with
// the time it was taken. Before a node's first scan it answers 400
// DCS.4957. While a scan runs, and after a failed scan, it answers as the
// node's ListMode says: ListRefuse (the default) answers 400 DCS.4957,
// ListPrevious serves the previous snapshot with its older time (400
// DCS.4957 if there is none). A scan with clean_cache true starts a new
// scan; without it, after a successful scan, no scan starts and the answer
// is that scan's job ID. Kills change the live sessions (SetClients,
// Clients), not the snapshot: a new scan shows them. A kill-all empties
// the live sessions of its node(s) when its job ends SUCCESS.
//
// Filtering by address. ListClients' addr keeps the sessions as
// SetAddrFilter says (DCS documents only "filter by client connection
// address"): FilterContains (the default) those whose addr contains it,
// FilterExact, FilterPrefix, FilterHost (the IP alone: an ip:port matches
// none), FilterIgnored (the whole list) or FilterRefused (400 DCS.4800).
// count is then the number kept. ListQueries shows each list's query.
//
// Kill matching. A kill removes the live sessions whose address is one of
// client_addrs: with MatchAddrOrPeer (the default) a session matches by
// addr or by peer; with MatchPeer only by peer (DCS documents client_addrs
// as the peer address), so a session with no Peer is never killed.
//
// Nodes. Once SetNodes (or SetCluster) has been called for an instance,
// the session routes accept only the node IDs it listed (NodeID, or
// LogicalNodeID when NodeID is empty) and answer 400 DCS.3053 to others.
// ProxyCluster builds a Proxy Cluster layout with two proxies, each with
// its own sessions.
//
// Faults. SetKill and SetReply program any answer (errors, delays, hangs,
// dropped connections) per call; Options.Latency holds every answer.
// Calls, CallCounts, Scans and ScansTotal count what was asked.
package fakedcs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"
)

// API names, as the SDK names the operations. They key SetReply and Calls.
const (
	APIKill        = "HangUpClients"
	APIKillAll     = "HangUpKillAllClients"
	APIListClients = "ListClients"
	APIScanClients = "ScanClients"
	APINodes       = "ShowNodesInformation"
	APIJobInfo     = "ShowJobInfo"
)

// ListMode is what ListClients answers for a node while a scan of it runs
// or after its last scan failed. DCS does not document which it does.
type ListMode int

const (
	// ListRefuse answers 400 DCS.4957.
	ListRefuse ListMode = iota
	// ListPrevious serves the last successful snapshot, with its time
	// (400 DCS.4957 when the node has none).
	ListPrevious
)

// AddrFilter is how ListClients' addr parameter filters the list: DCS
// documents only "filter by client connection address". count is the
// number of sessions that pass the filter.
type AddrFilter int

const (
	// FilterContains keeps the sessions whose addr contains the value.
	FilterContains AddrFilter = iota
	// FilterExact keeps the sessions whose addr is the value.
	FilterExact
	// FilterPrefix keeps the sessions whose addr starts with the value.
	FilterPrefix
	// FilterHost keeps the sessions whose IP is the value: an ip:port
	// matches none.
	FilterHost
	// FilterIgnored serves the whole list, as if addr were not given.
	FilterIgnored
	// FilterRefused answers 400 DCS.4800 to a list with addr.
	FilterRefused
)

// KillMatch is how HangUpClients matches client_addrs to sessions.
type KillMatch int

const (
	// MatchAddrOrPeer kills a session whose addr or peer is listed.
	MatchAddrOrPeer KillMatch = iota
	// MatchPeer kills a session only when its peer is listed.
	MatchPeer
)

// Options configure a Server. Each mode also has a setter usable while the
// server runs.
type Options struct {
	AK, SK    string // the only key pair accepted
	ProjectID string // the only project accepted, in the path and X-Project-Id
	// Instances are the known instance IDs; others get 404 DCS.3022. Empty
	// means every instance ID is known.
	Instances []string
	// Now is the server's clock for the X-Sdk-Date check and the times it
	// reports; time.Now if nil. Job durations and Latency run on the real
	// clock.
	Now func() time.Time
	// ScanDelay is how long a session scan job runs by default
	// (SetScanDelay). Zero means a scan ends before ScanClients is
	// answered (the next ListClients sees it), but one is still required.
	ScanDelay time.Duration
	// KillAllDelay is how long a kill-all job runs by default
	// (SetKillAllDelay). Zero means the sessions are gone before
	// HangUpKillAllClients is answered.
	KillAllDelay time.Duration
	// ScanPlan and KillAllPlan choose the plan of each job (SetScanPlan,
	// SetKillAllPlan); nil means JobCall.Plan, the default plan.
	ScanPlan, KillAllPlan func(JobCall) JobPlan
	// ListDuringScan is the default ListMode of every node
	// (SetListDuringScan, SetNodeListDuringScan).
	ListDuringScan ListMode
	// KillMatch is how kills match sessions (SetKillMatch).
	KillMatch KillMatch
	// Latency holds every answer this long before it is written, after the
	// request has been handled and after any Reply.Delay (SetLatency).
	Latency time.Duration
}

// KillCall is one well-formed HangUpClients request that passed
// authentication, whatever its answer.
type KillCall struct {
	InstanceID string
	NodeID     string
	Addrs      []string
	At         time.Time
}

// KillAllCall is one well-formed HangUpKillAllClients request that passed
// authentication, whatever its answer. NodeID is empty when the request
// carried none.
type KillAllCall struct {
	InstanceID string
	NodeID     string
	AllNodes   bool
	At         time.Time
}

// Reply programs one answer. The zero Reply means "answer as the real route
// would" (204 for a kill, the in-memory data for reads).
type Reply struct {
	Status    int    // HTTP status; 0 for the route's normal answer
	Code      string // error_code of an error body (Status >= 400)
	Message   string // error_msg of an error body
	RequestID string // X-Request-Id; a random one when empty
	// Body, when set, is sent as is instead of the normal or error body.
	Body []byte
	// Delay waits before answering (cut short if the client goes away).
	Delay time.Duration
	// Hang never answers: the handler waits until the client goes away or
	// the server closes, then drops the connection.
	Hang bool
	// Drop closes the connection without answering, after the request has
	// been read (and, for a kill, recorded).
	Drop bool
}

// Error is a Reply with a DCS-style error body.
func Error(status int, code, msg string) Reply {
	return Reply{Status: status, Code: code, Message: msg}
}

// Client is one Redis session as ListClients shows it (the SDK's ClientInfo).
type Client struct {
	ID       string `json:"id,omitempty"`
	Addr     string `json:"addr,omitempty"`
	Fd       string `json:"fd,omitempty"`
	Name     string `json:"name,omitempty"` // set by CLIENT SETNAME
	Cmd      string `json:"cmd,omitempty"`  // last command
	Age      int    `json:"age"`            // seconds connected
	Idle     int    `json:"idle"`           // seconds idle
	DB       string `json:"db,omitempty"`
	Flags    string `json:"flags,omitempty"`
	Sub      int    `json:"sub"`
	Psub     int    `json:"psub"`
	Multi    int    `json:"multi"`
	Qbuf     int    `json:"qbuf"`
	QbufFree int    `json:"qbuf_free"`
	Obl      int    `json:"obl"`
	Oll      int    `json:"oll"`
	Omem     int    `json:"omem"`
	Events   string `json:"events,omitempty"` // "r" or "w"
	Network  string `json:"network,omitempty"`
	Peer     string `json:"peer,omitempty"`
	User     string `json:"user,omitempty"`
}

// Node is one node as ShowNodesInformation shows it (the SDK's
// NodesInfoResp). A node with an empty NodeID (only LogicalNodeID) is sent
// without node_id.
type Node struct {
	LogicalNodeID  string `json:"logical_node_id,omitempty"`
	Name           string `json:"name,omitempty"`
	Status         string `json:"status,omitempty"` // Creating, Active, Inactive, Deleting, AddSharding
	AzCode         string `json:"az_code,omitempty"`
	NodeRole       string `json:"node_role,omitempty"` // redis-server, redis-proxy
	NodeType       string `json:"node_type,omitempty"` // master, slave, proxy
	NodeIP         string `json:"node_ip,omitempty"`
	NodePort       string `json:"node_port,omitempty"` // a string in the API
	NodeID         string `json:"node_id,omitempty"`
	PriorityWeight int    `json:"priority_weight"`
	IsAccess       bool   `json:"is_access"`
	GroupID        string `json:"group_id,omitempty"`
	GroupName      string `json:"group_name,omitempty"`
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	URL string // base URL, e.g. http://127.0.0.1:40123

	t    testing.TB
	opts Options // AK, SK, ProjectID, Now; the modes live below
	ts   *httptest.Server
	done chan struct{} // closed when Close starts; ends hangs

	closeOnce sync.Once

	mu       sync.Mutex
	closed   bool
	known    map[string]bool // nil: all known
	kill     func(KillCall) Reply
	replies  map[string]func(call int) Reply
	calls    map[string]int
	bodies   map[string][][]byte
	queries  []url.Values // of each ListClients call
	kills    []KillCall
	killAlls []KillAllCall
	changed  chan struct{} // closed and replaced on every kill, kill-all and job change
	badSigs  int
	nodes    map[string][]Node      // instance -> nodes (SetNodes)
	state    map[nodeKey]*nodeState // sessions, snapshot and modes of a node
	jobs     map[string]*job
	jobList  []*job                           // in start order
	active   map[*job]bool                    // INIT or RUNNING
	jobTypes map[string]int                   // job type -> jobs started
	scans    int                              // scan jobs started, all nodes
	modes    modes                            // server-wide modes
	plans    map[string]func(JobCall) JobPlan // job type -> plan program
}

// modes are the server-wide settings that setters change.
type modes struct {
	scanDelay, killAllDelay time.Duration
	list                    ListMode
	match                   KillMatch
	filter                  AddrFilter
	latency                 time.Duration
}

// nodeKey names a node of an instance.
type nodeKey struct{ instance, node string }

// nodeState is what the fake keeps for one node.
type nodeState struct {
	clients  []Client  // live sessions
	lastScan *job      // the node's last scan job, nil before the first
	hasSnap  bool      // a scan has succeeded
	snapshot []Client  // what the last successful scan saw
	snapAt   time.Time // when it ended (Options.Now)
	list     *ListMode // nil: the server's
	scans    int       // scan jobs started
}

// New starts a fake and closes it when the test ends.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	if o.AK == "" || o.SK == "" || o.ProjectID == "" {
		t.Fatal("fakedcs.New: AK, SK and ProjectID are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{
		t:        t,
		opts:     o,
		done:     make(chan struct{}),
		replies:  map[string]func(int) Reply{},
		calls:    map[string]int{},
		bodies:   map[string][][]byte{},
		changed:  make(chan struct{}),
		nodes:    map[string][]Node{},
		state:    map[nodeKey]*nodeState{},
		jobs:     map[string]*job{},
		active:   map[*job]bool{},
		jobTypes: map[string]int{},
		modes: modes{scanDelay: o.ScanDelay, killAllDelay: o.KillAllDelay,
			list: o.ListDuringScan, match: o.KillMatch, latency: o.Latency},
		plans: map[string]func(JobCall) JobPlan{JobTypeScan: o.ScanPlan, JobTypeKillAll: o.KillAllPlan},
	}
	if len(o.Instances) > 0 {
		s.known = map[string]bool{}
		for _, id := range o.Instances {
			s.known[id] = true
		}
	}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.ts.URL
	t.Cleanup(s.Close)
	return s
}

// Close ends hanging requests and running jobs' timers, and shuts the
// server down. It is idempotent.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		for j := range s.active {
			j.stopTimers()
		}
		s.mu.Unlock()
		close(s.done)
		s.ts.Close()
	})
}

// ---- programs and modes ----

// SetKill programs the answer to each HangUpClients call; nil restores the
// default. The function runs on the request's goroutine, without locks
// (it may call the Server). An answer with a Status or Body is sent as is
// (and, unless Status >= 400, the kill is done even during a scan); a zero
// Status and nil Body keep the route's own answer (204, or 400 DCS.4957
// during a session task), after Delay, Hang or Drop.
func (s *Server) SetKill(f func(KillCall) Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kill = f
}

// SetReply programs the answer to another API (APIListClients,
// APIScanClients, APINodes, APIKillAll, APIJobInfo); call is the 1-based
// count of authenticated calls to that API so far. A zero Reply serves
// normally (after its Delay); one with a Status or Body is sent instead of
// the route's answer; nil removes the program. A kill-all is recorded
// before its program runs and starts its job unless the Reply's Status is
// an error (as SetKill); a scan programmed with a Status or Body starts
// nothing.
func (s *Server) SetReply(api string, f func(call int) Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == nil {
		delete(s.replies, api)
		return
	}
	s.replies[api] = f
}

// SetScanDelay sets how long scan jobs started from now on run by default.
func (s *Server) SetScanDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.modes.scanDelay = d
}

// SetKillAllDelay sets how long kill-all jobs started from now on run by
// default.
func (s *Server) SetKillAllDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.modes.killAllDelay = d
}

// SetScanPlan programs the plan of each scan job started from now on; nil
// restores the default plan. f runs without locks and may call the Server.
func (s *Server) SetScanPlan(f func(JobCall) JobPlan) { s.setPlan(JobTypeScan, f) }

// SetKillAllPlan programs the plan of each kill-all job started from now
// on; nil restores the default plan. f runs without locks.
func (s *Server) SetKillAllPlan(f func(JobCall) JobPlan) { s.setPlan(JobTypeKillAll, f) }

func (s *Server) setPlan(typ string, f func(JobCall) JobPlan) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.plans[typ] = f
}

// SetListDuringScan sets the server-wide ListMode, for nodes without one
// of their own.
func (s *Server) SetListDuringScan(m ListMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.modes.list = m
}

// SetNodeListDuringScan sets the ListMode of one node, over the server's.
func (s *Server) SetNodeListDuringScan(instanceID, nodeID string, m ListMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodeLocked(instanceID, nodeID).list = &m
}

// SetAddrFilter sets how ListClients' addr parameter filters.
func (s *Server) SetAddrFilter(f AddrFilter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.modes.filter = f
}

// ListQueries returns the query of each authenticated ListClients call,
// oldest first.
func (s *Server) ListQueries() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]url.Values, len(s.queries))
	for i, q := range s.queries {
		out[i] = maps.Clone(q)
	}
	return out
}

// SetKillMatch sets how kills match sessions.
func (s *Server) SetKillMatch(m KillMatch) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.modes.match = m
}

// SetLatency sets how long every answer is held before it is written.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.modes.latency = d
}

// ---- what was asked ----

// Calls is how many authenticated requests reached api.
func (s *Server) Calls(api string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[api]
}

// CallCounts returns Calls of every API called so far.
func (s *Server) CallCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

// Scans is how many scan jobs were started on a node (refused scans and
// scans answered from the cache do not count).
func (s *Server) Scans(instanceID, nodeID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.state[nodeKey{instanceID, nodeID}]; st != nil {
		return st.scans
	}
	return 0
}

// ScansTotal is how many scan jobs were started on all nodes.
func (s *Server) ScansTotal() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scans
}

// Bodies returns the exact bodies of the authenticated requests to api,
// oldest first.
func (s *Server) Bodies(api string) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]byte, len(s.bodies[api]))
	for i, b := range s.bodies[api] {
		out[i] = slices.Clone(b)
	}
	return out
}

// Kills returns the recorded kill calls, oldest first.
func (s *Server) Kills() []KillCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]KillCall, len(s.kills))
	for i, k := range s.kills {
		k.Addrs = slices.Clone(k.Addrs)
		out[i] = k
	}
	return out
}

// KillAlls returns the recorded kill-all calls, oldest first.
func (s *Server) KillAlls() []KillAllCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.killAlls)
}

// BadSignatures is how many requests failed authentication.
func (s *Server) BadSignatures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.badSigs
}

// WaitKills waits until at least n kills are recorded and returns them. It
// gives up when ctx is done or the server closes.
func (s *Server) WaitKills(ctx context.Context, n int) ([]KillCall, error) {
	err := s.wait(ctx, func() bool { return len(s.kills) >= n }, fmt.Sprintf("%d kills", n))
	return s.Kills(), err
}

// WaitKillAlls waits until at least n kill-all calls are recorded and
// returns them. It gives up when ctx is done or the server closes.
func (s *Server) WaitKillAlls(ctx context.Context, n int) ([]KillAllCall, error) {
	err := s.wait(ctx, func() bool { return len(s.killAlls) >= n }, fmt.Sprintf("%d kill-all calls", n))
	return s.KillAlls(), err
}

// wait waits until done (called under s.mu) is true.
func (s *Server) wait(ctx context.Context, done func() bool, what string) error {
	for {
		s.mu.Lock()
		ok, ch := done(), s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-s.done:
			return fmt.Errorf("waiting for %s: %w", what, ErrClosed)
		}
	}
}

// notifyLocked wakes the waiters. s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// ErrClosed is what the Wait methods return if the server closes first.
var ErrClosed = errors.New("fakedcs: server closed")
