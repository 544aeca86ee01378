package fakeslack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// wsConn is one open socket-mode connection.
type wsConn struct {
	id       int
	ws       *websocket.Conn
	wmu      sync.Mutex    // one writer at a time (WriteControl and Close need none)
	done     chan struct{} // closed by shut
	once     sync.Once
	draining bool // sent a disconnect; guarded by Server.mu
}

func (c *wsConn) shut() {
	c.once.Do(func() {
		close(c.done)
		_ = c.ws.Close() // closes the TCP connection, no close frame
	})
}

func (c *wsConn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return err
	}
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// Envelope is a socket-mode envelope the fake sent.
type Envelope struct {
	ID                     string
	Type                   string
	Payload                json.RawMessage
	AcceptsResponsePayload bool
	RetryAttempt           int
	RetryReason            string
	ConnID                 int
	At                     time.Time
}

// Ack is what the client sent back for an envelope.
type Ack struct {
	EnvelopeID string
	Payload    json.RawMessage // nil when the ack had none
	Raw        json.RawMessage // the whole frame
	ConnID     int             // the connection it came on
	At         time.Time
	Latency    time.Duration // since the envelope was (last) sent
	// ResponseURL is the response_url the fake put in the slash command or
	// block action payload, when it built one.
	ResponseURL string
}

// PayloadMap decodes the ack's payload; nil when there is none.
func (a Ack) PayloadMap() map[string]any {
	var m map[string]any
	if len(a.Payload) == 0 || json.Unmarshal(a.Payload, &m) != nil {
		return nil
	}
	return m
}

// Decode decodes the ack's payload into v.
func (a Ack) Decode(v any) error {
	if len(a.Payload) == 0 {
		return fmt.Errorf("fakeslack: ack %s has no payload", a.EnvelopeID)
	}
	return json.Unmarshal(a.Payload, v)
}

// sentInfo is what the fake remembers about an envelope it sent.
type sentInfo struct {
	typ     string
	accepts bool
	user    string
	channel string
	at      time.Time
	hookURL string
}

// ---- connecting ----

// Opens is how many apps.connections.open calls succeeded.
func (s *Server) Opens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opens
}

// FailedOpens is how many apps.connections.open calls failed: answered
// with an error code or an HTTP status other than 200, or held unanswered.
// Make them fail with SetFault("apps.connections.open", APIError(n,
// "invalid_auth")) or ServerError(n).
func (s *Server) FailedOpens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c.Method == "apps.connections.open" && (c.Error != "" || c.Status != 200 || c.Hung) {
			n++
		}
	}
	return n
}

// Connections is how many sockets are open and not told to disconnect.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.liveLocked())
}

// ConnIDs returns the IDs of the open sockets (not told to disconnect).
func (s *Server) ConnIDs() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int
	for _, c := range s.liveLocked() {
		ids = append(ids, c.id)
	}
	return ids
}

func (s *Server) liveLocked() []*wsConn {
	var out []*wsConn
	for _, c := range s.conns {
		if !c.draining {
			out = append(out, c)
		}
	}
	return out
}

// WaitConnections waits until at least n sockets are open.
func (s *Server) WaitConnections(ctx context.Context, n int) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	have := 0
	err := s.waitLocked(ctx, func() bool {
		have = len(s.liveLocked())
		return have >= n
	})
	if err != nil {
		return fmt.Errorf("fakeslack: waiting for %d socket connections (have %d): %w", n, have, err)
	}
	return nil
}

// openConnectionLocked answers apps.connections.open: a single-use ticket in a
// websocket URL.
func (s *Server) openConnectionLocked() map[string]any {
	s.opens++
	ticket := fmt.Sprint(s.opens)
	s.tickets[ticket] = true
	u := "ws" + strings.TrimPrefix(s.http.URL, "http") + "/ws/" + ticket
	return map[string]any{"ok": true, "url": u}
}

