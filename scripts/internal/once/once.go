// Package once makes a file exactly once: the first process to need a
// secret under .conduit/ makes it, and every other process, even one racing
// with it, reads the same bytes.
package once

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// File returns the content of path, making it with make on first use. The
// new content is written to a temporary file and linked into place only if
// path is still absent, so a reader never sees a half-written file.
func File(path string, make func() ([]byte, error)) ([]byte, error) {
	if raw, err := os.ReadFile(path); err == nil || !errors.Is(err, os.ErrNotExist) {
		return raw, err
	}
	content, err := make()
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, ".new-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	return os.ReadFile(path)
}
