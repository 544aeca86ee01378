package bench

import (
	"testing"
	"time"
)

func TestQuantile(t *testing.T) {
	var s Sample
	if s.Quantile(0.5) != 0 || s.Max() != 0 {
		t.Fatal("empty sample is not zero")
	}
	for i := 100; i >= 1; i-- {
		s.Add(time.Duration(i) * time.Millisecond)
	}
	for q, want := range map[float64]time.Duration{0: 1, 0.5: 50, 0.99: 99, 0.991: 100, 1: 100} {
		if got := s.Quantile(q); got != want*time.Millisecond {
			t.Errorf("Quantile(%v) = %v, want %v", q, got, want*time.Millisecond)
		}
	}
	if s.Len() != 100 || Ms(1500*time.Microsecond) != 1.5 {
		t.Fatal("Len or Ms wrong")
	}
}
