package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/kpi"
	"github.com/conduit-cx/conduit/shared/rollup"
)

// BenchmarkStore keeps administrators' benchmarks of the metric catalog,
// with optimistic locking.
type BenchmarkStore interface {
	Benchmarks(ctx context.Context) (map[string]rollup.BenchmarkSetting, error)
	PutBenchmark(ctx context.Context, metric string, b kpi.Benchmark, version int, by string, at time.Time) (rollup.BenchmarkSetting, error)
}

// metricView is one metric of GET /v1/metrics: the catalog's definition
// with the benchmark in force, the catalog's default, and who set it.
type metricView struct {
	kpi.Definition
	// DefaultBenchmark is the catalog's own target.
	DefaultBenchmark *kpi.Benchmark `json:"defaultBenchmark"`
	// BenchmarkVersion is 0 while the default is in force; PUT names it.
	BenchmarkVersion   int        `json:"benchmarkVersion"`
	BenchmarkUpdatedAt *time.Time `json:"benchmarkUpdatedAt,omitempty"`
	BenchmarkUpdatedBy string     `json:"benchmarkUpdatedBy,omitempty"`
}

func viewOf(d kpi.Definition, set *rollup.BenchmarkSetting) metricView {
	v := metricView{Definition: d, DefaultBenchmark: d.Benchmark}
	if set != nil {
		b := set.Benchmark
		v.Definition = d.WithBenchmark(&b)
		v.BenchmarkVersion = set.Version
		at := set.UpdatedAt
		v.BenchmarkUpdatedAt, v.BenchmarkUpdatedBy = &at, set.UpdatedBy
	}
	return v
}

// metricViews is the catalog with the benchmarks in force, in catalog order.
func (s *Server) metricViews(ctx context.Context) ([]metricView, error) {
	sets := map[string]rollup.BenchmarkSetting{}
	if s.deps.Benchmarks != nil {
		var err error
		if sets, err = s.deps.Benchmarks.Benchmarks(ctx); err != nil {
			return nil, err
		}
	}
	var out []metricView
	for _, d := range kpi.Catalog() {
		var set *rollup.BenchmarkSetting
		if b, ok := sets[d.Name]; ok {
			set = &b
		}
		out = append(out, viewOf(d, set))
	}
	return out, nil
}

// metricDefinition is one metric with the benchmark in force.
func (s *Server) metricDefinition(ctx context.Context, name string) (kpi.Definition, error) {
	views, err := s.metricViews(ctx)
	if err != nil {
		return kpi.Definition{}, err
	}
	for _, v := range views {
		if v.Name == name {
			return v.Definition, nil
		}
	}
	_, err = kpi.ParseMetric(name)
	return kpi.Definition{}, err
}

// listMetrics serves the metric catalog: one set of definitions for
// marketing and the contact center, each with its benchmark.
func (s *Server) listMetrics() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		views, err := s.metricViews(r.Context())
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, Page[metricView]{Items: views})
	})
}

// benchmarkInput is the body of PUT /v1/metrics/{name}/benchmark.
type benchmarkInput struct {
	Target  *float64 `json:"target"`
	Warning *float64 `json:"warning"`
	// Version is the benchmarkVersion read (0 for the catalog default).
	Version *int `json:"version"`
}

// putBenchmark sets a metric's benchmark (administrators only).
func (s *Server) putBenchmark() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		d, ok := kpi.Lookup(name)
		if !ok {
			writeError(w, r, fmt.Errorf("metric %q; known: %s: %w", clipValue(name), strings.Join(kpi.Names(), ", "), apperr.ErrNotFound))
			return
		}
		var in benchmarkInput
		if err := decodeJSON(r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		var p apperr.Problems
		if in.Target == nil {
			p.Add("target", "is required, in the metric's unit (%s)", d.Unit)
		}
		if in.Warning == nil {
			p.Add("warning", "is required: the line between warning and bad, in the metric's unit (%s)", d.Unit)
		}
		if in.Version == nil {
			p.Add("version", "is required: the benchmarkVersion you read (0 while the default is in force)")
		} else if *in.Version < 0 {
			p.Add("version", "must not be negative")
		}
		if len(p) > 0 {
			writeError(w, r, p)
			return
		}
		b := kpi.Benchmark{Target: *in.Target, Warning: *in.Warning}
		if err := d.ValidateBenchmark(b); err != nil {
			writeError(w, r, err)
			return
		}
		if s.deps.Benchmarks == nil {
			writeError(w, r, errors.New("no benchmark store configured"))
			return
		}
		set, err := s.deps.Benchmarks.PutBenchmark(r.Context(), d.Name, b, *in.Version, actor(r), s.deps.Clock())
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, viewOf(d, &set))
	})
}

func clipValue(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
