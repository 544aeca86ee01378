package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"dcsbot/internal/approvals"
)

// List limits: a zero ListFilter.Limit means DefaultListLimit; no call
// returns more than MaxListLimit.
const (
	DefaultListLimit = 20
	MaxListLimit     = 1000
)

// Store is approvals.Store over a migrated database.
//
// Exactly-once rests on two things: every state change is a single
// "UPDATE requests ... WHERE id = ? AND state = ?" whose rows-affected count
// says whether it happened, and every change and its audit event commit in
// one transaction. Approve locks the request row first, so approvals and
// transitions of one request are applied one after the other.
type Store struct {
	db      *sql.DB // writes, and the reads of a transaction
	read    *sql.DB // the reads made outside a transaction
	d       Dialect
	commit  *committer // nil: each transaction on its own
	stmts   statements
	timeout time.Duration // Options.StatementTimeout
}

var _ approvals.Store = (*Store)(nil)

// Options are how a backend uses its database.
type Options struct {
	// Reader, if set, serves the reads made outside a transaction, so
	// that they never wait for a write (SQLite in WAL mode, whose one
	// write connection would otherwise serve every read in turn).
	Reader *sql.DB
	// GroupCommit sends every write through one writer, which commits the
	// transactions waiting at that moment together (see committer): for a
	// database with one write connection.
	GroupCommit bool
	// StatementTimeout bounds each call's work on the database, so that
	// no call waits on a hung database for long, whatever its context: a
	// statement run on its own (a read with its rows), a transaction from
	// its start to its commit, the preparing of a statement. With group
	// commit it bounds a call's wait for the writer, and then the
	// writer's transaction, which the call shares with others. Required.
	StatementTimeout time.Duration
}

// Validate reports options a Store cannot work with.
func (o Options) Validate() error {
	if o.StatementTimeout <= 0 {
		return fmt.Errorf("statement timeout %v: it must be positive", o.StatementTimeout)
	}
	return nil
}

// NewWith returns a Store over db, which must hold the schema of the
// backend's migrations, or an error if o is not valid. The Store owns db
// and o.Reader: Close closes them.
func NewWith(db *sql.DB, d Dialect, o Options) (*Store, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	s := &Store{db: db, read: db, d: d, timeout: o.StatementTimeout}
	s.stmts.timeout = o.StatementTimeout
	if o.Reader != nil {
		s.read = o.Reader
	}
	if o.GroupCommit {
		s.commit = newCommitter(db, o.StatementTimeout)
	}
	return s, nil
}

// bounded is ctx ending, at the latest, once the statement timeout has
// passed. Every call reaches the database under it: inTx and write take
// it for their transaction or statement, and a read outside a
// transaction for its statement and the reading of its rows.
func (s *Store) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// Close stops the writer, once the writes it runs are committed, and
// closes the database.
func (s *Store) Close() error {
	if s.commit != nil {
		s.commit.close()
	}
	s.stmts.close()
	err := s.db.Close()
	if s.read != s.db {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("%s: ping: %w", s.d.Name, err)
	}
	return nil
}

// Create inserts r as a new pending request with its "requested" event.
// r.State must be empty or Pending; approvals, the decision and the result
// are not taken from r. UpdatedAt defaults to CreatedAt.
func (s *Store) Create(ctx context.Context, r *approvals.Request) error {
	if r.ID == "" {
		return errors.New("create request: empty ID")
	}
	if r.State != "" && r.State != approvals.Pending {
		return fmt.Errorf("create request %s: state %s: a new request is pending", r.ID, r.State)
	}
	addrs := r.Addrs
	if addrs == nil {
		addrs = []string{}
	}
	addrsJSON, err := json.Marshal(addrs)
	if err != nil {
		return fmt.Errorf("create request %s: addrs: %w", r.ID, err)
	}
	updated := r.UpdatedAt
	if updated.IsZero() {
		updated = r.CreatedAt
	}
	kind := r.Kind
	if kind == "" {
		kind = approvals.KindKill
	}
	preview, err := jsonOrNull(r.Preview, r.Preview == nil)
	if err != nil {
		return fmt.Errorf("create request %s: preview: %w", r.ID, err)
	}
	nodes, err := jsonOrNull(r.Nodes, r.Nodes == nil)
	if err != nil {
		return fmt.Errorf("create request %s: nodes: %w", r.ID, err)
	}
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `INSERT INTO requests (id, requester, channel_id, message_ts,
instance_alias, instance_id, node_id, addrs, reason, approvals_required, state,
created_at, expires_at, updated_at, decided_by, note, kind, all_nodes, dry_run, preview, selectors, nodes)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO NOTHING`,
			r.ID, r.Requester, r.ChannelID, r.MessageTS, r.Instance.Alias, r.Instance.ID, r.NodeID,
			string(addrsJSON), r.Reason, r.ApprovalsRequired, string(approvals.Pending),
			s.d.time(r.CreatedAt), s.d.time(r.ExpiresAt), s.d.time(updated),
			string(kind), r.AllNodes, r.DryRun, preview, r.Selectors, nodes)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return approvals.ErrDuplicateID
		}
		return s.addEvent(ctx, tx, approvals.Event{
			RequestID: r.ID, At: r.CreatedAt, Actor: r.Requester,
			Kind: approvals.EventRequested, Detail: r.Reason,
		})
	})
	if err != nil {
		return fmt.Errorf("create request %s: %w", r.ID, err)
	}
	return nil
}

// Get returns the request with its approvals, oldest first (ties in the
// order they were recorded), or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (*approvals.Request, error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	r, err := s.getRequest(ctx, s.read, id)
	if err != nil {
		return nil, fmt.Errorf("get request %s: %w", id, err)
	}
	return r, nil
}

