// Package logging builds the bot's logger: log/slog in text or JSON, every
// line passed through a redactor that blanks the values of the secrets, and
// an adapter that turns slack-go's own debug output into slog lines.
package logging

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// Redacted replaces a secret's value in the logs.
const Redacted = "[REDACTED]"

// Redactor is an io.Writer that replaces every occurrence of the secrets
// with Redacted before writing. slog handlers write one whole record per
// Write, so a secret is never split across calls.
type Redactor struct {
	mu  sync.Mutex
	w   io.Writer
	rep *strings.Replacer
}

// NewRedactor wraps w. Empty secrets, and secrets shorter than 6 bytes
// (which would blank ordinary words), are ignored.
func NewRedactor(w io.Writer, secrets ...string) *Redactor {
	var pairs []string
	for _, s := range secrets {
		if len(s) >= 6 {
			pairs = append(pairs, s, Redacted)
		}
	}
	return &Redactor{w: w, rep: strings.NewReplacer(pairs...)}
}

func (r *Redactor) Write(p []byte) (int, error) {
	out := []byte(r.rep.Replace(string(p)))
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// SlackLogger adapts slack-go's logger interface (Output(calldepth, s)) to
// slog at debug level.
type SlackLogger struct{ Log *slog.Logger }

// Output implements slack-go's logger.
func (l SlackLogger) Output(_ int, s string) error {
	l.Log.Debug(string(bytes.TrimSpace([]byte(s))), "component", "slack-go")
	return nil
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying a request ID: every line logged with
// a *Context method and that ctx carries it as request_id, in whatever
// package logs it (the DCS client, the Slack edge).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request ID ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// ContextHandler adds the request ID a record's context carries.
type ContextHandler struct{ slog.Handler }

// Handle implements slog.Handler.
func (h ContextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h ContextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return ContextHandler{h.Handler.WithAttrs(as)}
}

// WithGroup implements slog.Handler.
func (h ContextHandler) WithGroup(name string) slog.Handler {
	return ContextHandler{h.Handler.WithGroup(name)}
}
