// Package apperr holds the errors every Conduit layer shares, so the edge
// (API, Connect answer, stream batch) maps each to a response in one place.
package apperr

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Wrap them with context; test them with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict is a stale version on an optimistic-locking write, or a
	// create of something that exists.
	ErrConflict = errors.New("conflict")
	// ErrSuppressed marks a person erased or suppressed for good.
	ErrSuppressed = errors.New("suppressed")
)

// Problem is one thing wrong with an input: which field and what is wrong.
type Problem struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

// Problems is every problem of one input, reported at once.
type Problems []Problem

// Add records a problem.
func (p *Problems) Add(field, format string, args ...any) {
	*p = append(*p, Problem{Field: field, Problem: fmt.Sprintf(format, args...)})
}

// Err returns the problems as an error, or nil when there are none.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return p
}

func (p Problems) Error() string {
	parts := make([]string, len(p))
	for i, pr := range p {
		parts[i] = pr.Field + ": " + pr.Problem
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Invalid is a single-problem input error.
func Invalid(field, format string, args ...any) error {
	var p Problems
	p.Add(field, format, args...)
	return p
}

// AsProblems extracts the problems of an input error.
func AsProblems(err error) (Problems, bool) {
	var p Problems
	if errors.As(err, &p) {
		return p, true
	}
	return nil, false
}
