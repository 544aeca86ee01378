package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// SinkKind names a kind of sink.
type SinkKind string

const (
	SinkLog     SinkKind = "log"     // the bot's own log, event=audit
	SinkFile    SinkKind = "file"    // an append-only NDJSON file
	SinkWebhook SinkKind = "webhook" // NDJSON POSTs signed with HMAC-SHA256
)

// Spec is a parsed audit.sink setting.
type Spec struct {
	Kind SinkKind
	Path string   // SinkFile
	URL  *url.URL // SinkWebhook; may hold credentials: show it with Redact
}

// ParseSink parses an audit.sink setting: "log" (also the meaning of ""),
// "file:<path>" or "webhook:<url>" with an absolute http or https URL. Its
// errors are sentences for a config validator to show under the key; they
// never repeat a URL, which may hold a password or a token.
func ParseSink(spec string) (Spec, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return Spec{Kind: SinkLog}, nil
	}
	kind, arg, hasArg := strings.Cut(spec, ":")
	switch SinkKind(kind) {
	case SinkLog:
		if hasArg {
			return Spec{}, errors.New(`"log" takes nothing after it; write log, file:<path> or webhook:<url>`)
		}
		return Spec{Kind: SinkLog}, nil
	case SinkFile:
		if strings.TrimSpace(arg) == "" {
			return Spec{}, errors.New("file: needs the path of the audit file, as in file:/var/log/dcsbot/audit.jsonl")
		}
		return Spec{Kind: SinkFile, Path: arg}, nil
	case SinkWebhook:
		u, err := parseWebhookURL(arg)
		if err != nil {
			return Spec{}, err
		}
		return Spec{Kind: SinkWebhook, URL: u}, nil
	}
	if !isWord(kind) {
		// Perhaps a bare path or URL: do not echo it.
		return Spec{}, errors.New("must be log, file:<path> or webhook:<url>")
	}
	return Spec{}, fmt.Errorf("unknown sink %q: must be log, file:<path> or webhook:<url>", kind)
}

// isWord reports whether s is a short run of ASCII letters, safe to echo.
func isWord(s string) bool {
	if len(s) > 16 {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

func parseWebhookURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("webhook: needs the URL to POST to, as in webhook:https://siem.example.com/dcsbot")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("webhook: the URL does not parse (not shown, as it may hold a secret)")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("webhook: the URL must start with https:// or http://")
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, errors.New("webhook: the URL has no host")
	}
	return u, nil
}

// String shows the spec as it was written, with any URL redacted.
func (s Spec) String() string {
	switch s.Kind {
	case SinkFile:
		return "file:" + s.Path
	case SinkWebhook:
		return "webhook:" + Redact(s.URL)
	}
	return string(SinkLog)
}

// Key names the sink's cursor in the store. It leaves out what may be a
// secret or may rotate (a URL's credentials and query), so changing a token
// does not start the stream over.
func (s Spec) Key() string {
	if s.Kind == SinkWebhook {
		return "webhook:" + s.URL.Scheme + "://" + s.URL.Host + s.URL.EscapedPath()
	}
	return s.String()
}

// Redact returns u without its user information, query and fragment, which
// may hold credentials.
func Redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User, c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = nil, "", false, "", ""
	if u.User != nil {
		c.User = url.User("xxxxx")
	}
	if u.RawQuery != "" {
		c.RawQuery = "xxxxx"
	}
	return c.String()
}

// OpenParams is what OpenSink needs beyond the spec; each sink requires
// its own fields.
type OpenParams struct {
	Logger         *slog.Logger  // the log sink's
	WebhookKey     []byte        // the webhook's HMAC key (AUDIT_WEBHOOK_SECRET)
	WebhookTimeout time.Duration // bounds one POST to the webhook
	File           FileOptions   // rotation of the file sink
}

// SinkCloser is a Sink that holds resources until closed.
type SinkCloser interface {
	Sink
	io.Closer
}

// OpenSink builds the sink spec names.
func OpenSink(spec Spec, p OpenParams) (SinkCloser, error) {
	switch spec.Kind {
	case SinkLog, "":
		if p.Logger == nil {
			return nil, errors.New("audit log sink: no logger")
		}
		return NewLogSink(p.Logger), nil
	case SinkFile:
		return NewFileSink(spec.Path, p.File)
	case SinkWebhook:
		return NewWebhookSink(WebhookParams{URL: spec.URL, Key: p.WebhookKey, Timeout: p.WebhookTimeout})
	}
	return nil, fmt.Errorf("audit sink: unknown kind %q", spec.Kind)
}

// Sink takes batches of records, in order. Send returns nil only once every
// record of the batch is delivered; after an error the Shipper sends the same
// batch again, so a sink may deliver a record twice but must not lose one.
type Sink interface {
	Send(ctx context.Context, batch []Record) error
}
