package commands

import (
	"dcsbot/internal/durations"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"
)

const exampleNode = "6f1b2c3d4e5f40718293a4b5c6d7e8f9"

// validInstance reports whether s (lowercased) is an instance alias,
// ^[a-z0-9][a-z0-9._-]{0,62}$. An instance ID (a UUID, 8-4-4-4-12 hex
// digits) always matches that pattern too, so it needs no separate check.
func validInstance(s string) bool {
	if len(s) == 0 || len(s) > 63 || !isLowerAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isLowerAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

// validNode reports whether s (lowercased) is a DCS node ID: 32 hex digits,
// or the same with dashes in the 8-4-4-4-12 places.
func validNode(s string) bool {
	switch len(s) {
	case 32:
		for i := 0; i < len(s); i++ {
			if !isHex(s[i]) {
				return false
			}
		}
		return true
	case 36:
		for i := 0; i < len(s); i++ {
			switch i {
			case 8, 13, 18, 23:
				if s[i] != '-' {
					return false
				}
			default:
				if !isHex(s[i]) {
					return false
				}
			}
		}
		return true
	}
	return false
}

const (
	exampleV4 = "`10.0.0.5:52114`"
	exampleV6 = "`[fd00::5]:52114`"
)

// parseAddr parses a client address, ip:port with IPv6 in brackets. It
// returns the address, or a problem: the end of a sentence that starts with
// the address, e.g. "is missing a port (...)".
//
// Refused beyond what netip refuses: IPv6 zones, IPv4-mapped IPv6 addresses
// (the user is told the IPv4 form to type instead), port 0, ports with
// leading zeros, and the unspecified and multicast addresses, none of which
// can be a client's.
func parseAddr(s string) (netip.AddrPort, string) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.AddrPort{}, diagnoseAddr(s)
	}
	a, port := ap.Addr(), ap.Port()
	switch {
	case a.Zone() != "":
		return netip.AddrPort{}, fmt.Sprintf("has an IPv6 zone (%s); leave the zone out", code("%"+a.Zone()))
	case a.Is4In6():
		return netip.AddrPort{}, fmt.Sprintf("is an IPv4-mapped IPv6 address; write it as IPv4: `%s`", netip.AddrPortFrom(a.Unmap(), port))
	case port == 0:
		return netip.AddrPort{}, "has port 0; a port is a number from 1 to 65535"
	case s[strings.LastIndexByte(s, ':')+1] == '0':
		return netip.AddrPort{}, fmt.Sprintf("has a port with leading zeros; write it as `%s`", ap)
	case a.IsUnspecified():
		return netip.AddrPort{}, "is the unspecified address, not a client's address"
	case a.IsMulticast():
		return netip.AddrPort{}, "is a multicast address, not a client's address"
	}
	return ap, ""
}

// diagnoseAddr says what is wrong with s, which netip.ParseAddrPort refused.
func diagnoseAddr(s string) string {
	if strings.Contains(s, ",") {
		return "is not one client address: separate addresses with spaces, not commas"
	}
	if strings.Contains(s, "://") {
		return "is a URL, not a client address (write ip:port, e.g. " + exampleV4 + ")"
	}
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Is4() {
			return "is missing a port (write ip:port, e.g. " + exampleV4 + ")"
		}
		return "is missing brackets or a port (write an IPv6 address as [ip]:port, e.g. " + exampleV6 + ")"
	}
	var host, port string
	bracketed := strings.HasPrefix(s, "[")
	if bracketed {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "has a `[` without a matching `]` (write an IPv6 address as [ip]:port, e.g. " + exampleV6 + ")"
		}
		host, port = s[1:end], s[end+1:]
		if port != "" && port[0] != ':' {
			return "has something other than :port after the `]` (e.g. " + exampleV6 + ")"
		}
		port = strings.TrimPrefix(port, ":")
	} else if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, port = s[:i], s[i+1:]
	} else {
		host = s
	}
	a, err := netip.ParseAddr(host)
	switch {
	case err != nil && leadingZeroOctet(host):
		return "has leading zeros in its IPv4 address (write e.g. `10.0.0.5`, not `010.000.000.005`)"
	case err != nil && hostnameLike(host):
		return "is not an IP address and port: give the client's IP address, not a hostname (e.g. " + exampleV4 + ")"
	case err != nil:
		return "is not a client address (ip:port, e.g. " + exampleV4 + " or " + exampleV6 + ")"
	case bracketed && a.Is4():
		return "puts an IPv4 address in brackets; brackets are only for IPv6 (e.g. " + exampleV4 + ")"
	case !bracketed && a.Is6():
		return "needs brackets around its IPv6 address (e.g. " + exampleV6 + ")"
	case port == "":
		return "is missing a port (write ip:port, e.g. " + exampleV4 + ")"
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return fmt.Sprintf("has an invalid port %s; a port is a number from 1 to 65535", code(port))
		}
	}
	if n, err := strconv.ParseUint(port, 10, 64); err != nil || n > 65535 {
		return fmt.Sprintf("has port %s, which is out of range (1 to 65535)", code(port))
	}
	return "is not a client address (ip:port, e.g. " + exampleV4 + " or " + exampleV6 + ")"
}

