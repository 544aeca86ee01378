package fakeslack

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"
	"unicode/utf8"
)

// Input is what a user entered in one element of a view.
type Input struct {
	// Value is the text of a plain_text_input (or, in a ViewAction, a
	// button's value: empty takes it from the button).
	Value string
	// Selected are the values of the options chosen: one for a
	// static_select, radio_buttons or overflow, any number for a
	// multi_static_select or checkboxes. Each must be one of the element's
	// options.
	Selected []string
}

// ViewSubmission is a user pressing a modal's submit button.
type ViewSubmission struct {
	ViewID   string
	UserID   string // default: the user the view was opened for
	UserName string // default: the user ID lowercased
	TeamID   string // default: Options.TeamID
	// Values are what the user entered, by block_id then action_id, on top
	// of the view's state from earlier actions. Each must name an element
	// of the view.
	Values    map[string]map[string]Input
	TriggerID string // default: a new one, valid for views.push/views.open
	// Force sends what the Slack client would not let the user submit: a
	// required input left empty, text outside min_length/max_length, an
	// unknown element or option.
	Force bool
}

// ViewClosed is a user closing a modal with its close button.
type ViewClosed struct {
	ViewID    string
	UserID    string // default: the user the view was opened for
	UserName  string
	TeamID    string
	IsCleared bool // the whole stack was closed
	// Force sends view_closed even though the view has no notify_on_close.
	Force bool
}

// ViewAction is a user using an interactive element of a modal or Home
// tab: a button, a select, a dispatching input.
type ViewAction struct {
	ViewID    string // "" for the user's Home tab
	UserID    string // default: the view's user; required for a Home tab
	UserName  string
	TeamID    string
	BlockID   string
	ActionID  string
	Input            // the value entered or the options chosen
	TriggerID string // default: a new one, valid for views.push/views.open
	// Force sends the action even if the view does not have the element,
	// the option, or (for an input block) dispatch_action.
	Force bool
}

// SendViewSubmission delivers an "interactive" envelope with a
// view_submission payload like Slack's (the view with its state, a
// trigger_id; accepts_response_payload true) and waits for the ack. The
// ack's response_action then acts as in Slack: none closes the view,
// "clear" closes its stack, "update" replaces it, "push" stacks a new view,
// "errors" keeps it open (read them with ack.PayloadMap or ack.Decode). A
// response Slack would refuse (errors naming no input block, an invalid
// view) returns ErrBadResponse with the ack.
func (s *Server) SendViewSubmission(ctx context.Context, sub ViewSubmission, opts ...SendOption) (Ack, error) {
	s.mu.Lock()
	v, err := s.openModalLocked(sub.ViewID)
	if err != nil {
		s.mu.Unlock()
		return Ack{}, err
	}
	if sub.UserID == "" {
		sub.UserID = v.user
	}
	state, err := submittedState(v, sub)
	if err != nil {
		s.mu.Unlock()
		return Ack{}, err
	}
	v.state = state
	for bid, acts := range sub.Values {
		for aid := range acts {
			delete(v.seeded, [2]string{bid, aid})
		}
	}
	tid := s.triggerLocked(sub.TriggerID, sub.UserID, v.id)
	payload := s.interactionLocked("view_submission", sub.UserID, sub.UserName, sub.TeamID)
	payload["trigger_id"] = tid
	payload["view"] = s.viewJSONLocked(v)
	payload["response_urls"] = []any{}
	s.notifyLocked()
	s.mu.Unlock()

	ack, err := s.SendEnvelope(ctx, "interactive", payload, append([]SendOption{AcceptsResponsePayload(true)}, opts...)...)
	if err != nil {
		return ack, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notifyLocked()
	return ack, s.applyViewResponseLocked(v, ack.Payload)
}

// submittedState is the view's state with the submission's values, checked
// as the Slack client checks them.
func submittedState(v *viewRec, sub ViewSubmission) (map[string]map[string]any, error) {
	state := cloneState(v.state)
	blocks := asList(v.def["blocks"])
	for bid, acts := range sub.Values {
		for aid, in := range acts {
			_, el, ok := findInBlocks(blocks, bid, aid)
			if !ok && !sub.Force {
				return nil, fmt.Errorf("%w: block_id %q action_id %q in view %s", ErrNoSuchElement, bid, aid, v.id)
			}
			if el == nil {
				el = map[string]any{"type": "plain_text_input"}
			}
			val, err := elementValue(el, in, sub.Force)
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", bid, aid, err)
			}
			if state[bid] == nil {
				state[bid] = map[string]any{}
			}
			state[bid][aid] = val
		}
	}
	if sub.Force {
		return state, nil
	}
	for _, b := range blocks {
		bm, _ := b.(map[string]any)
		if bm["type"] != "input" || bm["optional"] == true {
			continue
		}
		el, _ := bm["element"].(map[string]any)
		bid, _ := bm["block_id"].(string)
		aid, _ := el["action_id"].(string)
		val := state[bid][aid]
		if val == nil { // never touched: the client shows the initial value
			val = initialValue(el)
		}
		if isEmptyValue(val) {
			return nil, fmt.Errorf("%w: the required input %s/%s is empty", ErrWouldNotSend, bid, aid)
		}
	}
	return state, nil
}

