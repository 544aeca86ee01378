package slackbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"dcsbot/internal/approvals"
	"dcsbot/internal/commands"
	"dcsbot/internal/logging"
)

// Lifecycle is what the listener asks of the request lifecycle.
type Lifecycle interface {
	Precheck(k approvals.KillRequest) (approvals.Instance, error)
	CheckChannel(channel string) error
	Submit(ctx context.Context, k approvals.KillRequest) (*approvals.Request, error)
	Adopt(ctx context.Context, id, channel, ts string) error
	Approve(ctx context.Context, id, user string) error
	CanDeny(ctx context.Context, id, user string) error
	Deny(ctx context.Context, id, user, reason string) error
	Cancel(ctx context.Context, id, user string) error
	Status(ctx context.Context, id string) (*approvals.Request, []approvals.Event, error)
	History(ctx context.Context, instance string, limit int) ([]*approvals.Request, error)
	Clients(ctx context.Context, q approvals.ClientsQuery) (*approvals.ClientsView, error)
	Nodes(ctx context.Context, user, channel, instance string) (*approvals.NodesView, error)
}

// Ephemeraler shows a message to one user in a channel.
type Ephemeraler interface {
	Ephemeral(ctx context.Context, channel, user, text string) error
}

// Views opens modals.
type Views interface {
	OpenDenyDialog(ctx context.Context, triggerID string, r string) error
}

// ListenerObserver is told what the listener sees, for metrics.
type ListenerObserver interface {
	Command(sub, outcome string)
	Acked(d time.Duration)
	Connected(up bool)
}

type nopListenerObserver struct{}

func (nopListenerObserver) Command(string, string) {}
func (nopListenerObserver) Acked(time.Duration)    {}
func (nopListenerObserver) Connected(bool)         {}

// ListenerParams are what a Listener needs.
type ListenerParams struct {
	Client    *slack.Client
	Service   Lifecycle
	Ephemeral Ephemeraler
	Views     Views
	MaxAddrs  int
	// Workers bounds how many commands and clicks are handled at once.
	// Default 16.
	Workers int
	// Debug turns on socket mode's own debug output to Logger.
	Debug    bool
	Logger   *slog.Logger
	Observer ListenerObserver
}

// Listener reads Socket Mode envelopes, acks each at once, and hands the
// work to a bounded pool so the socket reader never waits on DCS, the store
// or the Web API.
type Listener struct {
	p       ListenerParams
	log     *slog.Logger
	sem     chan struct{}
	work    sync.WaitGroup
	up      atomic.Bool
	seen    *recentSet
	closing atomic.Bool
}

