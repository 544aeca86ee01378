package config

import (
	"dcsbot/internal/audit"
)

// Audit is where the audit stream goes.
type Audit struct {
	// Sink is log, file:<path> or webhook:<url> (audit.ParseSink); a
	// webhook's signing key is AUDIT_WEBHOOK_SECRET.
	Sink string `yaml:"sink"`
}

// SinkSpec is the parsed audit.sink; call it on a validated Config.
func (a Audit) SinkSpec() audit.Spec {
	spec, _ := audit.ParseSink(a.Sink)
	return spec
}

func (a Audit) validate(p *problems) {
	if _, err := audit.ParseSink(a.Sink); err != nil {
		p.add("audit.sink", "%v", err)
	}
}

// webhook reports whether the audit sink is a webhook.
func (a Audit) webhook() bool {
	spec, err := audit.ParseSink(a.Sink)
	return err == nil && spec.Kind == audit.SinkWebhook
}

// readAuditSecret reads AUDIT_WEBHOOK_SECRET (or its _FILE) when the audit
// sink is a webhook, which needs it; otherwise it is not read.
func (c *Config) readAuditSecret(lookupEnv func(string) (string, bool), p *problems) {
	c.Secrets.AuditWebhookKey = ""
	if !c.Audit.webhook() {
		return
	}
	if v, _ := lookupEnv(EnvAuditWebhook); v == "" {
		if f, _ := lookupEnv(EnvAuditWebhook + "_FILE"); f == "" {
			p.add(EnvAuditWebhook, "required with a webhook audit.sink: set %s or %s", EnvAuditWebhook, EnvAuditWebhook+"_FILE")
			return
		}
	}
	val, fromFile, key, ok := readSecret(EnvAuditWebhook, lookupEnv, p)
	if ok && checkSecret(key, val, "", fromFile, p) {
		c.Secrets.AuditWebhookKey = Secret(val)
	}
}

// validateAuditSecret checks the webhook key of a Config built without Load.
func (c *Config) validateAuditSecret(p *problems) {
	if !c.Audit.webhook() {
		return
	}
	if c.Secrets.AuditWebhookKey == "" {
		p.add(EnvAuditWebhook, "required with a webhook audit.sink: set %s or %s", EnvAuditWebhook, EnvAuditWebhook+"_FILE")
		return
	}
	checkSecret(EnvAuditWebhook, c.Secrets.AuditWebhookKey.Reveal(), "", false, p)
}
