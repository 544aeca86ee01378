package slackbot

import "strings"

// nextStep says, for a DCS error answer, what it means for the operator and
// what to do. The code itself is always shown beside it; codes not known
// here are shown as they came, with no advice.
func nextStep(code string, status int) string {
	switch code {
	case "DCS.4957":
		return "DCS does not allow this in the current state: usually the session list job has not finished. Wait a few seconds and try again."
	case "DCS.4800":
		return "DCS rejected a parameter. Check the node ID (`/dcs nodes <instance>`) and the client addresses (`/dcs clients <instance>`)."
	case "DCS.3053":
		return "The node ID is wrong for this instance. `/dcs nodes <instance>` lists the right ones."
	case "DCS.4848":
		return "This instance does not support session management (it needs Redis 4.0 or later; on Proxy Cluster and read/write-splitting instances use a proxy node)."
	case "DCS.4017":
		return "A DCS job is still running on this instance. Try again in a minute."
	case "DCS.3022":
		return "DCS cannot find this instance. The bot's operators should check its ID in the bot's configuration."
	case "DCS.1001", "DCS.1002", "DCS.1003", "DCS.1004":
		return "DCS rejected the bot's credentials. The bot's operators should check CLOUD_SDK_AK and CLOUD_SDK_SK."
	case "DCS.2003", "DCS.2007", "DCS.3002", "DCS.3003":
		return "The bot's credentials lack a permission. Its IAM user needs dcs:clients:kill and dcs:clients:list on this project."
	case "APIG.0308":
		return "DCS is throttling requests. Try again in a few seconds."
	case "DCS.5000", "DCS.5006":
		return "DCS had an internal error. Try again; if it persists, open a ticket with Huawei Cloud quoting the DCS request ID."
	}
	switch {
	case status == 401 || strings.HasPrefix(code, "APIGW.03"):
		return "DCS rejected the bot's credentials. The bot's operators should check CLOUD_SDK_AK and CLOUD_SDK_SK."
	case status == 403:
		return "The bot's credentials lack a permission. Its IAM user needs dcs:clients:kill and dcs:clients:list on this project."
	case status == 429:
		return "DCS is throttling requests. Try again in a few seconds."
	case status >= 500:
		return "DCS had a server error. Try again; if it persists, open a ticket with Huawei Cloud quoting the DCS request ID."
	}
	return ""
}

// dcsAnswer renders a DCS error answer: code, HTTP status, message, request
// ID, then what to do about it.
func dcsAnswer(code string, status int, message, requestID string) text {
	msg := text(strings.TrimSuffix(string(outside(message).or(capLine, "-")), "."))
	t := textf("DCS answered %s (HTTP %s): %s.", outside(code).code(capWord), num(status), msg)
	if requestID != "" {
		t += textf(" DCS request ID %s.", outside(requestID).code(capWord))
	}
	if step := nextStep(code, status); step != "" {
		t += " " + text(step)
	}
	return t
}
