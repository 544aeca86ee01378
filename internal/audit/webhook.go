package audit

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Webhook request headers.
const (
	// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the
	// body under the shared key.
	SignatureHeader = "X-Dcsbot-Signature-256"
	// DeliveryHeader identifies a batch: the same on every retry of it.
	DeliveryHeader = "X-Dcsbot-Delivery"
	// ContentType is the body's type: one JSON record per line.
	ContentType = "application/x-ndjson"
	// UserAgent is sent with every POST.
	UserAgent = "dcsbot-audit/1"
)

// WebhookParams configures a WebhookSink. Every field is required.
type WebhookParams struct {
	URL *url.URL // absolute http or https (see ParseSink)
	Key []byte   // the HMAC key
	// Timeout bounds one POST, its answer included.
	Timeout time.Duration
}

// WebhookSink POSTs each batch as NDJSON, signed with HMAC-SHA256 over the
// body. A 2xx answer means the receiver has the batch; anything else, or no
// answer, is an error, and the Shipper sends the batch again. Its errors show
// the URL without credentials or query, and never the key.
type WebhookSink struct {
	url    string
	shown  string
	key    []byte
	client *http.Client
}

// NewWebhookSink returns a sink POSTing to p.URL.
func NewWebhookSink(p WebhookParams) (*WebhookSink, error) {
	if p.URL == nil || (p.URL.Scheme != "http" && p.URL.Scheme != "https") || p.URL.Host == "" {
		return nil, errors.New("audit webhook: needs an absolute http or https URL")
	}
	if len(p.Key) == 0 {
		return nil, errors.New("audit webhook: the signing secret is empty")
	}
	if p.Timeout <= 0 {
		return nil, fmt.Errorf("audit webhook: timeout is %s, want a positive duration", p.Timeout)
	}
	c := &http.Client{
		Timeout: p.Timeout,
		// A redirect would send the signed audit trail somewhere else.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &WebhookSink{url: p.URL.String(), shown: Redact(p.URL), key: bytes.Clone(p.Key), client: c}, nil
}

// Sign returns the signature header's value for body under key:
// "sha256=" and the hex HMAC-SHA256.
func Sign(key, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether sig (a signature header's value) signs body under
// key, in constant time.
func Verify(key, body []byte, sig string) bool {
	return hmac.Equal([]byte(sig), []byte(Sign(key, body)))
}

// DeliveryID is the delivery header's value for a body: the first 128 bits
// of its SHA-256, in hex, so a retried batch keeps its ID.
func DeliveryID(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:16])
}

// Send POSTs the batch once.
func (s *WebhookSink) Send(ctx context.Context, batch []Record) error {
	body, err := appendLines(nil, batch)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("audit webhook %s: %w", s.shown, unwrapURLError(err))
	}
	req.Header.Set("Content-Type", ContentType)
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(SignatureHeader, Sign(s.key, body))
	req.Header.Set(DeliveryHeader, DeliveryID(body))
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("audit webhook %s: %w", s.shown, unwrapURLError(err))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	if resp.StatusCode/100 != 2 {
		msg := strings.Join(strings.Fields(string(snippet)), " ")
		return fmt.Errorf("audit webhook %s: HTTP %d: %s", s.shown, resp.StatusCode, strconv.QuoteToASCII(msg))
	}
	return nil
}

// Close closes idle connections.
func (s *WebhookSink) Close() error {
	s.client.CloseIdleConnections()
	return nil
}

// unwrapURLError drops net/http's *url.Error, whose message holds the whole
// URL, query and credentials included.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