// getRequest reads request id through db (the database or a transaction).
func (s *Store) getRequest(ctx context.Context, db execQuerier, id string) (*approvals.Request, error) {
	rows, err := s.query(ctx, db, `SELECT `+requestColumns+`, `+approvalColumns+`
FROM requests r LEFT JOIN approvals a ON a.request_id = r.id
WHERE r.id = ?
ORDER BY a.at, a.seq`, id)
	if err != nil {
		return nil, err
	}
	rs, err := scanRequests(rows)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, approvals.ErrNotFound
	}
	return rs[0], nil
}

// SetMessage records where the approval message was posted.
func (s *Store) SetMessage(ctx context.Context, id, channelID, ts string) error {
	res, err := s.write(ctx, `UPDATE requests SET channel_id = ?, message_ts = ? WHERE id = ?`, channelID, ts, id)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			err = approvals.ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("set message of request %s: %w", id, err)
	}
	return nil
}

// Apply performs t if the request is in t.From (and, with t.IfAbandoned,
// its worker is gone). Leaving Pending records
// t.Actor as DecidedBy; a non-empty t.Note replaces the note; a non-nil
// t.Result is stored. The audit event's detail is the note and a summary of
// the result.
func (s *Store) Apply(ctx context.Context, id string, t approvals.Transition) (bool, error) {
	if err := t.Validate(); err != nil {
		return false, err
	}
	var done bool
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		done, err = s.apply(ctx, tx, id, t)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("apply %s -> %s to request %s: %w", t.From, t.To, id, err)
	}
	return done, nil
}

// apply is Apply inside tx, t already validated.
func (s *Store) apply(ctx context.Context, tx *sql.Tx, id string, t approvals.Transition) (bool, error) {
	set := []string{"state = ?", "updated_at = ?", "lease_until = ?"}
	args := []any{string(t.To), s.d.time(t.At), s.d.optTime(t.LeaseUntil)}
	if t.From == approvals.Pending {
		set = append(set, "decided_by = ?")
		args = append(args, t.Actor)
	}
	if t.Note != "" {
		set = append(set, "note = ?")
		args = append(args, t.Note)
	}
	if r := t.Result; r != nil {
		set = append(set, "result_code = ?", "result_message = ?", "result_http_status = ?",
			"result_dcs_request_id = ?", "result_detail = ?")
		args = append(args, r.Code, r.Message, r.HTTPStatus, r.DCSRequestID, r.Detail)
		if x := extraOf(r); !x.empty() {
			b, err := json.Marshal(x)
			if err != nil {
				return false, fmt.Errorf("result: %w", err)
			}
			set = append(set, "result_extra = ?")
			args = append(args, string(b))
		}
	}
	args = append(args, id, string(t.From))
	where := ` WHERE id = ? AND state = ?`
	if a := t.IfAbandoned; a != nil {
		where += ` AND ` + workerGone
		args = append(args, s.d.time(a.LeaseBefore), s.d.time(a.UnleasedBefore))
	}
	res, err := s.exec(ctx, tx, `UPDATE requests SET `+strings.Join(set, ", ")+where, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if n == 0 {
		// Requests are never deleted, so an ID seen now was there when
		// the update found nothing to change.
		var one int
		err := s.queryRow(ctx, tx, `SELECT 1 FROM requests WHERE id = ?`, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return false, approvals.ErrNotFound
		}
		return false, err
	}
	return true, s.addEvent(ctx, tx, approvals.Event{
		RequestID: id, At: t.At, Actor: t.Actor, Kind: string(t.To), Detail: t.AuditDetail(),
	})
}

// resultExtra is the JSON of the result_extra column.
type resultExtra struct {
	Killed     []string               `json:"killed,omitempty"`
	Skipped    []approvals.Skip       `json:"skipped,omitempty"`
	DryRun     bool                   `json:"dry_run,omitempty"`
	Nodes      []approvals.NodeResult `json:"nodes,omitempty"` // a kill on every node: each node's outcome
	JobStatus  string                 `json:"job_status,omitempty"`
	FailReason string                 `json:"fail_reason,omitempty"`
}

func extraOf(r *approvals.Result) resultExtra {
	return resultExtra{Killed: r.Killed, Skipped: r.Skipped, DryRun: r.DryRun, Nodes: r.Nodes, JobStatus: r.JobStatus, FailReason: r.FailReason}
}

func (x resultExtra) empty() bool {
	return len(x.Killed) == 0 && len(x.Skipped) == 0 && !x.DryRun && len(x.Nodes) == 0 && x.JobStatus == "" && x.FailReason == ""
}

// jsonOrNull is v as JSON text, or nil (SQL NULL) when null is true.
func jsonOrNull(v any, null bool) (any, error) {
	if null {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// MarkReminded sets reminded_at if the request is pending and has none,
// and reports whether it did: of several replicas, one posts the reminder.
// It returns ErrNotFound for an unknown ID.
func (s *Store) MarkReminded(ctx context.Context, id string, at time.Time) (bool, error) {
	ok, err := s.update(ctx, id, `UPDATE requests SET reminded_at = ?
WHERE id = ? AND state = ? AND reminded_at IS NULL`, s.d.time(at), id, string(approvals.Pending))
	if err != nil {
		return false, fmt.Errorf("mark request %s reminded: %w", id, err)
	}
	return ok, nil
}

func (s *Store) addEvent(ctx context.Context, tx *sql.Tx, e approvals.Event) error {
	_, err := s.exec(ctx, tx, `INSERT INTO events (request_id, at, actor, kind, detail) VALUES (?, ?, ?, ?, ?)`,
		e.RequestID, s.d.time(e.At), e.Actor, e.Kind, e.Detail)
	if err != nil {
		return fmt.Errorf("audit event %s: %w", e.Kind, err)
	}
	return nil
}
