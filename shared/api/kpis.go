package api

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/kpi"
	"github.com/conduit-cx/conduit/shared/rollup"
	"github.com/conduit-cx/conduit/shared/stats"
)

// KPIReader reads the rollup's stored buckets.
type KPIReader interface {
	Series(ctx context.Context, g kpi.Grain, k kpi.Key, from, to time.Time) ([]rollup.Bucket, error)
	Dimension(ctx context.Context, g kpi.Grain, d kpi.Dimension, from, to time.Time, match func(kpi.Key) bool, limit int) ([]rollup.Bucket, error)
}

// Limits of one KPI answer.
const (
	// MaxKPIBuckets is the most time buckets one answer spans: 31 days of
	// hours, 7¾ days of quarter-hours, about two years of days.
	MaxKPIBuckets = 744
	// MaxKPIPoints is the most points (buckets × keys) one answer holds.
	MaxKPIPoints = 10000
	// MaxReportDays bounds the range of impact and scorecard reports.
	MaxReportDays = 400
)

// kpiResponse is the answer of GET /v1/kpis.
type kpiResponse struct {
	Metric string      `json:"metric"`
	Grain  kpi.Grain   `json:"grain"`
	By     string      `json:"by"`
	From   time.Time   `json:"from"`
	To     time.Time   `json:"to"`
	Unit   kpi.Unit    `json:"unit"`
	Points []kpi.Point `json:"points"`
}

// getKPIs serves one metric over time, by a dimension:
// ?metric=asa&grain=hour&from=…&to=…&by=queue[&queue=Sales][&format=csv].
// from and to are RFC 3339 times or dates (UTC midnight); to defaults to
// now and from to one day (a month for grain=day) before to.
func (s *Server) getKPIs() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var p apperr.Problems
		var def kpi.Definition
		metric := strings.TrimSpace(q.Get("metric"))
		if metric == "" {
			p.Add("metric", "is required; known: %s", strings.Join(kpi.Names(), ", "))
		} else if d, err := s.metricDefinition(r.Context(), metric); err != nil {
			if !addProblems(&p, err) {
				writeError(w, r, err)
				return
			}
		} else {
			def = d
		}
		grain := kpi.GrainHour
		if v := q.Get("grain"); v != "" {
			g, err := kpi.ParseGrain(v)
			addProblems(&p, err)
			grain = g
		}
		by, err := kpi.ParseDimension(q.Get("by"))
		addProblems(&p, err)
		now := s.deps.Clock().UTC()
		to := timeParam(q, "to", now, &p)
		span := 24 * time.Hour
		if grain == kpi.GrainDay {
			span = 30 * 24 * time.Hour
		}
		from := timeParam(q, "from", to.Add(-span), &p)
		csvOut := wantsCSV(r, &p)
		filter := dimensionFilter(q, by, &p, "metric", "grain", "by", "from", "to", "format")
		if len(p) > 0 {
			writeError(w, r, p)
			return
		}
		// time.Time.Sub saturates where a bucket count could overflow: a
		// span past the limit is refused before buckets are counted.
		if span := to.Sub(grain.Start(from)); grain.Valid() && span > grain.Duration()*MaxKPIBuckets {
			writeError(w, r, apperr.Invalid("to", "the range spans more than %d %s buckets in one answer; narrow the range or use a larger grain", MaxKPIBuckets, grain))
			return
		}
		starts, err := kpi.Range(grain, from, to, MaxKPIBuckets)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if s.deps.KPIs == nil {
			writeError(w, r, errors.New("no KPI store configured"))
			return
		}
		var points []kpi.Point
		if def.Comparative {
			dim, err := rollup.LiftDimension(by)
			if err != nil {
				writeError(w, r, err)
				return
			}
			bs, err := rollup.Read(r.Context(), s.deps.KPIs, grain, dim, from, to, filter.exact(), 2*MaxKPIPoints)
			if err != nil {
				writeError(w, r, err)
				return
			}
			points = rollup.LiftPoints(def, by, starts, bs, stats.Options{})
		} else {
			bs, err := rollup.Read(r.Context(), s.deps.KPIs, grain, by, from, to, filter.exact(), MaxKPIPoints)
			if err != nil {
				writeError(w, r, err)
				return
			}
			if points, err = rollup.Points(def, by, starts, bs); err != nil {
				writeError(w, r, err)
				return
			}
		}
		if points == nil {
			points = []kpi.Point{}
		}
		resp := kpiResponse{Metric: def.Name, Grain: grain, By: string(by), From: from.UTC(), To: to.UTC(), Unit: def.Unit, Points: points}
		if csvOut {
			writeKPICSV(w, resp, by)
			return
		}
		writeJSON(w, http.StatusOK, resp)
	})
}

