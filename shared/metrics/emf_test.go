package metrics

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

var clock = time.Date(2026, 3, 2, 9, 30, 0, 123e6, time.UTC)

func newTest() (*Writer, *bytes.Buffer) {
	var buf bytes.Buffer
	w := New(&buf, Namespace)
	w.now = func() time.Time { return clock }
	return w, &buf
}

var cloudWatchUnits = map[string]bool{}

func init() {
	for _, u := range strings.Split("Seconds|Microseconds|Milliseconds|Bytes|Kilobytes|Megabytes|Gigabytes|Terabytes|Bits|Kilobits|Megabits|Gigabits|Terabits|Percent|Count|Bytes/Second|Kilobytes/Second|Megabytes/Second|Gigabytes/Second|Terabytes/Second|Bits/Second|Kilobits/Second|Megabits/Second|Gigabits/Second|Terabits/Second|Count/Second|None", "|") {
		cloudWatchUnits[u] = true
	}
}

// checkEMF validates one line against the EMF specification's document
// structure: the _aws metadata object with an integer millisecond
// Timestamp and CloudWatchMetrics directives, each with a Namespace,
// DimensionSets of at most 30 keys that name string members of the root,
// and at most 100 MetricDefinitions that name numeric (or array of at most
// 100 numbers) members of the root, with a CloudWatch unit.
func checkEMF(t *testing.T, line []byte) map[string]any {
	t.Helper()
	var root map[string]any
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		t.Fatalf("not one JSON object: %v: %s", err, line)
	}
	if dec.More() {
		t.Fatalf("data after the object: %s", line)
	}
	aws, ok := root["_aws"].(map[string]any)
	if !ok {
		t.Fatalf("no _aws object: %s", line)
	}
	ts, ok := aws["Timestamp"].(json.Number)
	if _, err := ts.Int64(); !ok || err != nil {
		t.Fatalf("Timestamp %v is not an integer", aws["Timestamp"])
	}
	directives, ok := aws["CloudWatchMetrics"].([]any)
	if !ok || len(directives) == 0 {
		t.Fatalf("CloudWatchMetrics %v", aws["CloudWatchMetrics"])
	}
	for _, d := range directives {
		dir := d.(map[string]any)
		if ns, _ := dir["Namespace"].(string); ns == "" || len(ns) > 1024 {
			t.Fatalf("Namespace %v", dir["Namespace"])
		}
		sets, ok := dir["Dimensions"].([]any)
		if !ok || len(sets) < 1 {
			t.Fatalf("Dimensions %v", dir["Dimensions"])
		}
		for _, set := range sets {
			keys := set.([]any)
			if len(keys) > 30 {
				t.Fatalf("DimensionSet of %d keys", len(keys))
			}
			for _, k := range keys {
				v, ok := root[k.(string)].(string)
				if !ok || v == "" || len(v) > 1024 {
					t.Fatalf("dimension %v is not a string member of the root", k)
				}
			}
		}
		defs, ok := dir["Metrics"].([]any)
		if !ok || len(defs) > 100 {
			t.Fatalf("Metrics %v", dir["Metrics"])
		}
		for _, m := range defs {
			def := m.(map[string]any)
			name, _ := def["Name"].(string)
			if u, _ := def["Unit"].(string); !cloudWatchUnits[u] {
				t.Fatalf("unit %q", u)
			}
			switch v := root[name].(type) {
			case json.Number:
			case []any:
				if len(v) > 100 {
					t.Fatalf("%s has %d values", name, len(v))
				}
				for _, x := range v {
					if _, ok := x.(json.Number); !ok {
						t.Fatalf("%s value %v", name, x)
					}
				}
			default:
				t.Fatalf("metric %q is not a numeric member of the root: %v", name, root[name])
			}
		}
	}
	return root
}

func lines(t *testing.T, buf *bytes.Buffer) [][]byte {
	t.Helper()
	var out [][]byte
	sc := bufio.NewScanner(buf)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	return out
}

func TestFlushWritesEMFLines(t *testing.T) {
	w, buf := newTest()
	w.Count(OffersMade, 1)
	w.Duration(DecisionLatency, 12500*time.Microsecond)
	w.Count(OffersSuppressed, 1, Dim(DimReason, "consent"))
	w.Count(OffersSuppressed, 1, Dim(DimReason, "consent"))
	w.Property("contactId", "c-123")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got := lines(t, buf)
	if len(got) != 2 {
		t.Fatalf("%d lines: %s", len(got), buf)
	}
	want := []string{
		`{"DecisionLatency":12.5,"OffersMade":1,"_aws":{"Timestamp":1772443800123,"CloudWatchMetrics":[{"Namespace":"Conduit","Dimensions":[[]],"Metrics":[{"Name":"DecisionLatency","Unit":"Milliseconds"},{"Name":"OffersMade","Unit":"Count"}]}]},"contactId":"c-123"}`,
		`{"OffersSuppressed":[1,1],"Reason":"consent","_aws":{"Timestamp":1772443800123,"CloudWatchMetrics":[{"Namespace":"Conduit","Dimensions":[["Reason"]],"Metrics":[{"Name":"OffersSuppressed","Unit":"Count"}]}]},"contactId":"c-123"}`,
	}
	for i, l := range got {
		checkEMF(t, l)
		if string(l) != want[i] {
			t.Errorf("line %d\n%s\nwant\n%s", i, l, want[i])
		}
	}
	// A second flush with nothing new writes nothing, and properties were
	// cleared.
	if err := w.Flush(); err != nil || buf.Len() != 0 {
		t.Errorf("empty flush wrote %q (%v)", buf, err)
	}
	w.Count(StreamRecordsFailed, 3)
	_ = w.Flush()
	if strings.Contains(buf.String(), "contactId") {
		t.Errorf("properties leaked into the next flush: %s", buf)
	}
}

