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

// secretVar is one secret: its variable, the prefix its value must have,
// its field in Secrets, and when it is needed.
type secretVar struct {
	name   string
	prefix string
	field  func(*Secrets) *Secret
	// needed says whether c needs the secret; nil means always. A secret
	// that is not needed is not read, and is left empty.
	needed func(*Config) bool
	// when says when it is needed, as in "with a webhook audit.sink";
	// empty for always.
	when string
}

// secretVars is every secret the bot reads: Load and Validate, the
// placeholder warnings, the log's redaction (SecretValues) and the help
// text (SecretVars) all go by it.
var secretVars = []secretVar{
	{name: EnvSlackAppToken, prefix: "xapp-", field: func(s *Secrets) *Secret { return &s.SlackAppToken }},
	{name: EnvSlackBotToken, prefix: "xoxb-", field: func(s *Secrets) *Secret { return &s.SlackBotToken }},
	{name: EnvAccessKey, field: func(s *Secrets) *Secret { return &s.AccessKey }},
	{name: EnvSecretKey, field: func(s *Secrets) *Secret { return &s.SecretKey }},
	{name: EnvAuditWebhook, field: func(s *Secrets) *Secret { return &s.AuditWebhookKey },
		needed: func(c *Config) bool { return c.Audit.webhook() }, when: "with a webhook audit.sink"},
}

func (v secretVar) neededBy(c *Config) bool { return v.needed == nil || v.needed(c) }

// missing reports the secret as required and unset.
func (v secretVar) missing(p *problems) {
	required := "required"
	if v.when != "" {
		required += " " + v.when
	}
	p.add(v.name, "%s: set %s or %s", required, v.name, v.name+"_FILE")
}

// SecretVar is a secret's environment variable, as help texts show it.
type SecretVar struct {
	Name string // the variable; <Name>_FILE may name a file holding the value instead
	When string // when the secret is required, as in "with a webhook audit.sink"; "" for always
}

// SecretVars lists the variables of every secret the bot reads.
func SecretVars() []SecretVar {
	out := make([]SecretVar, len(secretVars))
	for i, v := range secretVars {
		out[i] = SecretVar{Name: v.name, When: v.when}
	}
	return out
}

// maxSecretFile bounds how much of a <NAME>_FILE is read.
const maxSecretFile = 64 << 10

// readSecrets fills c.Secrets from lookupEnv, reading each secret c needs
// and clearing the others, reporting by variable name. No message contains
// a value.
func (c *Config) readSecrets(lookupEnv func(string) (string, bool), p *problems) {
	for _, v := range secretVars {
		dst := v.field(&c.Secrets)
		*dst = ""
		if !v.neededBy(c) {
			continue
		}
		val, fromFile, key, ok := readSecret(v, lookupEnv, p)
		if ok && checkSecret(key, val, v.prefix, fromFile, p) {
			*dst = Secret(val)
		}
	}
}

func readSecret(v secretVar, lookupEnv func(string) (string, bool), p *problems) (val string, fromFile bool, key string, ok bool) {
	name, fileVar := v.name, v.name+"_FILE"
	val, _ = lookupEnv(name)
	path, _ := lookupEnv(fileVar)
	switch {
	case val != "" && path != "":
		p.add(name, "set only one of %s and %s", name, fileVar)
		return "", false, "", false
	case val != "":
		return val, false, name, true
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
		v.missing(p)
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

// validateSecrets checks the secrets already in a Config (one built
// without Load): each one c needs.
func (c *Config) validateSecrets(p *problems) {
	for _, v := range secretVars {
		if !v.neededBy(c) {
			continue
		}
		val := v.field(&c.Secrets).Reveal()
		if val == "" {
			v.missing(p)
			continue
		}
		checkSecret(v.name, val, v.prefix, false, p)
	}
}
