package config

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a Go duration ("15m", "20s") in the file. A value that does not
// parse is kept, not refused, so that validation reports it at its key with
// every other problem.
type Duration struct {
	time.Duration
	raw     string // as written, when decoded from YAML
	invalid bool   // raw did not parse
}

// Dur makes a Duration, for defaults and tests.
func Dur(d time.Duration) Duration { return Duration{Duration: d} }

// UnmarshalYAML keeps the text; it fails only on a non-scalar node.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a duration such as 30s or 15m", n.Line)
	}
	v, err := time.ParseDuration(strings.TrimSpace(n.Value))
	*d = Duration{Duration: v, raw: n.Value, invalid: err != nil}
	return nil
}

// MarshalText writes the duration as time.Duration.String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// text is the duration as written, for messages.
func (d Duration) text() string {
	if d.raw != "" || d.invalid {
		return d.raw
	}
	return d.Duration.String()
}

// decoder decodes a YAML node tree onto a Config, reporting unknown keys,
// duplicate keys and values of the wrong shape with their key paths instead
// of stopping at the first.
type decoder struct {
	p       *problems
	pairsOf map[*yaml.Node][]pair // a mapping's keys, merges expanded
	bad     map[string]bool       // keys whose value had the wrong shape
	source  string                // the key for the document itself
}

func newDecoder(p *problems, source string) *decoder {
	return &decoder{p: p, pairsOf: map[*yaml.Node][]pair{}, bad: map[string]bool{}, source: source}
}

// wrongShape reports a value that could not be decoded. Validation problems
// at or under its key are dropped later: they would only repeat it.
func (d *decoder) wrongShape(key, msg string) {
	d.p.add(key, "%s", msg)
	d.bad[key] = true
}

// covers reports whether key is at or under a key with a wrong shape.
func (d *decoder) covers(key string) bool {
	for k := key; ; {
		if d.bad[k] {
			return true
		}
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			return false
		}
		k = k[:i]
	}
}

type pair struct {
	name string
	val  *yaml.Node
}

var durationType = reflect.TypeFor[Duration]()

// root decodes the document's root onto c. It returns false when the root
// is not a mapping, which leaves nothing worth validating.
func (d *decoder) root(n *yaml.Node, c *Config) bool {
	if isNull(n) {
		return true
	}
	if deref(n).Kind != yaml.MappingNode {
		d.p.add(d.source, "must be a YAML mapping of sections (slack, huaweicloud, instances, ...)")
		return false
	}
	d.decode(n, reflect.ValueOf(c).Elem(), "")
	return true
}

// decode sets v from n. A key with an empty (null) value inside a section
// keeps its default (in an instance's policy: inherits the global value); an
// empty value in instances or in a list is a zero value.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	n = deref(n)
	if n == nil {
		return
	}
	t := v.Type()
	switch {
	case t == durationType:
		d.duration(n, v, path)
	case t.Kind() == reflect.Struct:
		d.structure(n, v, path)
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		d.mapping(n, v, path)
	case t.Kind() == reflect.Slice:
		d.list(n, v, path)
	case t.Kind() == reflect.Pointer:
		// An override, set even when its value has the wrong shape: it then
		// holds what the same value would leave in the global policy, so
		// that the checks across keys (approvers and approvals_required)
		// see what they would there.
		ev := reflect.New(t.Elem())
		d.decode(n, ev.Elem(), path)
		v.Set(ev)
	default:
		d.scalar(n, v, path)
	}
}

