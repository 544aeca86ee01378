package fakeslack

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// handleAPI serves /api/<method>.
func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	body, _ := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	call := Call{Method: method, At: time.Now()}
	switch {
	case r.Method == http.MethodGet:
		call.Form = r.URL.Query()
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/json"):
		call.Body = body
		var b struct {
			Blocks json.RawMessage `json:"blocks"`
		}
		if json.Unmarshal(body, &b) == nil {
			call.Blocks = b.Blocks
		}
	default:
		call.Form, _ = url.ParseQuery(string(body))
	}
	if b := call.Form.Get("blocks"); b != "" {
		call.Blocks = json.RawMessage(b)
	}
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")

	if f, ok := s.takeFault(method); ok && s.applyFault(w, f, &call) {
		s.logf("%s: fault %d %s", method, call.Status, call.Error)
		s.recordCall(call)
		return
	}

	s.mu.Lock()
	resp := s.dispatchLocked(method, bearer, &call)
	call.Status = http.StatusOK
	if ok, _ := resp["ok"].(bool); !ok {
		call.Error, _ = resp["error"].(string)
	}
	s.calls = append(s.calls, call)
	s.notifyLocked()
	s.mu.Unlock()
	s.logf("%s: %v", method, resp)
	writeJSON(w, http.StatusOK, resp)
}

// checkToken answers like Slack for a missing, wrong or misplaced token.
func (s *Server) checkToken(got, want string) string {
	switch got {
	case want:
		return ""
	case "":
		return "not_authed"
	case s.opts.AppToken, s.opts.BotToken:
		return "not_allowed_token_type"
	}
	return "invalid_auth"
}

func (s *Server) dispatchLocked(method, bearer string, call *Call) map[string]any {
	if method == "apps.connections.open" {
		if e := s.checkToken(bearer, s.opts.AppToken); e != "" {
			return slackErr(e)
		}
		return s.openConnectionLocked()
	}
	token := call.Form.Get("token")
	if token == "" {
		token = bearer
	}
	if e := s.checkToken(token, s.opts.BotToken); e != "" {
		return slackErr(e)
	}
	f := call.Form
	switch method {
	case "auth.test":
		return map[string]any{
			"ok": true, "url": "https://fake.slack.com/", "team": "Fake", "user": "dcsbot",
			"team_id": s.opts.TeamID, "user_id": s.opts.BotUserID, "bot_id": s.opts.BotID,
		}
	case "chat.postMessage":
		return s.postMessageLocked(f)
	case "chat.update":
		return s.updateLocked(f)
	case "chat.delete":
		m, ok := s.msgs[msgKey{f.Get("channel"), f.Get("ts")}]
		if !ok || m.Deleted {
			return slackErr("message_not_found")
		}
		m.Deleted = true
		return map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS}
	case "chat.postEphemeral":
		return s.postEphemeralLocked(f)
	case "usergroups.users.list":
		users, ok := s.groups[f.Get("usergroup")]
		if !ok {
			return slackErr("no_such_subteam")
		}
		return map[string]any{"ok": true, "users": slices.Clone(users)}
	case "conversations.info":
		id := f.Get("channel")
		if id == "" {
			return slackErr("channel_not_found")
		}
		c := s.channelLocked(id)
		return map[string]any{"ok": true, "channel": map[string]any{
			"id": c.ID, "name": c.Name, "is_channel": !c.IsPrivate, "is_group": false,
			"is_private": c.IsPrivate, "is_member": true, "is_archived": false,
		}}
	case "views.open":
		return s.openViewLocked(call.Body)
	}
	s.t.Logf("fakeslack: unknown method %s", method)
	return slackErr("unknown_method")
}

