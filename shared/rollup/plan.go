package rollup

import (
	"slices"
	"time"

	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/kpi"
)

const day = 24 * time.Hour

// Work is one day to recompute: its day bucket always, and its quarter-hour
// and hour buckets that overlap [From, To).
type Work struct {
	Day      time.Time `json:"day"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Settling bool      `json:"settling,omitempty"`
	// Due is how far the watermark may advance once this work is done.
	Due time.Time `json:"-"`
}

// Plan lists what a scheduled run recomputes at now, after a last complete
// run up to watermark (see the package comment), in the order to do it:
// by Due, oldest first.
func (o Options) Plan(watermark, now time.Time) []Work {
	o = o.withDefaults()
	now = now.UTC()
	if watermark.After(now) {
		watermark = now
	}
	var out []Work
	// Live: every day overlapping [watermark − LateWindow, now).
	from := watermark.Add(-o.LateWindow).UTC()
	for d := kpi.GrainDay.Start(from); d.Before(now); d = d.Add(day) {
		w := Work{Day: d, From: later(d, from), To: earlier(d.Add(day), now)}
		w.Due = w.To
		out = append(out, w)
	}
	// Settle: every day whose FCR became known in (watermark, now].
	span := day + contacts.RepeatWindow + o.LateWindow
	for d := kpi.GrainDay.Start(watermark.Add(-span)); !d.Add(span).After(now); d = d.Add(day) {
		if s := d.Add(span); s.After(watermark) {
			out = append(out, Work{Day: d, From: d, To: d.Add(day), Settling: true, Due: s})
		}
	}
	slices.SortStableFunc(out, func(a, b Work) int { return a.Due.Compare(b.Due) })
	return out
}

// PlanRange lists the days of a backfill of [from, to): every bucket
// overlapping the range.
func (o Options) PlanRange(from, to time.Time) []Work {
	from, to = from.UTC(), to.UTC()
	var out []Work
	for d := kpi.GrainDay.Start(from); d.Before(to); d = d.Add(day) {
		out = append(out, Work{Day: d, From: later(d, from), To: earlier(d.Add(day), to), Due: earlier(d.Add(day), to)})
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
