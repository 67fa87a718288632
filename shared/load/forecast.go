package load

import (
	"math"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// ForecastRequest describes a campaign's expected response and the
// contact center it lands on.
type ForecastRequest struct {
	// Launch is when the campaign starts; intervals are laid from the UTC
	// day of launch, from the launch time on.
	Launch time.Time `json:"launch"`
	// Audience is the number of customers the campaign reaches (the
	// what-if's measured count when there is one).
	Audience int64 `json:"audience"`
	// ResponseRate is the share of the audience expected to contact the
	// center because of the campaign, in (0, 1].
	ResponseRate float64 `json:"responseRate"`
	// Days over which responses arrive; 0 means DefaultResponseDays.
	Days int `json:"days"`
	// Decay is how much of a day's response the next day brings, in (0, 1];
	// 0 means DefaultDecay. 1 spreads responses evenly.
	Decay float64 `json:"decay"`
	// OpenFrom and OpenUntil are the daily opening hours as offsets from
	// UTC midnight; both zero means open all day.
	OpenFrom  time.Duration `json:"openFrom"`
	OpenUntil time.Duration `json:"openUntil"`
	// Baseline is an interval without the campaign: its Contacts (may be 0),
	// Interval, AHT and service-level target are used for every interval.
	Baseline StaffingRequest `json:"baseline"`
}

// Forecast defaults.
const (
	DefaultResponseDays = 7
	DefaultDecay        = 0.5
	maxForecastDays     = 90
)

// ForecastInterval is one interval of a campaign's first days.
type ForecastInterval struct {
	Start          time.Time `json:"start"`
	ExtraContacts  float64   `json:"extraContacts"`
	BaselineAgents int       `json:"baselineAgents"`
	Agents         int       `json:"agents"`
	ExtraAgents    int       `json:"extraAgents"`
}

// Forecast is a campaign's extra load, interval by interval.
type Forecast struct {
	// ExtraContacts is audience × response rate, the total spread below.
	ExtraContacts float64 `json:"extraContacts"`
	// DailyShare is the share of ExtraContacts arriving on each day.
	DailyShare []float64          `json:"dailyShare"`
	Intervals  []ForecastInterval `json:"intervals"`
	// PeakExtraAgents is the most extra agents any interval needs.
	PeakExtraAgents int `json:"peakExtraAgents"`
}

// DailyShares is the response profile: geometric decay, day d (from 0)
// getting decay^d of the weight, normalised over days. With decay 0.5 over
// 7 days: 50.4 %, 25.2 %, 12.6 %, 6.3 %, 3.1 %, 1.6 %, 0.8 % — most people
// who respond to a mailing or a push do so within a day or two.
func DailyShares(days int, decay float64) []float64 {
	if days <= 0 || !(decay > 0 && decay <= 1) {
		return nil
	}
	out := make([]float64, days)
	total, w := 0.0, 1.0
	for d := range out {
		out[d] = w
		total += w
		w *= decay
	}
	for d := range out {
		out[d] /= total
	}
	return out
}

func (r ForecastRequest) withDefaults() ForecastRequest {
	if r.Days == 0 {
		r.Days = DefaultResponseDays
	}
	if r.Decay == 0 {
		r.Decay = DefaultDecay
	}
	if r.OpenFrom == 0 && r.OpenUntil == 0 {
		r.OpenUntil = 24 * time.Hour
	}
	return r
}

// Validate reports every problem of a forecast request at once.
func (r ForecastRequest) Validate() error {
	r = r.withDefaults()
	var p apperr.Problems
	if r.Launch.IsZero() {
		p.Add("launch", "required")
	}
	if r.Audience < 0 {
		p.Add("audience", "must not be negative, got %d", r.Audience)
	}
	if !(r.ResponseRate > 0 && r.ResponseRate <= 1) {
		p.Add("responseRate", "must be above 0 and at most 1 (0.02 means 2 %%), got %g", r.ResponseRate)
	}
	if r.Days < 1 || r.Days > maxForecastDays {
		p.Add("days", "must be between 1 and %d, got %d", maxForecastDays, r.Days)
	}
	if !(r.Decay > 0 && r.Decay <= 1) {
		p.Add("decay", "must be above 0 and at most 1, got %g", r.Decay)
	}
	if r.OpenFrom < 0 || r.OpenFrom >= 24*time.Hour {
		p.Add("openFrom", "must be within the day, got %s", r.OpenFrom)
	}
	if r.OpenUntil <= r.OpenFrom || r.OpenUntil > 24*time.Hour {
		p.Add("openUntil", "must be after openFrom and at most 24h, got %s", r.OpenUntil)
	}
	if err := r.Baseline.validate(true, true); err != nil {
		bp, _ := apperr.AsProblems(err)
		p = append(p, bp...)
	}
	if r.Baseline.Interval > 0 && r.OpenUntil > r.OpenFrom && r.Baseline.Interval > r.OpenUntil-r.OpenFrom {
		p.Add("interval", "%s is longer than the opening hours", r.Baseline.Interval)
	}
	return p.Err()
}

// ForecastCampaign spreads a campaign's extra contacts (audience × response
// rate) over its first days with DailyShares, evenly over each day's open
// intervals, and staffs each interval with and without them: the extra
// agents are what the campaign costs on top of the baseline.
//
// Day one is launch day (or the next day when the launch is after closing
// time); intervals over before the launch are left out and day one's share
// goes to the intervals that remain. A last interval that would run past
// closing time is not laid.
func ForecastCampaign(r ForecastRequest) (Forecast, error) {
	if err := r.Validate(); err != nil {
		return Forecast{}, err
	}
	r = r.withDefaults()
	f := Forecast{
		ExtraContacts: float64(r.Audience) * r.ResponseRate,
		DailyShare:    DailyShares(r.Days, r.Decay),
	}
	base, err := staff(r.Baseline)
	if err != nil {
		return Forecast{}, err
	}
	step := r.Baseline.Interval
	launch := r.Launch.UTC()
	open := func(day time.Time) []time.Time {
		var starts []time.Time
		for off := r.OpenFrom; off+step <= r.OpenUntil; off += step {
			if s := day.Add(off); s.Add(step).After(launch) {
				starts = append(starts, s)
			}
		}
		return starts
	}
	// Day one is launch day, or the next day when launch is after closing.
	day0 := launch.Truncate(24 * time.Hour)
	if len(open(day0)) == 0 {
		day0 = day0.Add(24 * time.Hour)
	}
	for d, share := range f.DailyShare {
		starts := open(day0.Add(time.Duration(d) * 24 * time.Hour))
		per := f.ExtraContacts * share / float64(len(starts))
		for _, s := range starts {
			req := r.Baseline
			req.Contacts += per
			with, err := staff(req)
			if err != nil {
				return Forecast{}, err
			}
			iv := ForecastInterval{Start: s, ExtraContacts: per, BaselineAgents: base.Agents, Agents: with.Agents,
				ExtraAgents: with.Agents - base.Agents}
			f.PeakExtraAgents = max(f.PeakExtraAgents, iv.ExtraAgents)
			f.Intervals = append(f.Intervals, iv)
		}
	}
	if math.IsNaN(f.ExtraContacts) {
		f.ExtraContacts = 0
	}
	return f, nil
}