// checkMessage validates the text and blocks of a post or update as Slack
// does, and returns an error code or "".
func checkMessage(text string, blocks json.RawMessage, hasAttachments bool) string {
	if len([]rune(text)) > 40000 {
		return "msg_too_long"
	}
	if blocks == nil {
		if text == "" && !hasAttachments {
			return "no_text"
		}
		return ""
	}
	var bs []map[string]any
	if err := json.Unmarshal(blocks, &bs); err != nil || len(bs) > 50 {
		return "invalid_blocks"
	}
	if len(bs) == 0 && text == "" && !hasAttachments {
		return "no_text"
	}
	seen := map[string]bool{}
	for _, b := range bs {
		if _, ok := b["type"].(string); !ok {
			return "invalid_blocks"
		}
		if id, ok := b["block_id"].(string); ok {
			if seen[id] || len(id) > 255 {
				return "invalid_blocks"
			}
			seen[id] = true
		}
		actions := map[string]bool{}
		if els, ok := b["elements"].([]any); ok && b["type"] == "actions" {
			for _, e := range els {
				m, _ := e.(map[string]any)
				if id, ok := m["action_id"].(string); ok {
					if actions[id] {
						return "invalid_blocks"
					}
					actions[id] = true
				}
			}
		}
	}
	return ""
}

func formBlocks(f url.Values) json.RawMessage {
	if !f.Has("blocks") {
		return nil
	}
	return json.RawMessage(f.Get("blocks"))
}

func (s *Server) postMessageLocked(f url.Values) map[string]any {
	channel := f.Get("channel")
	if channel == "" {
		return slackErr("channel_not_found")
	}
	blocks := formBlocks(f)
	if e := checkMessage(f.Get("text"), blocks, f.Get("attachments") != ""); e != "" {
		return slackErr(e)
	}
	m := s.postLocked(channel, f.Get("thread_ts"), f.Get("text"), blocks, f)
	return map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "message": s.messageJSON(m)}
}

// postLocked stores a new message. A reply to a reply goes to the thread's
// parent; a reply to an unknown or deleted message is posted top-level, as
// Slack does.
func (s *Server) postLocked(channel, threadTS, text string, blocks json.RawMessage, form url.Values) *Message {
	if threadTS != "" {
		parent, ok := s.msgs[msgKey{channel, threadTS}]
		switch {
		case !ok || parent.Deleted:
			threadTS = ""
		case parent.ThreadTS != "":
			threadTS = parent.ThreadTS
		}
	}
	m := &Message{
		Channel: channel, TS: s.newTSLocked(), ThreadTS: threadTS, User: s.opts.BotUserID,
		Text: text, Blocks: blocks, Form: form,
	}
	k := msgKey{channel, m.TS}
	s.msgs[k] = m
	if threadTS == "" {
		s.top = append(s.top, k)
	} else {
		pk := msgKey{channel, threadTS}
		s.threads[pk] = append(s.threads[pk], k)
	}
	return m
}

func (s *Server) messageJSON(m *Message) map[string]any {
	out := map[string]any{
		"type": "message", "user": m.User, "bot_id": s.opts.BotID, "app_id": s.opts.AppID,
		"text": m.Text, "ts": m.TS, "team": s.opts.TeamID,
	}
	if len(m.Blocks) > 0 {
		out["blocks"] = m.Blocks
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	return out
}

// updateLocked applies chat.update: the fields sent replace the message's,
// the fields left out stay.
func (s *Server) updateLocked(f url.Values) map[string]any {
	m, ok := s.msgs[msgKey{f.Get("channel"), f.Get("ts")}]
	if !ok || m.Deleted {
		return slackErr("message_not_found")
	}
	text, blocks := m.Text, m.Blocks
	if f.Has("text") {
		text = f.Get("text")
	}
	if f.Has("blocks") {
		blocks = formBlocks(f)
	}
	if e := checkMessage(text, blocks, f.Get("attachments") != ""); e != "" {
		return slackErr(e)
	}
	m.Text, m.Blocks, m.Form = text, blocks, f
	m.Updates++
	return map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "text": m.Text, "message": s.messageJSON(m)}
}

func (s *Server) postEphemeralLocked(f url.Values) map[string]any {
	channel, user := f.Get("channel"), f.Get("user")
	if channel == "" {
		return slackErr("channel_not_found")
	}
	if user == "" {
		return slackErr("user_not_found")
	}
	blocks := formBlocks(f)
	if e := checkMessage(f.Get("text"), blocks, f.Get("attachments") != ""); e != "" {
		return slackErr(e)
	}
	ts := s.newTSLocked()
	s.ephemerals = append(s.ephemerals, Ephemeral{
		Channel: channel, User: user, TS: ts, ThreadTS: f.Get("thread_ts"),
		Text: f.Get("text"), Blocks: blocks, Via: "chat.postEphemeral", At: time.Now(),
	})
	return map[string]any{"ok": true, "message_ts": ts}
}

