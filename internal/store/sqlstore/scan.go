package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"dcsbot/internal/approvals"
)

// timeScanner reads a time column: a time.Time (PostgreSQL timestamptz) or an
// int64 of Unix microseconds (SQLite), into *t, in UTC. NULL (an approval
// column of a request without approvals) reads as the zero time.
type timeScanner struct{ t *time.Time }

func (s timeScanner) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*s.t = time.Time{}
	case time.Time:
		*s.t = v.UTC()
	case int64:
		*s.t = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("time column: unexpected %T", v)
	}
	return nil
}

// jsonText reads a JSON column: text (SQLite) or jsonb bytes (PostgreSQL).
type jsonText struct{ s *sql.NullString }

func (j jsonText) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*j.s = sql.NullString{}
	case string:
		*j.s = sql.NullString{String: v, Valid: true}
	case []byte:
		*j.s = sql.NullString{String: string(v), Valid: true}
	default:
		return fmt.Errorf("json column: unexpected %T", v)
	}
	return nil
}

// requestColumns are the columns scanRequest reads, from a table or subquery
// named r; approvalColumns come from a LEFT JOIN of approvals named a.
const (
	requestColumns = `r.id, r.requester, r.channel_id, r.message_ts, r.instance_alias, r.instance_id,
r.node_id, r.addrs, r.reason, r.approvals_required, r.state, r.created_at, r.expires_at, r.updated_at,
r.decided_by, r.note, r.result_code, r.result_message, r.result_http_status, r.result_dcs_request_id, r.result_detail,
r.kind, r.all_nodes, r.dry_run, r.preview, r.result_extra, r.reminded_at, r.selectors, r.nodes, r.lease_until, r.job_id`
	approvalColumns = `a.user_id, a.at`
)

// scanRequests reads rows of requestColumns followed by approvalColumns,
// ordered so that a request's rows are adjacent and its approvals in order.
func scanRequests(rows *sql.Rows) ([]*approvals.Request, error) {
	defer rows.Close()
	var out []*approvals.Request
	for rows.Next() {
		var row requestRow
		if err := row.scan(rows); err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].ID == row.r.ID {
			// Another approval of the request read on the previous row.
			out[n-1].Approvals = append(out[n-1].Approvals, approvals.Approval{User: row.approver.String, At: row.approvedAt})
			continue
		}
		r, err := row.request()
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// requestRow is one row of requestColumns and approvalColumns.
type requestRow struct {
	r                        approvals.Request
	addrs, state, kind       string
	code, msg, dcsID, detail sql.NullString
	httpStatus               sql.NullInt64
	approver                 sql.NullString
	approvedAt               time.Time
	preview, extra, nodes    sql.NullString
}

func (x *requestRow) scan(rows *sql.Rows) error {
	r := &x.r
	return rows.Scan(&r.ID, &r.Requester, &r.ChannelID, &r.MessageTS, &r.Instance.Alias, &r.Instance.ID,
		&r.NodeID, &x.addrs, &r.Reason, &r.ApprovalsRequired, &x.state,
		timeScanner{&r.CreatedAt}, timeScanner{&r.ExpiresAt}, timeScanner{&r.UpdatedAt},
		&r.DecidedBy, &r.Note, &x.code, &x.msg, &x.httpStatus, &x.dcsID, &x.detail,
		&x.kind, &r.AllNodes, &r.DryRun, jsonText{&x.preview}, jsonText{&x.extra}, timeScanner{&r.RemindedAt},
		&r.Selectors, jsonText{&x.nodes}, timeScanner{&r.LeaseUntil}, &r.JobID,
		&x.approver, timeScanner{&x.approvedAt})
}

// request decodes the row's JSON and result columns into its request.
func (x *requestRow) request() (*approvals.Request, error) {
	r := x.r
	r.State, r.Kind = approvals.State(x.state), approvals.Kind(x.kind)
	if err := json.Unmarshal([]byte(x.addrs), &r.Addrs); err != nil {
		return nil, fmt.Errorf("request %s: addrs: %w", r.ID, err)
	}
	if len(r.Addrs) == 0 {
		r.Addrs = nil
	}
	if x.code.Valid {
		r.Result = &approvals.Result{Code: x.code.String, Message: x.msg.String, HTTPStatus: int(x.httpStatus.Int64),
			DCSRequestID: x.dcsID.String, Detail: x.detail.String}
	}
	if x.preview.Valid {
		r.Preview = new(approvals.Preview)
		if err := json.Unmarshal([]byte(x.preview.String), r.Preview); err != nil {
			return nil, fmt.Errorf("request %s: preview: %w", r.ID, err)
		}
	}
	if x.extra.Valid && r.Result != nil {
		var e resultExtra
		if err := json.Unmarshal([]byte(x.extra.String), &e); err != nil {
			return nil, fmt.Errorf("request %s: result: %w", r.ID, err)
		}
		r.Result.Killed, r.Result.Skipped, r.Result.DryRun, r.Result.Nodes = e.Killed, e.Skipped, e.DryRun, e.Nodes
		r.Result.JobStatus, r.Result.FailReason = e.JobStatus, e.FailReason
	}
	if x.nodes.Valid {
		if err := json.Unmarshal([]byte(x.nodes.String), &r.Nodes); err != nil {
			return nil, fmt.Errorf("request %s: nodes: %w", r.ID, err)
		}
	}
	if x.approver.Valid {
		r.Approvals = []approvals.Approval{{User: x.approver.String, At: x.approvedAt}}
	}
	return &r, nil
}
