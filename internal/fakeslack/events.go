package fakeslack

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// SendEvent delivers an "events_api" envelope carrying event (the inner
// event, e.g. {"type":"app_home_opened",…}; marshalled to JSON) wrapped as
// Slack wraps it: an event_callback with token, team_id, api_app_id,
// event_id, event_time and authorizations. It waits for the ack.
func (s *Server) SendEvent(ctx context.Context, event any, opts ...SendOption) (Ack, error) {
	inner, err := marshalPayload(event)
	if err != nil {
		return Ack{}, err
	}
	s.mu.Lock()
	s.nextEvent++
	id := fmt.Sprintf("Ev%08d", s.nextEvent)
	s.mu.Unlock()
	payload := map[string]any{
		"token":      "fake-verification-token",
		"team_id":    s.opts.TeamID,
		"api_app_id": s.opts.AppID,
		"event":      inner,
		"type":       "event_callback",
		"event_id":   id,
		"event_time": time.Now().Unix(),
		"authorizations": []any{map[string]any{
			"enterprise_id": nil, "team_id": s.opts.TeamID, "user_id": s.opts.BotUserID,
			"is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false,
		"event_context":         "4-fake-" + id,
	}
	return s.SendEnvelope(ctx, "events_api", payload, opts...)
}

// SendAppHomeOpened delivers an app_home_opened event for a user opening
// the app's Home tab, as Slack sends it: tab "home", the app's DM channel
// with the user, and the user's current Home tab view when one was
// published. It waits for the ack.
func (s *Server) SendAppHomeOpened(ctx context.Context, user string, opts ...SendOption) (Ack, error) {
	s.mu.Lock()
	channel, _ := s.dmLocked(user)
	now := time.Now()
	event := map[string]any{
		"type":     "app_home_opened",
		"user":     user,
		"channel":  channel,
		"tab":      "home",
		"event_ts": fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000),
	}
	if v, ok := s.views[s.homes[user]]; ok {
		event["view"] = s.viewJSONLocked(v)
	}
	s.mu.Unlock()
	raw, err := json.Marshal(event)
	if err != nil {
		return Ack{}, err
	}
	return s.SendEvent(ctx, json.RawMessage(raw), opts...)
}
