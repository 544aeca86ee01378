package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Document is one YAML document of a manifest stream.
type Document struct {
	Index  int    // 1-based position in the stream
	Source string // the "# Source:" comment helm template writes, if any
	Body   []byte
}

// Object is a decoded document.
type Object struct {
	Doc        Document
	APIVersion string
	Kind       string
	Name       string
	Value      any // a pointer to the kind's Go type
}

// String names the object for messages: its position, kind, name and
// template.
func (o Object) String() string {
	s := fmt.Sprintf("document %d", o.Doc.Index)
	if o.Kind != "" {
		s += fmt.Sprintf(" (%s %q", o.Kind, o.Name)
		if o.Doc.Source != "" {
			s += ", " + o.Doc.Source
		}
		s += ")"
	}
	return s
}

var (
	separator = regexp.MustCompile(`(?m)^---[ \t]*(#.*)?$`)
	sourceRE  = regexp.MustCompile(`(?m)^# Source: (.+)$`)
)

// split cuts a stream at its "---" lines and drops the documents that hold
// only comments and blank lines.
func split(data []byte) []Document {
	var docs []Document
	for i, part := range separator.Split(string(data), -1) {
		if !hasContent(part) {
			continue
		}
		d := Document{Index: i + 1, Body: []byte(part)}
		if m := sourceRE.FindStringSubmatch(part); m != nil {
			d.Source = strings.TrimSpace(m[1])
		}
		docs = append(docs, d)
	}
	return docs
}

func hasContent(doc string) bool {
	for _, line := range strings.Split(doc, "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
			return true
		}
	}
	return false
}

// decode turns a document into its Kubernetes type, strictly: an unknown or
// misspelled field (matched case-sensitively), a duplicate key or a value
// of the wrong type is an error naming the field's path.
func decode(doc Document) (Object, []error) {
	obj := Object{Doc: doc}
	j, err := yaml.YAMLToJSONStrict(doc.Body)
	if err != nil {
		return obj, []error{fmt.Errorf("%s: %w", obj, err)}
	}
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(j, &head); err != nil {
		return obj, []error{fmt.Errorf("%s: not a Kubernetes object: %w", obj, err)}
	}
	obj.APIVersion, obj.Kind, obj.Name = head.APIVersion, head.Kind, head.Metadata.Name
	newValue, ok := kinds[head.APIVersion+" "+head.Kind]
	if !ok {
		return obj, []error{fmt.Errorf("%s: unknown kind %q, apiVersion %q: this checker knows %s",
			obj, head.Kind, head.APIVersion, knownKinds())}
	}
	if head.Metadata.Name == "" {
		return obj, []error{fmt.Errorf("%s: metadata.name is empty", obj)}
	}
	obj.Value = newValue()
	strict, err := kjson.UnmarshalStrict(j, obj.Value)
	if err != nil {
		return obj, []error{fmt.Errorf("%s: %w", obj, err)}
	}
	var errs []error
	for _, e := range strict {
		errs = append(errs, fmt.Errorf("%s: %w", obj, e))
	}
	return obj, errs
}

func knownKinds() string {
	var ks []string
	for k := range kinds {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return strings.Join(ks, ", ")
}

// Check decodes every document of a manifest stream and applies the rules.
// It returns the objects decoded and every problem found.
func Check(data []byte) ([]Object, []error) {
	docs := split(data)
	if len(docs) == 0 {
		return nil, []error{errors.New("no Kubernetes objects")}
	}
	var objs []Object
	var errs []error
	for _, d := range docs {
		obj, derrs := decode(d)
		errs = append(errs, derrs...)
		if len(derrs) == 0 {
			objs = append(objs, obj)
			errs = append(errs, rules(obj)...)
		}
	}
	return objs, errs
}

// Summary lists the objects as "Kind name, …".
func Summary(objs []Object) string {
	var b bytes.Buffer
	for i, o := range objs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", o.Kind, o.Name)
	}
	return b.String()
}
