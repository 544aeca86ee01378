package fakeslack

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// SlashCommand is a user running a slash command.
type SlashCommand struct {
	UserID      string
	UserName    string // default: the user ID lowercased
	ChannelID   string
	ChannelName string // default: from SetChannel, else the ID lowercased
	TeamID      string // default: Options.TeamID
	Command     string // "/dcs"
	Text        string
	TriggerID   string // default: a new one, valid for views.open (once, for Options.TriggerTTL)
}

// SendSlashCommand delivers a "slash_commands" envelope shaped like Slack's
// (every field a string, a response_url pointing at the fake) and waits for
// its ack. A text or blocks payload in the first ack is recorded as an
// ephemeral reply (Via "ack"), or posted to the channel when its
// response_type is "in_channel".
func (s *Server) SendSlashCommand(ctx context.Context, cmd SlashCommand, opts ...SendOption) (Ack, error) {
	if cmd.TeamID == "" {
		cmd.TeamID = s.opts.TeamID
	}
	if cmd.UserName == "" {
		cmd.UserName = strings.ToLower(cmd.UserID)
	}
	s.mu.Lock()
	if cmd.ChannelName == "" {
		cmd.ChannelName = s.channelLocked(cmd.ChannelID).Name
	}
	cmd.TriggerID = s.triggerLocked(cmd.TriggerID, cmd.UserID, "")
	hookURL := s.newHookLocked(&hook{channel: cmd.ChannelID, user: cmd.UserID})
	s.mu.Unlock()

	payload := map[string]string{
		"token":                 "fake-verification-token",
		"team_id":               cmd.TeamID,
		"team_domain":           "fake",
		"channel_id":            cmd.ChannelID,
		"channel_name":          cmd.ChannelName,
		"user_id":               cmd.UserID,
		"user_name":             cmd.UserName,
		"command":               cmd.Command,
		"text":                  cmd.Text,
		"api_app_id":            s.opts.AppID,
		"is_enterprise_install": "false", // a string, as Slack sends it
		"response_url":          hookURL,
		"trigger_id":            cmd.TriggerID,
	}
	return s.SendEnvelope(ctx, "slash_commands", payload, append([]SendOption{withHookURL(hookURL)}, opts...)...)
}

// BlockAction is a user clicking a button (or choosing in a menu) of a
// message.
type BlockAction struct {
	UserID    string
	UserName  string // default: the user ID lowercased
	ChannelID string
	MessageTS string
	BlockID   string
	ActionID  string
	// Value is the clicked element's value. When the message is one the fake
	// knows (posted, or an ephemeral), the element must exist in its current
	// blocks; an empty Value is filled from it, another value is an error.
	Value     string
	TriggerID string // default: a new one, valid for views.open
	TeamID    string // default: Options.TeamID
	// Force sends the action even if the message does not have the element
	// (a stale or forged click).
	Force bool
}

