// Package fakeslack is a stateful fake of Slack for end-to-end tests: the Web
// API methods dcsbot calls, Socket Mode (apps.connections.open and the
// websocket), and response_url hooks.
//
// The code under test uses the real slack-go client pointed at the fake:
//
//	fake := fakeslack.New(t, fakeslack.Options{})
//	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()),
//		slack.OptionAppLevelToken(fake.AppToken()))
//	client := socketmode.New(api)
//
// Web API methods served: auth.test, apps.connections.open,
// chat.postMessage, chat.update, chat.delete, chat.postEphemeral,
// chat.getPermalink, conversations.open, conversations.info,
// usergroups.users.list, views.open, views.push, views.update and
// views.publish. Any other method answers unknown_method.
//
// The fake checks tokens and answers like Slack does: ok:false with Slack's
// error codes, HTTP 429 with Retry-After. It enforces Slack's documented
// Block Kit limits on every method that takes blocks or a view
// (invalid_blocks for messages, invalid_arguments or view_too_large for
// views, each problem listed in response_metadata.messages with a JSON
// pointer, as Slack does); CheckBlocks and CheckView expose the same check
// to renderer tests. Message text over 40,000 characters is cut and posted
// with the message_truncated warning, as Slack does. A trigger_id works
// once, for Options.TriggerTTL (expired_trigger_id after; ExpireTrigger
// expires one now). Views keep an ID and a hash (views.update with a stale
// hash answers hash_conflict); a user ID given as a channel posts to the
// app's DM with that user (D…, also what conversations.open answers).
//
// It records every call, keeps messages, DMs and views as they look after
// updates, and lets a test play the user over the socket: slash commands,
// button clicks in messages (SendBlockAction) and in views (SendViewAction),
// view submissions and closes, and Events API events (SendEvent,
// SendAppHomeOpened). The Send methods wait for the ack, check that the
// element used exists in what the user sees, and refuse what the Slack
// client would not send (ErrNoSuchElement, ErrWouldNotSend) unless forced.
//
// Faults play a broken Slack: per method (SetFault) or per argument value
// (SetFaultWhere, SetUsergroupFault), failing with an HTTP status or an
// error code, slowing down (Delay) or hanging until the client gives up
// (Hang); SetWebAPIHung holds the whole Web API. Everything is stopped in
// t.Cleanup.
package fakeslack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Defaults for the zero Options.
const (
	DefaultAppToken  = "xapp-1-A0FAKE-1-fake"
	DefaultBotToken  = "xoxb-0-fake"
	DefaultBotUserID = "U0FAKEBOT"
	DefaultBotID     = "B0FAKEBOT"
	DefaultTeamID    = "T0FAKE"
	DefaultAppID     = "A0FAKE"
)

// Options configure a Server. The zero value works.
type Options struct {
	AppToken  string // app-level token (xapp-…) for apps.connections.open
	BotToken  string // bot token (xoxb-…) for every other method
	BotUserID string // auth.test user_id and the author of posted messages
	BotID     string
	TeamID    string
	AppID     string

	// PingInterval is how often the fake pings each socket (default 1s).
	// The client never pings; it reconnects when pings stop. Negative: never
	// ping, to test that.
	PingInterval time.Duration
	// AckDeadline is Slack's 3 s limit for acking an envelope (default 3s).
	// An ack that comes later is returned with ErrLateAck. Negative: none.
	AckDeadline time.Duration
	// TriggerTTL is how long a trigger_id may be used for views.open and
	// views.push (default 3s, as Slack). Negative: forever.
	TriggerTTL time.Duration
	// Now is the fake's clock for trigger expiry (default time.Now).
	Now func() time.Time
	// DefaultTimeout bounds every wait whose context has no deadline
	// (default 10s), so a broken test fails instead of hanging.
	DefaultTimeout time.Duration
	// Debug logs the traffic with t.Logf.
	Debug bool
	// InitialValuesOmitted leaves the initial values of a view's inputs
	// (initial_option, initial_options, initial_value) out of its state
	// until the user touches them. Slack's documentation does not say
	// which it does; by default the fake puts them in the state, as the
	// Slack client shows them, and a test can play the other way.
	InitialValuesOmitted bool
}

