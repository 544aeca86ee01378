// Package fakedcs is an httptest fake of the Huawei Cloud DCS v2 session
// API, for tests that drive the real SDK. It checks the SDK-HMAC-SHA256
// signature of every request (re-implemented here, not borrowed from the
// SDK), records kills, and answers as a test programs it.
//
// Routes served, under /v2/{project_id}/instances/{instance_id}:
//
//	POST /clients/kill      HangUpClients         {"node_id","client_addrs"} -> 204
//	POST /clients/kill-all  HangUpKillAllClients  {"node_id","kill_all_nodes"} -> 200 {"job_id"}
//	POST /clients           ScanClients           {"node_id","clean_cache"} -> 200 {"job_id"}
//	GET  /clients           ListClients           ?node_id&offset&limit&addr&sort&order
//	GET  /logical-nodes     ShowNodesInformation
//
// Session lists work as on DCS: ListClients serves the result of the last
// session scan (ScanClients) of the node, a snapshot taken when the scan
// finished. Before a node's first scan, and while a scan runs
// (Options.ScanDelay), ListClients answers 400 DCS.4957. A scan with
// clean_cache true starts a new scan; without it a finished scan's
// snapshot is kept. Kills change the live sessions (SetClients, Clients),
// not the snapshot: a new scan shows them.
//
// Once SetNodes has been called for an instance, the session routes accept
// only the node IDs it listed (NodeID, or LogicalNodeID when NodeID is
// empty) and answer 400 DCS.3053 to others.
package fakedcs

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
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
)

// Options configure a Server.
type Options struct {
	AK, SK    string // the only key pair accepted
	ProjectID string // the only project accepted, in the path and X-Project-Id
	// Instances are the known instance IDs; others get 404 DCS.3022. Empty
	// means every instance ID is known.
	Instances []string
	// Now is the server's clock for the X-Sdk-Date check and the times it
	// reports; time.Now if nil. Scan delays run on the real clock.
	Now func() time.Time
	// ScanDelay is how long a session scan runs. Zero means a scan finishes
	// at once (the next ListClients sees it), but one is still required.
	ScanDelay time.Duration
}

// KillCall is one HangUpClients request that passed authentication.
type KillCall struct {
	InstanceID string
	NodeID     string
	Addrs      []string
	At         time.Time
}

// KillAllCall is one well-formed HangUpKillAllClients request that passed
// authentication. NodeID is empty when the request carried none.
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
	Name     string `json:"name,omitempty"`
	Cmd      string `json:"cmd,omitempty"`
	Age      int    `json:"age"`  // seconds connected
	Idle     int    `json:"idle"` // seconds idle
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

// Node is one node as ShowNodesInformation shows it (the SDK's NodesInfoResp).
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
	opts Options
	ts   *httptest.Server
	done chan struct{} // closed when Close starts; ends hangs

	closeOnce sync.Once

	mu       sync.Mutex
	known    map[string]bool // nil: all known
	kill     func(KillCall) Reply
	replies  map[string]func(call int) Reply
	calls    map[string]int
	bodies   map[string][][]byte
	kills    []KillCall
	killAlls []KillAllCall
	killed   chan struct{} // closed and replaced on every recorded kill or kill-all
	badSigs  int
	clients  map[string]map[string][]Client // instance -> node -> live sessions
	nodes    map[string][]Node              // instance -> nodes
	scans    map[string]map[string]*scan    // instance -> node -> last scan
	jobs     int
}

// scan is a node's last session scan.
type scan struct {
	job      string
	done     bool      // finished: snapshot is what ListClients serves
	at       time.Time // when it finished (Options.Now)
	snapshot []Client
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
		t:       t,
		opts:    o,
		done:    make(chan struct{}),
		replies: map[string]func(int) Reply{},
		calls:   map[string]int{},
		bodies:  map[string][][]byte{},
		killed:  make(chan struct{}),
		clients: map[string]map[string][]Client{},
		nodes:   map[string][]Node{},
		scans:   map[string]map[string]*scan{},
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

// Close ends hanging requests and shuts the server down. It is idempotent.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.ts.Close()
	})
}

// SetKill programs the answer to each HangUpClients call; nil restores the
// default (204). The function runs on the request's goroutine.
func (s *Server) SetKill(f func(KillCall) Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kill = f
}

