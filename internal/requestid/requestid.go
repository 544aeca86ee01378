// Package requestid makes and reads request IDs: six characters of
// Crockford's base32, short enough to read out on a call.
package requestid

import (
	"crypto/rand"
	"strings"
)

// Alphabet is Crockford's base32: no I, L, O or U to misread.
const Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// Len is the length of a request ID.
const Len = 6

// New returns a fresh random request ID: about a billion values, so a
// store rejects the rare collision and the caller draws again.
func New() string {
	var b [Len]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	for i := range b {
		b[i] = Alphabet[int(b[i])%len(Alphabet)]
	}
	return string(b[:])
}

// Parse reads a request ID as a person typed it: either case, with I and
// L read as 1 and O as 0. It returns the ID in upper case.
func Parse(s string) (string, bool) {
	if len(s) != Len {
		return "", false
	}
	id := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		switch c {
		case 'I', 'L':
			c = '1'
		case 'O':
			c = '0'
		}
		if strings.IndexByte(Alphabet, c) < 0 {
			return "", false
		}
		id[i] = c
	}
	return string(id), true
}
