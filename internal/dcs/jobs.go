package dcs

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/exchange"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dcs/v2/model"

	"dcsbot/internal/approvals"
)

// jobPollMax is the longest pause between two reads of a kill-all's job.
const jobPollMax = 3 * time.Second

// errStillRunning is a job that had not ended by the deadline.
var errStillRunning = errors.New("the job has not ended")

// WaitJob follows a DCS job (ShowJobInfo) until it ends SUCCESS or FAIL,
// reading it again after 200 ms, doubling up to 3 s. It returns the job as
// last read; when ctx ends first, the job so far with ctx's error. Reads
// that fail for a while (429, 5xx, no answer) do not end the wait; a DCS
// answer that refuses to show the job (a 4xx) does.
func (c *Client) WaitJob(ctx context.Context, inst approvals.Instance, jobID string) (approvals.Job, error) {
	t, _, err := c.resolve(inst)
	if err != nil {
		return approvals.Job{ID: jobID}, fmt.Errorf("follow job %s: %w", jobID, err)
	}
	if jobID == "" {
		return approvals.Job{}, fmt.Errorf("follow a job on %s: job ID is empty", t.alias)
	}
	last := approvals.Job{ID: jobID}
	for n := 0; ; n++ {
		job, err := c.jobInfo(ctx, t, jobID)
		switch {
		case err == nil && job.Ended():
			return job, nil
		case err == nil:
			last = job
		case ctx.Err() == nil && !retryable(err) && !errors.Is(err, approvals.ErrOutcomeUnknown):
			return last, err
		default:
			c.log.WarnContext(ctx, "dcs job not read; trying again", "instance", t.alias, "job_id", jobID, "err", err)
		}
		if cerr := pause(ctx, backoff(n, pollBase, jobPollMax), time.Time{}); cerr != nil {
			return last, fmt.Errorf("follow job %s on %s: %w (last status %s)", jobID, t.alias, cerr, orUnknown(last.Status))
		}
	}
}

// pollJob reads the job until it ends or deadline passes (errStillRunning):
// first after the pause first, then pausing base, doubling up to 1 s,
// between reads.
func (c *Client) pollJob(ctx context.Context, t *target, jobID string, deadline time.Time, first, base time.Duration) (approvals.Job, error) {
	if cerr := pause(ctx, first, deadline); cerr != nil {
		return approvals.Job{ID: jobID}, fmt.Errorf("follow job %s: %w", jobID, cerr)
	}
	for n := 0; ; n++ {
		job, err := c.jobInfo(ctx, t, jobID)
		if err != nil || job.Ended() {
			return job, err
		}
		if !time.Now().Before(deadline) {
			return job, errStillRunning
		}
		if cerr := pause(ctx, backoff(n, base, pollMax), deadline); cerr != nil {
			return job, fmt.Errorf("follow job %s: %w", jobID, cerr)
		}
	}
}

// jobInfo reads a job once (ShowJobInfo), a read like any other.
func (c *Client) jobInfo(ctx context.Context, t *target, jobID string) (approvals.Job, error) {
	req := &model.ShowJobInfoRequest{JobId: jobID}
	var resp *model.ShowJobInfoResponse
	err := c.read(ctx, "read job "+jobID+" on "+t.alias, t, "ShowJobInfo", func() (*exchange.SdkExchange, error) {
		inv := t.sdk.ShowJobInfoInvoker(req)
		var err error
		resp, err = inv.Invoke()
		return inv.Exchange, err
	})
	if err != nil {
		return approvals.Job{ID: jobID}, err
	}
	job := approvals.Job{ID: jobID, FailReason: c.redact.Replace(deref(resp.FailReason)),
		Begin: msTime(deref(resp.BeginTime)), End: msTime(deref(resp.EndTime))}
	if resp.Status != nil {
		job.Status = resp.Status.Value()
	}
	if len(job.FailReason) > maxMessage {
		job.FailReason = job.FailReason[:maxMessage] + "…"
	}
	return job, nil
}

// msTime reads a time written as milliseconds since the epoch; zero when
// it cannot.
func msTime(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
