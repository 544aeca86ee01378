package fakeslack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Slack keeps at most 3 views in a modal's stack: views.push answers
// push_limit_reached past it (views.push reference).
const maxViewStack = 3

// View is a modal or a Home tab as the fake keeps it, after every update.
type View struct {
	ID              string
	Type            string // "modal" or "home"
	User            string // who sees it
	CallbackID      string
	ExternalID      string
	PrivateMetadata string
	Hash            string
	RootViewID      string
	PreviousViewID  string // the view under it in a modal's stack
	Title           string // a modal's title text
	NotifyOnClose   bool
	Blocks          json.RawMessage
	// State is {"values":{block_id:{action_id:{…}}}}: what the user has
	// entered so far, as Slack sends it with the view.
	State json.RawMessage
	// JSON is the whole view object as Slack answers and sends it.
	JSON    json.RawMessage
	Updates int  // views.update, views.publish and response_action updates
	Closed  bool // submitted, closed or cleared (modals only)
}

// viewRec is the fake's record of a view.
type viewRec struct {
	id, typ, user  string
	def            map[string]any // the view as last set, with block IDs filled in
	hash           string
	root, previous string
	state          map[string]map[string]any // block_id -> action_id -> value
	seeded         map[[2]string]bool        // values in state that are initial values the user has not touched
	updates        int
	closed         bool
}

// View returns a view by ID.
func (s *Server) View(id string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.views[id]
	if !ok {
		return View{}, false
	}
	return s.exportViewLocked(v), true
}

// HomeView returns the Home tab last published for a user.
func (s *Server) HomeView(user string) (View, bool) {
	s.mu.Lock()
	id, ok := s.homes[user]
	s.mu.Unlock()
	if !ok {
		return View{}, false
	}
	return s.View(id)
}

// Views returns every view, modal or Home tab, in the order they were
// first opened or published.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, 0, len(s.viewOrder))
	for _, id := range s.viewOrder {
		out = append(out, s.exportViewLocked(s.views[id]))
	}
	return out
}

func (s *Server) exportViewLocked(v *viewRec) View {
	j := s.viewJSONLocked(v)
	str := func(k string) string { x, _ := v.def[k].(string); return x }
	out := View{
		ID: v.id, Type: v.typ, User: v.user, CallbackID: str("callback_id"), ExternalID: str("external_id"),
		PrivateMetadata: str("private_metadata"), Hash: v.hash, RootViewID: v.root, PreviousViewID: v.previous,
		Updates: v.updates, Closed: v.closed,
	}
	out.NotifyOnClose, _ = v.def["notify_on_close"].(bool)
	if t, ok := v.def["title"].(map[string]any); ok {
		out.Title, _ = t["text"].(string)
	}
	out.Blocks, _ = json.Marshal(j["blocks"])
	out.State, _ = json.Marshal(j["state"])
	out.JSON, _ = json.Marshal(j)
	return out
}

// viewJSONLocked is the view object as Slack answers and sends it.
func (s *Server) viewJSONLocked(v *viewRec) map[string]any {
	out := map[string]any{
		"private_metadata": "", "callback_id": "", "external_id": "",
		"clear_on_close": false, "notify_on_close": false, "blocks": []any{},
	}
	if v.typ == "modal" {
		out["title"], out["submit"], out["close"] = nil, nil, nil
	}
	maps.Copy(out, v.def)
	state := map[string]any{}
	for b, acts := range v.state {
		state[b] = maps.Clone(acts)
	}
	var previous any
	if v.previous != "" {
		previous = v.previous
	}
	maps.Copy(out, map[string]any{
		"id": v.id, "team_id": s.opts.TeamID, "type": v.typ, "hash": v.hash,
		"state": map[string]any{"values": state}, "root_view_id": v.root, "previous_view_id": previous,
		"app_id": s.opts.AppID, "bot_id": s.opts.BotID, "app_installed_team_id": s.opts.TeamID,
	})
	return out
}

func (s *Server) newHashLocked() string {
	s.seq++
	return fmt.Sprintf("%d.%08x", 1700000000+s.seq, uint32(s.seq)*2654435761)
}

// newViewLocked stores a new view.
func (s *Server) newViewLocked(user string, def map[string]any, root, previous string) *viewRec {
	s.nextView++
	typ, _ := def["type"].(string)
	v := &viewRec{
		id: fmt.Sprintf("V%08d", s.nextView), typ: typ, user: user, def: def,
		hash: s.newHashLocked(), previous: previous, state: map[string]map[string]any{},
	}
	v.root = root
	if root == "" {
		v.root = v.id
	}
	fillBlockIDs(def)
	s.seedInitialLocked(v)
	s.views[v.id] = v
	s.viewOrder = append(s.viewOrder, v.id)
	return v
}