func TestDefaultDimensions(t *testing.T) {
	w, buf := newTest()
	w.SetDimensions(Dim("Function", "offer"), Dim(DimReason, "none"))
	w.Count(OffersSuppressed, 1, Dim(DimReason, "load"))
	w.Put(RollupLagSeconds, 42, Seconds)
	_ = w.Flush()
	got := lines(t, buf)
	if len(got) != 2 {
		t.Fatalf("%d lines", len(got))
	}
	first, second := checkEMF(t, got[0]), checkEMF(t, got[1])
	dims := first["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)["Dimensions"]
	if fmt.Sprint(dims) != "[[Function Reason]]" || first["Reason"] != "load" || first["Function"] != "offer" {
		t.Errorf("override: %v %v", dims, first)
	}
	if second["Reason"] != "none" || second[RollupLagSeconds] != json.Number("42") {
		t.Errorf("defaults: %v", second)
	}
}

func TestLinesStayWithinEMFLimits(t *testing.T) {
	w, buf := newTest()
	for i := range 250 {
		w.Count(StreamRecordsSkipped, float64(i), Dim(DimReason, "duplicate"))
	}
	for i := range 150 {
		w.Count(fmt.Sprintf("Metric%03d", i), 1)
	}
	_ = w.Flush()
	got := lines(t, buf)
	values, metrics := 0, 0
	for _, l := range got {
		root := checkEMF(t, l)
		if v, ok := root[StreamRecordsSkipped].([]any); ok {
			values += len(v)
		}
		for k := range root {
			if strings.HasPrefix(k, "Metric") {
				metrics++
			}
		}
	}
	if values != 250 || metrics != 150 {
		t.Errorf("%d values, %d metrics across %d lines; want all 250 and 150", values, metrics, len(got))
	}
}

func TestInvalidValuesAreDroppedNotWritten(t *testing.T) {
	w, buf := newTest()
	w.Count(OffersMade, math.NaN())
	w.Count(OffersMade, math.Inf(1))
	w.Count("", 1)
	w.Count("_aws", 1)
	w.Count(OffersSuppressed, 1, Dim(DimReason, ""))
	w.Count(OffersSuppressed, 1, Dim("", "x"))
	w.Count(DimReason, 1, Dim(DimReason, "x"))
	w.Count(OffersSuppressed, 1, Dim(DimReason, strings.Repeat("x", 1025)))
	many := make([]Dimension, 31)
	for i := range many {
		many[i] = Dim(fmt.Sprint("D", i), "v")
	}
	w.Count(OffersMade, 1, many...)
	w.Property("_aws", "x")
	if err := w.Flush(); err != nil || buf.Len() != 0 {
		t.Errorf("wrote %q (%v)", buf, err)
	}
	if w.Dropped() != 10 {
		t.Errorf("dropped %d, want 10", w.Dropped())
	}
	// A property clashing with a metric never overwrites it.
	w.Count(OffersMade, 2)
	w.Property(OffersMade, "text")
	_ = w.Flush()
	if root := checkEMF(t, lines(t, buf)[0]); root[OffersMade] != json.Number("2") {
		t.Errorf("property overwrote a metric: %v", root)
	}
}

func TestConcurrentUse(t *testing.T) {
	w, buf := newTest()
	var wg sync.WaitGroup
	for g := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				w.Count(OffersMade, 1)
				w.Count(OffersSuppressed, 1, Dim(DimReason, fmt.Sprint("r", g%3)))
			}
			if g%5 == 0 {
				_ = w.Flush()
			}
		}()
	}
	wg.Wait()
	_ = w.Flush()
	made, suppressed := 0.0, 0.0
	for _, l := range lines(t, buf) {
		root := checkEMF(t, l)
		sum := func(v any) float64 {
			switch x := v.(type) {
			case json.Number:
				f, _ := x.Float64()
				return f
			case []any:
				s := 0.0
				for _, e := range x {
					f, _ := e.(json.Number).Float64()
					s += f
				}
				return s
			}
			return 0
		}
		made += sum(root[OffersMade])
		suppressed += sum(root[OffersSuppressed])
	}
	if made != 2000 || suppressed != 2000 {
		t.Errorf("made %v suppressed %v, want 2000 each", made, suppressed)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestFlushReportsWriteErrors(t *testing.T) {
	w := New(failingWriter{}, Namespace)
	w.Count(OffersMade, 1)
	if err := w.Flush(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("error %v", err)
	}
}

func BenchmarkCountAndFlush(b *testing.B) {
	var buf bytes.Buffer
	w := New(&buf, Namespace)
	for b.Loop() {
		w.Count(OffersMade, 1)
		w.Duration(DecisionLatency, 3*time.Millisecond)
		w.Count(OffersSuppressed, 1, Dim(DimReason, "empathy"))
		_ = w.Flush()
		buf.Reset()
	}
}
