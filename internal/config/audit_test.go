package config

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"dcsbot/internal/audit"
)

const fakeAuditKey = "c0ffee5ecret-audit-key"

// The webhook's key is read like the other secrets, from the variable or
// its _FILE, and only for a webhook sink.
func TestAuditWebhookSecret(t *testing.T) {
	env := goodEnv()
	env[EnvAuditWebhook] = fakeAuditKey
	c, err := Load("testdata/audit_webhook.yaml", envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	spec := c.Audit.SinkSpec()
	if spec.Kind != audit.SinkWebhook || spec.URL.Host != "siem.example.com" || c.Secrets.AuditWebhookKey.Reveal() != fakeAuditKey {
		t.Fatalf("sink %+v, key set %v", spec, c.Secrets.AuditWebhookKey != "")
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate on a loaded config: %v", err)
	}

	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte(fakeAuditKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env = goodEnv()
	env[EnvAuditWebhook+"_FILE"] = file
	if c, err = Load("testdata/audit_webhook.yaml", envOf(env)); err != nil || c.Secrets.AuditWebhookKey.Reveal() != fakeAuditKey {
		t.Fatalf("from the file: %v", err)
	}

	env[EnvAuditWebhook] = fakeAuditKey
	_, err = Load("testdata/audit_webhook.yaml", envOf(env))
	if want := "AUDIT_WEBHOOK_SECRET: set only one of AUDIT_WEBHOOK_SECRET and AUDIT_WEBHOOK_SECRET_FILE"; err == nil || err.Error() != want {
		t.Errorf("both set: %v, want %s", err, want)
	}
	env[EnvAuditWebhook+"_FILE"] = ""
	env[EnvAuditWebhook] = "two words"
	_, err = Load("testdata/audit_webhook.yaml", envOf(env))
	if want := "AUDIT_WEBHOOK_SECRET: the value must not contain whitespace or control characters"; err == nil || err.Error() != want {
		t.Errorf("bad key: %v, want %s", err, want)
	}

	// Another sink does not read it.
	env[EnvAuditWebhook] = fakeAuditKey
	if c, err = Load("testdata/valid_minimal.yaml", envOf(env)); err != nil || c.Secrets.AuditWebhookKey != "" || c.Audit.SinkSpec().Kind != audit.SinkLog {
		t.Fatalf("log sink: key read %v, %v", c.Secrets.AuditWebhookKey != "", err)
	}
}

// A hand-built Config with a webhook sink needs the key too.
func TestValidateAuditHandBuilt(t *testing.T) {
	c, err := Load("testdata/valid_minimal.yaml", envOf(goodEnv()))
	if err != nil {
		t.Fatal(err)
	}
	c.Audit.Sink = "webhook:https://siem.example.com/in"
	want := "AUDIT_WEBHOOK_SECRET: required with a webhook audit.sink: set AUDIT_WEBHOOK_SECRET or AUDIT_WEBHOOK_SECRET_FILE"
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate: %v, want %s", err, want)
	}
	c.Secrets.AuditWebhookKey = fakeAuditKey
	if err := c.Validate(); err != nil {
		t.Errorf("Validate with the key: %v", err)
	}
	if s := fmt.Sprintf("%v %s", c.Secrets.AuditWebhookKey, c.Secrets.AuditWebhookKey); s != Redacted+" "+Redacted {
		t.Errorf("the key prints as %q", s)
	}
}

// The audit tuning's lease outlasts a webhook POST, and Check says when one
// does not.
func TestAuditTuningCheck(t *testing.T) {
	tu := Default().Tuning().Audit
	if err := tu.Check(); err != nil {
		t.Fatalf("the default audit tuning: %v", err)
	}
	// The shipper renews at half the TTL: that half must outlast a POST.
	for _, ttl := range []time.Duration{tu.WebhookTimeout, 2 * tu.WebhookTimeout} {
		tu.LeaseTTL = ttl
		if err := tu.Check(); err == nil {
			t.Errorf("a lease TTL of %s with a webhook timeout of %s passed", tu.LeaseTTL, tu.WebhookTimeout)
		}
	}
}
