package slackbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"

	"dcsbot/internal/commands"
)

// Input is the slash command a handler answers: who typed it, where.
type Input struct {
	User        string
	Channel     string
	TriggerID   string
	ResponseURL string
}

// Answer is what a handler decides before the ack, with no I/O. Now is
// a reply that rides in the ack itself (Slack mrkdwn), for what needs no
// I/O: it reaches the user even in a channel the bot is not in. Later,
// when set, runs on a worker after the ack; its text, or its error turned
// into a sentence, goes to the user alone ("" sends nothing).
type Answer struct {
	Now   text
	Later func(ctx context.Context) (text, error)
	// Prompt queues Later with the clicks, ahead of slow commands: for
	// work that opens a modal, whose trigger lives 3 seconds. Such work
	// hands what is slow on to the command lane.
	Prompt  bool
	Refused bool // Now is a refusal (for metrics)
}

// refusedNow answers at once with err turned into a sentence.
func refusedNow(log *slog.Logger, err error) Answer {
	return Answer{Now: userMessage(log, err), Refused: true}
}

// Commands holds one handler per subcommand, each in its own file, as an
// exported method
//
//	func (h *Commands) Name(in Input, c commands.Name, deps ...smallInterface) Answer
//
// The router finds them by their signature: the command type names the
// subcommand (its Name()), and each parameter after it is a small interface
// the handler needs, which the router binds, when it is built, to the first
// provider (the lifecycle, the DCS client) that satisfies it. Adding a
// subcommand is its entry in internal/commands and its handler file here.
type Commands struct {
	log    *slog.Logger
	picker *picker // the dialog /dcs kill <instance> opens
}

// router maps a subcommand's name to its handler.
type router struct {
	routes map[string]route
}

type route struct {
	fn   reflect.Value   // the bound method
	deps []reflect.Value // the providers bound to its parameters after the command
}

var (
	inputType   = reflect.TypeFor[Input]()
	answerType  = reflect.TypeFor[Answer]()
	commandType = reflect.TypeFor[commands.Command]()
)

// newRouter finds the handlers of h and binds their needs to providers. It
// fails when no provider satisfies a handler's need, two handlers handle
// one subcommand, or a subcommand of the table (commands.Names) has no
// handler.
func newRouter(h *Commands, providers ...any) (*router, error) {
	rt := &router{routes: map[string]route{}}
	handled := map[string]bool{} // subcommands with a handler, bound or not
	v := reflect.ValueOf(h)
	var errs []error
	for i := range v.NumMethod() {
		m, mt := v.Method(i), v.Type().Method(i)
		name, r, ok, err := bind(m, providers)
		if err != nil {
			errs = append(errs, fmt.Errorf("handler %s: %w", mt.Name, err))
		}
		if name != "" {
			handled[name] = true
		}
		if !ok {
			continue
		}
		if _, dup := rt.routes[name]; dup {
			errs = append(errs, fmt.Errorf("handler %s: a second handler of %q", mt.Name, name))
		}
		rt.routes[name] = r
	}
	return rt, errors.Join(append(errs, unhandled(handled, commands.Names()))...)
}

// unhandled fails when a subcommand of names has no handler.
func unhandled(handled map[string]bool, names []string) error {
	var missing []string
	for _, n := range names {
		if !handled[n] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("no handler for the subcommand(s) %s", strings.Join(missing, ", "))
	}
	return nil
}

// bind checks that method m is a handler and binds its needs to
// providers. ok is false for a method that is not a handler.
func bind(m reflect.Value, providers []any) (name string, r route, ok bool, err error) {
	t := m.Type()
	if t.NumIn() < 2 || t.NumOut() != 1 || t.In(0) != inputType || t.Out(0) != answerType || !t.In(1).Implements(commandType) {
		return "", route{}, false, nil
	}
	name = reflect.Zero(t.In(1)).Interface().(commands.Command).Name()
	r = route{fn: m}
	for i := 2; i < t.NumIn(); i++ {
		dep, err := provide(t.In(i), providers)
		if err != nil {
			return name, r, false, err
		}
		r.deps = append(r.deps, dep)
	}
	return name, r, true, nil
}

// provide returns the first provider that satisfies need.
func provide(need reflect.Type, providers []any) (reflect.Value, error) {
	if need.Kind() != reflect.Interface {
		return reflect.Value{}, fmt.Errorf("its parameter %s is not an interface", need)
	}
	for _, p := range providers {
		if p != nil && reflect.TypeOf(p).Implements(need) {
			return reflect.ValueOf(p), nil
		}
	}
	return reflect.Value{}, fmt.Errorf("no provider satisfies %s", need)
}

// dispatch runs the handler of c; ok is false when there is none.
func (rt *router) dispatch(in Input, c commands.Command) (Answer, bool) {
	r, ok := rt.routes[c.Name()]
	if !ok {
		return Answer{}, false
	}
	args := append([]reflect.Value{reflect.ValueOf(in), reflect.ValueOf(c)}, r.deps...)
	return r.fn.Call(args)[0].Interface().(Answer), true
}
