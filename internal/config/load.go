package config

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads the config file at path and the secrets through lookupEnv
// (os.LookupEnv in production), and validates both. On failure the error is
// Problems, listing every problem found.
func Load(path string, lookupEnv func(string) (string, bool)) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var p problems
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the key already names the file
		}
		p.add(path, "cannot read the config file: %v", err)
		Default().readSecrets(lookupEnv, &p)
		return nil, p.err()
	}
	return parse(path, data, lookupEnv)
}

// Parse is Load for a file's contents already in memory. Problems with the
// document as a whole are reported under the key "config".
func Parse(data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	return parse("config", data, lookupEnv)
}

func parse(source string, data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	var p problems
	c := Default()
	root, ok := parseYAML(source, data, &p)
	if ok {
		d := newDecoder(&p, source)
		if d.root(root, c) {
			c.normalise()
			var v problems
			c.validateFile(&v)
			for _, pr := range v.list {
				if !d.covers(pr.Key) {
					p.list = append(p.list, pr)
				}
			}
		}
	}
	c.readSecrets(lookupEnv, &p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// parseYAML returns the document's root node, nil for an empty document.
func parseYAML(source string, data []byte, p *problems) (root *yaml.Node, ok bool) {
	defer func() {
		// The YAML parser is not ours; a crash in it is a bad file, not a
		// reason to take the bot down without saying which file.
		if r := recover(); r != nil {
			p.add(source, "the YAML parser failed on this file: %v", r)
			root, ok = nil, false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, true
		}
		p.add(source, "%v", err)
		return nil, false
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		p.add(source, "%v", err)
		return nil, false
	case len(extra.Content) == 0 || isNull(extra.Content[0]):
		// A trailing "---" with nothing after it.
	default:
		p.add(source, "holds more than one YAML document (line %d); want one", extra.Line)
		return nil, false
	}
	if len(doc.Content) == 0 {
		return nil, true
	}
	return doc.Content[0], true
}

// normalise fills in what is derived rather than defaulted.
func (c *Config) normalise() {
	if c.Slack.APIURL == "" {
		c.Slack.APIURL = DefaultSlackAPIURL
	}
	if !strings.HasSuffix(c.Slack.APIURL, "/") {
		c.Slack.APIURL += "/"
	}
}

// Validate checks a Config, including its Secrets, and returns every problem
// as Problems, or nil. Load and Parse already call it.
func (c *Config) Validate() error {
	var p problems
	c.validateFile(&p)
	c.validateSecrets(&p)
	return p.err()
}
