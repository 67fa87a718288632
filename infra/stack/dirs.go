package stack

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// FunctionDirs lists the directories under dir that hold a main.go: the
// functions that exist in the source tree.
func FunctionDirs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list functions: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "main.go")); err == nil {
			names = append(names, e.Name())
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	sort.Strings(names)
	return names, nil
}

// CheckBinaries reports every function whose bootstrap is missing from codeDir.
func CheckBinaries(codeDir string, names []string) error {
	var missing []error
	for _, n := range names {
		p := filepath.Join(codeDir, n, "bootstrap")
		if fi, err := os.Stat(p); err != nil || fi.IsDir() {
			missing = append(missing, fmt.Errorf("%s is missing: run scripts/build first", p))
		}
	}
	return errors.Join(missing...)
}
