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

// requestColumns are the columns scanRequest reads, from a table or subquery
// named r; approvalColumns come from a LEFT JOIN of approvals named a.
const (
	requestColumns = `r.id, r.requester, r.channel_id, r.message_ts, r.instance_alias, r.instance_id,
r.node_id, r.addrs, r.reason, r.approvals_required, r.state, r.created_at, r.expires_at, r.updated_at,
r.decided_by, r.note, r.result_code, r.result_message, r.result_http_status, r.result_dcs_request_id, r.result_detail`
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
		)
		err := rows.Scan(&r.ID, &r.Requester, &r.ChannelID, &r.MessageTS, &r.Instance.Alias, &r.Instance.ID,
			&r.NodeID, &addrs, &r.Reason, &r.ApprovalsRequired, &state,
			timeScanner{&r.CreatedAt}, timeScanner{&r.ExpiresAt}, timeScanner{&r.UpdatedAt},
			&r.DecidedBy, &r.Note, &code, &msg, &httpStatus, &dcsID, &detail,
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
		if approver.Valid {
			r.Approvals = []approvals.Approval{{User: approver.String, At: approvedAt}}
		}
		out = append(out, &r)
	}
	return out, rows.Err()
}