func cloneState(st map[string]map[string]any) map[string]map[string]any {
	out := make(map[string]map[string]any, len(st))
	for b, acts := range st {
		out[b] = maps.Clone(acts)
	}
	return out
}

func isEmptyValue(v any) bool {
	m, _ := v.(map[string]any)
	if m == nil {
		return true
	}
	if s, _ := m["value"].(string); s != "" {
		return false
	}
	if m["selected_option"] != nil {
		return false
	}
	return len(asList(m["selected_options"])) == 0
}

// elementValue is the state (and action) value of an element for what the
// user entered, refused with ErrWouldNotSend when the Slack client would
// not allow it.
func elementValue(el map[string]any, in Input, force bool) (map[string]any, error) {
	typ, _ := el["type"].(string)
	out := map[string]any{"type": typ}
	switch typ {
	case "static_select", "radio_buttons", "overflow", "multi_static_select", "checkboxes":
		chosen := []any{}
		for _, val := range in.Selected {
			o, ok := findOption(el, val)
			if !ok && !force {
				return nil, fmt.Errorf("%w: option %q is not one of the element's", ErrWouldNotSend, val)
			}
			if !ok {
				o = map[string]any{"text": map[string]any{"type": "plain_text", "text": val}, "value": val}
			}
			chosen = append(chosen, o)
		}
		if typ == "multi_static_select" || typ == "checkboxes" {
			if max, ok := number(el["max_selected_items"]); ok && int64(len(chosen)) > max && !force {
				return nil, fmt.Errorf("%w: %d options chosen, max_selected_items is %d", ErrWouldNotSend, len(chosen), max)
			}
			out["selected_options"] = chosen
			return out, nil
		}
		if len(chosen) > 1 && !force {
			return nil, fmt.Errorf("%w: a %s takes one option", ErrWouldNotSend, typ)
		}
		out["selected_option"] = nil
		if len(chosen) > 0 {
			out["selected_option"] = chosen[0]
		}
	case "plain_text_input":
		n := int64(utf8.RuneCountInString(in.Value))
		if max, ok := number(el["max_length"]); ok && n > max && !force {
			return nil, fmt.Errorf("%w: %d characters, max_length is %d", ErrWouldNotSend, n, max)
		}
		if min, ok := number(el["min_length"]); ok && n > 0 && n < min && !force {
			return nil, fmt.Errorf("%w: %d characters, min_length is %d", ErrWouldNotSend, n, min)
		}
		out["value"] = in.Value
	default:
		out["value"] = in.Value
	}
	return out, nil
}

