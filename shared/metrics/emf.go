// Package metrics writes CloudWatch metrics as Embedded Metric Format (EMF)
// log lines: JSON objects on stdout that CloudWatch Logs turns into metrics,
// with no API call on the hot path.
//
//	m := metrics.New(os.Stdout, metrics.Namespace)
//	m.Count(metrics.OffersMade, 1)
//	m.Count(metrics.OffersSuppressed, 1, metrics.Dim(metrics.DimReason, "consent"))
//	m.Duration(metrics.DecisionLatency, time.Since(start))
//	m.Property("contactId", contactID)
//	_ = m.Flush()
//
// Flush writes one line for each distinct set of dimension values recorded
// since the last flush (one line in the common case), following the EMF
// specification: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
package metrics

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"time"
)

// Namespace is Conduit's CloudWatch namespace.
const Namespace = "Conduit"

// Metric names the functions emit.
const (
	// OffersMade counts offers returned to a contact flow.
	OffersMade = "OffersMade"
	// OffersSuppressed counts decisions that made no offer, by Reason
	// (consent, empathy, load, cap, holdout...).
	OffersSuppressed = "OffersSuppressed"
	// DecisionLatency is the offer function's own time per decision (ms).
	DecisionLatency = "DecisionLatency"
	// DecisionErrors counts decisions that failed and answered "none".
	DecisionErrors = "DecisionErrors"
	// RollupLagSeconds is how far the newest finished KPI bucket trails now.
	RollupLagSeconds = "RollupLagSeconds"
	// StreamRecordsSkipped counts stream records skipped on purpose, by
	// Reason (duplicate, malformed...).
	StreamRecordsSkipped = "StreamRecordsSkipped"
	// StreamRecordsFailed counts stream records reported back for retry.
	StreamRecordsFailed = "StreamRecordsFailed"
)

// DimReason is the dimension of OffersSuppressed and StreamRecordsSkipped.
const DimReason = "Reason"

// Unit is a CloudWatch metric unit.
type Unit string

// Units used by Conduit (any CloudWatch unit name is accepted).
const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
	Seconds      Unit = "Seconds"
	None         Unit = "None"
)

// Limits of the EMF specification.
const (
	maxDimensions      = 30   // keys in a DimensionSet
	maxMetrics         = 100  // MetricDefinitions in a directive
	maxValues          = 100  // values in a metric's array
	maxDimensionValue  = 1024 // characters of a dimension value
	maxNameLength      = 1024 // characters of a metric name
	maxDimensionKeyLen = 250  // characters of a dimension key
)

// Dimension is one dimension name and value of a metric.
type Dimension struct {
	Name, Value string
}

// Dim makes a dimension.
func Dim(name, value string) Dimension { return Dimension{Name: name, Value: value} }

type series struct {
	unit   Unit
	values []float64
}

type group struct {
	dims    []Dimension // sorted by name
	metrics map[string]*series
}

// Writer collects metrics and writes them as EMF lines. It is safe for
// concurrent use.
type Writer struct {
	mu        sync.Mutex
	out       io.Writer
	namespace string
	now       func() time.Time
	defaults  []Dimension
	props     map[string]any
	groups    map[string]*group
	dropped   int64
}

// New makes a writer of EMF lines to w in namespace.
func New(w io.Writer, namespace string) *Writer {
	return &Writer{out: w, namespace: namespace, now: time.Now, props: map[string]any{}, groups: map[string]*group{}}
}

// SetDimensions sets dimensions added to every metric recorded from now on
// (for example the function name). A dimension given to Put overrides a
// default of the same name.
func (w *Writer) SetDimensions(dims ...Dimension) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.defaults = append([]Dimension(nil), dims...)
}

// Count records a count.
func (w *Writer) Count(name string, n float64, dims ...Dimension) { w.Put(name, n, Count, dims...) }

// Duration records a duration in milliseconds.
func (w *Writer) Duration(name string, d time.Duration, dims ...Dimension) {
	w.Put(name, float64(d)/float64(time.Millisecond), Milliseconds, dims...)
}

// Put records one value of a metric. Values that EMF cannot carry (NaN,
// infinities, an empty or over-long name, more than 30 dimensions, an empty
// or over-long dimension, a name clashing with a dimension) are dropped and
// counted in Dropped, never written half-formed. The first unit recorded for
// a metric in a flush is its unit.
func (w *Writer) Put(name string, value float64, unit Unit, dims ...Dimension) {
	w.mu.Lock()
	defer w.mu.Unlock()
	all := mergeDims(w.defaults, dims)
	if !validValue(name, value, all) {
		w.dropped++
		return
	}
	key := groupKey(all)
	g := w.groups[key]
	if g == nil {
		g = &group{dims: all, metrics: map[string]*series{}}
		w.groups[key] = g
	}
	s := g.metrics[name]
	if s == nil {
		if unit == "" {
			unit = None
		}
		s = &series{unit: unit}
		g.metrics[name] = s
	}
	s.values = append(s.values, value)
}

