// Command bot runs dcsbot: `bot -config config.yaml`; `bot -help` lists
// the flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"dcsbot/internal/app"
	"dcsbot/internal/config"
	"dcsbot/internal/version"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitConfig = 2 // an invalid configuration
	exitUsage  = 2 // an unknown flag or argument
)

func run(args []string, stdout, stderr io.Writer) int {
	opts, code, done := parseArgs(args, stdout, stderr)
	if done {
		return code
	}
	if opts.version {
		fmt.Fprintln(stdout, version.Get())
		return exitOK
	}
	cfg, err := config.Load(opts.config, os.LookupEnv)
	if err != nil {
		fmt.Fprintf(stderr, "bot: invalid configuration in %s:\n%v\n", opts.config, err)
		return exitConfig
	}
	if opts.check {
		fmt.Fprintf(stderr, "bot: configuration in %s is valid\n", opts.config)
		if w := cfg.Warnings(); len(w) > 0 {
			fmt.Fprintf(stderr, "bot: warnings:\n%v\n", w)
		}
		return exitOK
	}
	log := app.NewLogger(cfg, stderr)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	a, err := app.New(ctx, cfg, app.Options{Logger: log, ConfigPath: opts.config})
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