// replaceViewLocked gives a view new content, keeping what the user entered
// in inputs that are still there (same block_id and action_id), as Slack
// does; inputs the user has not touched start at their new initial values.
func (s *Server) replaceViewLocked(v *viewRec, def map[string]any) {
	fillBlockIDs(def)
	v.def = def
	v.hash = s.newHashLocked()
	v.updates++
	for k := range v.seeded { // untouched inputs show the new drawing's initial values
		delete(v.state[k[0]], k[1])
	}
	clear(v.seeded)
	blocks := asList(def["blocks"])
	for b, acts := range v.state {
		for a := range acts {
			if _, _, ok := findInBlocks(blocks, b, a); !ok {
				delete(acts, a)
			}
		}
		if len(acts) == 0 {
			delete(v.state, b)
		}
	}
	s.seedInitialLocked(v)
}

// seedInitialLocked puts in v's state the initial value of every element
// that has one and no value yet, unless Options.InitialValuesOmitted.
func (s *Server) seedInitialLocked(v *viewRec) {
	if s.opts.InitialValuesOmitted {
		return
	}
	for _, b := range asList(v.def["blocks"]) {
		bm, _ := b.(map[string]any)
		bid, _ := bm["block_id"].(string)
		for _, e := range blockElements(bm) {
			aid, _ := e["action_id"].(string)
			if aid == "" || v.state[bid][aid] != nil {
				continue
			}
			if val := initialValue(e); val != nil {
				if v.state[bid] == nil {
					v.state[bid] = map[string]any{}
				}
				v.state[bid][aid] = val
				if v.seeded == nil {
					v.seeded = map[[2]string]bool{}
				}
				v.seeded[[2]string{bid, aid}] = true
			}
		}
	}
}

// initialValue is the state value an element starts with, or nil.
func initialValue(el map[string]any) map[string]any {
	typ, _ := el["type"].(string)
	switch {
	case el["initial_option"] != nil:
		return map[string]any{"type": typ, "selected_option": el["initial_option"]}
	case el["initial_options"] != nil:
		return map[string]any{"type": typ, "selected_options": el["initial_options"]}
	case el["initial_value"] != nil:
		return map[string]any{"type": typ, "value": el["initial_value"]}
	}
	return nil
}

// fillBlockIDs gives every block without a block_id one, as Slack does.
func fillBlockIDs(def map[string]any) {
	for i, b := range asList(def["blocks"]) {
		if m, ok := b.(map[string]any); ok {
			if _, ok := m["block_id"].(string); !ok {
				m["block_id"] = fmt.Sprintf("fk%03d", i)
			}
		}
	}
}

// rawArg returns a JSON argument of a call: a field of a JSON body, or a
// form field holding JSON (views.open and the others take view as either).
func rawArg(call *Call, name string) json.RawMessage {
	if call.Form.Has(name) {
		return json.RawMessage(call.Form.Get(name))
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(call.Body, &m) != nil {
		return nil
	}
	if v := m[name]; !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
		return v
	}
	return nil
}

func invalidArgs(msg string) map[string]any {
	return map[string]any{
		"ok": false, "error": "invalid_arguments",
		"response_metadata": map[string]any{"messages": []string{"[ERROR] " + msg}},
	}
}

// parseView checks a view argument as Slack does and decodes it. want is
// the view type the method takes.
func parseView(raw json.RawMessage, want string) (map[string]any, map[string]any) {
	if len(raw) == 0 {
		return nil, invalidArgs("missing required field: view")
	}
	if err := CheckView(raw); err != nil {
		if errors.Is(err, ErrViewTooLarge) {
			return nil, slackErr("view_too_large")
		}
		return nil, invalidErr("invalid_arguments", err)
	}
	v, err := decodeJSON(raw)
	def, ok := v.(map[string]any)
	if err != nil || !ok {
		return nil, invalidArgs("view must be a JSON object")
	}
	if def["type"] != want {
		return nil, invalidArgs(fmt.Sprintf("view type must be %s [json-pointer:/view/type]", want))
	}
	return def, nil
}

// externalIDTakenLocked reports whether another view uses the external_id.
func (s *Server) externalIDTakenLocked(def map[string]any, self string) bool {
	ext, _ := def["external_id"].(string)
	if ext == "" {
		return false
	}
	for id, v := range s.views {
		if id != self && !v.closed && v.def["external_id"] == ext {
			return true
		}
	}
	return false
}

func (s *Server) viewAnswerLocked(v *viewRec) map[string]any {
	return map[string]any{"ok": true, "view": s.viewJSONLocked(v)}
}

// openViewLocked serves views.open: a modal for the user whose interaction
// made the trigger_id, which is checked first and spent only when the view
// is accepted.
func (s *Server) openViewLocked(call *Call) map[string]any {
	tid := call.Arg("trigger_id")
	t, e := s.checkTriggerLocked(tid)
	if e != "" {
		return slackErr(e)
	}
	def, bad := parseView(rawArg(call, "view"), "modal")
	if bad != nil {
		return bad
	}
	if s.externalIDTakenLocked(def, "") {
		return slackErr("duplicate_external_id")
	}
	delete(s.triggers, tid)
	return s.viewAnswerLocked(s.newViewLocked(t.user, def, "", ""))
}

