package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"dcsbot/internal/config"
)

// options are what the command line asked for.
type options struct {
	config  string
	check   bool
	version bool
}

const usageHead = `Usage:
  bot [-config file] [-check-config]   run the bot (or only check its configuration)
  bot -version | bot version           print the version, revision and Go version
  bot -help                            print this help

Secrets come from the environment, each from <NAME> or from the file that
<NAME>_FILE names:
`

// usageSecrets lists the secrets' variables, as config reads them.
func usageSecrets(w io.Writer) {
	for _, v := range config.SecretVars() {
		if v.When == "" {
			fmt.Fprintf(w, "  %s\n", v.Name)
		} else {
			fmt.Fprintf(w, "  %-22s required only %s\n", v.Name, v.When)
		}
	}
	fmt.Fprint(w, "\nFlags:\n")
}

// parseArgs reads the command line. When done is true the command line has
// been fully handled (help printed, or a usage error reported) and the
// process exits with code.
func parseArgs(args []string, stdout, stderr io.Writer) (opts options, code int, done bool) {
	fs := flag.NewFlagSet("bot", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and usage are printed below, once
	fs.StringVar(&opts.config, "config", "config.yaml", "path to the YAML configuration `file`")
	fs.BoolVar(&opts.check, "check-config", false, "validate the configuration (file and secrets) and exit: 0 valid, 2 invalid")
	fs.BoolVar(&opts.version, "version", false, "print the version, revision and Go version, and exit")
	usage := func(w io.Writer) {
		fmt.Fprint(w, usageHead)
		usageSecrets(w)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}

	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage(stdout)
		return opts, exitOK, true
	case err != nil:
		return opts, usageError(stderr, err.Error()), true
	}
	switch rest := fs.Args(); {
	case len(rest) == 0:
	case rest[0] == "version" && len(rest) == 1:
		opts.version = true
	case rest[0] == "version":
		return opts, usageError(stderr, fmt.Sprintf("version takes no arguments, got %q", rest[1:])), true
	default:
		return opts, usageError(stderr, fmt.Sprintf("unexpected argument %q: the only command is \"version\", and flags go before it", rest[0])), true
	}
	return opts, exitOK, false
}

func usageError(stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "bot: %s\nRun 'bot -help' for usage.\n", msg)
	return exitUsage
}