func (d *decoder) duration(n *yaml.Node, v reflect.Value, path string) {
	var dur Duration
	if n.Kind != yaml.ScalarNode || dur.UnmarshalYAML(n) != nil {
		d.wrongShape(path, "must be a duration such as 30s or 15m")
		return
	}
	v.Set(reflect.ValueOf(dur))
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.wrongShape(path, "must be a mapping")
		return
	}
	fields := yamlFields(v.Type())
	for _, pr := range d.pairs(n, path) {
		key := child(path, pr.name)
		i, ok := fields[pr.name]
		if !ok {
			d.p.add(key, "unknown key")
			continue
		}
		if isNull(pr.val) {
			continue
		}
		d.decode(pr.val, v.Field(i), key)
	}
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.wrongShape(path, "must be a mapping")
		return
	}
	t := v.Type()
	m := reflect.MakeMap(t)
	for _, pr := range d.pairs(n, path) {
		ev := reflect.New(t.Elem()).Elem()
		if !isNull(pr.val) {
			d.decode(pr.val, ev, child(path, pr.name))
		}
		m.SetMapIndex(reflect.ValueOf(pr.name).Convert(t.Key()), ev)
	}
	v.Set(m)
}

func (d *decoder) list(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.wrongShape(path, "must be a list")
		return
	}
	s := reflect.MakeSlice(v.Type(), 0, len(n.Content))
	for i, item := range n.Content {
		ev := reflect.New(v.Type().Elem()).Elem()
		d.decode(item, ev, index(path, i))
		s = reflect.Append(s, ev)
	}
	v.Set(s)
}

// scalar decodes a string, a bool or an int.
func (d *decoder) scalar(n *yaml.Node, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.wrongShape(path, "must be a string")
			return
		}
		if n.ShortTag() == "!!null" {
			v.SetString("")
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.wrongShape(path, "must be true or false")
			return
		}
		v.SetBool(b)
	case reflect.Int:
		var i int
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			d.wrongShape(path, "must be an integer")
			return
		}
		v.SetInt(int64(i))
	default:
		panic("config: no decoder for " + v.Type().String())
	}
}

// pairs lists a mapping's keys and values with YAML merge keys ("<<: *base")
// expanded: a key written in the mapping wins over a merged one, and an
// earlier merged mapping wins over a later one. Duplicate keys and keys that
// are not scalars are reported.
func (d *decoder) pairs(n *yaml.Node, path string) []pair {
	if ps, ok := d.pairsOf[n]; ok {
		return ps // also stops a mapping that merges itself
	}
	d.pairsOf[n] = nil
	var out []pair
	var merges []*yaml.Node
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		switch {
		case k == nil || k.Kind != yaml.ScalarNode:
			at := path
			if at == "" {
				at = d.source
			}
			d.p.add(at, "the key on line %d is not a string", n.Content[i].Line)
		case k.Value == "<<" && k.ShortTag() == "!!merge":
			mergeKey := "<<"
			if path != "" {
				mergeKey = path + ".<<"
			}
			merges = append(merges, d.mergeSources(v, mergeKey)...)
		case seen[k.Value]:
			d.p.add(child(path, k.Value), "duplicate key (line %d)", k.Line)
		default:
			seen[k.Value] = true
			out = append(out, pair{k.Value, v})
		}
	}
	for _, m := range merges {
		for _, pr := range d.pairs(m, path) {
			if !seen[pr.name] {
				seen[pr.name] = true
				out = append(out, pr)
			}
		}
	}
	d.pairsOf[n] = out
	return out
}

func (d *decoder) mergeSources(v *yaml.Node, key string) []*yaml.Node {
	v = deref(v)
	if v != nil && v.Kind == yaml.MappingNode {
		return []*yaml.Node{v}
	}
	if v != nil && v.Kind == yaml.SequenceNode {
		var out []*yaml.Node
		for _, item := range v.Content {
			item = deref(item)
			if item == nil || item.Kind != yaml.MappingNode {
				d.p.add(key, "must be a mapping or a list of mappings")
				return nil
			}
			out = append(out, item)
		}
		return out
	}
	d.p.add(key, "must be a mapping or a list of mappings")
	return nil
}

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > 100 {
			return nil
		}
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// yamlFields maps a struct's yaml key names to field indexes.
func yamlFields(t reflect.Type) map[string]int {
	out := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		out[name] = i
	}
	return out
}