func (o *Options) setDefaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.AppToken, DefaultAppToken)
	def(&o.BotToken, DefaultBotToken)
	def(&o.BotUserID, DefaultBotUserID)
	def(&o.BotID, DefaultBotID)
	def(&o.TeamID, DefaultTeamID)
	def(&o.AppID, DefaultAppID)
	if o.PingInterval == 0 {
		o.PingInterval = time.Second
	}
	if o.AckDeadline == 0 {
		o.AckDeadline = 3 * time.Second
	}
	if o.TriggerTTL == 0 {
		o.TriggerTTL = 3 * time.Second
	}
	if o.DefaultTimeout <= 0 {
		o.DefaultTimeout = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Errors returned by the Send methods; test them with errors.Is.
var (
	// ErrNoAck: the context ended before the client acked the envelope.
	ErrNoAck = errors.New("fakeslack: envelope not acked")
	// ErrLateAck: the ack came after Options.AckDeadline; Slack would have
	// shown the user an error. The ack is returned with it.
	ErrLateAck = errors.New("fakeslack: envelope acked after the deadline")
	// ErrNoSuchElement: a block action names a block_id/action_id pair (or a
	// value) that the message's current blocks do not have.
	ErrNoSuchElement = errors.New("fakeslack: no such interactive element in the message")
	// ErrClosed: the server was shut down.
	ErrClosed = errors.New("fakeslack: server closed")
	// ErrWouldNotSend: Slack would not send this interaction: an input the
	// Slack client refuses (a required field left empty, text over
	// max_length, an option not in the menu), a view_closed for a view
	// without notify_on_close, an action on an input block without
	// dispatch_action. Set Force to send it anyway.
	ErrWouldNotSend = errors.New("fakeslack: Slack would not send this interaction")
	// ErrBadResponse: the client acked a view_submission with a
	// response_action Slack refuses (errors naming no input block, an
	// invalid view); the user would see an error.
	ErrBadResponse = errors.New("fakeslack: Slack refuses this response")
)

// Server is the fake Slack. Its methods are safe for concurrent use.
type Server struct {
	t        testing.TB
	opts     Options
	http     *httptest.Server
	upgrader websocket.Upgrader
	quit     chan struct{}
	wg       sync.WaitGroup // socket goroutines

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change
	closed  bool

	// socket mode
	tickets   map[string]bool
	nextConn  int
	conns     []*wsConn // open, in the order they connected
	rr        int
	opens     int
	nextEnv   int
	envelopes []Envelope
	sent      map[string]*sentInfo
	acks      map[string][]Ack
	allAcks   []Ack

	// web API
	calls      []Call
	faults     map[faultKey]*Fault
	inflight   map[string]int
	unhang     chan struct{} // non-nil while SetWebAPIHung(true)
	seq        int
	msgs       map[msgKey]*Message
	top        []msgKey
	threads    map[msgKey][]msgKey
	ephemerals []Ephemeral
	groups     map[string][]string
	channels   map[string]Channel
	hooks      map[string]*hook
	nextHook   int
	triggers   map[string]trigger

	// views and direct messages
	views     map[string]*viewRec
	viewOrder []string
	homes     map[string]string // user -> Home tab view ID
	nextView  int
	dms       map[string]string // user (or sorted users) -> DM channel ID
	dmUsers   map[string]string // DM channel ID -> user (or sorted users)
	nextDM    int
	nextEvent int
}

// New starts a fake Slack that stops when the test ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	opts.setDefaults()
	s := &Server{
		t:        t,
		opts:     opts,
		quit:     make(chan struct{}),
		changed:  make(chan struct{}),
		tickets:  map[string]bool{},
		sent:     map[string]*sentInfo{},
		acks:     map[string][]Ack{},
		faults:   map[faultKey]*Fault{},
		inflight: map[string]int{},
		msgs:     map[msgKey]*Message{},
		threads:  map[msgKey][]msgKey{},
		groups:   map[string][]string{},
		channels: map[string]Channel{},
		hooks:    map[string]*hook{},
		triggers: map[string]trigger{},
		views:    map[string]*viewRec{},
		homes:    map[string]string{},
		dms:      map[string]string{},
		dmUsers:  map[string]string{},
	}
	s.upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.handleAPI)
	mux.HandleFunc("/ws/", s.handleWS)
	mux.HandleFunc("/response/", s.handleResponseURL)
	mux.HandleFunc("/archives/", s.handleArchive)
	s.http = httptest.NewServer(mux)
	t.Cleanup(s.close)
	return s
}

// close stops the pingers, closes every socket, waits for the socket
// goroutines and shuts the HTTP server down.
func (s *Server) close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	conns := s.conns
	s.conns = nil
	close(s.quit)
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.shut()
	}
	s.wg.Wait()
	s.http.Close()
}

// Options returns the options with their defaults filled in.
func (s *Server) Options() Options { return s.opts }

// AppToken is the app-level token apps.connections.open accepts.
func (s *Server) AppToken() string { return s.opts.AppToken }

// BotToken is the bot token the Web API methods accept.
func (s *Server) BotToken() string { return s.opts.BotToken }

// URL is the base URL of the fake, without a trailing slash.
func (s *Server) URL() string { return s.http.URL }

// APIURL is the value for slack.OptionAPIURL; it ends in "/".
func (s *Server) APIURL() string { return s.http.URL + "/api/" }

// notifyLocked wakes every waiter. s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Debug {
		s.t.Logf("fakeslack: "+format, args...)
	}
}

// bound gives ctx the default timeout when it has no deadline.
func (s *Server) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, s.opts.DefaultTimeout)
}