func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	ticket := strings.TrimPrefix(r.URL.Path, "/ws/")
	s.mu.Lock()
	ok := !s.closed && s.tickets[ticket]
	delete(s.tickets, ticket)
	s.mu.Unlock()
	if !ok {
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered
	}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.nextConn++
	c := &wsConn{id: s.nextConn, ws: ws, done: make(chan struct{})}
	hello, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": len(s.liveLocked()) + 1,
		"debug_info": map[string]any{
			"host":                        fmt.Sprintf("applink-fake-%d", c.id),
			"build_number":                1,
			"approximate_connection_time": 18060,
		},
		"connection_info": map[string]any{"app_id": s.opts.AppID},
	})
	s.wg.Add(2)
	s.mu.Unlock()

	// Say hello before the connection can carry envelopes, as Slack does.
	if err := c.write(hello); err != nil {
		c.shut()
		s.wg.Add(-2)
		return
	}
	s.logf("conn %d: open", c.id)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.shut()
		s.wg.Add(-2)
		return
	}
	s.conns = append(s.conns, c)
	s.notifyLocked()
	s.mu.Unlock()

	go s.ping(c)
	s.read(c) // the handler's goroutine is ours after the upgrade
}

// ping pings the client every PingInterval until the connection closes.
func (s *Server) ping(c *wsConn) {
	defer s.wg.Done()
	if s.opts.PingInterval < 0 {
		select {
		case <-c.done:
		case <-s.quit:
		}
		return
	}
	tick := time.NewTicker(s.opts.PingInterval)
	defer tick.Stop()
	for n := 0; ; n++ {
		err := c.ws.WriteControl(websocket.PingMessage, fmt.Appendf(nil, "ping-%d", n), time.Now().Add(time.Second))
		if err != nil {
			return
		}
		select {
		case <-c.done:
			return
		case <-s.quit:
			return
		case <-tick.C:
		}
	}
}

// read records acks until the connection fails, then forgets it.
func (s *Server) read(c *wsConn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		s.conns = slices.DeleteFunc(s.conns, func(x *wsConn) bool { return x == c })
		s.notifyLocked()
		s.mu.Unlock()
		c.shut()
		s.logf("conn %d: closed", c.id)
	}()
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		s.recordAck(c, data)
	}
}

func (s *Server) recordAck(c *wsConn, data []byte) {
	s.logf("conn %d: <- %s", c.id, data)
	var frame struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	_ = json.Unmarshal(data, &frame)
	ack := Ack{
		EnvelopeID: frame.EnvelopeID,
		Raw:        slices.Clone(data),
		ConnID:     c.id,
		At:         time.Now(),
	}
	if p := bytes.TrimSpace(frame.Payload); len(p) > 0 && !bytes.Equal(p, []byte("null")) {
		ack.Payload = slices.Clone(p)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	info := s.sent[ack.EnvelopeID]
	if info != nil {
		ack.Latency = ack.At.Sub(info.at)
		ack.ResponseURL = info.hookURL
	}
	first := len(s.acks[ack.EnvelopeID]) == 0
	s.acks[ack.EnvelopeID] = append(s.acks[ack.EnvelopeID], ack)
	s.allAcks = append(s.allAcks, ack)
	// Slack uses the payload of the first ack only, and only when the
	// envelope accepts one: for a slash command it is the reply.
	if first && info != nil && info.accepts && info.typ == "slash_commands" && ack.Payload != nil {
		s.ackReplyLocked(info, ack)
	}
	s.notifyLocked()
}

// ackReplyLocked shows a slash command's ack payload to the user.
func (s *Server) ackReplyLocked(info *sentInfo, ack Ack) {
	var m struct {
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
		ResponseType string          `json:"response_type"`
	}
	if json.Unmarshal(ack.Payload, &m) != nil || (m.Text == "" && len(m.Blocks) == 0) {
		return
	}
	if m.ResponseType == "in_channel" {
		s.postLocked(info.channel, "", m.Text, m.Blocks, nil)
		return
	}
	s.ephemerals = append(s.ephemerals, Ephemeral{
		Channel: info.channel, User: info.user, TS: s.newTSLocked(),
		Text: m.Text, Blocks: m.Blocks, Via: "ack", At: ack.At,
	})
}

// Acks returns the acks received for an envelope in order; "" returns all.
func (s *Server) Acks(envelopeID string) []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	if envelopeID == "" {
		return slices.Clone(s.allAcks)
	}
	return slices.Clone(s.acks[envelopeID])
}

