package fakeslack

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
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

	if !s.holdIfHung(r, &call) {
		s.logf("%s: held, no answer", method)
		s.recordCall(call)
		return
	}
	if f, ok := s.takeFault(&call); ok && s.applyFault(w, r, f, &call) {
		s.logf("%s: fault %d %s hung=%v", method, call.Status, call.Error, call.Hung)
		s.recordCall(call)
		return
	}

	s.mu.Lock()
	resp := s.dispatchLocked(method, bearer, &call)
	call.Status = http.StatusOK
	if ok, _ := resp["ok"].(bool); !ok {
		call.Error, _ = resp["error"].(string)
	}
	if md, ok := resp["response_metadata"].(map[string]any); ok {
		call.Warnings, _ = md["warnings"].([]string)
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
	case "chat.getPermalink":
		return s.permalinkLocked(call.Arg("channel"), call.Arg("message_ts"))
	case "conversations.open":
		return s.openConversationLocked(call)
	case "usergroups.users.list":
		users, ok := s.groups[call.Arg("usergroup")]
		if !ok {
			return slackErr("no_such_subteam")
		}
		return map[string]any{"ok": true, "users": slices.Clone(users)}
	case "conversations.info":
		return s.conversationInfoLocked(call.Arg("channel"))
	case "views.open":
		return s.openViewLocked(call)
	case "views.push":
		return s.pushViewLocked(call)
	case "views.update":
		return s.updateViewLocked(call)
	case "views.publish":
		return s.publishViewLocked(call)
	}
	s.t.Logf("fakeslack: unknown method %s", method)
	return slackErr("unknown_method")
}

// checkMessage validates the text and blocks of a post or update as Slack
// does. It returns the text as Slack keeps it (cut at 40,000 characters),
// the answer's warnings, and an error answer, or nil when Slack accepts it.
func checkMessage(text string, blocks json.RawMessage, hasAttachments bool) (string, []string, map[string]any) {
	if err := CheckBlocks(blocks); err != nil {
		return text, nil, invalidErr("invalid_blocks", err)
	}
	var bs []json.RawMessage
	_ = json.Unmarshal(blocks, &bs)
	if len(bs) == 0 && text == "" && !hasAttachments {
		return text, nil, slackErr("no_text")
	}
	if utf8.RuneCountInString(text) > maxMessageText {
		return string([]rune(text)[:maxMessageText]), []string{"message_truncated"}, nil
	}
	return text, nil, nil
}

// invalidErr is Slack's answer to a payload that breaks Block Kit's rules:
// the error code, with every problem in errors and
// response_metadata.messages.
func invalidErr(code string, err error) map[string]any {
	var be BlockErrors
	if !errors.As(err, &be) {
		return slackErr(code)
	}
	plain := make([]string, len(be))
	for i, x := range be {
		plain[i] = x.Error()
	}
	return map[string]any{
		"ok": false, "error": code, "errors": plain,
		"response_metadata": map[string]any{"messages": be.messages()},
	}
}

// withWarnings adds Slack's warnings to an ok answer.
func withWarnings(resp map[string]any, warnings []string) map[string]any {
	if len(warnings) == 0 {
		return resp
	}
	resp["warning"] = strings.Join(warnings, ",")
	resp["response_metadata"] = map[string]any{
		"warnings": warnings,
		"messages": []string{"[WARN] Your message was truncated but still posted. The `text` field accepts up to 40,000 characters."},
	}
	return resp
}

func formBlocks(f url.Values) json.RawMessage {
	if !f.Has("blocks") {
		return nil
	}
	return json.RawMessage(f.Get("blocks"))
}

func (s *Server) postMessageLocked(f url.Values) map[string]any {
	channel, ok := s.postChannelLocked(f.Get("channel"))
	if !ok {
		return slackErr("channel_not_found")
	}
	blocks := formBlocks(f)
	text, warnings, e := checkMessage(f.Get("text"), blocks, f.Get("attachments") != "")
	if e != nil {
		return e
	}
	m := s.postLocked(channel, f.Get("thread_ts"), text, blocks, f)
	return withWarnings(map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "message": s.messageJSON(m)}, warnings)
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
	text, warnings, e := checkMessage(text, blocks, f.Get("attachments") != "")
	if e != nil {
		return e
	}
	m.Text, m.Blocks, m.Form = text, blocks, f
	m.Updates++
	return withWarnings(map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "text": m.Text, "message": s.messageJSON(m)}, warnings)
}

func (s *Server) postEphemeralLocked(f url.Values) map[string]any {
	channel, ok := s.postChannelLocked(f.Get("channel"))
	if !ok {
		return slackErr("channel_not_found")
	}
	user := f.Get("user")
	if user == "" {
		return slackErr("user_not_found")
	}
	blocks := formBlocks(f)
	text, warnings, e := checkMessage(f.Get("text"), blocks, f.Get("attachments") != "")
	if e != nil {
		return e
	}
	ts := s.newTSLocked()
	s.ephemerals = append(s.ephemerals, Ephemeral{
		Channel: channel, User: user, TS: ts, ThreadTS: f.Get("thread_ts"),
		Text: text, Blocks: blocks, Via: "chat.postEphemeral", At: time.Now(),
	})
	return withWarnings(map[string]any{"ok": true, "message_ts": ts}, warnings)
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

	if f, ok := s.takeFault(&call); ok && s.applyFault(w, r, f, &call) {
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
	text, _, e := checkMessage(msg.Text, msg.Blocks, true)
	if e != nil {
		// Like incoming webhooks, a response_url answers a payload that
		// breaks Block Kit's rules with HTTP 400 and the error code.
		fail(http.StatusBadRequest, e["error"].(string))
		return
	}
	msg.Text = text
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
