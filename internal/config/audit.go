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
