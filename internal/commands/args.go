package commands

import (
	"fmt"
	"strings"

	"dcsbot/internal/requestid"
)

// The kinds of positional argument. Each constructor returns an argument
// to list in the args of the specs that take it.

// instanceArg is <instance>, or [<instance>] when optional: an instance
// alias or ID, in lower case.
func instanceArg(optional bool) argSpec {
	a := argSpec{name: "instance", min: 1, max: 1, read: readInstance}
	if optional {
		a.min = 0
	}
	a.missing = func(_ parsed, at string) string {
		return "is missing the instance" + at + ": give an instance alias or ID."
	}
	return a
}

func readInstance(v parsed, ws []posArg) (any, error) {
	a := ws[0]
	inst := strings.ToLower(a.text)
	if !validInstance(inst) {
		return nil, v.p.failAt(a.n, "Argument %d: %s is not an instance alias or ID (an alias is 1-63 letters, digits, `.`, `_` or `-`, starting with a letter or digit; an ID is a UUID).", a.n, code(a.text))
	}
	return inst, nil
}

// nodeArg is <node>: a node of the instance (a NodeRef).
func nodeArg() argSpec {
	return argSpec{
		name: "node", min: 1, max: 1,
		missing: func(_ parsed, at string) string {
			return "is missing the node" + at + ": give the node ID, ip:port or number after the instance."
		},
		read: func(v parsed, ws []posArg) (any, error) { return v.p.node(ws[0], "") },
	}
}

// nodeOrAllArg is (<node> | --all-nodes): a node, or the switch allNodes
// for every node of the instance.
func nodeOrAllArg(allNodes *flagSpec) argSpec {
	a := nodeArg()
	a.orFlag = allNodes.name
	a.missing = func(_ parsed, at string) string {
		return fmt.Sprintf("needs the node%s, or `%s` for every node of the instance.", at, allNodes.name)
	}
	return a
}

// node parses positional argument a as a node; then is said after the
// problem when there is one.
func (p *parser) node(a posArg, then string) (NodeRef, error) {
	ref, problem := parseNodeRef(a.text)
	if problem != "" {
		return NodeRef{}, p.failAt(a.n, "Argument %d: %s %s.%s", a.n, code(a.text), problem, then)
	}
	return ref, nil
}

// killNodeArg is the node of a kill: [<node> | --all-nodes]. It may be
// left out only when no selector is given either: /dcs kill <instance>
// alone asks for the picker.
func killNodeArg(allNodes *flagSpec) argSpec {
	a := nodeOrAllArg(allNodes)
	a.usage = "[<node> | " + allNodes.name + "]"
	a.optional = func(v parsed) bool { return !v.anySelector() }
	a.missing = func(_ parsed, at string) string {
		return fmt.Sprintf("needs the node%s for the selectors, or `%s` for every node that holds sessions.", at, allNodes.name)
	}
	return a
}

// clientAddrsArg is [<addr>...]: the client addresses of a kill, after its
// argument "node". They are needed unless a selector is given, or the
// node too is left out (the picker). Its value is a []string of canonical
// ip:port, duplicates folded, in the order of first appearance; none may
// be the node's own address, and there may be at most Options.MaxAddrs.
// With --all-nodes there may be none.
func clientAddrsArg() argSpec {
	return argSpec{
		name: "addr", usage: "[<addr>...]", min: 1, max: -1,
		optional: func(v parsed) bool {
			return v.anySelector() || !v.p.given("node") && !v.on(allNodesFlag.name)
		},
		missing: func(v parsed, at string) string {
			if v.on(allNodesFlag.name) {
				return fmt.Sprintf("needs at least one selector with `%s`: %s.", allNodesFlag.name, selectorNames())
			}
			hint := ""
			if node := v.node("node"); node.Addr != "" {
				hint = fmt.Sprintf(" (`%s` was read as the node: the node comes first, then the client addresses.)", node.Addr)
			}
			return "is missing the client addresses" + at + ": give at least one ip:port after the node, or a selector (" +
				selectorNames() + ")." + hint
		},
		read: readClientAddrs,
	}
}

