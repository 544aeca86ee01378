package slackbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"dcsbot/internal/commands"
	"dcsbot/internal/logging"
)

// Ephemeraler shows a message to one user in a channel.
type Ephemeraler interface {
	Ephemeral(ctx context.Context, channel, user string, t text) error
}

// ListenerObserver is told what the listener sees, for metrics.
type ListenerObserver interface {
	Command(sub, outcome string)
	Acked(d time.Duration)
	// Connected is told when the socket comes up or goes down;
	// ConnectFailed of each attempt to connect that failed.
	Connected(up bool)
	ConnectFailed()
}

type nopListenerObserver struct{}

func (nopListenerObserver) Command(string, string) {}
func (nopListenerObserver) Acked(time.Duration)    {}
func (nopListenerObserver) Connected(bool)         {}
func (nopListenerObserver) ConnectFailed()         {}

// ListenerParams are what a Listener needs.
type ListenerParams struct {
	Client *Client
	// Providers are what command handlers take their small interfaces
	// from (see Commands): the lifecycle, the DCS client. NewListener
	// checks that every handler's needs are met.
	Providers []any
	Decider   Decider
	Ephemeral Ephemeraler
	// Views opens and redraws the deny dialog and the kill picker (the
	// Notifier).
	Views modalViews
	// Home is the app's Home tab.
	Home *Home
	// MaxAddrs is the parser's address limit.
	MaxAddrs int
	// Workers handle commands and clicks (clicks first), ClickWorkers only
	// clicks and dialog submissions; CommandQueue and ClickQueue bound
	// the work waiting for them (see config.Tuning).
	Workers, ClickWorkers    int
	CommandQueue, ClickQueue int
	// Debug turns on socket mode's own debug output to Logger.
	Debug    bool
	Logger   *slog.Logger
	Observer ListenerObserver
}

// Listener reads Socket Mode envelopes, acks each at once, and hands the
// work to bounded lanes served by a fixed set of workers, so the socket
// reader never waits on DCS, the store or the Web API, and a flood of
// envelopes is refused rather than parked.
type Listener struct {
	p       ListenerParams
	log     *slog.Logger
	router  *router
	q       *lanes
	sock    socketState
	seen    *recentSet
	closing atomic.Bool
	picker  *picker       // the kill picker's views
	busy    chan struct{} // a slot per "too busy" notice in flight (clickDropped)
}

