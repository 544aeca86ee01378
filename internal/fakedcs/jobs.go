package fakedcs

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// This file holds the asynchronous jobs (session scans and kill-alls), the
// HangUpKillAllClients route and ShowJobInfo.

// Job statuses, as ShowJobInfo reports them.
const (
	JobInit    = "INIT"
	JobRunning = "RUNNING"
	JobSuccess = "SUCCESS"
	JobFail    = "FAIL"
)

// Job types the fake reports in ShowJobInfo's job_type. DCS does not
// document the job types of session scans and kill-alls; these are
// stand-ins in the style of the documented ones (masterStandbySwapJob).
const (
	JobTypeScan    = "scanClientsJob"
	JobTypeKillAll = "killAllClientsJob"
)

// JobPlan says how one job runs: INIT for Init, then RUNNING for Duration
// (or, with Hold, until FinishJob), then it ends SUCCESS, or FAIL with
// FailReason when Fail is set. Only a scan that ends SUCCESS takes a
// snapshot, and only a kill-all that ends SUCCESS kills. A plan with no
// Init, no Duration and no Hold ends before the call that started it is
// answered.
type JobPlan struct {
	Init       time.Duration
	Duration   time.Duration
	Hold       bool
	Fail       bool
	FailReason string
}

// JobCall describes a job being started, for a plan program.
type JobCall struct {
	Type       string // JobTypeScan or JobTypeKillAll
	ID         string // the job_id the caller gets
	InstanceID string
	NodeID     string // empty for a kill-all of all nodes sent without one
	AllNodes   bool   // a kill-all of every node of the instance
	N          int    // 1-based count of jobs of this type started so far
	Plan       JobPlan
}

// Job is a job as the fake holds it. End is zero until it has ended.
type Job struct {
	ID         string
	Type       string
	InstanceID string
	NodeID     string
	AllNodes   bool
	Status     string // JobInit, JobRunning, JobSuccess, JobFail
	Begin, End time.Time
	FailReason string
}

// job is a Job with its plan and timers; guarded by Server.mu.
type job struct {
	Job
	n       int // JobCall.N
	plan    JobPlan
	planned bool // plan is set: the job is going
	timers  []*time.Timer
}

func (j *job) ended() bool { return j.Status == JobSuccess || j.Status == JobFail }

func (j *job) stopTimers() {
	for _, t := range j.timers {
		t.Stop()
	}
	j.timers = nil
}

// newJobLocked registers a job in INIT; it is a session task from now on.
// s.mu must be held.
func (s *Server) newJobLocked(typ, instanceID, nodeID string, all bool) *job {
	j := &job{Job: Job{
		ID:         fmt.Sprintf("ff8080%026x", len(s.jobList)+1),
		Type:       typ,
		InstanceID: instanceID,
		NodeID:     nodeID,
		AllNodes:   all,
		Status:     JobInit,
		Begin:      s.opts.Now(),
	}}
	s.jobs[j.ID] = j
	s.jobList = append(s.jobList, j)
	s.active[j] = true
	s.jobTypes[typ]++
	j.n = s.jobTypes[typ]
	s.notifyLocked()
	return j
}

// runJob asks the plan program for j's plan (without locks) and sets the
// job going. A plan with nothing to wait for ends j before runJob returns.
func (s *Server) runJob(j *job) {
	s.mu.Lock()
	def := s.modes.scanDelay
	if j.Type == JobTypeKillAll {
		def = s.modes.killAllDelay
	}
	call := JobCall{Type: j.Type, ID: j.ID, InstanceID: j.InstanceID, NodeID: j.NodeID, AllNodes: j.AllNodes,
		N: j.n, Plan: JobPlan{Duration: def}}
	program := s.plans[j.Type]
	s.mu.Unlock()

	plan := call.Plan
	if program != nil {
		plan = program(call)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	j.plan, j.planned = plan, true
	s.notifyLocked()
	s.afterLocked(j, plan.Init, func() {
		j.Status = JobRunning
		s.notifyLocked()
		if !plan.Hold {
			s.afterLocked(j, plan.Duration, func() { s.endJobLocked(j) })
		}
	})
}

// afterLocked runs f (under s.mu) after d, or now when d <= 0, unless j
// has ended or the server has closed by then. s.mu must be held.
func (s *Server) afterLocked(j *job, d time.Duration, f func()) {
	run := func() {
		if !j.ended() && !s.closed {
			f()
		}
	}
	if d <= 0 {
		run()
		return
	}
	j.timers = append(j.timers, time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		run()
	}))
}

