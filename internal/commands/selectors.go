package commands

import (
	"dcsbot/internal/durations"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Selectors choose client sessions by what they are rather than by their
// addresses. Each field set narrows the choice (they combine with AND); the
// zero Selectors chooses nothing. Which sessions match is decided against a
// fresh session list elsewhere.
type Selectors struct {
	// Name is part of the client name (CLIENT SETNAME), matched in any
	// case; as typed.
	Name string
	// IP is a client IP address in canonical form (10.0.3.7, fe80::1), or
	// the start of one: a prefix ending in `.` (IPv4, `10.0.3.`) or `:`
	// (IPv6, `fe80::`), lower case, each IPv6 group without leading zeros.
	IP string
	// Cmd is the client's last command, in lower case.
	Cmd string
	// IdleOver: idle for longer than this; 0 when not given.
	IdleOver time.Duration
}

// IsZero reports whether s selects nothing.
func (s Selectors) IsZero() bool { return s == Selectors{} }

// IPIsPrefix reports whether IP is the start of an address rather than a
// whole one.
func (s Selectors) IPIsPrefix() bool {
	return strings.HasSuffix(s.IP, ".") || strings.HasSuffix(s.IP, ":")
}

// Limits of the selector values.
const (
	MaxNameLen  = 64                  // characters in --name
	MaxCmdLen   = 32                  // characters in --cmd
	MinIdleOver = time.Second         // shortest --idle-over
	MaxIdleOver = 30 * 24 * time.Hour // longest --idle-over
)

// The selector flags, shared by kill and clients.
var (
	nameFlag = &flagSpec{name: "--name", arg: "<text>", hint: "part of a client name, e.g. `--name billing`", read: readName}
	ipFlag   = &flagSpec{name: "--ip", arg: "<address-or-prefix>",
		hint: "a client IP address (`10.0.3.7`, `fe80::1`) or its start ending in `.` or `:` (`10.0.3.`, `fe80::`)", read: readIP}
	cmdFlag      = &flagSpec{name: "--cmd", arg: "<command>", hint: "a Redis command, e.g. `--cmd keys`", read: readCmd}
	idleOverFlag = durationFlag("--idle-over", MinIdleOver, MaxIdleOver)

	selectorFlags = []*flagSpec{nameFlag, ipFlag, cmdFlag, idleOverFlag}
)

// selectorNames lists the selector flags for messages: "`--name`, `--ip`,
// `--cmd` or `--idle-over`".
func selectorNames() string {
	names := make([]string, len(selectorFlags))
	for i, f := range selectorFlags {
		names[i] = "`" + f.name + "`"
	}
	return joinList(names, "or")
}

// selectors reads the selector flags given.
func (v parsed) selectors() Selectors {
	return Selectors{Name: v.str(nameFlag.name), IP: v.str(ipFlag.name), Cmd: v.str(cmdFlag.name), IdleOver: v.duration(idleOverFlag.name)}
}

// anySelector reports whether a selector flag was given.
func (v parsed) anySelector() bool {
	for _, f := range selectorFlags {
		if v.p.given(f.name) {
			return true
		}
	}
	return false
}

func readName(p *parser, w word) (any, error) {
	n := len([]rune(w.text))
	switch {
	case n > MaxNameLen:
		return nil, p.fail("Argument %d: `--name` takes at most %d characters, not %d.", w.n, MaxNameLen, n)
	case flagLike(w.text):
		return nil, p.fail("Argument %d: `--name` must not start with a dash: %s.", w.n, code(w.text))
	}
	return w.text, nil
}

func readCmd(p *parser, w word) (any, error) {
	s := strings.ToLower(w.text)
	ok := s != "" && len(s) <= MaxCmdLen && isLowerAlnum(s[0])
	for i := 0; ok && i < len(s); i++ {
		ok = isLowerAlnum(s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.'
	}
	if !ok {
		return nil, p.fail("Argument %d: `--cmd` must be a Redis command name like `keys` (letters, digits, `-`, `_` and `.`, at most %d), not %s.",
			w.n, MaxCmdLen, code(w.text))
	}
	return s, nil
}

func readIP(p *parser, w word) (any, error) {
	ip, problem := parseIPSelector(w.text)
	if problem != "" {
		return nil, p.fail("Argument %d: `--ip` %s, not %s.", w.n, problem, code(w.text))
	}
	return ip, nil
}

// parseIPSelector checks the value of --ip and returns it normalised (see
// Selectors.IP), or what it must be instead: the end of a sentence
// "`--ip` must be ...".
func parseIPSelector(s string) (string, string) {
	const want = "must be a client IP address (`10.0.3.7`, `fe80::1`) or its start ending in `.` or `:` (`10.0.3.`, `fe80::`)"
	s = strings.ToLower(s)
	switch {
	case strings.HasSuffix(s, "."):
		if v4Prefix(s) {
			return s, ""
		}
	case strings.HasSuffix(s, ":"):
		if p, ok := v6Prefix(s); ok {
			return p, ""
		}
		if _, err := netip.ParseAddrPort(s + "1"); err == nil || strings.Contains(s, ".") {
			return "", "takes an address without a port"
		}
	default:
		a, err := netip.ParseAddr(strings.Trim(s, "[]"))
		switch {
		case err == nil && a.Zone() == "":
			return a.Unmap().String(), ""
		case err == nil:
			return "", "takes an address without an IPv6 zone"
		}
		if _, err := netip.ParseAddrPort(s); err == nil {
			return "", "takes an address without a port (give the whole ip:port as an address instead)"
		}
	}
	return "", want
}

// v4Prefix reports whether s is 1 to 3 decimal octets, each followed by a
// dot, without leading zeros: "10.", "10.0.3.".
func v4Prefix(s string) bool {
	octets := strings.Split(strings.TrimSuffix(s, "."), ".")
	if len(octets) > 3 {
		return false
	}
	for _, o := range octets {
		n, err := strconv.Atoi(o)
		if err != nil || n < 0 || n > 255 || strconv.Itoa(n) != o {
			return false
		}
	}
	return true
}

// v6Prefix checks s, the start of an IPv6 address ending in ':', and
// returns it with each group in the form a canonical address writes it:
// "2001:0DB8::" becomes "2001:db8::".
func v6Prefix(s string) (string, bool) {
	if strings.Count(s, "::") > 1 || strings.Contains(s, ":::") {
		return "", false
	}
	groups := strings.Split(strings.TrimSuffix(s, ":"), ":")
	if len(groups) > 7 {
		return "", false
	}
	for i, g := range groups {
		if g == "" {
			if i == 0 && len(groups) > 1 && groups[1] != "" {
				return "", false // starts with a single ":"
			}
			continue
		}
		n, err := strconv.ParseUint(g, 16, 16)
		if err != nil || len(g) > 4 {
			return "", false
		}
		groups[i] = strconv.FormatUint(n, 16)
	}
	return strings.Join(groups, ":") + ":", true
}

// selectorsHelp is the help text of the selector flags.
var selectorsHelp = "• --name <text>: the client name contains the text, in any case (`--name billing`)\n" +
	"• --ip <address-or-prefix>: the client IP is the address (`10.0.3.7`, `fe80::1`), or starts with it when it ends in `.` or `:` (`10.0.3.`, `fe80::`)\n" +
	"• --cmd <command>: the last command is this one, in any case (`--cmd keys`); `client` matches `client|list` too\n" +
	fmt.Sprintf("• --idle-over <duration>: idle for longer than the duration (`10m`, `1h30m`; at most %s)\n", durations.Short(MaxIdleOver))