func (s *Server) openViewLocked(body json.RawMessage) map[string]any {
	var req struct {
		TriggerID string         `json:"trigger_id"`
		View      map[string]any `json:"view"`
	}
	if json.Unmarshal(body, &req) != nil || req.View == nil {
		return slackErr("invalid_arguments")
	}
	issued, ok := s.triggers[req.TriggerID]
	switch {
	case !ok:
		return slackErr("invalid_trigger_id")
	case s.opts.TriggerTTL > 0 && time.Since(issued) > s.opts.TriggerTTL:
		return slackErr("expired_trigger_id")
	}
	delete(s.triggers, req.TriggerID)
	s.nextView++
	view := req.View
	view["id"] = fmt.Sprintf("V%08d", s.nextView)
	view["team_id"] = s.opts.TeamID
	view["app_id"] = s.opts.AppID
	view["bot_id"] = s.opts.BotID
	return map[string]any{"ok": true, "view": view}
}

// ---- response_url ----

// hook is a response_url: where a slash command or a click came from.
type hook struct {
	channel   string
	user      string
	messageTS string // the message clicked, for replace_original
	ephemeral bool
	uses      int
}

// Slack accepts five posts to a response_url.
const hookUses = 5

func (s *Server) newHookLocked(h *hook) string {
	s.nextHook++
	id := fmt.Sprintf("%d", s.nextHook)
	s.hooks[id] = h
	return s.http.URL + "/response/" + id
}

// handleResponseURL serves /response/<id>: JSON posts as slack-go's
// MsgOptionResponseURL, MsgOptionReplaceOriginal and MsgOptionDeleteOriginal
// send them.
func (s *Server) handleResponseURL(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	call := Call{Method: "response_url", Body: body, At: time.Now()}
	var msg struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		ThreadTS        string          `json:"thread_ts"`
		ResponseType    string          `json:"response_type"`
		ReplaceOriginal bool            `json:"replace_original"`
		DeleteOriginal  bool            `json:"delete_original"`
	}
	bad := json.Unmarshal(body, &msg) != nil
	if string(msg.Blocks) == "null" {
		msg.Blocks = nil
	}
	call.Blocks = msg.Blocks

	if f, ok := s.takeFault("response_url"); ok && s.applyFault(w, f, &call) {
		s.recordCall(call)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notifyLocked()
	fail := func(status int, code string) {
		call.Status, call.Error = status, code
		s.calls = append(s.calls, call)
		http.Error(w, code, status)
	}
	h, ok := s.hooks[strings.TrimPrefix(r.URL.Path, "/response/")]
	switch {
	case !ok:
		fail(http.StatusNotFound, "no_active_hooks")
		return
	case h.uses >= hookUses:
		fail(http.StatusNotFound, "used_url")
		return
	case bad:
		fail(http.StatusBadRequest, "invalid_payload")
		return
	}
	h.uses++
	call.Status = http.StatusOK
	s.calls = append(s.calls, call)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})

	orig, hasOrig := s.msgs[msgKey{h.channel, h.messageTS}]
	hasOrig = hasOrig && !h.ephemeral && !orig.Deleted
	switch {
	case msg.DeleteOriginal && hasOrig:
		orig.Deleted = true
	case msg.ReplaceOriginal && hasOrig:
		orig.Text, orig.Blocks = msg.Text, msg.Blocks
		orig.Updates++
	case msg.ResponseType == "in_channel":
		s.postLocked(h.channel, msg.ThreadTS, msg.Text, msg.Blocks, nil)
	case msg.DeleteOriginal:
		// an ephemeral original: nothing kept to delete
	default:
		s.ephemerals = append(s.ephemerals, Ephemeral{
			Channel: h.channel, User: h.user, TS: s.newTSLocked(), ThreadTS: msg.ThreadTS,
			Text: msg.Text, Blocks: msg.Blocks, Via: "response_url",
			ReplaceOriginal: msg.ReplaceOriginal, At: call.At,
		})
	}
}