// Envelopes returns the envelopes sent, one entry per copy, in order.
func (s *Server) Envelopes() []Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.envelopes)
}

// ---- disconnecting ----

// DropConnections closes every socket abruptly, without a close frame, as a
// network failure would. The client must reconnect.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := s.conns
	s.conns = nil
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.shut()
	}
}

// Disconnect asks every client to reconnect, as Slack does before it
// refreshes a connection: {"type":"disconnect","reason":"refresh_requested"}.
// No envelope is sent on those connections afterwards.
func (s *Server) Disconnect() {
	for _, id := range s.ConnIDs() {
		_ = s.DisconnectConn(id, "refresh_requested")
	}
}

// DisconnectConn sends a disconnect message with the reason ("warning",
// "refresh_requested", "link_disabled") on one connection.
func (s *Server) DisconnectConn(id int, reason string) error {
	s.mu.Lock()
	var c *wsConn
	for _, x := range s.conns {
		if x.id == id {
			c = x
		}
	}
	if c == nil {
		s.mu.Unlock()
		return fmt.Errorf("fakeslack: no connection %d", id)
	}
	c.draining = true
	s.notifyLocked()
	s.mu.Unlock()
	msg, _ := json.Marshal(map[string]any{
		"type":       "disconnect",
		"reason":     reason,
		"debug_info": map[string]any{"host": fmt.Sprintf("applink-fake-%d", id)},
	})
	s.logf("conn %d: -> %s", id, msg)
	return c.write(msg)
}

// ---- sending envelopes ----

// SendOption changes how an envelope is sent.
type SendOption func(*sendConfig)

type sendConfig struct {
	id           string
	retryAttempt int
	retryReason  string
	accepts      *bool
	copies       int
	conn         int
	all          bool
	noWait       bool
	hookURL      string
}

// WithEnvelopeID sets the envelope ID instead of a new one: send the same ID
// again to play a redelivery.
func WithEnvelopeID(id string) SendOption { return func(c *sendConfig) { c.id = id } }

// WithRetry sets retry_attempt and retry_reason (e.g. 1, "timeout").
func WithRetry(attempt int, reason string) SendOption {
	return func(c *sendConfig) { c.retryAttempt, c.retryReason = attempt, reason }
}

// AcceptsResponsePayload sets accepts_response_payload (default: true for
// slash_commands, false otherwise).
func AcceptsResponsePayload(b bool) SendOption { return func(c *sendConfig) { c.accepts = &b } }

// Duplicate delivers the same envelope twice: to the next two connections
// round-robin, or twice on the only one.
func Duplicate() SendOption { return func(c *sendConfig) { c.copies = 2 } }

// ToConn sends on one connection (an ID from ConnIDs).
func ToConn(id int) SendOption { return func(c *sendConfig) { c.conn = id } }

// ToAll sends a copy on every open connection, as if each replica got it.
func ToAll() SendOption { return func(c *sendConfig) { c.all = true } }

// NoWait returns once the envelope is written, without waiting for an ack;
// the returned Ack only has the EnvelopeID. Use Acks to look later.
func NoWait() SendOption { return func(c *sendConfig) { c.noWait = true } }

func withHookURL(u string) SendOption { return func(c *sendConfig) { c.hookURL = u } }

