package audit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// FileOptions sets the file sink's rotation. Both fields are required.
type FileOptions struct {
	// MaxBytes is the most a file holds: a record that would take it past
	// MaxBytes goes to a new file (a record longer than MaxBytes alone
	// still gets a file of its own).
	MaxBytes int64
	// Keep is how many rotated files are kept: path.1 (the newest) to
	// path.Keep; older ones are deleted.
	Keep int
}

// FileSink appends records, one JSON line each, to a file, and syncs it to
// disk before Send returns. When the file would grow past MaxBytes it is
// renamed path.1 (path.1 becoming path.2, and so on) and a new file started.
// The directory is created 0700 and the files 0600.
type FileSink struct {
	path string
	opts FileOptions

	mu   sync.Mutex
	f    *os.File
	size int64
}

// NewFileSink opens path for appending, creating it and its directory if
// needed.
func NewFileSink(path string, opts FileOptions) (*FileSink, error) {
	if opts.MaxBytes <= 0 || opts.Keep <= 0 {
		return nil, fmt.Errorf("audit file sink: rotation past %d bytes keeping %d files, want both positive", opts.MaxBytes, opts.Keep)
	}
	s := &FileSink{path: path, opts: opts}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit file sink: directory: %w", err)
	}
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

// open opens the file at s.path. A last line cut short (the process died
// while writing it) is ended, so that the next record starts a line.
func (s *FileSink) open() error {
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("audit file sink: %w", err)
	}
	fi, err := f.Stat()
	if err == nil && fi.Size() > 0 {
		last := make([]byte, 1)
		if _, err = f.ReadAt(last, fi.Size()-1); err == nil && last[0] != '\n' {
			_, err = f.Write([]byte{'\n'})
		}
	}
	if err == nil {
		fi, err = f.Stat()
	}
	if err == nil {
		err = syncDir(filepath.Dir(s.path))
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("audit file sink: %s: %w", s.path, err)
	}
	s.f, s.size = f, fi.Size()
	return nil
}

// Send appends the batch and syncs the file. A failed write is cut off the
// file again, so that the retried batch does not follow half a line.
func (s *FileSink) Send(_ context.Context, batch []Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		if err := s.open(); err != nil {
			return err
		}
	}
	start := s.size
	for _, r := range batch {
		line, err := appendLines(nil, []Record{r})
		if err != nil {
			return err
		}
		if s.size > 0 && s.size+int64(len(line)) > s.opts.MaxBytes {
			if err := s.rotate(); err != nil {
				return err
			}
			start = s.size
		}
		n, err := s.f.Write(line)
		s.size += int64(n)
		if err != nil {
			return s.undo(start, err)
		}
	}
	if err := s.f.Sync(); err != nil {
		return s.undo(start, err)
	}
	return nil
}

// undo truncates the file to size after err, or, if that fails too, closes
// it so that the next Send reopens it.
func (s *FileSink) undo(size int64, err error) error {
	err = fmt.Errorf("audit file sink: %s: %w", s.path, err)
	if terr := s.f.Truncate(size); terr == nil {
		s.size = size
		return err
	}
	s.f.Close()
	s.f = nil
	return err
}

// rotate syncs and closes the file, shifts path.i to path.i+1 (dropping
// path.Keep), renames the file path.1 and opens a new one.
func (s *FileSink) rotate() error {
	err := s.f.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	if err != nil {
		return fmt.Errorf("audit file sink: %s: %w", s.path, err)
	}
	name := func(i int) string { return s.path + "." + strconv.Itoa(i) }
	if err := os.Remove(name(s.opts.Keep)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("audit file sink: rotate: %w", err)
	}
	for i := s.opts.Keep - 1; i >= 1; i-- {
		if err := os.Rename(name(i), name(i+1)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("audit file sink: rotate: %w", err)
		}
	}
	if err := os.Rename(s.path, name(1)); err != nil {
		return fmt.Errorf("audit file sink: rotate: %w", err)
	}
	return s.open()
}

// Close syncs and closes the file.
func (s *FileSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	return err
}

// syncDir makes a file's creation or renaming in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
