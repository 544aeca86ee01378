package fakedcs

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// This file re-implements the API gateway's check of SDK-HMAC-SHA256
// signatures from the written description, with the standard library only,
// so that a test against the fake checks what the SDK really sends.

const (
	algorithm  = "SDK-HMAC-SHA256"
	dateFormat = "20060102T150405Z"
	maxSkew    = 15 * time.Minute
)

// verify checks r's Authorization header against ak/sk. body is the exact
// request body. It returns why the request is refused, or nil.
func verify(r *http.Request, body []byte, ak, sk string, now time.Time) error {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return errors.New("no Authorization header")
	}
	rest, ok := strings.CutPrefix(auth, algorithm+" ")
	if !ok {
		return fmt.Errorf("authorization scheme is not %s", algorithm)
	}
	var access, signedList, signature string
	for _, part := range strings.Split(rest, ", ") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return fmt.Errorf("malformed authorization part %q", part)
		}
		switch k {
		case "Access":
			access = v
		case "SignedHeaders":
			signedList = v
		case "Signature":
			signature = v
		default:
			return fmt.Errorf("unknown authorization part %q", k)
		}
	}
	if access == "" || signedList == "" || signature == "" {
		return errors.New("authorization lacks Access, SignedHeaders or Signature")
	}
	if access != ak {
		return errors.New("unknown access key")
	}

	date := r.Header.Get("X-Sdk-Date")
	t, err := time.Parse(dateFormat, date)
	if err != nil {
		return fmt.Errorf("bad X-Sdk-Date %q", date)
	}
	if d := now.Sub(t); d > maxSkew || d < -maxSkew {
		return fmt.Errorf("X-Sdk-Date %s is %s away from the server's clock", date, d.Round(time.Second))
	}

	signed := strings.Split(signedList, ";")
	if !sort.StringsAreSorted(signed) {
		return errors.New("signed headers are not sorted")
	}
	hasDate := false
	for _, h := range signed {
		if h == "" || h != strings.ToLower(h) {
			return fmt.Errorf("bad signed header name %q", h)
		}
		if h == "x-sdk-date" {
			hasDate = true
		}
		if h != "host" && len(r.Header.Values(h)) == 0 {
			return fmt.Errorf("signed header %q is missing", h)
		}
	}
	if !hasDate {
		return errors.New("x-sdk-date is not a signed header")
	}

	bodyHash := sha256.Sum256(body)
	canonical := strings.Join([]string{
		r.Method,
		canonicalURI(r.URL.Path),
		canonicalQuery(r.URL.RawQuery),
		canonicalHeaders(r, signed),
		signedList,
		hex.EncodeToString(bodyHash[:]),
	}, "\n")
	crHash := sha256.Sum256([]byte(canonical))
	toSign := algorithm + "\n" + date + "\n" + hex.EncodeToString(crHash[:])

	mac := hmac.New(sha256.New, []byte(sk))
	mac.Write([]byte(toSign))
	want := hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(signature))) {
		return errors.New("signature does not match")
	}
	return nil
}

// canonicalURI percent-encodes each segment of the decoded path and ends it
// with a slash.
func canonicalURI(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = escape(s)
	}
	u := strings.Join(segs, "/")
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}

// canonicalQuery sorts the query by key, then value, each escaped, as k=v
// joined with &. A key without a value counts as k=.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		// An unparseable query cannot have been signed as such; returning
		// the raw text makes the signature fail.
		return raw
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var pairs []string
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			pairs = append(pairs, escape(k)+"="+escape(v))
		}
	}
	return strings.Join(pairs, "&")
}

// canonicalHeaders writes "name:value" for every signed header (values of a
// repeated header sorted, trimmed), one a line, with a trailing newline.
func canonicalHeaders(r *http.Request, signed []string) string {
	var b strings.Builder
	for _, name := range signed {
		var vals []string
		if name == "host" {
			vals = []string{r.Host}
		} else {
			vals = append(vals, r.Header.Values(name)...)
		}
		sort.Strings(vals)
		for _, v := range vals {
			b.WriteString(name)
			b.WriteByte(':')
			b.WriteString(strings.TrimSpace(v))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// escape percent-encodes every byte but A-Z a-z 0-9 - _ . ~, in upper-case hex.
func escape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
