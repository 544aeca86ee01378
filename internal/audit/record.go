// Package audit ships the bot's audit trail to an outside sink: the bot's
// log, an append-only file, or a signed webhook. The store keeps every audit
// event in the same transaction as the state change it records; a Shipper
// reads them back in order after a persisted cursor and hands them to a Sink,
// moving the cursor on only once the sink has accepted them. Recording an
// outcome never waits on a sink, and every event is delivered at least once,
// in the order the events were recorded.
//
// The package depends on no other part of the bot: the store implements
// Source and Cursor, and the bot wires a Shipper to its store and config.
package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// TimeFormat is how Record.At is written: RFC 3339 in UTC with milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Record is one audit event as shipped: one JSON object on one line. The JSON
// field names are a contract with whoever reads the stream (see "The audit
// stream" in the README); add fields, never rename or remove one.
type Record struct {
	// Seq is the event's ID in the store: increasing, unique, and the key
	// to drop a record delivered twice.
	Seq int64
	// Event is "requested", "approval" (one approver's yes), or the state
	// the request entered: "approved", "denied", "cancelled", "expired",
	// "executing", "succeeded", "failed", "unknown".
	Event     string
	At        time.Time
	RequestID string
	// Actor is the Slack user ID of who caused the event; empty for the
	// bot itself (expiry, recovery).
	Actor      string
	Instance   string // the instance's alias in the bot's config
	InstanceID string
	NodeID     string // empty for a kill-all on every node
	Kind       string // "kill" or "kill-all"
	// Sessions are the client addresses the request names, in its order;
	// empty (never nil in JSON) for a kill-all.
	Sessions []string
	Reason   string // the requester's reason, on every record
	Detail   string // the event's own text: "2 of 2", a denial's reason, the DCS outcome
	DryRun   bool   // the request calls no DCS write API

	// On succeeded, failed and unknown only, when known.
	DCSRequestID string   // DCS's X-Request-Id
	JobID        string   // the DCS job of the kill
	ErrorCode    string   // DCS's error code, e.g. "DCS.4800"
	HTTPStatus   int      // the HTTP status of DCS's error answer
	Killed       []string // the addresses sent to DCS
	HeldBack     []string // addresses the stale-target guard did not kill
}

// wire is Record's JSON form, field by field in the documented order.
type wire struct {
	Seq          int64    `json:"seq"`
	Event        string   `json:"event"`
	At           string   `json:"at"`
	RequestID    string   `json:"request_id"`
	Actor        string   `json:"actor"`
	Instance     string   `json:"instance"`
	InstanceID   string   `json:"instance_id"`
	NodeID       string   `json:"node_id"`
	Kind         string   `json:"kind"`
	Sessions     []string `json:"sessions"`
	Reason       string   `json:"reason"`
	Detail       string   `json:"detail"`
	DryRun       bool     `json:"dry_run"`
	DCSRequestID string   `json:"dcs_request_id,omitempty"`
	JobID        string   `json:"job_id,omitempty"`
	ErrorCode    string   `json:"error_code,omitempty"`
	HTTPStatus   int      `json:"http_status,omitempty"`
	Killed       []string `json:"killed,omitempty"`
	HeldBack     []string `json:"held_back,omitempty"`
}

func (r Record) wire() wire {
	sessions := r.Sessions
	if sessions == nil {
		sessions = []string{}
	}
	return wire{
		Seq: r.Seq, Event: r.Event, At: r.At.UTC().Format(TimeFormat), RequestID: r.RequestID,
		Actor: r.Actor, Instance: r.Instance, InstanceID: r.InstanceID, NodeID: r.NodeID,
		Kind: r.Kind, Sessions: sessions, Reason: r.Reason, Detail: r.Detail, DryRun: r.DryRun,
		DCSRequestID: r.DCSRequestID, JobID: r.JobID, ErrorCode: r.ErrorCode, HTTPStatus: r.HTTPStatus,
		Killed: r.Killed, HeldBack: r.HeldBack,
	}
}

// MarshalJSON writes the record's documented JSON object.
func (r Record) MarshalJSON() ([]byte, error) { return Marshal(r) }

// UnmarshalJSON reads a record written by MarshalJSON.
func (r *Record) UnmarshalJSON(b []byte) error {
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	at, err := time.Parse(time.RFC3339Nano, w.At)
	if err != nil {
		return fmt.Errorf("audit record: at: %w", err)
	}
	*r = Record{
		Seq: w.Seq, Event: w.Event, At: at.UTC(), RequestID: w.RequestID, Actor: w.Actor,
		Instance: w.Instance, InstanceID: w.InstanceID, NodeID: w.NodeID, Kind: w.Kind,
		Sessions: w.Sessions, Reason: w.Reason, Detail: w.Detail, DryRun: w.DryRun,
		DCSRequestID: w.DCSRequestID, JobID: w.JobID, ErrorCode: w.ErrorCode, HTTPStatus: w.HTTPStatus,
		Killed: w.Killed, HeldBack: w.HeldBack,
	}
	return nil
}

// Marshal returns r as one line of JSON, without the newline. Control
// characters in strings (newlines included) are escaped, invalid UTF-8
// becomes U+FFFD, and <, > and & are left as they are.
func Marshal(r Record) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r.wire()); err != nil {
		return nil, fmt.Errorf("audit record %d: %w", r.Seq, err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// appendLines appends each record's line and a newline to dst.
func appendLines(dst []byte, batch []Record) ([]byte, error) {
	for _, r := range batch {
		line, err := Marshal(r)
		if err != nil {
			return nil, err
		}
		dst = append(append(dst, line...), '\n')
	}
	return dst, nil
}
