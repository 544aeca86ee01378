// Command kcheck decodes Kubernetes manifests strictly into the Kubernetes
// API types and checks dcsbot's security and health rules on them:
//
//	kcheck [-configs DIR] [FILE ...]
//
// With no FILE (or "-") it reads standard input. Every problem is printed,
// naming the file, the document and the field; the exit code is 1 if there
// was any. -configs writes each ConfigMap's data keys to DIR/<name>/<key>,
// so the rendered bot configuration can be checked with `bot -check-config`.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configs := fs.String("configs", "", "write each ConfigMap's data keys to `DIR`/<name>/<key>")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	files := fs.Args()
	if len(files) == 0 {
		files = []string{"-"}
	}
	failed := false
	for _, f := range files {
		data, err := readInput(f, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "kcheck: %v\n", err)
			failed = true
			continue
		}
		objs, errs := Check(data)
		if *configs != "" && len(errs) == 0 {
			if err := writeConfigs(*configs, objs); err != nil {
				errs = append(errs, err)
			}
		}
		for _, e := range errs {
			fmt.Fprintf(stderr, "kcheck: %s: %v\n", f, e)
		}
		if len(errs) > 0 {
			failed = true
			continue
		}
		fmt.Fprintf(stdout, "kcheck: %s: %d objects, strict and secure: %s\n", f, len(objs), Summary(objs))
	}
	if failed {
		return 1
	}
	return 0
}

func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}

// writeConfigs writes each ConfigMap's data keys to dir/<name>/<key>.
func writeConfigs(dir string, objs []Object) error {
	var errs []error
	for _, o := range objs {
		cm, ok := configMap(o)
		if !ok {
			continue
		}
		sub := filepath.Join(dir, cm.Name)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			errs = append(errs, err)
			continue
		}
		for key, value := range cm.Data {
			if key != filepath.Base(key) || key == "." || key == ".." {
				errs = append(errs, fmt.Errorf("%s: data key %q is not a file name", o, key))
				continue
			}
			if err := os.WriteFile(filepath.Join(sub, key), []byte(value), 0o644); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
