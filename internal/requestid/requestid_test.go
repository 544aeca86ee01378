package requestid

import (
	"strings"
	"testing"
)

func TestAlphabet(t *testing.T) {
	if len(Alphabet) != 32 {
		t.Fatalf("Alphabet has %d characters, want 32", len(Alphabet))
	}
	seen := map[rune]bool{}
	for _, c := range Alphabet {
		if seen[c] || strings.ContainsRune("ILOU", c) || !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z') {
			t.Errorf("Alphabet character %q is repeated, confusable or not a digit or capital", c)
		}
		seen[c] = true
	}
}

func TestNew(t *testing.T) {
	counts := map[rune]int{}
	for range 2000 {
		id := New()
		if len(id) != Len {
			t.Fatalf("New() = %q, want %d characters", id, Len)
		}
		for _, c := range id {
			if !strings.ContainsRune(Alphabet, c) {
				t.Fatalf("New() = %q: %q is not in the alphabet", id, c)
			}
			counts[c]++
		}
		if got, ok := Parse(id); !ok || got != id {
			t.Fatalf("Parse(New() = %q) = %q, %v", id, got, ok)
		}
	}
	// 12,000 characters: each of the 32 is expected 375 times; one never
	// drawn means New does not reach the whole alphabet.
	for _, c := range Alphabet {
		if counts[c] == 0 {
			t.Errorf("New never drew %q in 2000 IDs", c)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"7K2QFM", "7K2QFM", true},
		{"7k2qfm", "7K2QFM", true},
		{"7K2qFm", "7K2QFM", true},
		{"iLoO12", "110012", true},
		{"ilIL0o", "111100", true},
		{"0ABZZ9", "0ABZZ9", true},
		{"", "", false},
		{"7K2QF", "", false},
		{"7K2QFMX", "", false},
		{"7K2QFU", "", false},
		{"7k2qfu", "", false},
		{"7K2-QF", "", false},
		{"7K2 QF", "", false},
		{"7K2QFé", "", false},
		{"ééé", "", false}, // six bytes, three characters
		{"#3FFFF", "", false},
		{"7K2QF\x00", "", false},
	}
	for _, tt := range tests {
		got, ok := Parse(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Parse(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// Every byte in every position is accepted exactly when it is a character
// of the alphabet in either case, or one of the confusables I, L and O.
func TestParseEveryByte(t *testing.T) {
	read := map[byte]byte{'I': '1', 'i': '1', 'L': '1', 'l': '1', 'O': '0', 'o': '0'}
	for _, c := range []byte(Alphabet) {
		read[c] = c
		if 'A' <= c && c <= 'Z' {
			read[c+'a'-'A'] = c
		}
	}
	for pos := 0; pos < Len; pos++ {
		for b := 0; b < 256; b++ {
			in := []byte("000000")
			in[pos] = byte(b)
			got, ok := Parse(string(in))
			want, accepted := read[byte(b)]
			if ok != accepted {
				t.Fatalf("Parse(%q) ok = %v, want %v", in, ok, accepted)
			}
			if ok && got[pos] != want {
				t.Fatalf("Parse(%q) = %q, want %q at %d", in, got, want, pos)
			}
		}
	}
}
