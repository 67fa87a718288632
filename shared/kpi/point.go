package kpi

import (
	"time"

	"github.com/conduit-cx/conduit/shared/stats"
)

// Point is one bucket of one metric as GET /v1/kpis returns it.
type Point struct {
	Start time.Time `json:"start"`
	// Value is null when there is nothing to compute from.
	Value     *float64          `json:"value"`
	Count     int64             `json:"count"`
	Benchmark *Benchmark        `json:"benchmark"`
	Status    Status            `json:"status"`
	Dims      map[string]string `json:"dims"`
}

// Point computes the metric for one bucket's aggregate and judges it
// against the definition's benchmark. Comparative metrics (lift) return
// ErrComparative: use LiftPoint.
func (d Definition) Point(start time.Time, k Key, a Aggregate) (Point, error) {
	v, err := d.Compute(a)
	if err != nil {
		return Point{}, err
	}
	return d.point(start, k, v), nil
}

// LiftPoint is the lift of one bucket: treated and holdout aggregates of the
// same campaign (or offer) key, e.g. the campaign_group keys
// NewKey(ByCampaignGroup, c, "treated") and (c, "holdout") read back under
// NewKey(ByCampaign, c).
func (d Definition) LiftPoint(start time.Time, k Key, treated, holdout Aggregate, o stats.Options) Point {
	return d.point(start, k, LiftValue(treated, holdout, o))
}

func (d Definition) point(start time.Time, k Key, v Value) Point {
	p := Point{Start: start.UTC(), Count: v.Count, Status: d.Status(v), Dims: k.Dims()}
	if v.OK {
		x := v.Value
		p.Value = &x
	}
	if d.Benchmark != nil {
		b := *d.Benchmark
		p.Benchmark = &b
	}
	return p
}
