package approvals

import (
	"errors"
	"fmt"
	"strings"
)

// outcome maps a Killer error to the state it leads to and what to record.
// A gateway's 502/503/504 without a DCS error code means the kill may have
// reached DCS: unknown, not failed.
func outcome(err error) (State, *Result) {
	if err == nil {
		return Succeeded, &Result{Detail: "DCS accepted the kill"}
	}
	detail := "the bot could not complete the call to DCS (its logs say why)"
	var ex Explainer
	if errors.As(err, &ex) {
		detail = ex.Explain()
	}
	var de *DCSError
	if errors.As(err, &de) {
		res := &Result{Code: de.Code, Message: de.Message, HTTPStatus: de.HTTPStatus, DCSRequestID: de.RequestID}
		if isGatewayFailure(de) {
			res.Detail = fmt.Sprintf("a gateway in front of DCS answered HTTP %d, so DCS may or may not have done the kill", de.HTTPStatus)
			return Unknown, res
		}
		return Failed, res
	}
	if errors.Is(err, ErrOutcomeUnknown) {
		return Unknown, &Result{Detail: detail}
	}
	return Failed, &Result{Detail: detail}
}

// sentence says in words why a read failed, for the approval message.
func sentence(err error) string {
	var de *DCSError
	if errors.As(err, &de) {
		code := de.Code
		if code == "" {
			code = "-"
		}
		return fmt.Sprintf("DCS answered %s (HTTP %d)", code, de.HTTPStatus)
	}
	var ex Explainer
	if errors.As(err, &ex) {
		return ex.Explain()
	}
	return "the read failed (the bot's logs say why)"
}

func isGatewayFailure(de *DCSError) bool {
	switch de.HTTPStatus {
	case 502, 503, 504:
		return !strings.HasPrefix(de.Code, "DCS.")
	}
	return false
}
