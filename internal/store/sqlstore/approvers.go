package sqlstore

import (
	"context"
	"fmt"
	"time"

	"dcsbot/internal/approvals"
)

// AddApproverMessage records (or replaces) the direct message sent to
// m.User about request id.
func (s *Store) AddApproverMessage(ctx context.Context, id string, m approvals.ApproverMessage) error {
	res, err := s.write(ctx, `INSERT INTO approver_messages (request_id, user_id, channel_id, ts)
SELECT id, ?, ?, ? FROM requests WHERE id = ?
ON CONFLICT (request_id, user_id) DO UPDATE SET channel_id = excluded.channel_id, ts = excluded.ts`,
		m.User, m.ChannelID, m.TS, id)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			err = approvals.ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("record message to approver %s about request %s: %w", m.User, id, err)
	}
	return nil
}

// ApproverMessages returns the direct messages sent to approvers about
// request id, ordered by user.
func (s *Store) ApproverMessages(ctx context.Context, id string) ([]approvals.ApproverMessage, error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	rows, err := s.query(ctx, s.read, `SELECT user_id, channel_id, ts FROM approver_messages
WHERE request_id = ? ORDER BY user_id`, id)
	if err != nil {
		return nil, fmt.Errorf("messages to approvers about request %s: %w", id, err)
	}
	defer rows.Close()
	var out []approvals.ApproverMessage
	for rows.Next() {
		var m approvals.ApproverMessage
		if err := rows.Scan(&m.User, &m.ChannelID, &m.TS); err != nil {
			return nil, fmt.Errorf("messages to approvers about request %s: %w", id, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("messages to approvers about request %s: %w", id, err)
	}
	return out, nil
}

// SawOverview records that user looked at their overview at at, unless a
// later look is recorded.
func (s *Store) SawOverview(ctx context.Context, user string, at time.Time) error {
	_, err := s.write(ctx, `INSERT INTO overview_viewers (user_id, seen_at) VALUES (?, ?)
ON CONFLICT (user_id) DO UPDATE SET seen_at = excluded.seen_at
WHERE overview_viewers.seen_at < excluded.seen_at`, user, s.d.time(at))
	if err != nil {
		return fmt.Errorf("record overview viewer %s: %w", user, err)
	}
	return nil
}

// OverviewViewers returns the users who looked at their overview at or
// after since, sorted.
func (s *Store) OverviewViewers(ctx context.Context, since time.Time) ([]string, error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	rows, err := s.query(ctx, s.read, `SELECT user_id FROM overview_viewers WHERE seen_at >= ? ORDER BY user_id`, s.d.time(since))
	if err != nil {
		return nil, fmt.Errorf("overview viewers: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("overview viewers: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("overview viewers: %w", err)
	}
	return out, nil
}
