package sqlstore

import (
	"testing"
)

func TestRebind(t *testing.T) {
	q := `UPDATE t SET a = ?, b = ? WHERE id = ? AND state IN (?, ?)`
	if got := (Dialect{}).rebind(q); got != q {
		t.Errorf("rebind without numbered params changed the query: %s", got)
	}
	want := `UPDATE t SET a = $1, b = $2 WHERE id = $3 AND state IN ($4, $5)`
	if got := (Dialect{NumberedParams: true}).rebind(q); got != want {
		t.Errorf("rebind = %s, want %s", got, want)
	}
}