// endJobLocked ends j as its plan says and applies its effect. s.mu must
// be held.
func (s *Server) endJobLocked(j *job) {
	if j.ended() {
		return
	}
	j.stopTimers()
	j.End = s.opts.Now()
	delete(s.active, j)
	if j.plan.Fail {
		j.Status, j.FailReason = JobFail, j.plan.FailReason
		s.notifyLocked()
		return
	}
	j.Status = JobSuccess
	switch j.Type {
	case JobTypeScan:
		s.scanEndedLocked(j)
	case JobTypeKillAll:
		for k, st := range s.state {
			if k.instance == j.InstanceID && (j.AllNodes || k.node == j.NodeID) {
				st.clients = nil
			}
		}
	}
	s.notifyLocked()
}

// FinishJob ends a job that has not ended, at once, as its plan says
// (SUCCESS, or FAIL with its FailReason): the way to end a job planned
// with Hold. A job is visible (Jobs, WaitJobs) a moment before its plan
// is known; FinishJob waits for the plan, so that the job ends as it says
// and is not set going again afterwards.
func (s *Server) FinishJob(id string) error {
	err := s.wait(context.Background(), func() bool {
		j := s.jobs[id]
		return j == nil || j.planned || j.ended()
	}, "the plan of job "+id)
	if err != nil {
		return fmt.Errorf("fakedcs: finish job %s: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[id]
	if j == nil {
		return fmt.Errorf("fakedcs: no job %q", id)
	}
	if j.ended() {
		return fmt.Errorf("fakedcs: job %s has already ended %s", id, j.Status)
	}
	s.endJobLocked(j)
	return nil
}

// Jobs returns every job started, oldest first.
func (s *Server) Jobs() []Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Job, len(s.jobList))
	for i, j := range s.jobList {
		out[i] = j.Job
	}
	return out
}

// WaitJobs waits until at least n jobs have been started and returns all
// jobs. It gives up when ctx is done or the server closes.
func (s *Server) WaitJobs(ctx context.Context, n int) ([]Job, error) {
	err := s.wait(ctx, func() bool { return len(s.jobList) >= n }, fmt.Sprintf("%d jobs", n))
	return s.Jobs(), err
}

// WaitJobEnd waits until the job id has ended and returns it. It gives up
// when ctx is done or the server closes.
func (s *Server) WaitJobEnd(ctx context.Context, id string) (Job, error) {
	var out Job
	err := s.wait(ctx, func() bool {
		j := s.jobs[id]
		if j != nil {
			out = j.Job
		}
		return j != nil && j.ended()
	}, "the end of job "+id)
	return out, err
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
	known := all || s.nodeKnown(instanceID, node)
	var rep Reply
	if known && program != nil {
		rep = program(n)
	}
	explicit := rep.Status != 0 || rep.Body != nil
	var j *job
	refused := false
	// The call is recorded, and whether DCS refuses it decided, at one
	// moment: whoever waits for the call sees the node as it found it.
	s.mu.Lock()
	s.killAlls = append(s.killAlls, KillAllCall{InstanceID: instanceID, NodeID: node, AllNodes: all, At: s.opts.Now()})
	if known && rep.Status < 400 {
		// DCS starts the job, whether or not the answer gets back, unless
		// a session task runs on a node it would touch.
		if !explicit && s.busyLocked(instanceID, node, all) {
			refused = true
		} else {
			j = s.newJobLocked(JobTypeKillAll, instanceID, node, all)
		}
	}
	s.notifyLocked()
	s.mu.Unlock()
	if !known {
		s.writeJSON(w, Reply{}, http.StatusBadRequest, errWrongNode)
		return
	}
	if j != nil {
		s.runJob(j)
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
		// The SDK decodes a body for this API: a 204 would fail it.
		s.writeJSON(w, rep, http.StatusOK, map[string]any{"job_id": j.ID})
	}
}

// serveJob answers ShowJobInfo. DCS does not document the answer for a job
// ID it never issued; its documented error statuses for this call include
// 400 and 404. The fake answers 400 DCS.4800 (invalid parameter), the code
// DCS gives for a path or body value it cannot use; program
// SetReply(APIJobInfo, ...) for another answer.
func (s *Server) serveJob(w http.ResponseWriter, id string) {
	s.mu.Lock()
	var info Job
	j := s.jobs[id]
	if j != nil {
		info = j.Job
	}
	s.mu.Unlock()
	if j == nil {
		s.writeJSON(w, Reply{}, http.StatusBadRequest, errBody("DCS.4800", "Invalid parameter: job_id."))
		return
	}
	out := map[string]any{
		"job_id":     info.ID,
		"job_type":   info.Type,
		"status":     info.Status,
		"begin_time": msString(info.Begin),
	}
	if !info.End.IsZero() {
		out["end_time"] = msString(info.End)
	}
	if info.Status == JobFail {
		out["fail_reason"] = info.FailReason
	}
	s.writeJSON(w, Reply{}, http.StatusOK, out)
}

// msString is t in milliseconds since the epoch, as ShowJobInfo writes it.
func msString(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