// SendBlockAction delivers an "interactive" envelope with a block_actions
// payload like Slack's: user, channel, container, the message as it is now,
// and one action carrying block_id and action_id. It waits for the ack.
func (s *Server) SendBlockAction(ctx context.Context, a BlockAction, opts ...SendOption) (Ack, error) {
	if a.BlockID == "" || a.ActionID == "" {
		return Ack{}, fmt.Errorf("fakeslack: a block action needs a BlockID and an ActionID")
	}
	if a.TeamID == "" {
		a.TeamID = s.opts.TeamID
	}
	if a.UserName == "" {
		a.UserName = strings.ToLower(a.UserID)
	}
	now := time.Now()
	actionTS := fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)

	s.mu.Lock()
	var blocks json.RawMessage
	known, ephemeral := false, false
	container := map[string]any{
		"type": "message", "message_ts": a.MessageTS, "channel_id": a.ChannelID, "is_ephemeral": false,
	}
	var message map[string]any
	if m, ok := s.msgs[msgKey{a.ChannelID, a.MessageTS}]; ok {
		if m.Deleted && !a.Force {
			s.mu.Unlock()
			return Ack{}, fmt.Errorf("%w: message %s %s is deleted", ErrNoSuchElement, a.ChannelID, a.MessageTS)
		}
		known, blocks = true, m.Blocks
		message = map[string]any{
			"type": "message", "user": m.User, "bot_id": s.opts.BotID, "app_id": s.opts.AppID,
			"text": m.Text, "ts": m.TS, "team": s.opts.TeamID,
		}
		if len(m.Blocks) > 0 {
			message["blocks"] = m.Blocks
		}
		if m.ThreadTS != "" {
			message["thread_ts"] = m.ThreadTS
			container["thread_ts"] = m.ThreadTS
		}
	} else {
		for _, e := range s.ephemerals {
			if e.TS == a.MessageTS && e.Channel == a.ChannelID {
				known, ephemeral, blocks = true, true, e.Blocks
				container["is_ephemeral"] = true
			}
		}
	}
	action := map[string]any{
		"type": "button", "block_id": a.BlockID, "action_id": a.ActionID, "action_ts": actionTS,
	}
	if known {
		el, ok := findElement(blocks, a.BlockID, a.ActionID)
		if !ok && !a.Force {
			s.mu.Unlock()
			return Ack{}, fmt.Errorf("%w: block_id %q action_id %q in message %s %s", ErrNoSuchElement, a.BlockID, a.ActionID, a.ChannelID, a.MessageTS)
		}
		for _, k := range []string{"type", "text", "style"} {
			if v, ok := el[k]; ok {
				action[k] = v
			}
		}
		v, _ := el["value"].(string)
		switch {
		case a.Value == "":
			a.Value = v
		case a.Value != v && !a.Force:
			s.mu.Unlock()
			return Ack{}, fmt.Errorf("%w: element %s/%s has value %q, not %q", ErrNoSuchElement, a.BlockID, a.ActionID, v, a.Value)
		}
	}
	action["value"] = a.Value
	a.TriggerID = s.triggerLocked(a.TriggerID, a.UserID, "")
	channel := s.channelLocked(a.ChannelID)
	hookURL := s.newHookLocked(&hook{channel: a.ChannelID, user: a.UserID, messageTS: a.MessageTS, ephemeral: ephemeral})
	s.mu.Unlock()

	payload := map[string]any{
		"type":                  "block_actions",
		"user":                  map[string]any{"id": a.UserID, "username": a.UserName, "name": a.UserName, "team_id": a.TeamID},
		"api_app_id":            s.opts.AppID,
		"token":                 "fake-verification-token",
		"container":             container,
		"trigger_id":            a.TriggerID,
		"team":                  map[string]any{"id": a.TeamID, "domain": "fake"},
		"enterprise":            nil,
		"is_enterprise_install": false,
		"channel":               map[string]any{"id": channel.ID, "name": channel.Name},
		"state":                 map[string]any{"values": map[string]any{}},
		"response_url":          hookURL,
		"actions":               []any{action},
	}
	if message != nil {
		payload["message"] = message
	}
	return s.SendEnvelope(ctx, "interactive", payload, append([]SendOption{withHookURL(hookURL)}, opts...)...)
}

// findElement finds the interactive element with the action_id in the block
// with the block_id: an accessory, one of an actions block's elements, or an
// input's element.
func findElement(blocks json.RawMessage, blockID, actionID string) (map[string]any, bool) {
	var bs []any
	if json.Unmarshal(blocks, &bs) != nil {
		return nil, false
	}
	_, el, ok := findInBlocks(bs, blockID, actionID)
	return el, ok
}

// trigger is a trigger_id the fake handed out: usable once, for
// Options.TriggerTTL, by the user who interacted; viewID is the view the
// interaction came from, if any (views.push stacks onto it).
type trigger struct {
	at     time.Time
	user   string
	viewID string
}

// triggerLocked registers a trigger ID, making one up when id is empty.
func (s *Server) triggerLocked(id, user, viewID string) string {
	if id == "" {
		s.seq++
		id = fmt.Sprintf("%d.%d.%016x", 1700000000+s.seq, s.seq, s.seq*7919)
	}
	s.triggers[id] = trigger{at: s.opts.Now(), user: user, viewID: viewID}
	return id
}

// checkTriggerLocked checks a trigger ID as views.open and views.push do,
// and returns Slack's error code when it cannot be used. The caller spends
// it (deletes it) once the call succeeds.
func (s *Server) checkTriggerLocked(id string) (trigger, string) {
	t, ok := s.triggers[id]
	switch {
	case !ok:
		return t, "invalid_trigger_id"
	case s.opts.TriggerTTL > 0 && s.opts.Now().Sub(t.at) > s.opts.TriggerTTL:
		return t, "expired_trigger_id"
	}
	return t, ""
}

// ExpireTrigger makes a trigger ID expired now, as if its 3 seconds had
// passed: views.open and views.push answer expired_trigger_id.
func (s *Server) ExpireTrigger(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.triggers[id]; ok && s.opts.TriggerTTL > 0 {
		t.at = t.at.Add(-s.opts.TriggerTTL - time.Second)
		s.triggers[id] = t
	}
}
