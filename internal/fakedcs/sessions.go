package fakedcs

import (
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// This file holds the live sessions of nodes and the session routes:
// HangUpClients, ScanClients and ListClients.

// nodeLocked returns the state of a node, creating it. s.mu must be held.
func (s *Server) nodeLocked(instanceID, nodeID string) *nodeState {
	k := nodeKey{instanceID, nodeID}
	st := s.state[k]
	if st == nil {
		st = &nodeState{}
		s.state[k] = st
	}
	return st
}

// SetClients sets the live sessions of a node. ListClients shows them
// after the next scan of the node. A successful kill removes the killed
// sessions.
func (s *Server) SetClients(instanceID, nodeID string, cs []Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodeLocked(instanceID, nodeID).clients = slices.Clone(cs)
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
	st := s.state[nodeKey{instanceID, nodeID}]
	if st == nil {
		return false
	}
	i := slices.IndexFunc(st.clients, func(x Client) bool { return x.Addr == addr })
	if i < 0 {
		return false
	}
	cs := slices.Clone(st.clients)
	cs[i] = c
	st.clients = cs
	return true
}

// Clients returns the live sessions of a node.
func (s *Server) Clients(instanceID, nodeID string) []Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.state[nodeKey{instanceID, nodeID}]; st != nil {
		return slices.Clone(st.clients)
	}
	return nil
}

// busyLocked says whether a session task (an INIT or RUNNING job) runs on
// the node; node "" with all set asks about every node of the instance.
// s.mu must be held.
func (s *Server) busyLocked(instanceID, node string, all bool) bool {
	for j := range s.active {
		if j.InstanceID == instanceID && (all || j.AllNodes || j.NodeID == node) {
			return true
		}
	}
	return false
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
	explicit := rep.Status != 0 || rep.Body != nil
	refused := false
	if rep.Status < 400 {
		// DCS does the kill, whether or not the answer gets back, unless
		// a session task runs on the node.
		refused = s.removeClients(instanceID, call.NodeID, call.Addrs, explicit)
	}
	if !s.pause(w, r, rep) {
		return
	}
	switch {
	case explicit:
		s.writeReply(w, rep)
	case refused:
		s.writeJSON(w, rep, http.StatusBadRequest, errTaskState)
	default:
		setRequestID(w, rep)
		w.WriteHeader(http.StatusNoContent)
	}
}

// removeClients removes from the live sessions of a node those that addrs
// name (by the KillMatch mode). Unless force, it does nothing and reports
// true when a session task runs on the node.
func (s *Server) removeClients(instanceID, nodeID string, addrs []string, force bool) (refused bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !force && s.busyLocked(instanceID, nodeID, false) {
		return true
	}
	st := s.state[nodeKey{instanceID, nodeID}]
	if st == nil {
		return false
	}
	peerOnly := s.modes.match == MatchPeer
	st.clients = slices.DeleteFunc(slices.Clone(st.clients), func(c Client) bool {
		if c.Peer != "" && slices.Contains(addrs, c.Peer) {
			return true
		}
		return !peerOnly && slices.Contains(addrs, c.Addr)
	})
	return false
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

	s.mu.Lock()
	st := s.nodeLocked(instanceID, in.NodeID)
	last := st.lastScan
	switch {
	case s.busyLocked(instanceID, in.NodeID, false):
		s.mu.Unlock()
		s.writeJSON(w, Reply{}, http.StatusBadRequest, errTaskState)
		return
	case last != nil && last.Status == JobSuccess && !in.CleanCache:
		// No new scan: the cached list stays.
		s.mu.Unlock()
		s.writeJSON(w, Reply{}, http.StatusOK, map[string]any{"job_id": last.ID})
		return
	}
	j := s.newJobLocked(JobTypeScan, instanceID, in.NodeID, false)
	st.lastScan = j
	st.scans++
	s.scans++
	s.mu.Unlock()

	s.runJob(j)
	s.writeJSON(w, Reply{}, http.StatusOK, map[string]any{"job_id": j.ID})
}

// scanEndedLocked takes the snapshot of a scan that ended SUCCESS. s.mu
// must be held.
func (s *Server) scanEndedLocked(j *job) {
	st := s.nodeLocked(j.InstanceID, j.NodeID)
	st.snapshot = slices.Clone(st.clients)
	st.snapAt = j.End
	st.hasSnap = true
}

// snapshotFor returns what ListClients serves for a node, or ok false for
// 400 DCS.4957.
func (s *Server) snapshotFor(instanceID, node string) (cs []Client, at time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state[nodeKey{instanceID, node}]
	if st == nil || st.lastScan == nil || !st.hasSnap {
		return nil, time.Time{}, false
	}
	if st.lastScan.Status != JobSuccess {
		mode := s.modes.list
		if st.list != nil {
			mode = *st.list
		}
		if mode != ListPrevious {
			return nil, time.Time{}, false
		}
	}
	return slices.Clone(st.snapshot), st.snapAt, true
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
	filter := s.modes.filter
	s.mu.Unlock()
	addr := q.Get("addr")
	if addr != "" && filter == FilterRefused {
		s.writeJSON(w, Reply{}, http.StatusBadRequest, errBody("DCS.4800", "Invalid parameter: addr."))
		return
	}
	all, at, ok := s.snapshotFor(instanceID, node)
	if !ok {
		s.writeJSON(w, Reply{}, http.StatusBadRequest, errTaskState)
		return
	}
	if addr != "" && filter != FilterIgnored {
		all = slices.DeleteFunc(all, func(c Client) bool { return !filter.keeps(c.Addr, addr) })
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
		"time":    at.UTC().Format(ListTimeFormat),
		"count":   total,
		"clients": page,
	})
}

// keeps reports whether a session at addr passes the filter value v.
func (f AddrFilter) keeps(addr, v string) bool {
	switch f {
	case FilterExact:
		return addr == v
	case FilterPrefix:
		return strings.HasPrefix(addr, v)
	case FilterHost:
		host, _, err := net.SplitHostPort(addr)
		return err == nil && host == v
	}
	return strings.Contains(addr, v)
}

// ListTimeFormat is the layout of ListClients' "time" (UTC).
const ListTimeFormat = "2006-01-02T15:04:05.000Z"

func less[T int | string](a, b T, desc bool) bool {
	if desc {
		return a > b
	}
	return a < b
}