// NewListener returns a Listener; Run starts it.
func NewListener(p ListenerParams) *Listener {
	if p.Workers <= 0 {
		p.Workers = 16
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Observer == nil {
		p.Observer = nopListenerObserver{}
	}
	return &Listener{p: p, log: p.Logger, sem: make(chan struct{}, p.Workers), seen: newRecentSet(4096)}
}

// Connected reports whether the socket is connected now.
func (l *Listener) Connected() bool { return l.up.Load() }

// ErrInvalidAuth means Slack refused a token: retrying will not help.
var ErrInvalidAuth = errors.New("slack refused the token")

// Run connects and serves until ctx ends or Slack refuses the tokens.
// slack-go reconnects by itself when the socket drops. Handlers still
// running when Run returns go on; Wait waits for them.
func (l *Listener) Run(ctx context.Context) error {
	var opts []socketmode.Option
	if l.p.Debug {
		opts = append(opts, socketmode.OptionDebug(true), socketmode.OptionLog(logging.SlackLogger{Log: l.log}))
	}
	sm := socketmode.New(l.p.Client, opts...)
	// Handlers must outlive the socket: a kill in flight is finished and
	// reported during shutdown.
	workCtx := context.WithoutCancel(ctx)
	runErr := make(chan error, 1)
	go func() { runErr <- sm.RunContext(ctx) }()
	defer func() {
		l.up.Store(false)
		l.p.Observer.Connected(false)
	}()
	for {
		select {
		case err := <-runErr:
			if ctx.Err() != nil {
				return nil
			}
			return l.fatal(err)
		case evt := <-sm.Events:
			l.handle(workCtx, sm, evt)
		}
	}
}

func (l *Listener) fatal(err error) error {
	if err == nil {
		return errors.New("slack socket mode stopped")
	}
	// slack-go returns its error answers as a value.
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && IsAuthError(se.Err) {
		return fmt.Errorf("%w: %s", ErrInvalidAuth, se.Err)
	}
	return fmt.Errorf("slack socket mode: %w", err)
}

// IsAuthError reports whether a Slack error code means the token itself
// was refused: retrying will not help.
func IsAuthError(code string) bool {
	switch code {
	case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type":
		return true
	}
	return false
}

// Wait blocks until every handler has returned or ctx ends.
func (l *Listener) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { l.work.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Drain makes the listener refuse new commands politely (during shutdown).
func (l *Listener) Drain() { l.closing.Store(true) }

func (l *Listener) handle(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		l.up.Store(true)
		l.p.Observer.Connected(true)
		l.log.Info("slack socket connected")
		return
	case socketmode.EventTypeConnecting, socketmode.EventTypeConnectionError, socketmode.EventTypeDisconnect:
		if l.up.Swap(false) {
			l.p.Observer.Connected(false)
		}
		if evt.Type == socketmode.EventTypeConnecting {
			l.log.Debug("slack socket connecting")
		} else {
			l.log.Warn("slack socket dropped; reconnecting", "event", string(evt.Type))
		}
		return
	case socketmode.EventTypeInvalidAuth:
		l.log.Error("slack refused the app token")
		return
	}
	if evt.Request == nil {
		return
	}
	received := time.Now()
	req := *evt.Request
	defer func() {
		l.log.Debug("envelope handled", "envelope_id", req.EnvelopeID, "type", req.Type, "took", time.Since(received))
	}()
	if l.seen.addSeen(req.EnvelopeID) {
		// A redelivery of an envelope already acked and handled.
		_ = sm.Ack(req)
		l.log.Info("duplicate envelope ignored", "envelope_id", req.EnvelopeID, "retry_attempt", req.RetryAttempt)
		return
	}
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			_ = sm.Ack(req)
			return
		}
		reply, work := l.slash(cmd)
		if reply != "" {
			_ = sm.Ack(req, map[string]any{"response_type": "ephemeral", "text": reply})
		} else {
			_ = sm.Ack(req)
		}
		l.p.Observer.Acked(time.Since(received))
		if work != nil {
			l.spawn(ctx, work)
		}
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		_ = sm.Ack(req)
		l.p.Observer.Acked(time.Since(received))
		switch {
		case ok && cb.Type == slack.InteractionTypeBlockActions:
			l.spawn(ctx, func(ctx context.Context) { l.click(ctx, cb) })
		case ok && cb.Type == slack.InteractionTypeViewSubmission && cb.View.CallbackID == denyCallbackID:
			l.spawn(ctx, func(ctx context.Context) { l.denySubmitted(ctx, cb) })
		}
	case socketmode.EventTypeEventsAPI:
		_ = sm.Ack(req)
	}
}

// spawn runs work on the bounded pool without blocking the socket reader.
func (l *Listener) spawn(ctx context.Context, work func(context.Context)) {
	l.work.Add(1)
	go func() {
		defer l.work.Done()
		l.sem <- struct{}{}
		defer func() { <-l.sem }()
		work(ctx)
	}()
}

// click handles Approve and Deny.
func (l *Listener) click(ctx context.Context, cb slack.InteractionCallback) {
	for _, a := range cb.ActionCallback.BlockActions {
		if a.BlockID != decisionBlockID {
			continue
		}
		if err := l.p.Service.Adopt(ctx, a.Value, cb.Channel.ID, cb.Container.MessageTs); err != nil {
			l.log.Warn("record approval message from a click", "request_id", a.Value, "err", err)
		}
		var err error
		switch a.ActionID {
		case approveActionID:
			err = l.p.Service.Approve(ctx, a.Value, cb.User.ID)
		case denyActionID:
			err = l.deny(ctx, cb, a.Value)
		default:
			continue
		}
		if err != nil {
			l.log.Info("click refused or failed", "request_id", a.Value, "user", cb.User.ID, "action", a.ActionID, "err", err)
			l.tell(ctx, cb.Channel.ID, cb.User.ID, userMessage(l.log.With("request_id", a.Value), err))
		}
	}
}

