package slackbot

import (
	"fmt"
	"strings"
)

// dcsMeaning is what DCS's published error code table says a code means,
// and next what the bot suggests doing about it. The meaning is shown as
// DCS's; the suggestion is the bot's own. Codes not known here are shown
// as they came, with no advice.
type dcsMeaning struct{ documented, suggestion string }

var (
	credentialsStep = "The bot's operators should check CLOUD_SDK_AK and CLOUD_SDK_SK."
	permissionStep  = "The bot's IAM user needs dcs:clients:kill and dcs:clients:list on this project."
	throttled       = dcsMeaning{"the request was throttled; retry after a few seconds", "Try again in a few seconds: DCS is throttling requests."}
)

var dcsMeanings = map[string]dcsMeaning{
	"DCS.4957": {"the operation is not allowed while a task is in its current state (the session list job has not succeeded)",
		"A session task (a scan, a kill-all) was running on the node: wait a few seconds and try again."},
	"DCS.4800": {"a parameter is invalid",
		"Check the node ID (`/dcs nodes <instance>`) and the client addresses (`/dcs clients <instance>`)."},
	"DCS.3053": {"the node ID is incorrect", "`/dcs nodes <instance>` lists the right ones."},
	"DCS.4848": {"the instance does not support session management",
		"Session management needs Redis 4.0 or later; on Proxy Cluster and read/write-splitting instances use a proxy node."},
	"DCS.4017": {"a job is still running; retry later", "Try again in a minute."},
	"DCS.3022": {"the instance does not exist", "The bot's operators should check its instance ID in the bot's configuration."},
	"DCS.1001": {"the token is invalid", credentialsStep},
	"DCS.1002": {"the token has expired", credentialsStep},
	"DCS.1003": {"the token is invalid", credentialsStep},
	"DCS.1004": {"the project ID does not match the token",
		"The bot's operators should check huaweicloud.project_id (or the instance's project_id) against the credentials' project."},
	"DCS.2003":   {"no permission for this operation", permissionStep},
	"DCS.2007":   {"no permission for this operation", permissionStep},
	"DCS.3002":   {"no permission for this operation", permissionStep},
	"DCS.3003":   {"no permission for this operation", permissionStep},
	"DCS.5000":   {"an internal error", "Try again; if it persists, open a ticket with Huawei Cloud quoting the DCS request ID."},
	"DCS.5006":   {"a job could not be submitted", "Try again in a minute; if it persists, open a ticket with Huawei Cloud quoting the DCS request ID."},
	"APIG.0308":  throttled,
	"APIGW.0308": throttled,
}

// nextStep says, for a DCS error answer, what DCS documents it to mean
// and what the bot suggests doing. Throttling is recognised before any
// advice about credentials.
func nextStep(code string, status int) string {
	if m, ok := dcsMeanings[code]; ok {
		return fmt.Sprintf("DCS documents %s as: %s. The bot suggests: %s", code, m.documented, m.suggestion)
	}
	switch {
	case status == 429:
		return "HTTP 429: DCS is throttling requests. The bot suggests: " + throttled.suggestion
	case status == 401 || strings.HasPrefix(code, "APIGW.03"):
		return "DCS rejected the bot's credentials. The bot suggests: " + credentialsStep
	case status == 403:
		return "The bot's credentials lack a permission. The bot suggests: " + permissionStep
	case status >= 500:
		return "DCS had a server error. The bot suggests: try again; if it persists, open a ticket with Huawei Cloud quoting the DCS request ID."
	}
	return ""
}

// dcsAnswer renders a DCS error answer: code, HTTP status, message, request
// ID, then what it means and what to do about it.
func dcsAnswer(code string, status int, message, requestID string) text {
	msg := outside(message).clause(capLine, "-")
	t := textf("DCS answered %s (HTTP %s): %s.", outside(code).code(capWord), num(status), msg)
	if requestID != "" {
		t += textf(" DCS request ID %s.", outside(requestID).code(capWord))
	}
	if step := nextStep(code, status); step != "" {
		t += " " + escapeBot(step)
	}
	return t
}
