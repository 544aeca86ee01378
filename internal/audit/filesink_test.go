package audit

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testFileOptions rotate past 100 MiB, which no test reaches, keeping 5.
var testFileOptions = FileOptions{MaxBytes: 100 << 20, Keep: 5}

func records(from, to int64) []Record {
	var out []Record
	for seq := from; seq <= to; seq++ {
		out = append(out, Record{Seq: seq, Event: "approval", At: t0, RequestID: "R", Kind: "kill", Sessions: []string{"10.0.0.1:1"}})
	}
	return out
}

// readSeqs reads a file of records and returns their Seqs, failing on a line
// that is not a record.
func readSeqs(t *testing.T, path string) []int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: line %q: %v", path, sc.Text(), err)
		}
		out = append(out, r.Seq)
	}
	return out
}

func lineLen(t *testing.T) int64 {
	b, err := Marshal(records(1, 1)[0])
	if err != nil {
		t.Fatal(err)
	}
	return int64(len(b) + 1)
}

func TestFileSinkAppendsAndSyncs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs", "audit")
	path := filepath.Join(dir, "audit.jsonl")
	s, err := NewFileSink(path, testFileOptions)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]Record{records(1, 3), records(4, 4)} {
		if err := s.Send(t.Context(), b); err != nil {
			t.Fatal(err)
		}
	}
	// Read while still open: each Send's records are on disk.
	if got := readSeqs(t, path); !slices.Equal(got, upTo(4)) {
		t.Errorf("file holds %v, want 1..4", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopening appends.
	s, err = NewFileSink(path, testFileOptions)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(t.Context(), records(5, 6)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if got := readSeqs(t, path); !slices.Equal(got, upTo(6)) {
		t.Errorf("after reopening the file holds %v, want 1..6", got)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode(), want)
		}
	}
}

// A file whose last line was cut short (a crash mid-write) gets that line
// ended before the next record.
func TestFileSinkEndsACutLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	line, _ := Marshal(records(1, 1)[0])
	if err := os.WriteFile(path, append(append(line, '\n'), line[:20]...), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := NewFileSink(path, testFileOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Send(t.Context(), records(2, 2)); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 3 || lines[1] != string(line[:20]) || !strings.HasPrefix(lines[2], `{"seq":2,`) {
		t.Errorf("file after a cut line:\n%s", b)
	}
}

// Past MaxBytes the file is renamed path.1, the older ones shifted, at most
// Keep kept; every line stays whole and no record is lost but the oldest
// files' beyond Keep.
func TestFileSinkRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	n := lineLen(t)
	s, err := NewFileSink(path, FileOptions{MaxBytes: 3 * n, Keep: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// 11 records, 3 per file: 1-3, 4-6, 7-9, 10-11; batches straddle files.
	for _, b := range [][]Record{records(1, 2), records(3, 7), records(8, 8), records(9, 11)} {
		if err := s.Send(t.Context(), b); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string][]int64{path: {10, 11}, path + ".1": {7, 8, 9}, path + ".2": {4, 5, 6}}
	for p, w := range want {
		if got := readSeqs(t, p); !slices.Equal(got, w) {
			t.Errorf("%s holds %v, want %v", filepath.Base(p), got, w)
		}
		if fi, err := os.Stat(p); err != nil || fi.Size() > 3*n || fi.Mode() != 0o600 {
			t.Errorf("%s: %v, size %d (max %d), mode %v", p, err, fi.Size(), 3*n, fi.Mode())
		}
	}
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Errorf("%s.3 exists beyond Keep=2: %v", path, err)
	}
}

// A record longer than MaxBytes still gets written, alone in its file.
func TestFileSinkOversizedRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	s, err := NewFileSink(path, FileOptions{MaxBytes: 10, Keep: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Send(t.Context(), records(1, 2)); err != nil {
		t.Fatal(err)
	}
	if got := readSeqs(t, path); !slices.Equal(got, []int64{2}) {
		t.Errorf("current file holds %v, want [2]", got)
	}
	if got := readSeqs(t, path+".1"); !slices.Equal(got, []int64{1}) {
		t.Errorf("rotated file holds %v, want [1]", got)
	}
}

// The file sink takes no default rotation.
func TestFileSinkNeedsRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	for _, o := range []FileOptions{{}, {MaxBytes: 1 << 20}, {Keep: 3}} {
		if s, err := NewFileSink(path, o); err == nil {
			s.Close()
			t.Errorf("NewFileSink(%+v) opened a sink", o)
		}
	}
}