// SetReply programs the answer to another API (APIListClients, APIScanClients,
// APINodes, APIKillAll); call is the 1-based count of authenticated calls
// to that API so far. A zero Reply serves normally; nil removes the program.
// A kill-all is recorded before its program runs, and empties the sessions
// unless the Reply's Status is an error (as SetKill).
func (s *Server) SetReply(api string, f func(call int) Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == nil {
		delete(s.replies, api)
		return
	}
	s.replies[api] = f
}

// Calls is how many authenticated requests reached api.
func (s *Server) Calls(api string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[api]
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

// WaitKills waits until at least n kills are recorded and returns them. It
// gives up when ctx is done or the server closes.
func (s *Server) WaitKills(ctx context.Context, n int) ([]KillCall, error) {
	err := s.wait(ctx, func() int { return len(s.kills) }, n, "kills")
	return s.Kills(), err
}

// WaitKillAlls waits until at least n kill-all calls are recorded and
// returns them. It gives up when ctx is done or the server closes.
func (s *Server) WaitKillAlls(ctx context.Context, n int) ([]KillAllCall, error) {
	err := s.wait(ctx, func() int { return len(s.killAlls) }, n, "kill-all calls")
	return s.KillAlls(), err
}

// wait waits until count (called under s.mu) reaches n.
func (s *Server) wait(ctx context.Context, count func() int, n int, what string) error {
	for {
		s.mu.Lock()
		got, ch := count(), s.killed
		s.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d %s, have %d: %w", n, what, got, ctx.Err())
		case <-s.done:
			return fmt.Errorf("waiting for %d %s, have %d: %w", n, what, got, ErrClosed)
		}
	}
}

// notifyLocked wakes the waiters. s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.killed)
	s.killed = make(chan struct{})
}

// BadSignatures is how many requests failed authentication.
func (s *Server) BadSignatures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.badSigs
}

// SetClients sets the live sessions of a node. ListClients shows them
// after the next scan of the node. A successful kill removes the killed
// sessions.
func (s *Server) SetClients(instanceID, nodeID string, cs []Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clients[instanceID] == nil {
		s.clients[instanceID] = map[string][]Client{}
	}
	s.clients[instanceID][nodeID] = slices.Clone(cs)
}

// ReplaceClient replaces the live session at addr on a node with c, as when
// a client disconnects and a new one reuses its ip:port: give c a new ID and
// a small Age. c.Addr is set to addr when empty. It reports whether a
// session was at addr. Like SetClients, it shows after the next scan.
func (s *Server) ReplaceClient(instanceID, nodeID, addr string, c Client) bool {
	if c.Addr == "" {
		c.Addr = addr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.clients[instanceID][nodeID]
	i := slices.IndexFunc(cs, func(x Client) bool { return x.Addr == addr })
	if i < 0 {
		return false
	}
	cs = slices.Clone(cs)
	cs[i] = c
	s.clients[instanceID][nodeID] = cs
	return true
}

// Clients returns the live sessions of a node.
func (s *Server) Clients(instanceID, nodeID string) []Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.clients[instanceID][nodeID])
}

// SetNodes sets the nodes ShowNodesInformation shows for an instance. From
// then on the session routes refuse other node IDs of the instance.
func (s *Server) SetNodes(instanceID string, ns []Node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodes[instanceID] = slices.Clone(ns)
}

// ---- serving ----

const maxBody = 1 << 20

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return // the client went away
	}
	if len(body) > maxBody {
		s.writeJSON(w, Reply{}, http.StatusRequestEntityTooLarge, errBody("APIGW.0201", "Request entity too large"))
		return
	}

	if reason := s.authenticate(r, body); reason != nil {
		s.mu.Lock()
		s.badSigs++
		s.mu.Unlock()
		s.t.Logf("fakedcs: %s %s refused: %v", r.Method, r.URL.Path, reason)
		s.writeJSON(w, Reply{}, http.StatusUnauthorized, errBody("APIGW.0301",
			"Incorrect IAM authentication information: verify aksk signature fail"))
		return
	}

	api, instanceID, ok := route(r)
	if !ok {
		s.writeJSON(w, Reply{}, http.StatusNotFound, errBody("APIGW.0101",
			"The API does not exist or has not been published in the environment"))
		return
	}
	if !s.isKnown(instanceID) {
		s.writeJSON(w, Reply{}, http.StatusNotFound, errBody("DCS.3022", "Instance does not exist."))
		return
	}

	s.mu.Lock()
	s.calls[api]++
	n := s.calls[api]
	s.bodies[api] = append(s.bodies[api], body)
	program := s.replies[api]
	s.mu.Unlock()

	switch api {
	case APIKill:
		s.serveKill(w, r, instanceID, body)
		return
	case APIKillAll:
		s.serveKillAll(w, r, instanceID, body, program, n)
		return
	}

	var rep Reply
	if program != nil {
		rep = program(n)
	}
	if !s.pause(w, r, rep) {
		return
	}
	if rep.Status != 0 || rep.Body != nil {
		s.writeReply(w, rep)
		return
	}
	switch api {
	case APIListClients:
		s.serveList(w, r, instanceID)
	case APIScanClients:
		s.serveScan(w, instanceID, body)
	case APINodes:
		s.serveNodes(w, instanceID)
	}
}

