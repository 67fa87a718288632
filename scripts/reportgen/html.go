package reportgen

import (
	"fmt"
	"html"
	"html/template"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/kpi"
)

// palette colours the series of a chart (colour-blind safe, Okabe–Ito).
var palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"}

// Chart geometry, in SVG user units.
const (
	chartW, chartH                = 640, 240
	padL, padR, padTop, padBottom = 64, 16, 16, 36
)

// SVG draws a chart as an inline SVG: one line per series (broken where a
// bucket has no value), a dot with a tooltip per point, the benchmark's
// target (dashed) and warning (dotted) lines, and labelled axes.
func SVG(c Chart) string {
	var b strings.Builder
	var values []float64
	for _, s := range c.Series {
		for _, p := range s.Points {
			if p.Value != nil && !math.IsNaN(*p.Value) && !math.IsInf(*p.Value, 0) {
				values = append(values, *p.Value)
			}
		}
	}
	bm := c.Metric.Benchmark
	if bm != nil {
		values = append(values, bm.Target, bm.Warning)
	}
	lo, hi := 0.0, 1.0
	if len(values) > 0 {
		lo, hi = min(0, slices.Min(values)), slices.Max(values)
	}
	if c.Metric.Unit == kpi.UnitRatio && c.Metric.Name != kpi.MetricLift {
		lo, hi = 0, max(hi, 1)
	}
	if hi <= lo {
		hi = lo + 1
	}
	// Round the axis out to nice ticks: 1, 2 or 5 times a power of ten.
	step := niceStep((hi - lo) / 4)
	lo, hi = math.Floor(lo/step)*step, math.Ceil(hi/step)*step
	ticks := int(math.Round((hi - lo) / step))
	plotW, plotH := float64(chartW-padL-padR), float64(chartH-padTop-padBottom)
	span := c.To.Sub(c.From)
	x := func(t time.Time) float64 {
		// Points sit in the middle of their bucket.
		mid := t.Add(c.Step / 2)
		return padL + plotW*float64(mid.Sub(c.From))/float64(span)
	}
	y := func(v float64) float64 { return padTop + plotH*(1-(v-lo)/(hi-lo)) }
	label := html.EscapeString(c.Metric.Title + ", " + c.Subtitle)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		chartW, chartH, chartW, chartH, label)
	fmt.Fprintf(&b, `<title>%s</title>`, label)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%g" height="%g" fill="#fafafa" stroke="#ddd"/>`, padL, padTop, plotW, plotH)
	for i := 0; i <= ticks; i++ {
		v := lo + step*float64(i)
		yy := y(v)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e5e5e5"/>`, padL, yy, chartW-padR, yy)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#555">%s</text>`, padL-6, yy+4, html.EscapeString(axisLabel(c.Metric, v)))
	}
	if lo < 0 && hi > 0 {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#999"/>`, padL, y(0), chartW-padR, y(0))
	}
	// X axis: about six labels.
	n := int(span / c.Step)
	every := max(1, n/6)
	for i := 0; i < n; i += every {
		t := c.From.Add(time.Duration(i) * c.Step)
		layout := "15:04"
		if c.Step >= 24*time.Hour {
			layout = "2 Jan"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#555">%s</text>`, x(t), chartH-padBottom+16, t.Format(layout))
	}
	if bm != nil {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#2e7d32" stroke-dasharray="6 4"><title>target %s</title></line>`,
			padL, y(bm.Target), chartW-padR, y(bm.Target), html.EscapeString(Format(c.Metric.Unit, &bm.Target)))
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ef6c00" stroke-dasharray="2 3"><title>warning %s</title></line>`,
			padL, y(bm.Warning), chartW-padR, y(bm.Warning), html.EscapeString(Format(c.Metric.Unit, &bm.Warning)))
	}
	for i, s := range c.Series {
		colour := palette[i%len(palette)]
		var seg []string
		flush := func() {
			if len(seg) > 1 {
				fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, colour, strings.Join(seg, " "))
			}
			seg = seg[:0]
		}
		for _, p := range s.Points {
			if p.Value == nil || math.IsNaN(*p.Value) || math.IsInf(*p.Value, 0) {
				flush()
				continue
			}
			px, py := x(p.Start), y(*p.Value)
			seg = append(seg, fmt.Sprintf("%.1f,%.1f", px, py))
			tip := fmt.Sprintf("%s %s: %s (n = %d, %s)", s.Name, p.Start.Format("2 Jan 15:04"), Format(c.Metric.Unit, p.Value), p.Count, p.Status)
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s</title></circle>`, px, py, colour, html.EscapeString(tip))
		}
		flush()
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// niceStep is the smallest of 1, 2, 5 × 10ⁿ at least x.
func niceStep(x float64) float64 {
	if !(x > 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

func axisLabel(d kpi.Definition, v float64) string {
	switch d.Unit {
	case kpi.UnitRatio:
		return fmt.Sprintf("%.0f %%", 100*v)
	case kpi.UnitSeconds:
		return fmt.Sprintf("%.0f s", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// page is the HTML template: everything inline, no scripts, no external
// assets.
var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"format":    func(u kpi.Unit, v *float64) string { return Format(u, v) },
	"benchmark": formatBenchmark,
	"pct":       pct,
	"signed":    signedPct,
	"svg":       func(c Chart) template.HTML { return template.HTML(SVG(c)) }, // built from escaped parts
	"colour":    func(i int) string { return palette[i%len(palette)] },
	"date":      func(t time.Time, layout string) string { return t.Format(layout) },
	"reasons": func(m map[string]int64) []string {
		var out []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			out = append(out, fmt.Sprintf("%s: %d", k, m[k]))
		}
		return out
	},
	"isnan": math.IsNaN,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Conduit KPIs {{date .Day "2006-01-02"}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#222}
h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.15rem;margin-top:2rem}
.muted{color:#666;font-size:.9rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.92rem}
th,td{padding:.35rem .7rem;border-bottom:1px solid #e5e5e5;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.good{color:#2e7d32;font-weight:600}.warning{color:#ef6c00;font-weight:600}.bad{color:#c62828;font-weight:600}.unknown{color:#888}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:1rem}
figure svg{width:100%;height:auto}
figure{margin:0;border:1px solid #eee;border-radius:6px;padding:.5rem}
figcaption{font-weight:600;margin-bottom:.25rem}
.legend span{display:inline-block;margin-right:1rem;font-size:.85rem}
.swatch{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin-right:.3rem;vertical-align:middle}
</style>
</head>
<body>
<h1>Conduit KPIs — {{date .Day "Monday 2 January 2006"}} (UTC)</h1>
<p class="muted">Generated {{date .Generated "2006-01-02 15:04 MST"}} from the rollup's KPI buckets. One catalog of definitions for marketing and the contact center; status is against the benchmark in force.</p>

<h2>The day against benchmarks</h2>
<table>
<thead><tr><th>Metric</th><th>Value</th><th>Sample</th><th>Benchmark</th><th>Status</th><th>Definition</th></tr></thead>
<tbody>
{{range .Rows}}<tr><td>{{.Definition.Title}}</td><td class="num">{{format .Definition.Unit .Point.Value}}</td><td class="num">{{.Point.Count}}</td><td>{{benchmark .Definition .Point.Benchmark}}</td><td class="{{.Point.Status}}">{{.Point.Status}}</td><td class="muted">{{.Definition.Formula}}</td></tr>
{{end}}</tbody>
</table>
{{with reasons .Excluded}}<p class="muted">Left out of a metric, counted wherever else they could be: {{range $i, $r := .}}{{if $i}}; {{end}}{{$r}}{{end}}.</p>{{end}}

<h2>Over time</h2>
<div class="charts">
{{range .Charts}}<figure>
<figcaption>{{.Metric.Title}} <span class="muted">— {{.Subtitle}}</span></figcaption>
{{svg .}}
<div class="legend">{{range $i, $s := .Series}}<span><i class="swatch" style="background:{{colour $i}}"></i>{{$s.Name}}</span>{{end}}{{if .Metric.Benchmark}}<span class="muted">dashed: target, dotted: warning</span>{{end}}{{if not .Series}}<span class="muted">no data in this window</span>{{end}}</div>
</figure>
{{end}}</div>

<h2>Lift against holdout, {{date .LiftFrom "2 Jan"}} – {{date .Day "2 Jan 2006"}}</h2>
<p class="muted">Conversion is accepted ÷ contacts with a decision (holdout contacts are never offered). Lift interval: delta method on the log ratio; difference intervals: Newcombe (rates) and Welch (handle time). "Not significant" when the interval holds zero; "insufficient data" below 30 contacts an arm.</p>
{{if .Campaigns}}<table>
<thead><tr><th>Campaign</th><th>Treated</th><th>Holdout</th><th>Lift</th><th>95 % CI</th><th>Acceptance</th><th>Δ AHT</th><th>Δ CSAT</th><th>Verdict</th></tr></thead>
<tbody>
{{range .Campaigns}}{{$c := .Impact.Conversion}}<tr><td>{{.ID}}</td>
<td class="num">{{pct $c.Treated.Value}} of {{$c.Treated.Trials}}</td><td class="num">{{pct $c.Holdout.Value}} of {{$c.Holdout.Trials}}</td>
<td class="num">{{if $c.LiftDefined}}{{signed $c.Lift}}{{else}}–{{end}}</td>
<td class="num">{{if $c.LiftDefined}}{{signed $c.LiftInterval.Lower}} to {{signed $c.LiftInterval.Upper}}{{else}}–{{end}}</td>
<td class="num">{{pct .Impact.Acceptance.Value}}</td>
<td class="num">{{if isnan .Impact.AHT.Difference}}–{{else}}{{printf "%+.1f s" .Impact.AHT.Difference}}{{end}} <span class="muted">{{.Impact.AHT.Verdict}}</span></td>
<td class="num">{{signed .Impact.CSAT.Difference}} <span class="muted">{{.Impact.CSAT.Verdict}}</span></td>
<td>{{$c.Verdict}}</td></tr>
{{end}}</tbody>
</table>{{else}}<p>No campaign has contacts with a decision in this window.</p>{{end}}
</body>
</html>
`))

// WriteHTML writes the report as one self-contained page.
func WriteHTML(w io.Writer, rep Report) error { return page.Execute(w, rep) }