func readClientAddrs(v parsed, given []posArg) (any, error) {
	p, node := v.p, v.node("node")
	if v.on(allNodesFlag.name) {
		a := given[0]
		return nil, p.failAt(a.n, "Argument %d (%s): with `%s`, give selectors (%s), not a node or client addresses.",
			a.n, code(a.text), allNodesFlag.name, selectorNames())
	}
	addrs := make([]string, 0, len(given))
	seen := make(map[string]bool, len(given))
	for _, a := range given {
		ap, problem := parseAddr(a.text)
		if problem != "" {
			return nil, p.failAt(a.n, "Argument %d: %s %s.", a.n, code(a.text), problem)
		}
		s := ap.String()
		if s == node.Addr {
			return nil, p.failAt(a.n, "Argument %d: %s is the node's own address, not a client's: give the node first, then the client addresses.", a.n, code(a.text))
		}
		if !seen[s] {
			seen[s] = true
			addrs = append(addrs, s)
		}
	}
	if p.max > 0 && len(addrs) > p.max {
		dup := ""
		if len(addrs) < len(given) {
			dup = " (counting each address once)"
		}
		return nil, p.fail("The request has too many addresses: %d given, at most %d per request%s. Split it into several requests.", len(addrs), p.max, dup)
	}
	return addrs, nil
}

// nodeFilter is the value of nodeFilterArg.
type nodeFilter struct {
	node   NodeRef // zero when not given
	filter string  // "" when not given; see Clients.Filter
}

// nodeFilterArg is [<node>] [<filter>], read together because what one
// word means depends on whether there are two: with two, the first is the
// node and the second the filter; with one, it is the node when it looks
// like one (see nodeLike), else the filter. Its value is a nodeFilter.
func nodeFilterArg() argSpec {
	return argSpec{name: "node-filter", usage: "[<node>] [<filter>]", min: 0, max: 2, read: readNodeFilter}
}

func readNodeFilter(v parsed, ws []posArg) (any, error) {
	var nf nodeFilter
	var filter *posArg
	var err error
	switch {
	case len(ws) == 2:
		if nf.node, err = v.p.node(ws[0], " With two arguments after the instance, the first is the node and the second the filter."); err != nil {
			return nil, err
		}
		filter = &ws[1]
	case nodeLike(ws[0].text):
		if nf.node, err = v.p.node(ws[0], ""); err != nil {
			return nil, err
		}
	default:
		filter = &ws[0]
	}
	if filter == nil {
		return nf, nil
	}
	switch filterKind(filter.text) {
	case filterAddr:
		nf.filter = strings.ToLower(filter.text)
	case filterName:
		nf.filter = filter.text
	default:
		return nil, v.p.failAt(filter.n, "Argument %d: %s is not a filter: give the start of a client address (like `10.0.3.`) "+
			"or part of a client name (letters, digits, `.`, `_`, `:` and `-`, at most %d).", filter.n, code(filter.text), MaxFilterLen)
	}
	return nf, nil
}

// requestIDArg is <request-id>: the ID of a request, in upper case.
func requestIDArg() argSpec {
	return argSpec{
		name: "request-id", min: 1, max: 1,
		missing: func(_ parsed, at string) string {
			return "is missing the request ID" + at + ": give the 6-character ID the bot gave the request, like `" + exampleID + "`."
		},
		read: func(v parsed, ws []posArg) (any, error) {
			a := ws[0]
			id, ok := requestid.Parse(a.text)
			if !ok {
				return nil, v.p.failAt(a.n, "Argument %d: %s is not a request ID (6 characters like `%s`).", a.n, code(a.text), exampleID)
			}
			return id, nil
		},
	}
}

// wordArg is an optional argument taken as typed (a string), for build
// to make sense of.
func wordArg(name string) argSpec {
	return argSpec{name: name, min: 0, max: 1, read: func(_ parsed, ws []posArg) (any, error) { return ws[0].text, nil }}
}