func (s *Server) authenticate(r *http.Request, body []byte) error {
	if err := verify(r, body, s.opts.AK, s.opts.SK, s.opts.Now()); err != nil {
		return err
	}
	if pid := r.Header.Get("X-Project-Id"); pid != s.opts.ProjectID {
		return fmt.Errorf("X-Project-Id %q is not the project %q", pid, s.opts.ProjectID)
	}
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if len(segs) < 2 || segs[1] != s.opts.ProjectID {
		return fmt.Errorf("path %q is not under project %q", r.URL.Path, s.opts.ProjectID)
	}
	return nil
}

// route names the API of r and its instance ID.
func route(r *http.Request) (api, instanceID string, ok bool) {
	// v2 / {project} / instances / {instance} / rest...
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if len(segs) < 5 || segs[0] != "v2" || segs[2] != "instances" || segs[3] == "" {
		return "", "", false
	}
	instanceID = segs[3]
	rest := strings.Join(segs[4:], "/")
	switch {
	case r.Method == http.MethodPost && rest == "clients/kill":
		return APIKill, instanceID, true
	case r.Method == http.MethodPost && rest == "clients/kill-all":
		return APIKillAll, instanceID, true
	case r.Method == http.MethodGet && rest == "clients":
		return APIListClients, instanceID, true
	case r.Method == http.MethodPost && rest == "clients":
		return APIScanClients, instanceID, true
	case r.Method == http.MethodGet && rest == "logical-nodes":
		return APINodes, instanceID, true
	}
	return "", "", false
}

func (s *Server) isKnown(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.known == nil || s.known[id]
}

// nodeKnown says whether node is a node of the instance: always, until
// SetNodes is called for it.
func (s *Server) nodeKnown(instanceID, node string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ns, ok := s.nodes[instanceID]
	if !ok {
		return true
	}
	return slices.ContainsFunc(ns, func(n Node) bool {
		id := n.NodeID
		if id == "" {
			id = n.LogicalNodeID
		}
		return id == node
	})
}

var (
	errWrongNode = errBody("DCS.3053", "The node ID is incorrect.")
	errTaskState = errBody("DCS.4957", "This operation is not allowed when the task is in the current state.")
)