// Property adds a member to every line of the next flush: searchable in
// CloudWatch Logs Insights, not a metric (request ids, contact ids). Keys
// that clash with a metric or dimension of a line are left out of it.
func (w *Writer) Property(key string, value any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if key == "" || key == "_aws" {
		w.dropped++
		return
	}
	w.props[key] = value
}

// Dropped is how many values and properties were refused since New.
func (w *Writer) Dropped() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dropped
}

// Flush writes everything recorded since the last flush, one JSON line per
// set of dimension values (more when a line would pass EMF's 100 metrics or
// 100 values per metric), each in a single Write so lines from concurrent
// writers on one stream never interleave. Properties are cleared; default
// dimensions stay. Nothing recorded writes nothing.
func (w *Writer) Flush() error {
	w.mu.Lock()
	groups, props := w.groups, w.props
	w.groups, w.props = map[string]*group{}, map[string]any{}
	now := w.now()
	w.mu.Unlock()

	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, k := range keys {
		for _, doc := range documents(w.namespace, now, groups[k], props) {
			line, err := json.Marshal(doc)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			w.mu.Lock()
			_, err = w.out.Write(append(line, '\n'))
			w.mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

type metricDefinition struct {
	Name string `json:"Name"`
	Unit Unit   `json:"Unit"`
}

type metricDirective struct {
	Namespace  string             `json:"Namespace"`
	Dimensions [][]string         `json:"Dimensions"`
	Metrics    []metricDefinition `json:"Metrics"`
}

type metadata struct {
	Timestamp         int64             `json:"Timestamp"`
	CloudWatchMetrics []metricDirective `json:"CloudWatchMetrics"`
}

// documents lays one group out as EMF documents of at most 100 metrics and
// 100 values per metric each.
func documents(namespace string, now time.Time, g *group, props map[string]any) []map[string]any {
	names := make([]string, 0, len(g.metrics))
	for n := range g.metrics {
		names = append(names, n)
	}
	sort.Strings(names)
	dimNames := make([]string, len(g.dims))
	for i, d := range g.dims {
		dimNames[i] = d.Name
	}
	taken := map[string][]float64{}
	for _, n := range names {
		taken[n] = g.metrics[n].values
	}
	var docs []map[string]any
	for {
		doc := map[string]any{}
		var defs []metricDefinition
		for _, n := range names {
			vals := taken[n]
			if len(vals) == 0 || len(defs) == maxMetrics {
				continue
			}
			chunk := vals[:min(len(vals), maxValues)]
			taken[n] = vals[len(chunk):]
			defs = append(defs, metricDefinition{Name: n, Unit: g.metrics[n].unit})
			if len(chunk) == 1 {
				doc[n] = chunk[0]
			} else {
				doc[n] = chunk
			}
		}
		if len(defs) == 0 {
			return docs
		}
		for _, d := range g.dims {
			doc[d.Name] = d.Value
		}
		for k, v := range props {
			if _, clash := doc[k]; !clash {
				doc[k] = v
			}
		}
		doc["_aws"] = metadata{
			Timestamp: now.UnixMilli(),
			CloudWatchMetrics: []metricDirective{{
				Namespace:  namespace,
				Dimensions: [][]string{dimNames},
				Metrics:    defs,
			}},
		}
		docs = append(docs, doc)
	}
}

// mergeDims is defaults overridden by dims of the same name, sorted by name.
func mergeDims(defaults, dims []Dimension) []Dimension {
	byName := make(map[string]string, len(defaults)+len(dims))
	for _, d := range defaults {
		byName[d.Name] = d.Value
	}
	for _, d := range dims {
		byName[d.Name] = d.Value
	}
	out := make([]Dimension, 0, len(byName))
	for n, v := range byName {
		out = append(out, Dimension{n, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func groupKey(dims []Dimension) string {
	var b strings.Builder
	for _, d := range dims {
		b.WriteString(d.Name)
		b.WriteByte(0)
		b.WriteString(d.Value)
		b.WriteByte(0)
	}
	return b.String()
}

func validValue(name string, v float64, dims []Dimension) bool {
	if name == "" || name == "_aws" || len(name) > maxNameLength || math.IsNaN(v) || math.IsInf(v, 0) || len(dims) > maxDimensions {
		return false
	}
	for _, d := range dims {
		if d.Name == "" || d.Name == "_aws" || d.Name == name || d.Value == "" ||
			len(d.Name) > maxDimensionKeyLen || len(d.Value) > maxDimensionValue {
			return false
		}
	}
	return true
}