// SendEnvelope sends a socket-mode envelope of the type ("slash_commands",
// "interactive", "events_api", …) with the payload (marshalled to JSON;
// json.RawMessage and []byte are sent as they are). With no connection open
// it waits for one. It returns the first ack that arrives for the envelope,
// ErrLateAck with the ack if it came after the deadline, or ErrNoAck when ctx
// ends first.
func (s *Server) SendEnvelope(ctx context.Context, typ string, payload any, opts ...SendOption) (Ack, error) {
	cfg := sendConfig{copies: 1}
	for _, o := range opts {
		o(&cfg)
	}
	raw, err := marshalPayload(payload)
	if err != nil {
		return Ack{}, err
	}
	accepts := typ == "slash_commands"
	if cfg.accepts != nil {
		accepts = *cfg.accepts
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()

	var targets []*wsConn
	var pickErr error
	err = s.waitLocked(ctx, func() bool {
		targets, pickErr = s.pickLocked(cfg)
		return len(targets) > 0 || pickErr != nil
	})
	if pickErr != nil {
		return Ack{}, pickErr
	}
	if err != nil {
		return Ack{}, fmt.Errorf("fakeslack: no socket connection to send %s on: %w", typ, err)
	}

	s.mu.Lock()
	if cfg.id == "" {
		s.nextEnv++
		cfg.id = fmt.Sprintf("fe%07d-%04x-4000-8000-%012x", s.nextEnv, s.nextEnv, s.nextEnv)
	}
	id := cfg.id
	before := len(s.acks[id])
	info := &sentInfo{typ: typ, accepts: accepts, at: time.Now(), hookURL: cfg.hookURL}
	var who struct {
		UserID    string `json:"user_id"`
		ChannelID string `json:"channel_id"`
	}
	_ = json.Unmarshal(raw, &who)
	info.user, info.channel = who.UserID, who.ChannelID
	s.sent[id] = info
	s.mu.Unlock()

	frame, err := json.Marshal(map[string]any{
		"envelope_id":              id,
		"type":                     typ,
		"payload":                  raw,
		"accepts_response_payload": accepts,
		"retry_attempt":            cfg.retryAttempt,
		"retry_reason":             cfg.retryReason,
	})
	if err != nil {
		return Ack{}, err
	}
	var wrote int
	var writeErr error
	for _, c := range targets {
		s.logf("conn %d: -> %s", c.id, frame)
		if err := c.write(frame); err != nil {
			writeErr = fmt.Errorf("fakeslack: writing envelope to connection %d: %w", c.id, err)
			continue
		}
		wrote++
		s.mu.Lock()
		s.envelopes = append(s.envelopes, Envelope{
			ID: id, Type: typ, Payload: raw, AcceptsResponsePayload: accepts,
			RetryAttempt: cfg.retryAttempt, RetryReason: cfg.retryReason,
			ConnID: c.id, At: time.Now(),
		})
		s.notifyLocked()
		s.mu.Unlock()
	}
	if wrote == 0 {
		return Ack{}, writeErr
	}
	if cfg.noWait {
		return Ack{EnvelopeID: id, ResponseURL: cfg.hookURL}, nil
	}

	var ack Ack
	err = s.waitLocked(ctx, func() bool {
		if acks := s.acks[id]; len(acks) > before {
			ack = acks[before]
			return true
		}
		return false
	})
	if err != nil {
		return Ack{EnvelopeID: id, ResponseURL: cfg.hookURL}, fmt.Errorf("%w: %s %s: %w", ErrNoAck, typ, id, err)
	}
	if d := s.opts.AckDeadline; d > 0 && ack.Latency > d {
		return ack, fmt.Errorf("%w: %s %s acked after %v (deadline %v)", ErrLateAck, typ, id, ack.Latency, d)
	}
	return ack, nil
}

// pickLocked chooses the connections for an envelope.
func (s *Server) pickLocked(cfg sendConfig) ([]*wsConn, error) {
	live := s.liveLocked()
	switch {
	case cfg.conn != 0:
		for _, c := range live {
			if c.id == cfg.conn {
				return slices.Repeat([]*wsConn{c}, cfg.copies), nil
			}
		}
		return nil, fmt.Errorf("fakeslack: connection %d is not open", cfg.conn)
	case len(live) == 0:
		return nil, nil
	case cfg.all:
		return live, nil
	}
	var out []*wsConn
	for range cfg.copies {
		out = append(out, live[s.rr%len(live)])
		s.rr++
	}
	return out, nil
}

func marshalPayload(p any) (json.RawMessage, error) {
	switch v := p.(type) {
	case json.RawMessage:
		return v, nil
	case []byte:
		return v, nil
	case nil:
		return json.RawMessage("{}"), nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("fakeslack: marshalling payload: %w", err)
	}
	return b, nil
}
