package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"dcsbot/internal/app"
	"dcsbot/internal/config"
)

// runWithEnv runs a bot whose secrets come from lookup and returns what Run
// returned, failing if it does not return within 10 s.
func runWithEnv(t *testing.T, e *env, lookup func(string) (string, bool)) error {
	t.Helper()
	cfg, err := config.Parse([]byte(e.yaml), lookup)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := app.New(ctx, cfg, app.Options{Logger: slog.New(slog.NewTextHandler(e.logs, nil))})
	if err != nil {
		return err
	}
	err = a.Run(ctx)
	if ctx.Err() != nil {
		t.Fatal("Run did not fail fast")
	}
	return err
}

func httpStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func httpBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