// applyViewResponseLocked acts on a view_submission ack's response_action.
func (s *Server) applyViewResponseLocked(v *viewRec, payload json.RawMessage) error {
	var r struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
		View           json.RawMessage   `json:"view"`
	}
	if len(payload) > 0 && json.Unmarshal(payload, &r) != nil {
		return fmt.Errorf("%w: the ack payload is not a JSON object: %s", ErrBadResponse, payload)
	}
	switch r.ResponseAction {
	case "":
		v.closed = true
	case "clear":
		for _, x := range s.views {
			if x.root == v.root {
				x.closed = true
			}
		}
	case "errors":
		return inputErrors(v, r.Errors)
	case "update", "push":
		def, bad := parseView(r.View, "modal")
		if bad != nil {
			return fmt.Errorf("%w: response_action %s with an invalid view: %v", ErrBadResponse, r.ResponseAction, bad["response_metadata"])
		}
		if r.ResponseAction == "update" {
			s.replaceViewLocked(v, def)
			return nil
		}
		if s.stackDepthLocked(v) >= maxViewStack {
			return fmt.Errorf("%w: push past %d views", ErrBadResponse, maxViewStack)
		}
		s.newViewLocked(v.user, def, v.root, v.id)
	default:
		return fmt.Errorf("%w: unknown response_action %q", ErrBadResponse, r.ResponseAction)
	}
	return nil
}

// inputErrors checks a response_action "errors": Slack shows each message
// under the input block whose block_id is its key, and refuses keys that
// name no input block of the view.
func inputErrors(v *viewRec, errs map[string]string) error {
	if len(errs) == 0 {
		return fmt.Errorf("%w: response_action errors without errors", ErrBadResponse)
	}
	inputs := map[string]bool{}
	for _, b := range asList(v.def["blocks"]) {
		if bm, _ := b.(map[string]any); bm["type"] == "input" {
			id, _ := bm["block_id"].(string)
			inputs[id] = true
		}
	}
	var bad []string
	for k := range errs {
		if !inputs[k] {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: errors for %s, which are not input block_ids of view %s", ErrBadResponse, strings.Join(bad, ", "), v.id)
	}
	return nil
}

// SendViewClosed delivers an "interactive" envelope with a view_closed
// payload and waits for the ack. The view is closed (its whole stack with
// IsCleared). Slack sends view_closed only for a view opened with
// notify_on_close; for another the view is closed, nothing is sent, and
// ErrWouldNotSend is returned (unless Force).
func (s *Server) SendViewClosed(ctx context.Context, c ViewClosed, opts ...SendOption) (Ack, error) {
	s.mu.Lock()
	v, err := s.openModalLocked(c.ViewID)
	if err != nil {
		s.mu.Unlock()
		return Ack{}, err
	}
	if c.UserID == "" {
		c.UserID = v.user
	}
	payload := s.interactionLocked("view_closed", c.UserID, c.UserName, c.TeamID)
	payload["view"] = s.viewJSONLocked(v)
	payload["is_cleared"] = c.IsCleared
	for _, x := range s.views {
		if x == v || (c.IsCleared && x.root == v.root) {
			x.closed = true
		}
	}
	s.notifyLocked()
	notify, _ := v.def["notify_on_close"].(bool)
	s.mu.Unlock()
	if !notify && !c.Force {
		return Ack{}, fmt.Errorf("%w: view %s has no notify_on_close", ErrWouldNotSend, v.id)
	}
	return s.SendEnvelope(ctx, "interactive", payload, opts...)
}

// SendViewAction delivers an "interactive" envelope with a block_actions
// payload from a view, as Slack sends it when a user clicks a button or
// changes a select in a modal or Home tab: container type "view" with the
// view_id, the whole view with its state (updated with this input), and one
// action. The element must exist in the view's current blocks (and, in an
// input block, the block must have dispatch_action), as with
// SendBlockAction. It waits for the ack.
func (s *Server) SendViewAction(ctx context.Context, a ViewAction, opts ...SendOption) (Ack, error) {
	if a.BlockID == "" || a.ActionID == "" {
		return Ack{}, fmt.Errorf("fakeslack: a view action needs a BlockID and an ActionID")
	}
	s.mu.Lock()
	id := a.ViewID
	if id == "" {
		id = s.homes[a.UserID]
	}
	v, ok := s.views[id]
	if !ok || v.closed {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("%w: no open view %q (user %s)", ErrNoSuchElement, a.ViewID, a.UserID)
	}
	if a.UserID == "" {
		a.UserID = v.user
	}
	action, err := viewActionLocked(v, a)
	if err != nil {
		s.mu.Unlock()
		return Ack{}, err
	}
	now := time.Now()
	action["block_id"], action["action_id"] = a.BlockID, a.ActionID
	action["action_ts"] = fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)
	payload := s.interactionLocked("block_actions", a.UserID, a.UserName, a.TeamID)
	payload["container"] = map[string]any{"type": "view", "view_id": v.id}
	payload["trigger_id"] = s.triggerLocked(a.TriggerID, a.UserID, v.id)
	payload["view"] = s.viewJSONLocked(v)
	payload["actions"] = []any{action}
	s.notifyLocked()
	s.mu.Unlock()
	return s.SendEnvelope(ctx, "interactive", payload, opts...)
}

