package kpi

import (
	"fmt"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// Grain is the length of a KPI time bucket. Buckets start on UTC
// boundaries: quarter hours, hours, midnights.
type Grain string

// Grains, as the API takes them (grain=15m|hour|day).
const (
	Grain15m  Grain = "15m"
	GrainHour Grain = "hour"
	GrainDay  Grain = "day"
)

// Grains lists every grain, finest first.
var Grains = []Grain{Grain15m, GrainHour, GrainDay}

// ParseGrain reads a grain from outside input.
func ParseGrain(s string) (Grain, error) {
	switch g := Grain(strings.TrimSpace(s)); g {
	case Grain15m, GrainHour, GrainDay:
		return g, nil
	}
	return "", apperr.Invalid("grain", "unknown grain %q; use 15m, hour or day", s)
}

// Duration is the bucket length (0 for an unknown grain).
func (g Grain) Duration() time.Duration {
	switch g {
	case Grain15m:
		return 15 * time.Minute
	case GrainHour:
		return time.Hour
	case GrainDay:
		return 24 * time.Hour
	}
	return 0
}

// Valid reports a known grain.
func (g Grain) Valid() bool { return g.Duration() > 0 }

// Start is the start of the bucket holding t, in UTC. (Go's Truncate counts
// from the zero time, which falls on a UTC midnight, so days truncate to UTC
// midnights.) An unknown grain returns t in UTC unchanged.
func (g Grain) Start(t time.Time) time.Time {
	d := g.Duration()
	if d == 0 {
		return t.UTC()
	}
	return t.UTC().Truncate(d)
}

// Buckets lists the starts of every bucket that overlaps [from, to), in
// order. Empty when from is not before to or the grain is unknown.
func (g Grain) Buckets(from, to time.Time) []time.Time {
	d := g.Duration()
	if d == 0 || !from.Before(to) {
		return nil
	}
	var out []time.Time
	for s := g.Start(from); s.Before(to); s = s.Add(d) {
		out = append(out, s)
	}
	return out
}

// CountBuckets is len(g.Buckets(from, to)) without building the list.
func (g Grain) CountBuckets(from, to time.Time) int64 {
	d := g.Duration()
	if d == 0 || !from.Before(to) {
		return 0
	}
	// Sub saturates at about 292 years; rounding up by adding d-1 would
	// then overflow into a negative count.
	span := to.Sub(g.Start(from))
	n := span / d
	if span%d != 0 {
		n++
	}
	return int64(n)
}

// Range validates a query's time range for a grain and lists its buckets:
// from must not be after to, and the range may hold at most maxBuckets
// buckets (so one answer stays bounded; the caller pages or narrows).
// Problems are reported on fields "from", "to" and "grain" together.
func Range(g Grain, from, to time.Time, maxBuckets int64) ([]time.Time, error) {
	var p apperr.Problems
	if !g.Valid() {
		p.Add("grain", "unknown grain %q; use 15m, hour or day", string(g))
	}
	if from.IsZero() {
		p.Add("from", "required (RFC 3339 time)")
	}
	if to.IsZero() {
		p.Add("to", "required (RFC 3339 time)")
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		p.Add("from", "must be before to (%s is not before %s)", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	}
	if len(p) > 0 {
		return nil, p
	}
	if n := g.CountBuckets(from, to); maxBuckets > 0 && n > maxBuckets {
		return nil, apperr.Invalid("to", "range holds %d %s buckets, more than %d in one answer; narrow the range or use a larger grain", n, g, maxBuckets)
	}
	return g.Buckets(from, to), nil
}

// BucketKey is a bucket start as stored (sort key "bucket"): RFC 3339 in
// UTC, which sorts in time order as a string.
func BucketKey(start time.Time) string { return start.UTC().Format(time.RFC3339) }

// ParseBucketKey reads a stored bucket key.
func ParseBucketKey(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bucket key %q: %w", s, err)
	}
	return t.UTC(), nil
}