// WaitFor calls cond until it returns true, again after every change to the
// fake's state (a call, an ack, a connection). cond may call any method of
// the Server. It returns an error when ctx ends first (or after
// Options.DefaultTimeout when ctx has no deadline).
func (s *Server) WaitFor(ctx context.Context, cond func(*Server) bool) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond(s) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("fakeslack: condition not met: %w", ctx.Err())
		case <-s.quit:
			return ErrClosed
		}
	}
}

// waitLocked is WaitFor for a predicate that runs with s.mu held.
func (s *Server) waitLocked(ctx context.Context, pred func() bool) error {
	for {
		s.mu.Lock()
		if pred() {
			s.mu.Unlock()
			return nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.quit:
			return ErrClosed
		}
	}
}

// ---- records ----

// Call is one request to a Web API method or a response_url.
type Call struct {
	Method string          // "chat.postMessage", …; "response_url" for hooks
	Form   url.Values      // form fields (token included), nil for JSON bodies
	Body   json.RawMessage // the JSON body of views.open, apps.connections.open and response_url posts
	Blocks json.RawMessage // the blocks form field or JSON field, if any
	At     time.Time
	Status int    // HTTP status of the answer; 0 when none was written
	Error  string // the Slack error code answered, "" when ok
	// Warnings are the warnings of an ok answer ("message_truncated").
	Warnings []string
	// Hung: the fake held the call without answering until the client gave
	// up or the fake stopped (a Hang fault or SetWebAPIHung).
	Hung bool
}

// Arg returns a string argument of the call: a form field, or a top-level
// string field of a JSON body; "" when absent.
func (c Call) Arg(name string) string {
	if c.Form.Has(name) {
		return c.Form.Get(name)
	}
	if len(c.Body) == 0 {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(c.Body, &m) != nil {
		return ""
	}
	v, _ := m[name].(string)
	return v
}

// Message is a message posted with chat.postMessage (or an in_channel
// response), as it looks now.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string // the parent's ts for a thread reply, "" for a top-level post
	User     string
	Text     string
	Blocks   json.RawMessage
	Updates  int  // chat.update calls and replace_original responses applied
	Deleted  bool // by chat.delete or delete_original
	Form     url.Values
}

func (m Message) clone() Message {
	m.Blocks = slices.Clone(m.Blocks)
	m.Form = maps.Clone(m.Form)
	return m
}

// Ephemeral is a message only one user sees.
type Ephemeral struct {
	Channel  string
	User     string
	TS       string
	ThreadTS string
	Text     string
	Blocks   json.RawMessage
	// Via is how the bot sent it: "chat.postEphemeral", "response_url" or
	// "ack" (the payload of a slash command's ack).
	Via             string
	ReplaceOriginal bool
	At              time.Time
}

// Channel is what conversations.info answers for a channel.
type Channel struct {
	ID        string
	Name      string
	IsPrivate bool
}

type msgKey struct{ channel, ts string }

// Calls returns the recorded calls of one method in order; "" returns all.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			c.Form = maps.Clone(c.Form)
			c.Body = slices.Clone(c.Body)
			c.Blocks = slices.Clone(c.Blocks)
			c.Warnings = slices.Clone(c.Warnings)
			out = append(out, c)
		}
	}
	return out
}

// Messages returns the top-level messages in the order they were posted,
// with their current text and blocks; deleted ones are left out.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, k := range s.top {
		if m := s.msgs[k]; !m.Deleted {
			out = append(out, m.clone())
		}
	}
	return out
}

// Message returns one message (top-level or reply), deleted or not.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.msgs[msgKey{channel, ts}]
	if !ok {
		return Message{}, false
	}
	return m.clone(), true
}

// Thread returns the replies to a message in order, without deleted ones.
func (s *Server) Thread(channel, ts string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, k := range s.threads[msgKey{channel, ts}] {
		if m := s.msgs[k]; !m.Deleted {
			out = append(out, m.clone())
		}
	}
	return out
}

// Ephemerals returns the ephemeral messages in the order they were sent.
func (s *Server) Ephemerals() []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.ephemerals)
	for i := range out {
		out[i].Blocks = slices.Clone(out[i].Blocks)
	}
	return out
}

// SetUsergroup sets the members usergroups.users.list answers for a group.
func (s *Server) SetUsergroup(id string, users ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[id] = slices.Clone(users)
	s.notifyLocked()
}

// SetChannel sets what conversations.info answers for a channel. An unset
// channel is answered as a public channel named after its lowercased ID.
func (s *Server) SetChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[c.ID] = c
	s.notifyLocked()
}

func (s *Server) channelLocked(id string) Channel {
	if c, ok := s.channels[id]; ok {
		return c
	}
	return Channel{ID: id, Name: strings.ToLower(id)}
}

// newTSLocked returns a new unique, increasing message timestamp.
func (s *Server) newTSLocked() string {
	s.seq++
	return fmt.Sprintf("%d.%06d", 1700000000+s.seq/10000, (s.seq%10000)*100)
}

func (s *Server) recordCall(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
	s.notifyLocked()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func slackErr(code string) map[string]any {
	return map[string]any{"ok": false, "error": code}
}
