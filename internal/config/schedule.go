package config

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/robfig/cron/v3"
)

// ScheduleParser is the cron parser schedule.sweep and schedule.remind are
// validated with: five fields, an optional leading seconds field, and
// descriptors such as "@every 30s". Prefer ParseSchedule, which also survives
// hostile specs.
var ScheduleParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a cron spec with ScheduleParser.
func ParseSchedule(spec string) (s cron.Schedule, err error) {
	defer func() {
		// cron v3.0.1 panics on "TZ=x" with nothing after it.
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("malformed spec")
		}
	}()
	return ScheduleParser.Parse(spec)
}

// SlogLevel is Level as a slog.Level; an unknown level is info.
func (l Log) SlogLevel() slog.Level {
	switch l.Level {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// Handler returns a slog handler writing to w in Format ("json", else text)
// at Level.
func (l Log) Handler(w io.Writer) slog.Handler {
	opts := &slog.HandlerOptions{Level: l.SlogLevel()}
	if l.Format == "json" {
		return slog.NewJSONHandler(w, opts)
	}
	return slog.NewTextHandler(w, opts)
}
