// Package reportgen builds the day's KPI report (scripts/report): a table
// of every metric against its benchmark for the terminal, and a
// self-contained HTML page with inline SVG charts of ASA, service level,
// AHT, CSAT, acceptance and lift over time. It reads the rollup's stored
// buckets through the same code the API serves them with.
package reportgen

import (
	"context"
	"slices"
	"time"

	"github.com/conduit-cx/conduit/shared/kpi"
	"github.com/conduit-cx/conduit/shared/rollup"
	"github.com/conduit-cx/conduit/shared/stats"
)

// DefaultLiftDays is how many days of lift the report charts and sums.
const DefaultLiftDays = 14

// maxKeys bounds the buckets one read returns (campaigns over the lift
// window).
const maxKeys = 20000

// Options say what to report.
type Options struct {
	// Day is the day reported (UTC).
	Day time.Time
	// LiftDays is the window of the lift chart and the campaign table,
	// ending with Day; 0 means DefaultLiftDays.
	LiftDays int
	// Definitions are the metrics with the benchmarks in force; nil means
	// the catalog's defaults.
	Definitions []kpi.Definition
}

// Row is one metric of the day.
type Row struct {
	Definition kpi.Definition
	Point      kpi.Point
}

// Series is one line of a chart.
type Series struct {
	Name   string
	Points []kpi.Point
}

// Chart is one metric over time.
type Chart struct {
	Metric   kpi.Definition
	Subtitle string
	From, To time.Time
	Step     time.Duration
	Series   []Series
}

// Campaign is one campaign's treated-against-holdout comparison over the
// lift window.
type Campaign struct {
	ID     string
	Impact rollup.Impact
}

// Report is everything the table and the page show.
type Report struct {
	Day       time.Time
	Generated time.Time
	LiftFrom  time.Time
	Rows      []Row
	Charts    []Chart
	Campaigns []Campaign
	// Excluded counts the day's contacts left out of a metric, by reason.
	Excluded map[string]int64
}

// chartMetrics are charted hour by hour over the day.
var chartMetrics = []string{kpi.MetricASA, kpi.MetricServiceLevel, kpi.MetricAHT, kpi.MetricCSAT, kpi.MetricAcceptance}

// Build reads the day's buckets and assembles the report.
func Build(ctx context.Context, r rollup.Reader, o Options, now time.Time) (Report, error) {
	day := kpi.GrainDay.Start(o.Day)
	end := day.Add(24 * time.Hour)
	liftDays := o.LiftDays
	if liftDays <= 0 {
		liftDays = DefaultLiftDays
	}
	defs := o.Definitions
	if defs == nil {
		defs = kpi.Catalog()
	}
	def := func(name string) kpi.Definition {
		i := slices.IndexFunc(defs, func(d kpi.Definition) bool { return d.Name == name })
		if i < 0 {
			d, _ := kpi.Lookup(name)
			return d
		}
		return defs[i]
	}
	rep := Report{Day: day, Generated: now.UTC(), LiftFrom: day.Add(-time.Duration(liftDays-1) * 24 * time.Hour)}

	dayTotal, err := r.Series(ctx, kpi.GrainDay, kpi.Total, day, end)
	if err != nil {
		return rep, err
	}
	for _, d := range defs {
		if d.Comparative {
			continue
		}
		pts, err := rollup.Points(d, kpi.ByTotal, []time.Time{day}, dayTotal)
		if err != nil {
			return rep, err
		}
		rep.Rows = append(rep.Rows, Row{Definition: d, Point: pts[0]})
	}
	rep.Excluded = rollup.Sum(dayTotal).Excluded.Reasons()

	hours, err := r.Series(ctx, kpi.GrainHour, kpi.Total, day, end)
	if err != nil {
		return rep, err
	}
	hourStarts := kpi.GrainHour.Buckets(day, end)
	for _, name := range chartMetrics {
		d := def(name)
		pts, err := rollup.Points(d, kpi.ByTotal, hourStarts, hours)
		if err != nil {
			return rep, err
		}
		rep.Charts = append(rep.Charts, Chart{Metric: d, Subtitle: "by hour, all contacts", From: day, To: end, Step: time.Hour,
			Series: []Series{{Name: "all contacts", Points: pts}}})
	}

	// Lift by campaign, day by day over the window.
	groups, err := r.Dimension(ctx, kpi.GrainDay, kpi.ByCampaignGroup, rep.LiftFrom, end, nil, maxKeys)
	if err != nil {
		return rep, err
	}
	dayStarts := kpi.GrainDay.Buckets(rep.LiftFrom, end)
	lift := rollup.LiftPoints(def(kpi.MetricLift), kpi.ByCampaign, dayStarts, groups, stats.Options{})
	byCampaign := map[string][]kpi.Point{}
	var names []string
	for _, p := range lift {
		c := p.Dims[kpi.AttrCampaign]
		if _, ok := byCampaign[c]; !ok {
			names = append(names, c)
		}
		byCampaign[c] = append(byCampaign[c], p)
	}
	slices.Sort(names)
	liftChart := Chart{Metric: def(kpi.MetricLift), Subtitle: "conversion lift over holdout, by campaign and day",
		From: rep.LiftFrom, To: end, Step: 24 * time.Hour}
	for _, c := range names {
		liftChart.Series = append(liftChart.Series, Series{Name: c, Points: byCampaign[c]})
	}
	rep.Charts = append(rep.Charts, liftChart)

	arms := map[string]*[2]kpi.Aggregate{}
	for k, a := range rollup.SumByKey(groups) {
		parts := k.Parts()
		if len(parts) != 2 {
			continue
		}
		x := arms[parts[0]]
		if x == nil {
			x = &[2]kpi.Aggregate{}
			arms[parts[0]] = x
		}
		switch kpi.Group(parts[1]) {
		case kpi.GroupTreated:
			x[0] = x[0].Add(a)
		case kpi.GroupHoldout:
			x[1] = x[1].Add(a)
		}
	}
	for _, c := range names {
		if x := arms[c]; x != nil {
			rep.Campaigns = append(rep.Campaigns, Campaign{ID: c, Impact: rollup.ImpactOf(x[0], x[1], stats.Options{})})
		}
	}
	return rep, nil
}
