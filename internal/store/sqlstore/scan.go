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
r.kind, r.all_nodes, r.dry_run, r.preview, r.result_extra, r.reminded_at`
	approvalColumns = `a.user_id, a.at`
)

// scanRequests reads rows of requestColumns followed by approvalColumns,
// ordered so that a request's rows are adjacent and its approvals in order.
func scanRequests(rows *sql.Rows) ([]*approvals.Request, error) {
	defer rows.Close()
	var out []*approvals.Request
	for rows.Next() {
		var (
			r                        approvals.Request
			addrs                    string
			state                    string
			code, msg, dcsID, detail sql.NullString
			httpStatus               sql.NullInt64
			approver                 sql.NullString
			approvedAt               time.Time
			kind                     string
			preview, extra           sql.NullString
		)
		err := rows.Scan(&r.ID, &r.Requester, &r.ChannelID, &r.MessageTS, &r.Instance.Alias, &r.Instance.ID,
			&r.NodeID, &addrs, &r.Reason, &r.ApprovalsRequired, &state,
			timeScanner{&r.CreatedAt}, timeScanner{&r.ExpiresAt}, timeScanner{&r.UpdatedAt},
			&r.DecidedBy, &r.Note, &code, &msg, &httpStatus, &dcsID, &detail,
			&kind, &r.AllNodes, &r.DryRun, jsonText{&preview}, jsonText{&extra}, timeScanner{&r.RemindedAt},
			&approver, timeScanner{&approvedAt})
		if err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].ID == r.ID {
			// Another approval of the request read on the previous row.
			out[n-1].Approvals = append(out[n-1].Approvals, approvals.Approval{User: approver.String, At: approvedAt})
			continue
		}
		r.State = approvals.State(state)
		if err := json.Unmarshal([]byte(addrs), &r.Addrs); err != nil {
			return nil, fmt.Errorf("request %s: addrs: %w", r.ID, err)
		}
		if len(r.Addrs) == 0 {
			r.Addrs = nil
		}
		if code.Valid {
			r.Result = &approvals.Result{
				Code:         code.String,
				Message:      msg.String,
				HTTPStatus:   int(httpStatus.Int64),
				DCSRequestID: dcsID.String,
				Detail:       detail.String,
			}
		}
		r.Kind = approvals.Kind(kind)
		if preview.Valid {
			r.Preview = new(approvals.Preview)
			if err := json.Unmarshal([]byte(preview.String), r.Preview); err != nil {
				return nil, fmt.Errorf("request %s: preview: %w", r.ID, err)
			}
		}
		if extra.Valid && r.Result != nil {
			var x resultExtra
			if err := json.Unmarshal([]byte(extra.String), &x); err != nil {
				return nil, fmt.Errorf("request %s: result: %w", r.ID, err)
			}
			r.Result.Killed, r.Result.Skipped, r.Result.DryRun = x.Killed, x.Skipped, x.DryRun
		}
		if approver.Valid {
			r.Approvals = []approvals.Approval{{User: approver.String, At: approvedAt}}
		}
		out = append(out, &r)
	}
	return out, rows.Err()
}
