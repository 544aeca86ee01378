package config

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"unicode"
)

// Redacted is what a Secret prints instead of its value.
const Redacted = "[REDACTED]"

// Secret is a credential. Printing, logging or marshalling it shows
// [REDACTED]; Reveal is the only way to read the value.
type Secret string

// Reveal returns the secret's value. Call it only where the value is handed
// to the client that needs it.
func (s Secret) Reveal() string { return string(s) }

func (Secret) String() string   { return Redacted }
func (Secret) GoString() string { return `config.Secret("` + Redacted + `")` }

// Format prints [REDACTED] for every verb (quoted for %q).
func (Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		io.WriteString(f, `"`+Redacted+`"`)
		return
	}
	io.WriteString(f, Redacted)
}

func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }
func (Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
func (Secret) LogValue() slog.Value         { return slog.StringValue(Redacted) }

var (
	_ fmt.Stringer   = Secret("")
	_ fmt.GoStringer = Secret("")
	_ fmt.Formatter  = Secret("")
	_ slog.LogValuer = Secret("")
)

// Secrets are the credentials, read from the environment only.
type Secrets struct {
	SlackAppToken Secret // SLACK_APP_TOKEN: the Socket Mode app-level token, xapp-…
	SlackBotToken Secret // SLACK_BOT_TOKEN: the bot user's token, xoxb-…
	AccessKey     Secret // CLOUD_SDK_AK: Huawei Cloud access key ID
	SecretKey     Secret // CLOUD_SDK_SK: Huawei Cloud secret access key
	// AuditWebhookKey is AUDIT_WEBHOOK_SECRET: the HMAC key of a webhook
	// audit sink; read only when audit.sink is a webhook.
	AuditWebhookKey Secret
}

// The environment variables the secrets come from. Each may instead name a
// file holding the value in <NAME>_FILE.
const (
	EnvSlackAppToken = "SLACK_APP_TOKEN"
	EnvSlackBotToken = "SLACK_BOT_TOKEN"
	EnvAccessKey     = "CLOUD_SDK_AK"
	EnvSecretKey     = "CLOUD_SDK_SK"
	EnvAuditWebhook  = "AUDIT_WEBHOOK_SECRET"
)

// vars lists the secrets, their variables and required prefixes.
func (s *Secrets) vars() []secretVar {
	return []secretVar{
		{EnvSlackAppToken, "xapp-", &s.SlackAppToken},
		{EnvSlackBotToken, "xoxb-", &s.SlackBotToken},
		{EnvAccessKey, "", &s.AccessKey},
		{EnvSecretKey, "", &s.SecretKey},
	}
}

type secretVar struct {
	name   string
	prefix string
	dst    *Secret
}

// maxSecretFile bounds how much of a <NAME>_FILE is read.
const maxSecretFile = 64 << 10

// read fills s from lookupEnv, reporting by variable name. No message
// contains a value.
func (s *Secrets) read(lookupEnv func(string) (string, bool), p *problems) {
	for _, v := range s.vars() {
		*v.dst = ""
		val, fromFile, key, ok := readSecret(v.name, lookupEnv, p)
		if !ok {
			continue
		}
		if checkSecret(key, val, v.prefix, fromFile, p) {
			*v.dst = Secret(val)
		}
	}
}

func readSecret(name string, lookupEnv func(string) (string, bool), p *problems) (val string, fromFile bool, key string, ok bool) {
	fileVar := name + "_FILE"
	v, _ := lookupEnv(name)
	path, _ := lookupEnv(fileVar)
	switch {
	case v != "" && path != "":
		p.add(name, "set only one of %s and %s", name, fileVar)
		return "", false, "", false
	case v != "":
		return v, false, name, true
	case path != "":
		b, err := readFileLimited(path)
		if err != nil {
			p.add(fileVar, "cannot read the secret file: %v", err)
			return "", true, "", false
		}
		val := strings.TrimSpace(string(b))
		if val == "" {
			p.add(fileVar, "the file %s is empty", quote(path))
			return "", true, "", false
		}
		return val, true, fileVar, true
	default:
		p.add(name, "required: set %s or %s", name, fileVar)
		return "", false, "", false
	}
}

func readFileLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxSecretFile {
		return nil, fmt.Errorf("%s is larger than %d KiB", quote(path), maxSecretFile>>10)
	}
	return b, nil
}

// checkSecret reports what is wrong with a secret's value without showing
// it. It returns whether the value is good.
func checkSecret(key, val, prefix string, fromFile bool, p *problems) bool {
	what := "the value"
	if fromFile {
		what = "the file's contents"
	}
	if strings.IndexFunc(val, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		p.add(key, "%s must not contain whitespace or control characters", what)
		return false
	}
	if !strings.HasPrefix(val, prefix) {
		p.add(key, "%s must start with %q", what, prefix)
		return false
	}
	return true
}

// validate checks secrets already in a Config (one built without Load).
func (s *Secrets) validate(p *problems) {
	for _, v := range s.vars() {
		if *v.dst == "" {
			p.add(v.name, "required: set %s or %s", v.name, v.name+"_FILE")
			continue
		}
		checkSecret(v.name, string(*v.dst), v.prefix, false, p)
	}
}
