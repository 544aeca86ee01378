package fakeslack

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// conversations.open takes 1 to 8 users: "too_many_users: Needs at most 8
// users to open" (conversations.open reference).
const maxOpenUsers = 8

// isUserID reports whether id looks like a Slack user ID (U… or W…).
func isUserID(id string) bool {
	return len(id) > 1 && (id[0] == 'U' || id[0] == 'W')
}

// dmLocked returns the ID of the app's direct-message channel with a user,
// opening it when needed. The ID is stable per user and starts with D.
func (s *Server) dmLocked(user string) (id string, existed bool) {
	return s.conversationLocked(user, 'D')
}

// conversationLocked returns the ID of a DM (prefix D, key a user) or a
// multi-person DM (prefix G, key the sorted users), opening it when needed.
func (s *Server) conversationLocked(key string, prefix byte) (id string, existed bool) {
	if id, ok := s.dms[key]; ok {
		return id, true
	}
	s.nextDM++
	id = fmt.Sprintf("%c%08d", prefix, s.nextDM)
	s.dms[key] = id
	s.dmUsers[id] = key
	return id, false
}

// postChannelLocked resolves the channel argument of chat.postMessage and
// chat.postEphemeral: a user ID posts to the app's DM with that user, as
// Slack does; a D… ID must be a DM the fake opened.
func (s *Server) postChannelLocked(ch string) (string, bool) {
	switch {
	case ch == "":
		return "", false
	case isUserID(ch):
		id, _ := s.dmLocked(ch)
		return id, true
	case ch[0] == 'D':
		_, ok := s.dmUsers[ch]
		return ch, ok
	}
	return ch, true
}

// openConversationLocked serves conversations.open: one user gives the
// app's DM with them (D…), several a multi-person DM (G…), both stable.
func (s *Server) openConversationLocked(call *Call) map[string]any {
	if ch := call.Arg("channel"); ch != "" {
		if _, ok := s.dmUsers[ch]; !ok {
			return slackErr("channel_not_found")
		}
		return map[string]any{"ok": true, "no_op": true, "already_open": true, "channel": map[string]any{"id": ch}}
	}
	var users []string
	for u := range strings.SplitSeq(call.Arg("users"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			users = append(users, u)
		}
	}
	switch {
	case len(users) == 0:
		return slackErr("users_list_not_supplied")
	case len(users) > maxOpenUsers:
		return slackErr("too_many_users")
	}
	for _, u := range users {
		if !isUserID(u) {
			return slackErr("user_not_found")
		}
	}
	id, existed := s.dmLocked(users[0])
	if len(users) > 1 {
		id, existed = s.conversationLocked(strings.Join(slices.Sorted(slices.Values(users)), ","), 'G')
	}
	channel := map[string]any{"id": id}
	if call.Arg("return_im") == "true" && len(users) == 1 {
		channel = map[string]any{
			"id": id, "created": 1700000000, "is_im": true, "is_org_shared": false,
			"user": users[0], "is_user_deleted": false, "priority": 0,
		}
	}
	return map[string]any{"ok": true, "no_op": existed, "already_open": existed, "channel": channel}
}

// conversationInfoLocked serves conversations.info.
func (s *Server) conversationInfoLocked(id string) map[string]any {
	if id == "" {
		return slackErr("channel_not_found")
	}
	if user, ok := s.dmUsers[id]; ok && id[0] == 'D' {
		return map[string]any{"ok": true, "channel": map[string]any{
			"id": id, "is_im": true, "user": user, "is_org_shared": false, "is_user_deleted": false,
		}}
	}
	c := s.channelLocked(id)
	return map[string]any{"ok": true, "channel": map[string]any{
		"id": c.ID, "name": c.Name, "is_channel": !c.IsPrivate, "is_group": false,
		"is_private": c.IsPrivate, "is_member": true, "is_archived": false,
	}}
}

// DMChannel returns the ID of the app's DM channel with a user, if it was
// opened (by conversations.open, a post to the user's ID, or
// SendAppHomeOpened).
func (s *Server) DMChannel(user string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.dms[user]
	return id, ok
}

// DMs returns the top-level messages the app posted in its DM with a user,
// in order, as they look now; deleted ones are left out.
func (s *Server) DMs(user string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.dms[user]
	if !ok {
		return nil
	}
	var out []Message
	for _, k := range s.top {
		if m := s.msgs[k]; k.channel == id && !m.Deleted {
			out = append(out, m.clone())
		}
	}
	return out
}

// permalinkLocked serves chat.getPermalink.
func (s *Server) permalinkLocked(channel, ts string) map[string]any {
	if channel == "" {
		return slackErr("channel_not_found")
	}
	link, ok := s.permalinkForLocked(channel, ts)
	if !ok {
		return slackErr("message_not_found")
	}
	return map[string]any{"ok": true, "channel": channel, "permalink": link}
}

// Permalink returns what chat.getPermalink answers for a message: a URL
// under the fake's URL, https://…/archives/<channel>/p<ts without the dot>,
// with ?thread_ts=…&cid=… for a thread reply, as Slack shapes it. It is
// false for an unknown or deleted message.
func (s *Server) Permalink(channel, ts string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.permalinkForLocked(channel, ts)
}

func (s *Server) permalinkForLocked(channel, ts string) (string, bool) {
	m, ok := s.msgs[msgKey{channel, ts}]
	if !ok || m.Deleted {
		return "", false
	}
	link := fmt.Sprintf("%s/archives/%s/p%s", s.http.URL, channel, strings.Replace(ts, ".", "", 1))
	if m.ThreadTS != "" {
		link += fmt.Sprintf("?thread_ts=%s&cid=%s", m.ThreadTS, channel)
	}
	return link, true
}

// handleArchive serves a permalink: the message as JSON, or 404.
func (s *Server) handleArchive(w http.ResponseWriter, r *http.Request) {
	channel, p, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/archives/"), "/")
	digits := strings.TrimPrefix(p, "p")
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(digits) > 6 {
		ts := digits[:len(digits)-6] + "." + digits[len(digits)-6:]
		if m, ok := s.msgs[msgKey{channel, ts}]; ok && !m.Deleted {
			writeJSON(w, http.StatusOK, s.messageJSON(m))
			return
		}
	}
	http.NotFound(w, r)
}