// NewListener returns a Listener; Run starts it. It fails when Views or
// Home is missing, or no provider satisfies what a command's handler needs.
func NewListener(p ListenerParams) (*Listener, error) {
	for name, n := range map[string]int{"workers": p.Workers, "click workers": p.ClickWorkers, "command queue": p.CommandQueue, "click queue": p.ClickQueue} {
		if n <= 0 {
			return nil, fmt.Errorf("slack listener: %s is %d, want at least 1", name, n)
		}
	}
	if p.Views == nil || p.Home == nil {
		return nil, errors.New("slack listener: no Views or no Home")
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Observer == nil {
		p.Observer = nopListenerObserver{}
	}
	q := newLanes(p.ClickQueue, p.CommandQueue)
	pk, err := newPicker(p.Logger, p.Views, p.Providers, q.command)
	if err != nil {
		return nil, fmt.Errorf("slack listener: %w", err)
	}
	rt, err := newRouter(&Commands{log: p.Logger, picker: pk}, p.Providers...)
	if err != nil {
		return nil, fmt.Errorf("slack listener: %w", err)
	}
	return &Listener{p: p, log: p.Logger, router: rt, q: q, seen: newRecentSet(4096), picker: pk,
		busy: make(chan struct{}, busyNotices)}, nil
}

// ErrInvalidAuth means Slack refused a token: retrying will not help.
var ErrInvalidAuth = errors.New("slack refused the token")

// Run connects and serves until ctx ends or Slack refuses the tokens.
// slack-go reconnects by itself when the socket drops. Work queued or
// running when Run returns goes on; Wait waits for it. Run is called once.
func (l *Listener) Run(ctx context.Context) error {
	var opts []socketmode.Option
	if l.p.Debug {
		opts = append(opts, socketmode.OptionDebug(true), socketmode.OptionLog(logging.SlackLogger{Log: l.log}))
	}
	sm := l.p.Client.socketMode(opts...)
	// Handlers must outlive the socket: a kill in flight is finished and
	// reported during shutdown.
	l.q.start(context.WithoutCancel(ctx), l.p.Workers, l.p.ClickWorkers)
	runErr := make(chan error, 1)
	go func() { runErr <- sm.RunContext(ctx) }()
	defer func() {
		l.q.close()
		l.sock.set(false, "stopped")
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
			l.handle(sm, evt)
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

// Wait blocks, once Run has returned, until the work queued and running
// is done, or ctx ends.
func (l *Listener) Wait(ctx context.Context) error { return l.q.wait(ctx) }

// Drain makes the listener refuse new commands politely (during shutdown).
func (l *Listener) Drain() { l.closing.Store(true) }

// handle deals with one socket event: connection news, or an envelope to
// ack and route.
func (l *Listener) handle(sm *socketmode.Client, evt socketmode.Event) {
	if l.connection(evt) || evt.Request == nil {
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
		reply, work, prompt := l.slash(cmd)
		queue, lane := l.q.command, "command"
		if prompt {
			queue, lane = l.q.click, "click"
		}
		if work != nil && !queue(work) {
			l.log.Warn(lane+" queue full; answered busy", "user", cmd.UserID)
			l.p.Observer.Command("unknown", "busy")
			reply = busyText
		}
		if reply != "" {
			_ = sm.Ack(req, map[string]any{"response_type": "ephemeral", "text": reply})
		} else {
			_ = sm.Ack(req)
		}
		l.p.Observer.Acked(time.Since(received))
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		var payload []any
		if ok {
			payload = l.interactive(cb)
		}
		_ = sm.Ack(req, payload...)
		l.p.Observer.Acked(time.Since(received))
	case socketmode.EventTypeEventsAPI:
		_ = sm.Ack(req)
		l.p.Observer.Acked(time.Since(received))
		l.event(evt.Data)
	default:
		_ = sm.Ack(req)
	}
}

// busyText answers a slash command that finds its queue full.
const busyText = "The bot is busy, try again in a few seconds."

// busyClickText tells someone their click was not taken.
const busyClickText = "The bot is too busy to take your click just now. Click again in a few seconds."

// busyNotices is how many "too busy" notices may be on their way at once;
// a click dropped while they are is only logged.
const busyNotices = 2

// interactive queues a button click or a dialog submission in the click
// lane; the kill picker's, which read sessions or make a request, go in
// the command lane (picker_submit.go). It returns the ack's payload: for a
// submission that finds the lane full, an error shown in the dialog; a
// click that finds it full is dropped and logged, and the clicker is told
// (clickDropped: Slack shows nothing for a click's ack).
func (l *Listener) interactive(cb slack.InteractionCallback) []any {
	var work job
	switch {
	case isPickerSubmission(cb):
		return l.pickerSubmitted(cb)
	case cb.Type == slack.InteractionTypeBlockActions && cb.View.CallbackID == pickerCallbackID:
		l.pickerAction(cb)
		return nil
	case cb.Type == slack.InteractionTypeBlockActions && cb.View.Type == slack.VTHomeTab:
		work = func(ctx context.Context) { l.homeClick(ctx, cb) }
	case cb.Type == slack.InteractionTypeBlockActions:
		work = func(ctx context.Context) { l.click(ctx, cb) }
	case cb.Type == slack.InteractionTypeViewSubmission && cb.View.CallbackID == denyCallbackID:
		work = func(ctx context.Context) { l.denySubmitted(ctx, cb) }
	default:
		return nil
	}
	if l.q.click(work) {
		return nil
	}
	l.log.Warn("click queue full; dropped", "type", cb.Type, "user", cb.User.ID)
	if cb.Type == slack.InteractionTypeViewSubmission {
		return []any{slack.NewErrorsViewSubmissionResponse(map[string]string{denyReasonBlockID: busyText})}
	}
	l.clickDropped(cb)
	return nil
}

// clickDropped tells the clicker that their click was not taken: in the
// channel, only to them, for a message's button; at the top of their tab
// for the Home tab's. It sends at most busyNotices such notices at once,
// beside the workers, so that a full queue does not hold them back.
func (l *Listener) clickDropped(cb slack.InteractionCallback) {
	home := cb.View.Type == slack.VTHomeTab
	if cb.User.ID == "" || (!home && cb.Channel.ID == "") {
		return
	}
	select {
	case l.busy <- struct{}{}:
	default:
		return
	}
	l.q.aside(func(ctx context.Context) {
		defer func() { <-l.busy }()
		if home {
			l.p.Home.Show(ctx, cb.User.ID, ":warning: "+busyClickText)
			return
		}
		l.tell(ctx, cb.Channel.ID, cb.User.ID, busyClickText)
	})
}

// slash answers a /dcs command: parsing and the handler's checks that need
// no I/O happen here, before the ack, so a refusal rides in the ack
// itself. The rest is returned as work for the pool, for the click lane
// when prompt (Answer.Prompt); its answer goes to the user through the
// command's response_url.
func (l *Listener) slash(cmd slack.SlashCommand) (reply string, work job, prompt bool) {
	if l.closing.Load() {
		l.p.Observer.Command("unknown", "refused")
		return "The bot is restarting. Please try again in a few seconds.", nil, false
	}
	parsed, err := commands.Parse(cmd.Text, commands.Options{MaxAddrs: l.p.MaxAddrs})
	if err != nil {
		l.p.Observer.Command("invalid", "refused")
		return string(userMessage(l.log, err)), nil, false
	}
	in := Input{User: cmd.UserID, Channel: cmd.ChannelID, TriggerID: cmd.TriggerID, ResponseURL: cmd.ResponseURL}
	ans, ok := l.router.dispatch(in, parsed)
	if !ok {
		l.p.Observer.Command("unknown", "refused")
		return string(escapeBot(commands.Usage())), nil, false
	}
	sub := parsed.Name()
	switch {
	case ans.Refused:
		l.p.Observer.Command(sub, "refused")
	case ans.Later == nil:
		l.p.Observer.Command(sub, "ok")
	}
	if ans.Later == nil {
		return string(ans.Now), nil, false
	}
	return string(ans.Now), func(ctx context.Context) { l.answer(ctx, in, sub, ans.Later) }, ans.Prompt
}

// answer runs a handler's work after the ack and sends its text (or its
// refusal) to the user alone.
func (l *Listener) answer(ctx context.Context, in Input, sub string, later func(context.Context) (text, error)) {
	t, err := later(ctx)
	if err != nil {
		l.p.Observer.Command(sub, outcomeOf(err))
		t = userMessage(l.log.With("user", in.User, "subcommand", sub), err)
	} else {
		l.p.Observer.Command(sub, "ok")
	}
	if t != "" {
		l.reply(ctx, in, t)
	}
}

// spawn queues work in the click lane (a view's action, an event); when
// the lane is full the work is dropped and logged.
func (l *Listener) spawn(what string, work job) {
	if !l.q.click(work) {
		l.log.Warn("click queue full; dropped", "what", what)
	}
}
