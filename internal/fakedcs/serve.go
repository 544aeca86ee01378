package fakedcs

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// This file holds the request path shared by every route: authentication,
// routing, programmed replies, latency and the writing of answers.

const maxBody = 1 << 20

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	latency := s.modes.latency
	s.mu.Unlock()
	if latency > 0 {
		w = &heldWriter{ResponseWriter: w, hold: func() { s.sleep(r, latency) }}
	}

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

	rt, ok := route(r)
	if !ok {
		s.writeJSON(w, Reply{}, http.StatusNotFound, errBody("APIGW.0101",
			"The API does not exist or has not been published in the environment"))
		return
	}
	if rt.api != APIJobInfo && !s.isKnown(rt.instanceID) {
		s.writeJSON(w, Reply{}, http.StatusNotFound, errBody("DCS.3022", "Instance does not exist."))
		return
	}

	s.mu.Lock()
	s.calls[rt.api]++
	n := s.calls[rt.api]
	s.bodies[rt.api] = append(s.bodies[rt.api], body)
	if rt.api == APIListClients {
		s.queries = append(s.queries, r.URL.Query())
	}
	program := s.replies[rt.api]
	s.mu.Unlock()

	switch rt.api {
	case APIKill:
		s.serveKill(w, r, rt.instanceID, body)
		return
	case APIKillAll:
		s.serveKillAll(w, r, rt.instanceID, body, program, n)
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
	switch rt.api {
	case APIListClients:
		s.serveList(w, r, rt.instanceID)
	case APIScanClients:
		s.serveScan(w, rt.instanceID, body)
	case APINodes:
		s.serveNodes(w, rt.instanceID)
	case APIJobInfo:
		s.serveJob(w, rt.jobID)
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

// target is what a request path names.
type target struct {
	api        string
	instanceID string // empty for ShowJobInfo
	jobID      string // ShowJobInfo only
}

// route names the API of r and what it acts on.
func route(r *http.Request) (target, bool) {
	// v2 / {project} / jobs / {job_id}
	// v2 / {project} / instances / {instance} / rest...
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if len(segs) == 4 && segs[0] == "v2" && segs[2] == "jobs" && segs[3] != "" && r.Method == http.MethodGet {
		return target{api: APIJobInfo, jobID: segs[3]}, true
	}
	if len(segs) < 5 || segs[0] != "v2" || segs[2] != "instances" || segs[3] == "" {
		return target{}, false
	}
	t := target{instanceID: segs[3]}
	rest := strings.Join(segs[4:], "/")
	switch {
	case r.Method == http.MethodPost && rest == "clients/kill":
		t.api = APIKill
	case r.Method == http.MethodPost && rest == "clients/kill-all":
		t.api = APIKillAll
	case r.Method == http.MethodGet && rest == "clients":
		t.api = APIListClients
	case r.Method == http.MethodPost && rest == "clients":
		t.api = APIScanClients
	case r.Method == http.MethodGet && rest == "logical-nodes":
		t.api = APINodes
	default:
		return target{}, false
	}
	return t, true
}

func (s *Server) isKnown(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.known == nil || s.known[id]
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

// sleep waits d, cut short when the client goes away or the server closes.
func (s *Server) sleep(r *http.Request, d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-r.Context().Done():
	case <-s.done:
	}
}

// heldWriter runs hold once before the answer's first byte (Latency).
type heldWriter struct {
	http.ResponseWriter
	hold func()
	once sync.Once
}

func (h *heldWriter) WriteHeader(code int) {
	h.once.Do(h.hold)
	h.ResponseWriter.WriteHeader(code)
}

func (h *heldWriter) Write(b []byte) (int, error) {
	h.once.Do(h.hold)
	return h.ResponseWriter.Write(b)
}

// Hijack lets abort drop the connection (without holding).
func (h *heldWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(h.ResponseWriter).Hijack()
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