// leadingZeroOctet reports whether s is dotted decimal with an octet like "01".
func leadingZeroOctet(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	zero := false
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
		if len(p) > 1 && p[0] == '0' {
			zero = true
		}
	}
	return zero
}

// hostnameLike reports whether s looks like a DNS name rather than a
// mistyped IP address: it has a letter and no colon.
func hostnameLike(s string) bool {
	return !strings.Contains(s, ":") && strings.IndexFunc(s, unicode.IsLetter) >= 0
}

// parseNodeRef parses a node reference: a node ID, the node's ip:port, or
// its number ("3" or "#3"). It returns the reference, or a problem: the end
// of a sentence that starts with the argument.
func parseNodeRef(s string) (NodeRef, string) {
	if l := strings.ToLower(s); validNode(l) {
		return NodeRef{ID: l}, ""
	}
	if indexLike(s) {
		n, ok := smallNumber(strings.TrimPrefix(s, "#"))
		switch {
		case !ok:
			return NodeRef{}, "is not a node number (write e.g. `3` or `#3`)"
		case n > MaxNodeIndex:
			return NodeRef{}, fmt.Sprintf("is not a node number: the numbers in `/dcs nodes` go from 0 to %d", MaxNodeIndex)
		}
		return NodeRef{Index: n, IsIndex: true}, ""
	}
	if strings.ContainsAny(s, ".:[]") {
		ap, problem := parseAddr(s)
		if problem != "" {
			return NodeRef{}, strings.ReplaceAll(problem, "client", "node")
		}
		return NodeRef{Addr: ap.String()}, ""
	}
	return NodeRef{}, "is not a node: give its DCS node ID (32 hex digits, with or without dashes, e.g. `" + exampleNode +
		"`), its ip:port, or its number in `/dcs nodes`"
}

// indexLike reports whether s is meant as a node number: it starts with #
// or is all digits.
func indexLike(s string) bool {
	return strings.HasPrefix(s, "#") || s != "" && strings.Trim(s, "0123456789") == ""
}

// nodeLike reports whether the one optional argument of clients is the node
// rather than a filter: a node ID, a valid ip:port, or a node number (valid
// or not: a lone number is never a filter).
func nodeLike(s string) bool {
	if validNode(strings.ToLower(s)) || indexLike(s) {
		return true
	}
	_, problem := parseAddr(s)
	return problem == ""
}

// smallNumber parses a non-negative decimal number, leading zeros allowed;
// ok is false unless s is all ASCII digits. A number too big for an int32
// comes back as math.MaxInt32.
func smallNumber(s string) (n int, ok bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return math.MaxInt32, true
	}
	return int(v), true
}

// Filter kinds.
const (
	filterNone = iota
	filterAddr // matches the start of a client address
	filterName // matches part of a client name
)

// filterKind says what a clients filter is: the start of a client address
// (starts with a digit or `[`, only hex digits, `.`, `:`, `[` and `]`), part
// of a client name ([A-Za-z0-9._:-]), or neither; at most MaxFilterLen
// characters either way.
func filterKind(s string) int {
	if s == "" || len(s) > MaxFilterLen {
		return filterNone
	}
	if ('0' <= s[0] && s[0] <= '9' || s[0] == '[') && strings.Trim(s, "0123456789abcdefABCDEF.:[]") == "" {
		return filterAddr
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._:-", c) >= 0) {
			return filterNone
		}
	}
	return filterName
}

// parseDuration parses a duration as Go writes them ("90s", "10m",
// "1h30m"; see time.ParseDuration), its units in any case, from lo to hi.
// It returns the duration, or what it must be instead: the end of a
// sentence "`--flag` must be ...". Zero and negative durations are always
// refused.
func parseDuration(s string, lo, hi time.Duration) (time.Duration, string) {
	d, err := time.ParseDuration(strings.ToLower(s))
	switch {
	case err != nil:
		return 0, "a duration: a number and a unit (`s`, `m` or `h`), like `90s`, `10m` or `1h30m`"
	case d <= 0:
		return 0, "longer than zero"
	case d < lo:
		return 0, "at least `" + durations.Short(lo) + "`"
	case d > hi:
		return 0, "at most `" + durations.Short(hi) + "`"
	}
	return d, ""
}