// pushViewLocked serves views.push: a modal on top of the stack of the view
// the trigger came from (or the user's latest open modal).
func (s *Server) pushViewLocked(call *Call) map[string]any {
	tid := call.Arg("trigger_id")
	t, e := s.checkTriggerLocked(tid)
	if e != "" {
		return slackErr(e)
	}
	def, bad := parseView(rawArg(call, "view"), "modal")
	if bad != nil {
		return bad
	}
	top := s.stackTopLocked(t.viewID, t.user)
	switch {
	case top == nil:
		return invalidArgs("no open view to push onto")
	case s.stackDepthLocked(top) >= maxViewStack:
		return slackErr("push_limit_reached")
	case s.externalIDTakenLocked(def, ""):
		return slackErr("duplicate_external_id")
	}
	delete(s.triggers, tid)
	return s.viewAnswerLocked(s.newViewLocked(t.user, def, top.root, top.id))
}

// stackTopLocked is the top open modal of the stack holding viewID, or of
// the user's latest stack when viewID is "".
func (s *Server) stackTopLocked(viewID, user string) *viewRec {
	root := ""
	if v, ok := s.views[viewID]; ok {
		root = v.root
	}
	for _, id := range slices.Backward(s.viewOrder) {
		v := s.views[id]
		if v.closed || v.typ != "modal" {
			continue
		}
		if (root != "" && v.root == root) || (root == "" && v.user == user) {
			return v
		}
	}
	return nil
}

func (s *Server) stackDepthLocked(top *viewRec) int {
	n := 0
	for v := top; v != nil; v = s.views[v.previous] {
		n++
		if v.previous == "" {
			break
		}
	}
	return n
}

// updateViewLocked serves views.update, by view_id or external_id, with
// the hash check when a hash is given.
func (s *Server) updateViewLocked(call *Call) map[string]any {
	id, ext := call.Arg("view_id"), call.Arg("external_id")
	var v *viewRec
	switch {
	case id != "":
		v = s.views[id]
	case ext != "":
		for _, x := range s.views {
			if !x.closed && x.def["external_id"] == ext {
				v = x
			}
		}
	default:
		return invalidArgs("missing required field: view_id or external_id")
	}
	if v == nil || v.closed {
		return slackErr("not_found")
	}
	if h := call.Arg("hash"); h != "" && h != v.hash {
		return slackErr("hash_conflict")
	}
	def, bad := parseView(rawArg(call, "view"), v.typ)
	if bad != nil {
		return bad
	}
	if s.externalIDTakenLocked(def, v.id) {
		return slackErr("duplicate_external_id")
	}
	s.replaceViewLocked(v, def)
	return s.viewAnswerLocked(v)
}

// publishViewLocked serves views.publish: the user's Home tab, created or
// replaced (it keeps its view ID).
func (s *Server) publishViewLocked(call *Call) map[string]any {
	user := call.Arg("user_id")
	if !isUserID(user) {
		return invalidArgs("invalid `user_id`")
	}
	def, bad := parseView(rawArg(call, "view"), "home")
	if bad != nil {
		return bad
	}
	v, ok := s.views[s.homes[user]]
	if !ok {
		v = s.newViewLocked(user, def, "", "")
		s.homes[user] = v.id
		return s.viewAnswerLocked(v)
	}
	if h := call.Arg("hash"); h != "" && h != v.hash {
		return slackErr("hash_conflict")
	}
	s.replaceViewLocked(v, def)
	return s.viewAnswerLocked(v)
}

// findInBlocks finds the block with the block_id and, in it, the element
// with the action_id: an accessory, an input's element, or one of an
// actions block's elements.
func findInBlocks(blocks []any, blockID, actionID string) (block, el map[string]any, ok bool) {
	for _, b := range blocks {
		bm, _ := b.(map[string]any)
		if bm == nil || bm["block_id"] != blockID {
			continue
		}
		for _, m := range blockElements(bm) {
			if m["action_id"] == actionID {
				return bm, m, true
			}
		}
	}
	return nil, nil, false
}

// blockElements are the interactive elements of a block: its accessory,
// its element, its elements.
func blockElements(bm map[string]any) []map[string]any {
	var els []any
	if acc, ok := bm["accessory"]; ok {
		els = append(els, acc)
	}
	if el, ok := bm["element"]; ok {
		els = append(els, el)
	}
	els = append(els, asList(bm["elements"])...)
	var out []map[string]any
	for _, e := range els {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// findOption finds an element's option by value, in options or
// option_groups.
func findOption(el map[string]any, value string) (any, bool) {
	opts := asList(el["options"])
	for _, g := range asList(el["option_groups"]) {
		if gm, ok := g.(map[string]any); ok {
			opts = append(opts, asList(gm["options"])...)
		}
	}
	for _, o := range opts {
		if m, ok := o.(map[string]any); ok && m["value"] == value {
			return map[string]any{"text": m["text"], "value": m["value"]}, true
		}
	}
	return nil, false
}
