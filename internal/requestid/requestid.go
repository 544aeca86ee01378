// Package requestid defines the IDs of kill requests: six characters of
// Crockford's base32, short enough to read out and type, with no I, L, O or
// U to misread.
package requestid

import "crypto/rand"

// Alphabet is Crockford's base32, the characters of a request ID.
const Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// Len is the number of characters in a request ID.
const Len = 6

// New returns a random request ID: Len characters of Alphabet drawn from
// crypto/rand, about a billion values. It does not check for collisions;
// whoever stores the ID must.
func New() string {
	var b [Len]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	for i := range b {
		// 256 is a multiple of 32, so every character is equally likely.
		b[i] = Alphabet[int(b[i])%len(Alphabet)]
	}
	return string(b[:])
}

// Parse reads a request ID as a person typed it: Len characters of Alphabet
// in either case, with I and L read as 1 and O as 0. It returns the ID in
// upper case, as New writes it, and false for anything else.
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
		if !isAlphabet(c) {
			return "", false
		}
		id[i] = c
	}
	return string(id), true
}

func isAlphabet(c byte) bool {
	for i := 0; i < len(Alphabet); i++ {
		if Alphabet[i] == c {
			return true
		}
	}
	return false
}
