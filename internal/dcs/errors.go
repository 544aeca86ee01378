package dcs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"

	"dcsbot/internal/approvals"
)

// explained carries, beside the error, a sentence for people
// (approvals.Explainer): the thread shows it instead of Go's error text.
type explained struct {
	text string
	err  error
}

func (e *explained) Error() string { return e.err.Error() }

func (e *explained) Unwrap() error { return e.err }

func (e *explained) Explain() string { return e.text }

// notSentError is a transport failure before the request left: DCS never
// saw it.
type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }

func (e *notSentError) Unwrap() error { return e.err }

// maxMessage bounds a DCS message kept in an error (an unparseable answer
// becomes the message whole).
const maxMessage = 300

// mapErr turns an SDK error into the bot's terms:
//   - an HTTP error answer becomes *approvals.DCSError;
//   - a failure to open the connection (refused, DNS, TLS) is a plain error:
//     the request never left;
//   - a timeout, or a connection that failed once open, wraps
//     approvals.ErrOutcomeUnknown: the request may have been acted on.
//
// Every error text is scrubbed of the AK and SK.
func (c *Client) mapErr(op string, t *target, err error) error {
	var sre *sdkerr.ServiceResponseError
	if errors.As(err, &sre) {
		msg := c.redact.Replace(sre.ErrorMessage)
		if len(msg) > maxMessage {
			msg = msg[:maxMessage] + "…"
		}
		de := &approvals.DCSError{
			HTTPStatus: sre.StatusCode,
			Code:       c.redact.Replace(sre.ErrorCode),
			Message:    msg,
			RequestID:  sre.RequestId,
		}
		return &redacted{err: fmt.Errorf("%s: %w", op, de), r: c.redact}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		cause := ue.Err
		if cause == nil {
			cause = ue
		}
		switch {
		case neverSent(ue):
			return &explained{text: "the bot could not reach DCS (connection refused, DNS or TLS failure), so nothing was sent",
				err: &redacted{err: fmt.Errorf("%s: could not reach DCS at %s: %w", op, t.host, &notSentError{cause}), r: c.redact}}
		case ue.Timeout():
			return &explained{text: "no answer within " + seconds(c.timeout),
				err: &redacted{err: fmt.Errorf("%s: %w: no answer within %s", op, approvals.ErrOutcomeUnknown, seconds(c.timeout)), r: c.redact}}
		default:
			return &explained{text: "the connection to DCS broke after the request was sent",
				err: &redacted{err: fmt.Errorf("%s: %w: connection to %s failed after the request was sent: %w",
					op, approvals.ErrOutcomeUnknown, t.host, cause), r: c.redact}}
		}
	}
	// Errors from building or signing the request: nothing was sent.
	return &redacted{err: fmt.Errorf("%s: %w", op, err), r: c.redact}
}

// neverSent says whether a transport error happened before any byte of the
// request was written: dialling, name resolution, a proxy or TLS handshake.
// A timeout that fires while dialling is not recognisable as such (the
// http.Client flattens it) and counts as possibly sent.
func neverSent(ue *url.Error) bool {
	var dnsErr *net.DNSError
	if errors.As(ue, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	if errors.As(ue, &opErr) && (opErr.Op == "dial" || opErr.Op == "proxyconnect") {
		return true
	}
	var (
		certErr    *tls.CertificateVerificationError
		unknownCA  x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalidErr x509.CertificateInvalidError
		recordErr  tls.RecordHeaderError
		alertErr   tls.AlertError
	)
	return errors.As(ue, &certErr) || errors.As(ue, &unknownCA) || errors.As(ue, &hostErr) ||
		errors.As(ue, &invalidErr) || errors.As(ue, &recordErr) || errors.As(ue, &alertErr)
}

// redacted scrubs the secrets out of an error's text and keeps its chain.
type redacted struct {
	err error
	r   *strings.Replacer
}

func (e *redacted) Error() string { return e.r.Replace(e.err.Error()) }

func (e *redacted) Unwrap() error { return e.err }
