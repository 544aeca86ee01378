package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// A scheduled job runs under a deadline of its timeout from now, and its
// error is logged under its name.
func TestJobIsBounded(t *testing.T) {
	var logs bytes.Buffer
	a := &App{log: slog.New(slog.NewTextHandler(&logs, nil))}
	const timeout = 2 * time.Minute
	var left time.Duration
	var bounded bool
	a.job("sweep", timeout, func(ctx context.Context) error {
		var dl time.Time
		dl, bounded = ctx.Deadline()
		left = time.Until(dl)
		return errors.New("store down")
	})()
	if !bounded || left <= 0 || left > timeout {
		t.Errorf("the job's context: deadline %v, %v left; want one within %v", bounded, left, timeout)
	}
	if !strings.Contains(logs.String(), "msg=sweep") || !strings.Contains(logs.String(), "store down") {
		t.Errorf("the job's error was not logged under its name:\n%s", &logs)
	}
}