func (s *Server) serveKill(w http.ResponseWriter, r *http.Request, instanceID string, body []byte) {
	var in struct {
		NodeID      *string   `json:"node_id"`
		ClientAddrs *[]string `json:"client_addrs"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.NodeID == nil || *in.NodeID == "" ||
		in.ClientAddrs == nil || len(*in.ClientAddrs) == 0 {
		s.writeJSON(w, Reply{}, http.StatusBadRequest, errBody("DCS.4800", "Invalid parameter: node_id and client_addrs are required."))
		return
	}
	call := KillCall{InstanceID: instanceID, NodeID: *in.NodeID, Addrs: slices.Clone(*in.ClientAddrs), At: s.opts.Now()}

	s.mu.Lock()
	s.kills = append(s.kills, call)
	s.notifyLocked()
	program := s.kill
	s.mu.Unlock()

	if !s.nodeKnown(instanceID, call.NodeID) {
		s.writeJSON(w, Reply{}, http.StatusBadRequest, errWrongNode)
		return
	}
	var rep Reply
	if program != nil {
		rep = program(KillCall{InstanceID: call.InstanceID, NodeID: call.NodeID, Addrs: slices.Clone(call.Addrs), At: call.At})
	}
	if rep.Status < 400 {
		// DCS did the kill, whether or not the answer gets back.
		s.removeClients(instanceID, call.NodeID, call.Addrs)
	}
	if !s.pause(w, r, rep) {
		return
	}
	if rep.Status != 0 || rep.Body != nil {
		s.writeReply(w, rep)
		return
	}
	setRequestID(w, rep)
	w.WriteHeader(http.StatusNoContent)
}

// removeClients removes from the live sessions of a node those whose addr
// or peer is one of addrs. (DCS documents client_addrs as the peer
// address; the fake accepts either.)
func (s *Server) removeClients(instanceID, nodeID string, addrs []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.clients[instanceID][nodeID]
	if cs == nil {
		return
	}
	s.clients[instanceID][nodeID] = slices.DeleteFunc(slices.Clone(cs), func(c Client) bool {
		return slices.Contains(addrs, c.Addr) || (c.Peer != "" && slices.Contains(addrs, c.Peer))
	})
}

func (s *Server) serveKillAll(w http.ResponseWriter, r *http.Request, instanceID string, body []byte, program func(int) Reply, n int) {
	var in struct {
		NodeID       *string `json:"node_id"`
		KillAllNodes *bool   `json:"kill_all_nodes"`
	}
	err := json.Unmarshal(body, &in)
	all := in.KillAllNodes != nil && *in.KillAllNodes
	node := ""
	if in.NodeID != nil {
		node = *in.NodeID
	}
	if err != nil || (!all && node == "") {
		s.writeJSON(w, Reply{}, http.StatusBadRequest, errBody("DCS.4800", "Invalid parameter: node_id is required unless kill_all_nodes is true."))
		return
	}
	s.mu.Lock()
	s.killAlls = append(s.killAlls, KillAllCall{InstanceID: instanceID, NodeID: node, AllNodes: all, At: s.opts.Now()})
	s.notifyLocked()
	s.mu.Unlock()

	if !all && !s.nodeKnown(instanceID, node) {
		s.writeJSON(w, Reply{}, http.StatusBadRequest, errWrongNode)
		return
	}
	var rep Reply
	if program != nil {
		rep = program(n)
	}
	if rep.Status < 400 {
		// DCS accepted the job, whether or not the answer gets back.
		s.mu.Lock()
		for nd := range s.clients[instanceID] {
			if all || nd == node {
				s.clients[instanceID][nd] = nil
			}
		}
		s.mu.Unlock()
	}
	if !s.pause(w, r, rep) {
		return
	}
	if rep.Status != 0 || rep.Body != nil {
		s.writeReply(w, rep)
		return
	}
	// The SDK decodes a body for this API: a 204 would fail it.
	s.writeJSON(w, rep, http.StatusOK, map[string]any{"job_id": s.newJob()})
}

func (s *Server) newJob() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobs++
	return fmt.Sprintf("ff8080%026x", s.jobs)
}

func (s *Server) serveScan(w http.ResponseWriter, instanceID string, body []byte) {
	var in struct {
		NodeID     string `json:"node_id"`
		CleanCache bool   `json:"clean_cache"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.NodeID == "" {
		s.writeJSON(w, Reply{}, http.StatusBadRequest, errBody("DCS.4800", "Invalid parameter: node_id is required."))
		return
	}
	if !s.nodeKnown(instanceID, in.NodeID) {
		s.writeJSON(w, Reply{}, http.StatusBadRequest, errWrongNode)
		return
	}
	job := s.newJob()

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.scans[instanceID] == nil {
		s.scans[instanceID] = map[string]*scan{}
	}
	last := s.scans[instanceID][in.NodeID]
	switch {
	case last != nil && !last.done:
		// A scan of the node is running.
		s.writeJSON(w, Reply{}, http.StatusBadRequest, errTaskState)
		return
	case last != nil && !in.CleanCache:
		// No new scan: the cached list stays.
		s.writeJSON(w, Reply{}, http.StatusOK, map[string]any{"job_id": last.job})
		return
	}
	sc := &scan{job: job}
	s.scans[instanceID][in.NodeID] = sc
	finish := func() {
		sc.snapshot = slices.Clone(s.clients[instanceID][in.NodeID])
		sc.at = s.opts.Now()
		sc.done = true
	}
	if s.opts.ScanDelay <= 0 {
		finish()
	} else {
		time.AfterFunc(s.opts.ScanDelay, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			finish()
		})
	}
	s.writeJSON(w, Reply{}, http.StatusOK, map[string]any{"job_id": job})
}

