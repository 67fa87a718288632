package reportgen

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/conduit-cx/conduit/shared/kpi"
)

// Format writes a value in its metric's unit: seconds, a percentage, money
// or a count.
func Format(unit kpi.Unit, v *float64) string {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		return "–"
	}
	x := *v
	switch unit {
	case kpi.UnitSeconds:
		return fmt.Sprintf("%.1f s", x)
	case kpi.UnitRatio:
		return fmt.Sprintf("%.1f %%", 100*x)
	case kpi.UnitCurrency:
		return fmt.Sprintf("%.2f", x)
	}
	if x == math.Trunc(x) {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.2f", x)
}

func formatBenchmark(d kpi.Definition, b *kpi.Benchmark) string {
	if b == nil {
		return "–"
	}
	op := "≥"
	if d.Direction == kpi.LowerIsBetter {
		op = "≤"
	}
	t, w := b.Target, b.Warning
	return fmt.Sprintf("%s %s (warn %s)", op, Format(d.Unit, &t), Format(d.Unit, &w))
}

var statusMark = map[kpi.Status]string{
	kpi.StatusGood: "✓ good", kpi.StatusWarning: "! warning", kpi.StatusBad: "✗ bad", kpi.StatusUnknown: "· –",
}

// signedPct writes a relative change or difference as a signed percentage.
func signedPct(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	return fmt.Sprintf("%+.1f %%", 100*x)
}

// WriteTable prints the report for a terminal.
func WriteTable(w io.Writer, rep Report) error {
	fmt.Fprintf(w, "Conduit KPIs for %s (UTC), generated %s\n\n", rep.Day.Format("Monday 2 January 2006"), rep.Generated.Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tVALUE\tSAMPLE\tBENCHMARK\tSTATUS")
	for _, r := range rep.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", r.Definition.Title, Format(r.Definition.Unit, r.Point.Value), r.Point.Count,
			formatBenchmark(r.Definition, r.Point.Benchmark), statusMark[r.Point.Status])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rep.Excluded) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(rep.Excluded)) {
			parts = append(parts, fmt.Sprintf("%s %d", k, rep.Excluded[k]))
		}
		fmt.Fprintf(w, "\nLeft out of a metric (counted wherever else they could be): %s\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "\nLift against holdout, %s to %s (conversion = accepted ÷ contacts with a decision; 95 %% intervals)\n",
		rep.LiftFrom.Format("2 Jan"), rep.Day.Format("2 Jan 2006"))
	if len(rep.Campaigns) == 0 {
		fmt.Fprintln(w, "  no campaign has contacts with a decision in this window")
		return nil
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CAMPAIGN\tTREATED\tHOLDOUT\tLIFT\t95 % CI\tΔ AHT\tVERDICT")
	for _, c := range rep.Campaigns {
		cv := c.Impact.Conversion
		ci := "–"
		lift := "–"
		if cv.LiftDefined {
			lift = signedPct(cv.Lift)
			ci = signedPct(cv.LiftInterval.Lower) + " to " + signedPct(cv.LiftInterval.Upper)
		}
		aht := "–"
		if d := c.Impact.AHT.Difference; !math.IsNaN(d) {
			aht = fmt.Sprintf("%+.1f s", d)
		}
		fmt.Fprintf(tw, "%s\t%s of %d\t%s of %d\t%s\t%s\t%s\t%s\n", c.ID,
			pct(cv.Treated.Value), cv.Treated.Trials, pct(cv.Holdout.Value), cv.Holdout.Trials, lift, ci, aht, cv.Verdict)
	}
	return tw.Flush()
}

func pct(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf("%.1f %%", 100*x)
}
