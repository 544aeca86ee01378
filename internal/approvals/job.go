package approvals

import "time"

// Job statuses, as DCS's ShowJobInfo reports them.
const (
	JobInit    = "INIT"
	JobRunning = "RUNNING"
	JobSuccess = "SUCCESS"
	JobFail    = "FAIL"
)

// Job is an asynchronous DCS job, such as the one a kill-all runs as.
type Job struct {
	ID         string
	Status     string // JobInit, JobRunning, JobSuccess, JobFail
	FailReason string // DCS's fail_reason, for JobFail
	Begin, End time.Time
}

// Ended reports whether the job has reached SUCCESS or FAIL.
func (j Job) Ended() bool { return j.Status == JobSuccess || j.Status == JobFail }