// deny opens the reason dialog for a user who may deny request id; if the
// dialog cannot be opened (Slack's trigger expired), it denies at once
// without a reason rather than drop the decision.
func (l *Listener) deny(ctx context.Context, cb slack.InteractionCallback, id string) error {
	if err := l.p.Service.CanDeny(ctx, id, cb.User.ID); err != nil {
		return err
	}
	if l.p.Views == nil {
		return l.p.Service.Deny(ctx, id, cb.User.ID, "")
	}
	if err := l.p.Views.OpenDenyDialog(ctx, cb.TriggerID, id); err != nil {
		l.log.Warn("open deny dialog; denying without a reason", "request_id", id, "err", err)
		return l.p.Service.Deny(ctx, id, cb.User.ID, "")
	}
	return nil
}

// denySubmitted denies with the reason typed in the dialog.
func (l *Listener) denySubmitted(ctx context.Context, cb slack.InteractionCallback) {
	id := cb.View.PrivateMetadata
	reason := ""
	if b, ok := cb.View.State.Values[denyReasonBlockID]; ok {
		reason = strings.TrimSpace(b[denyReasonActionID].Value)
	}
	if len([]rune(reason)) > maxDenyReason {
		reason = string([]rune(reason)[:maxDenyReason])
	}
	if err := l.p.Service.Deny(ctx, id, cb.User.ID, reason); err != nil {
		l.log.Info("deny refused or failed", "request_id", id, "user", cb.User.ID, "err", err)
		ch := ""
		if r, _, serr := l.p.Service.Status(ctx, id); serr == nil {
			ch = r.ChannelID
		}
		if ch != "" {
			l.tell(ctx, ch, cb.User.ID, userMessage(l.log.With("request_id", id), err))
		}
	}
}

func (l *Listener) tell(ctx context.Context, channel, user, text string) {
	if err := l.p.Ephemeral.Ephemeral(ctx, channel, user, text); err != nil {
		l.log.Error("tell user", "user", user, "channel", channel, "err", err)
	}
}

func outcomeOf(err error) string {
	var ref *approvals.Refusal
	if errors.As(err, &ref) {
		return "refused"
	}
	return "error"
}

// userMessage turns an error into what the user reads: a refusal's reason
// or a parse error's message as it is; anything else is a fault, logged
// with a reference the user can quote, never pasted raw.
func userMessage(log *slog.Logger, err error) string {
	var ref *approvals.Refusal
	if errors.As(err, &ref) {
		return ref.Reason
	}
	var ue *commands.UsageError
	if errors.As(err, &ue) {
		return escape(ue.Error())
	}
	var de *approvals.DCSError
	if errors.As(err, &de) {
		log.Warn("DCS refused a read", "err", err)
		return dcsAnswer(de.Code, de.HTTPStatus, de.Message, de.RequestID)
	}
	id := approvals.NewID()
	log.Error("request failed", "ref", id, "err", err)
	return fmt.Sprintf("Sorry, that did not work because of a problem on the bot's side (reference `%s`). "+
		"Nothing was changed. Try again in a moment; if it keeps failing, give the bot's operators the reference.", id)
}

// recentSet remembers the last n envelope IDs.
type recentSet struct {
	mu   sync.Mutex
	set  map[string]struct{}
	ring []string
	next int
}

func newRecentSet(n int) *recentSet {
	return &recentSet{set: make(map[string]struct{}, n), ring: make([]string, n)}
}

// addSeen records id and reports whether it was already there.
func (s *recentSet) addSeen(id string) bool {
	if id == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.set[id]; ok {
		return true
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.set, old)
	}
	s.ring[s.next] = id
	s.set[id] = struct{}{}
	s.next = (s.next + 1) % len(s.ring)
	return false
}
