package load

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
)

func TestDailyShares(t *testing.T) {
	shares := DailyShares(7, 0.5)
	want := []float64{64, 32, 16, 8, 4, 2, 1} // ÷ 127
	sum := 0.0
	for i, s := range shares {
		sum += s
		if math.Abs(s-want[i]/127) > 1e-15 {
			t.Errorf("day %d share %.6f, want %.6f", i, s, want[i]/127)
		}
	}
	if math.Abs(sum-1) > 1e-15 {
		t.Errorf("shares sum to %v", sum)
	}
	if even := DailyShares(4, 1); even[0] != 0.25 || even[3] != 0.25 {
		t.Errorf("decay 1 spreads evenly: %v", even)
	}
	if DailyShares(0, 0.5) != nil || DailyShares(3, 0) != nil {
		t.Error("invalid profiles must be nil")
	}
}

func baseline() StaffingRequest {
	return StaffingRequest{Contacts: 100, Interval: 30 * time.Minute, AHT: 180 * time.Second, ServiceLevel: 0.8, Threshold: 20 * time.Second}
}

func TestForecastCampaign(t *testing.T) {
	r := ForecastRequest{
		Launch: time.Date(2026, 4, 1, 13, 10, 0, 0, time.UTC), Audience: 40000, ResponseRate: 0.02, Days: 3, Decay: 0.5,
		OpenFrom: 8 * time.Hour, OpenUntil: 20 * time.Hour, Baseline: baseline(),
	}
	f, err := ForecastCampaign(r)
	if err != nil {
		t.Fatal(err)
	}
	if f.ExtraContacts != 800 {
		t.Errorf("extra contacts %v, want 40000 × 2 %% = 800", f.ExtraContacts)
	}
	// Launch day keeps 13:00–20:00 (the 13:00 interval is still running at
	// 13:10): 14 intervals; then 24 intervals a day.
	if len(f.Intervals) != 14+24+24 {
		t.Fatalf("%d intervals", len(f.Intervals))
	}
	first := f.Intervals[0]
	if !first.Start.Equal(time.Date(2026, 4, 1, 13, 0, 0, 0, time.UTC)) || math.Abs(first.ExtraContacts-800*4.0/7/14) > 1e-9 {
		t.Errorf("first interval %+v", first)
	}
	total := 0.0
	for _, iv := range f.Intervals {
		total += iv.ExtraContacts
		if iv.BaselineAgents != 14 || iv.ExtraAgents != iv.Agents-iv.BaselineAgents || iv.ExtraAgents < 0 {
			t.Errorf("interval %+v", iv)
		}
		if h := iv.Start.Hour(); h < 8 || h >= 20 {
			t.Errorf("interval outside opening hours: %v", iv.Start)
		}
	}
	if math.Abs(total-800) > 1e-9 {
		t.Errorf("intervals hold %v extra contacts, want all 800", total)
	}
	// 100 baseline + 32.65 extra contacts per half hour: 14 → 17 agents.
	if f.PeakExtraAgents != first.ExtraAgents || first.Agents != 17 {
		t.Errorf("peak %d, first %+v", f.PeakExtraAgents, first)
	}
	// Launch after closing: day one is the next day, with all its intervals.
	r.Launch = time.Date(2026, 4, 1, 21, 0, 0, 0, time.UTC)
	f, err = ForecastCampaign(r)
	if err != nil || !f.Intervals[0].Start.Equal(time.Date(2026, 4, 2, 8, 0, 0, 0, time.UTC)) || len(f.Intervals) != 72 {
		t.Errorf("late launch: %d intervals from %v (%v)", len(f.Intervals), f.Intervals[0].Start, err)
	}
}

func TestForecastDefaultsAndQuietBaseline(t *testing.T) {
	b := baseline()
	b.Contacts = 0
	f, err := ForecastCampaign(ForecastRequest{Launch: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), Audience: 1000, ResponseRate: 0.1, Baseline: b})
	if err != nil {
		t.Fatal(err)
	}
	// Open all day, 7 days, 48 half hours a day.
	if len(f.Intervals) != 7*48 || len(f.DailyShare) != 7 {
		t.Errorf("%d intervals, %d days", len(f.Intervals), len(f.DailyShare))
	}
	if iv := f.Intervals[0]; iv.BaselineAgents != 0 || iv.Agents < 1 || iv.ExtraAgents != iv.Agents {
		t.Errorf("quiet baseline: %+v", iv)
	}
}

func TestForecastValidation(t *testing.T) {
	r := ForecastRequest{Audience: -1, ResponseRate: 2, Days: 400, Decay: 1.5, OpenFrom: 20 * time.Hour, OpenUntil: 8 * time.Hour,
		Baseline: StaffingRequest{Contacts: -1, Interval: 0, AHT: 0, ServiceLevel: 0.8}}
	_, err := ForecastCampaign(r)
	p, ok := apperr.AsProblems(err)
	var fields []string
	for _, pr := range p {
		fields = append(fields, pr.Field)
	}
	want := "launch,audience,responseRate,days,decay,openUntil,contacts,interval,aht"
	if !ok || strings.Join(fields, ",") != want {
		t.Errorf("problems %v\nwant fields %s", err, want)
	}
	short := ForecastRequest{Launch: time.Now(), Audience: 10, ResponseRate: 0.1, OpenFrom: 9 * time.Hour, OpenUntil: 9*time.Hour + 10*time.Minute, Baseline: baseline()}
	if _, err := ForecastCampaign(short); err == nil || !strings.Contains(err.Error(), "longer than the opening hours") {
		t.Errorf("interval longer than opening hours: %v", err)
	}
}
