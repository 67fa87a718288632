package kpi

import (
	"math"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// Benchmark is the target a metric is judged against, with a second line
// that separates "warning" from "bad". Both are in the metric's unit.
//
// For a metric where higher is better (service level 0.80, warning 0.70):
// value ≥ 0.80 is good, 0.70 ≤ value < 0.80 is warning, below 0.70 is bad.
// For a metric where lower is better (ASA 30 s, warning 60 s):
// value ≤ 30 is good, 30 < value ≤ 60 is warning, above 60 is bad.
type Benchmark struct {
	Target  float64 `json:"target"`
	Warning float64 `json:"warning"`
}

// Status is how a value stands against its benchmark.
type Status string

// Statuses.
const (
	StatusGood    Status = "good"
	StatusWarning Status = "warning"
	StatusBad     Status = "bad"
	// StatusUnknown: no benchmark, a neutral metric, or no data to judge.
	StatusUnknown Status = "unknown"
)

// Judge is the status of a value against a benchmark for a direction. A
// value that is not OK (no sample) is unknown, as is a neutral metric.
func Judge(v Value, b *Benchmark, dir Direction) Status {
	if b == nil || !v.OK || math.IsNaN(v.Value) {
		return StatusUnknown
	}
	switch dir {
	case HigherIsBetter:
		switch {
		case v.Value >= b.Target:
			return StatusGood
		case v.Value >= b.Warning:
			return StatusWarning
		default:
			return StatusBad
		}
	case LowerIsBetter:
		switch {
		case v.Value <= b.Target:
			return StatusGood
		case v.Value <= b.Warning:
			return StatusWarning
		default:
			return StatusBad
		}
	}
	return StatusUnknown
}

// Status judges a value against the definition's current benchmark.
func (d Definition) Status(v Value) Status { return Judge(v, d.Benchmark, d.Direction) }

// ValidateBenchmark checks an administrator's benchmark for this metric
// (PUT /v1/metrics/{name}/benchmark): finite numbers in the metric's range,
// and the warning line on the bad side of the target. All problems are
// reported at once.
func (d Definition) ValidateBenchmark(b Benchmark) error {
	var p apperr.Problems
	if d.Direction == Neutral {
		p.Add("benchmark", "%s is a volume with no good direction and takes no benchmark", d.Name)
		return p.Err()
	}
	check := func(field string, x float64) bool {
		switch {
		case math.IsNaN(x) || math.IsInf(x, 0):
			p.Add(field, "must be a finite number")
		case d.bounds == unitInterval && (x < 0 || x > 1):
			p.Add(field, "%s is a ratio: must be between 0 and 1 (0.8 means 80 %%), got %g", d.Name, x)
		case d.bounds == aboveMinusOne && x <= -1:
			p.Add(field, "%s is a relative change: must be above -1, got %g", d.Name, x)
		case d.bounds == nonNegative && x < 0:
			p.Add(field, "must not be negative, got %g", x)
		default:
			return true
		}
		return false
	}
	okT, okW := check("target", b.Target), check("warning", b.Warning)
	if okT && okW {
		switch {
		case d.Direction == HigherIsBetter && b.Warning > b.Target:
			p.Add("warning", "higher %s is better, so the warning line (%g) must not be above the target (%g)", d.Name, b.Warning, b.Target)
		case d.Direction == LowerIsBetter && b.Warning < b.Target:
			p.Add("warning", "lower %s is better, so the warning line (%g) must not be below the target (%g)", d.Name, b.Warning, b.Target)
		}
	}
	return p.Err()
}