// viewActionLocked checks a view action against the view and returns the
// action object; a stateful element's new value goes into the view's state.
func viewActionLocked(v *viewRec, a ViewAction) (map[string]any, error) {
	block, el, ok := findInBlocks(asList(v.def["blocks"]), a.BlockID, a.ActionID)
	switch {
	case !ok && !a.Force:
		return nil, fmt.Errorf("%w: block_id %q action_id %q in view %s", ErrNoSuchElement, a.BlockID, a.ActionID, v.id)
	case !ok:
		el = map[string]any{"type": "button"}
	case block["type"] == "input" && block["dispatch_action"] != true && !a.Force:
		return nil, fmt.Errorf("%w: input block %q has no dispatch_action", ErrWouldNotSend, a.BlockID)
	}
	if el["type"] == "button" {
		action := map[string]any{"type": "button"}
		for _, k := range []string{"text", "style"} {
			if x, ok := el[k]; ok {
				action[k] = x
			}
		}
		val, _ := el["value"].(string)
		switch {
		case a.Value == "":
			a.Value = val
		case a.Value != val && !a.Force:
			return nil, fmt.Errorf("%w: button %s/%s has value %q, not %q", ErrNoSuchElement, a.BlockID, a.ActionID, val, a.Value)
		}
		action["value"] = a.Value
		return action, nil
	}
	action, err := elementValue(el, a.Input, a.Force)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", a.BlockID, a.ActionID, err)
	}
	if el["type"] != "overflow" {
		if v.state[a.BlockID] == nil {
			v.state[a.BlockID] = map[string]any{}
		}
		v.state[a.BlockID][a.ActionID] = maps.Clone(action)
		delete(v.seeded, [2]string{a.BlockID, a.ActionID})
	}
	return action, nil
}

// interactionLocked is the common part of an interaction payload.
func (s *Server) interactionLocked(typ, user, userName, team string) map[string]any {
	if team == "" {
		team = s.opts.TeamID
	}
	if userName == "" {
		userName = strings.ToLower(user)
	}
	return map[string]any{
		"type":                  typ,
		"team":                  map[string]any{"id": team, "domain": "fake"},
		"user":                  map[string]any{"id": user, "username": userName, "name": userName, "team_id": team},
		"api_app_id":            s.opts.AppID,
		"token":                 "fake-verification-token",
		"enterprise":            nil,
		"is_enterprise_install": false,
	}
}

// openModalLocked returns the open modal with the view ID id.
func (s *Server) openModalLocked(id string) (*viewRec, error) {
	v, ok := s.views[id]
	if !ok || v.closed || v.typ != "modal" {
		return nil, fmt.Errorf("%w: no open modal %q", ErrNoSuchElement, id)
	}
	return v, nil
}
