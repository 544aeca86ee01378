package audit

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"time"
)

// LogSink writes each record as one line of the bot's log: message "audit",
// event=audit, the request_id, and the record as the group "record". A JSON
// handler writes the group as the record's JSON object; a text handler as
// record.seq=... record.event=... pairs.
//
// Audit lines are written whatever the logger's level: the stream is not a
// matter of verbosity.
type LogSink struct {
	h   slog.Handler
	now func() time.Time
}

// NewLogSink returns a sink writing to l.
func NewLogSink(l *slog.Logger) *LogSink { return &LogSink{h: l.Handler(), now: time.Now} }

// Send logs the batch, one line per record.
func (s *LogSink) Send(ctx context.Context, batch []Record) error {
	for _, r := range batch {
		rec := slog.NewRecord(s.now(), slog.LevelInfo, "audit", 0)
		rec.AddAttrs(slog.String("event", "audit"), slog.String("request_id", r.RequestID), slog.Any("record", r))
		if err := s.h.Handle(ctx, rec); err != nil {
			return fmt.Errorf("audit log sink: record %d: %w", r.Seq, err)
		}
	}
	return nil
}

// Close does nothing: the log is the bot's.
func (s *LogSink) Close() error { return nil }

// LogValue makes a record a group of its JSON fields, under the same names,
// in the same order, with the same omissions.
func (r Record) LogValue() slog.Value {
	w := reflect.ValueOf(r.wire())
	t := w.Type()
	attrs := make([]slog.Attr, 0, t.NumField())
	for i := range t.NumField() {
		name, opts, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		f := w.Field(i)
		if opts == "omitempty" && (f.IsZero() || f.Kind() == reflect.Slice && f.Len() == 0) {
			continue
		}
		attrs = append(attrs, slog.Any(name, f.Interface()))
	}
	return slog.GroupValue(attrs...)
}
