package approvals

import (
	"crypto/rand"
)

// idAlphabet is Crockford's base32: no I, L, O or U to misread.
const idAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewID returns a short request ID people can read out and type: six
// characters, about a billion values; Create rejects the rare collision
// and Submit draws again.
func NewID() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b[:])
}
