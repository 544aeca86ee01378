// Command bot runs dcsbot: `bot -config config.yaml`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"dcsbot/internal/app"
	"dcsbot/internal/config"
)

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitConfig = 2
)

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("bot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "config.yaml", "path to the YAML configuration file")
	check := fs.Bool("check-config", false, "validate the configuration (file and secrets) and exit")
	if err := fs.Parse(args); err != nil {
		return exitConfig
	}
	cfg, err := config.Load(*path, os.LookupEnv)
	if err != nil {
		fmt.Fprintf(stderr, "bot: invalid configuration in %s:\n%v\n", *path, err)
		return exitConfig
	}
	if *check {
		fmt.Fprintf(stderr, "bot: configuration in %s is valid\n", *path)
		if w := cfg.Warnings(); len(w) > 0 {
			fmt.Fprintf(stderr, "bot: warnings:\n%v\n", w)
		}
		return exitOK
	}
	log := app.NewLogger(cfg, stderr)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	a, err := app.New(ctx, cfg, app.Options{Logger: log})
	if err != nil {
		log.Error("start failed", "err", err)
		return exitFailed
	}
	if err := a.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		log.Error("stopped", "err", err)
		return exitFailed
	}
	log.Info("stopped cleanly")
	return exitOK
}
