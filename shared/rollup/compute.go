package rollup

import (
	"slices"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/kpi"
)

// Compute recomputes the buckets of one day's work from the facts of the
// contacts of that day (facts whose At falls outside the day are ignored):
// the quarter-hours and hours overlapping [w.From, w.To), then the day.
// Every bucket of the work is in the answer, an empty one too, so that a
// key whose contacts moved out of a bucket is removed from it.
//
// Facts are folded in contact-id order, so the same facts always give
// bit-identical aggregates, whatever order they were read in.
func (o Options) Compute(w Work, facts []kpi.Fact) []BucketAggregates {
	o = o.withDefaults()
	facts = slices.Clone(facts)
	slices.SortFunc(facts, func(a, b kpi.Fact) int { return strings.Compare(a.ContactID, b.ContactID) })

	type bucket struct {
		grain kpi.Grain
		start time.Time
	}
	var order []bucket
	sums := map[bucket]map[kpi.Key]kpi.Aggregate{}
	for _, g := range []kpi.Grain{kpi.Grain15m, kpi.GrainHour} {
		for _, s := range g.Buckets(w.From, w.To) {
			b := bucket{g, s}
			order = append(order, b)
			sums[b] = map[kpi.Key]kpi.Aggregate{}
		}
	}
	dayBucket := bucket{kpi.GrainDay, kpi.GrainDay.Start(w.Day)}
	order = append(order, dayBucket)
	sums[dayBucket] = map[kpi.Key]kpi.Aggregate{}
	end := dayBucket.start.Add(day)

	for i, f := range facts {
		if i > 0 && f.ContactID == facts[i-1].ContactID {
			continue // one contact counts once
		}
		if f.At.Before(dayBucket.start) || !f.At.Before(end) {
			continue
		}
		a := o.Rules.Contribute(f)
		keys := kpi.KeysFor(f)
		for _, b := range []bucket{{kpi.Grain15m, kpi.Grain15m.Start(f.At)}, {kpi.GrainHour, kpi.GrainHour.Start(f.At)}, dayBucket} {
			m, ok := sums[b]
			if !ok {
				continue // outside the buckets this work rewrites
			}
			for _, k := range keys {
				m[k] = m[k].Add(a)
			}
		}
	}
	out := make([]BucketAggregates, len(order))
	for i, b := range order {
		out[i] = BucketAggregates{Grain: b.grain, Start: b.start, Aggregates: sums[b]}
	}
	return out
}