func (s *Server) serveList(w http.ResponseWriter, r *http.Request, instanceID string) {
	q := r.URL.Query()
	node := q.Get("node_id")
	if node == "" {
		s.writeJSON(w, Reply{}, http.StatusBadRequest, errBody("DCS.4800", "Invalid parameter: node_id is required."))
		return
	}
	offset, limit := 0, 10
	var err error
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			s.writeJSON(w, Reply{}, http.StatusBadRequest, errBody("DCS.4800", "Invalid parameter: offset."))
			return
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			s.writeJSON(w, Reply{}, http.StatusBadRequest, errBody("DCS.4800", "Invalid parameter: limit."))
			return
		}
	}
	if !s.nodeKnown(instanceID, node) {
		s.writeJSON(w, Reply{}, http.StatusBadRequest, errWrongNode)
		return
	}

	s.mu.Lock()
	sc := s.scans[instanceID][node]
	ready := sc != nil && sc.done
	var all []Client
	var at time.Time
	if ready {
		all, at = slices.Clone(sc.snapshot), sc.at
	}
	s.mu.Unlock()
	if !ready {
		s.writeJSON(w, Reply{}, http.StatusBadRequest, errTaskState)
		return
	}

	if addr := q.Get("addr"); addr != "" {
		all = slices.DeleteFunc(all, func(c Client) bool { return !strings.Contains(c.Addr, addr) })
	}
	desc := strings.EqualFold(q.Get("order"), "desc")
	switch q.Get("sort") {
	case "age":
		sort.SliceStable(all, func(i, j int) bool { return less(all[i].Age, all[j].Age, desc) })
	case "idle":
		sort.SliceStable(all, func(i, j int) bool { return less(all[i].Idle, all[j].Idle, desc) })
	case "addr":
		sort.SliceStable(all, func(i, j int) bool { return less(all[i].Addr, all[j].Addr, desc) })
	}
	total := len(all)
	page := []Client{}
	if offset < total {
		page = all[offset:min(total, offset+limit)]
	}
	s.writeJSON(w, Reply{}, http.StatusOK, map[string]any{
		"time":    at.UTC().Format("2006-01-02T15:04:05.000Z"),
		"count":   total,
		"clients": page,
	})
}

func less[T int | string](a, b T, desc bool) bool {
	if desc {
		return a > b
	}
	return a < b
}

func (s *Server) serveNodes(w http.ResponseWriter, instanceID string) {
	s.mu.Lock()
	ns := slices.Clone(s.nodes[instanceID])
	s.mu.Unlock()
	if ns == nil {
		ns = []Node{}
	}
	s.writeJSON(w, Reply{}, http.StatusOK, map[string]any{
		"instance_id": instanceID,
		"total":       len(ns),
		"nodes":       ns,
	})
}

// pause applies Delay, Hang and Drop. It returns false when the handler must
// not answer.
func (s *Server) pause(w http.ResponseWriter, r *http.Request, rep Reply) bool {
	if rep.Delay > 0 {
		timer := time.NewTimer(rep.Delay)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-r.Context().Done():
			return false
		case <-s.done:
			abort(w)
			return false
		}
	}
	if rep.Hang {
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		abort(w)
		return false
	}
	if rep.Drop {
		abort(w)
		return false
	}
	return true
}

// abort closes the connection without writing a response.
func abort(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func (s *Server) writeReply(w http.ResponseWriter, rep Reply) {
	status := rep.Status
	if status == 0 {
		status = http.StatusOK
	}
	if rep.Body != nil {
		setRequestID(w, rep)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(rep.Body)
		return
	}
	if status >= 400 {
		s.writeJSON(w, rep, status, errBody(rep.Code, rep.Message))
		return
	}
	setRequestID(w, rep)
	w.WriteHeader(status)
}

type errorBody struct {
	ErrorCode string `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
}

func errBody(code, msg string) errorBody { return errorBody{ErrorCode: code, ErrorMsg: msg} }

func (s *Server) writeJSON(w http.ResponseWriter, rep Reply, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		s.t.Errorf("fakedcs: encode answer: %v", err)
		status = http.StatusInternalServerError
	}
	setRequestID(w, rep)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func setRequestID(w http.ResponseWriter, rep Reply) {
	id := rep.RequestID
	if id == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	w.Header().Set("X-Request-Id", id)
}

// ErrClosed is what WaitKills returns if the server closes first.
var ErrClosed = errors.New("fakedcs: server closed")
