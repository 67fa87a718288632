package api

import (
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/load"
)

// staffingParams are the query parameters of GET /v1/staffing.
var staffingParams = []string{"contacts", "interval", "aht", "sl", "t", "maxOccupancy"}

// getStaffing answers how many agents an interval needs (Erlang C):
//
//	GET /v1/staffing?contacts=120&interval=30m&aht=300s&sl=0.8&t=20s
//
// contacts is the forecast volume of the interval; interval, aht and t are
// durations (30m, 300s) or plain seconds; sl is the service-level target
// as a share (0.8 = 80 % answered within t); maxOccupancy optionally caps
// how busy agents may be (0.85).
func (s *Server) getStaffing() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var p apperr.Problems
		unknownParams(q, staffingParams, &p)
		req := load.StaffingRequest{
			Contacts:     numberParam(q, "contacts", nil, &p),
			Interval:     durationParam(q, "interval", nil, &p),
			AHT:          durationParam(q, "aht", nil, &p),
			ServiceLevel: numberParam(q, "sl", nil, &p),
			Threshold:    durationParam(q, "t", nil, &p),
			MaxOccupancy: numberParam(q, "maxOccupancy", ptr(0.0), &p),
		}
		if err := p.Err(); err != nil {
			writeError(w, r, err)
			return
		}
		perf, err := load.Staff(req)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, perf)
	})
}

// unknownParams names every query parameter the operation does not take,
// so a typo (?sla=0.8) is not silently ignored.
func unknownParams(q url.Values, known []string, p *apperr.Problems) {
	var names []string
	for name := range q {
		if !slices.Contains(known, name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		p.Add(name, "is not a parameter of this operation; it takes %s", strings.Join(known, ", "))
	}
}

// numberParam reads a finite number; def nil makes it required.
func numberParam(q url.Values, name string, def *float64, p *apperr.Problems) float64 {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		if def == nil {
			p.Add(name, "is required")
			return 0
		}
		return *def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		p.Add(name, "must be a number, not %q", v)
		return 0
	}
	return f
}

// durationParam reads a duration: a Go duration (30m, 1m30s) or a plain
// number of seconds (300); def nil makes it required.
func durationParam(q url.Values, name string, def *time.Duration, p *apperr.Problems) time.Duration {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		if def == nil {
			p.Add(name, "is required (a duration such as 30m, or seconds)")
			return 0
		}
		return *def
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 366*24*3600 {
			p.Add(name, "must be a duration such as 30m, or seconds, not %q", v)
			return 0
		}
		return time.Duration(f * float64(time.Second))
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		p.Add(name, "must be a duration such as 30m or 300s, or seconds, not %q", v)
		return 0
	}
	return d
}

// intParam reads a whole number; def nil makes it required.
func intParam(q url.Values, name string, def *int64, p *apperr.Problems) int64 {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		if def == nil {
			p.Add(name, "is required")
			return 0
		}
		return *def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		p.Add(name, "must be a whole number, not %q", v)
		return 0
	}
	return n
}

func ptr[T any](v T) *T { return &v }
