package dcs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/exchange"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"

	"dcsbot/internal/approvals"
)

// Retries of read-only calls: the pause before retry n doubles from
// backoffBase up to backoffMax (backoff), drawn in [d/2, d] (jitter).
const (
	readAttempts = 3
	backoffBase  = 200 * time.Millisecond
	backoffMax   = 2 * time.Second
)

// read runs a read-only call, retrying it on 429, 5xx and connections that
// could not be opened, pausing between attempts. ctx is checked before each
// attempt and cuts the pauses short.
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
		// A ctx that ends during the pause is seen at the loop's top.
		_ = pause(ctx, jitter(backoff(attempt-1, backoffBase, backoffMax)), time.Time{})
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