// addProblems adds an input error's problems to p; false when err is not
// an input error (and not nil).
func addProblems(p *apperr.Problems, err error) bool {
	if err == nil {
		return true
	}
	if more, ok := apperr.AsProblems(err); ok {
		*p = append(*p, more...)
		return true
	}
	return false
}

// timeParam reads an RFC 3339 time or a date (UTC midnight) from the query.
func timeParam(q url.Values, name string, def time.Time, p *apperr.Problems) time.Time {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		return def
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC()
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t
	}
	p.Add(name, "%q is not an RFC 3339 time (2026-03-02T09:00:00Z) or a date (2026-03-02)", clipValue(v))
	return def
}

// wantsCSV reads format=csv|json and, without it, the Accept header.
func wantsCSV(r *http.Request, p *apperr.Problems) bool {
	switch f := r.URL.Query().Get("format"); f {
	case "csv":
		return true
	case "json":
		return false
	case "":
	default:
		p.Add("format", "%q is not a format; use json or csv", clipValue(f))
		return false
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/csv" {
			return true
		}
	}
	return false
}

// keyFilter keeps the keys whose attributes equal the ones asked for.
type keyFilter struct {
	dim  kpi.Dimension
	want map[string]string // attribute → value
}

// dimensionFilter reads attribute filters (queue=Sales) of the dimension's
// attributes; any other parameter than the allowed ones is a problem.
func dimensionFilter(q url.Values, by kpi.Dimension, p *apperr.Problems, allowed ...string) keyFilter {
	f := keyFilter{dim: by, want: map[string]string{}}
	parts := by.Parts()
	for name, vals := range q {
		switch {
		case slices.Contains(allowed, name):
		case slices.Contains(parts, name):
			if len(vals) != 1 || vals[0] == "" {
				p.Add(name, "give one non-empty %s to filter by", name)
				continue
			}
			f.want[name] = vals[0]
		default:
			known := append(slices.Clone(allowed), parts...)
			p.Add(name, "is not a parameter of this operation; known: %s (filters name an attribute of by)", strings.Join(known, ", "))
		}
	}
	return f
}

// exact matches keys by their attributes; the keys of campaign_group and
// offer_group (read for lift) carry the campaign or offer too.
func (f keyFilter) exact() func(kpi.Key) bool {
	if len(f.want) == 0 {
		return nil
	}
	return func(k kpi.Key) bool {
		d := k.Dims()
		for name, v := range f.want {
			if d[name] != v {
				return false
			}
		}
		return true
	}
}

// writeKPICSV writes the points as CSV for spreadsheets: one row a point.
func writeKPICSV(w http.ResponseWriter, resp kpiResponse, by kpi.Dimension) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="kpis-%s-%s-%s.csv"`, resp.Metric, resp.Grain, by))
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	header := []string{"start", "metric", "grain"}
	header = append(header, by.Parts()...)
	header = append(header, "value", "count", "unit", "benchmark_target", "benchmark_warning", "status")
	_ = cw.Write(header)
	num := func(x *float64) string {
		if x == nil {
			return ""
		}
		return strconv.FormatFloat(*x, 'g', -1, 64)
	}
	for _, pt := range resp.Points {
		row := []string{pt.Start.Format(time.RFC3339), resp.Metric, string(resp.Grain)}
		for _, part := range by.Parts() {
			row = append(row, csvSafe(pt.Dims[part]))
		}
		var target, warning *float64
		if pt.Benchmark != nil {
			target, warning = &pt.Benchmark.Target, &pt.Benchmark.Warning
		}
		row = append(row, num(pt.Value), strconv.FormatInt(pt.Count, 10), string(resp.Unit), num(target), num(warning), string(pt.Status))
		_ = cw.Write(row)
	}
	cw.Flush()
}

// csvSafe keeps a spreadsheet from reading a name as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// reportRange reads from and to of an impact or scorecard report: whole
// UTC days (day buckets), at most MaxReportDays.
func reportRange(q url.Values, defFrom, now time.Time, p *apperr.Problems) (time.Time, time.Time) {
	to := timeParam(q, "to", now, p)
	from := timeParam(q, "from", defFrom, p)
	if len(*p) > 0 {
		return from, to
	}
	if !from.Before(to) {
		p.Add("from", "must be before to (%s is not before %s)", from.Format(time.RFC3339), to.Format(time.RFC3339))
		return from, to
	}
	if to.Sub(kpi.GrainDay.Start(from)) > MaxReportDays*24*time.Hour {
		p.Add("to", "the range holds more than %d days, the most one report covers; narrow it", MaxReportDays)
	}
	return kpi.GrainDay.Start(from), to
}
