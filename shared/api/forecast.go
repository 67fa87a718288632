package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/load"
)

// forecastParams are the query parameters of GET /v1/campaigns/{id}/forecast.
var forecastParams = []string{"contacts", "interval", "aht", "sl", "t", "maxOccupancy",
	"days", "decay", "openFrom", "openUntil", "responseRate", "audience"}

// Forecast defaults for the baseline interval: a half-hour interval of
// five-minute contacts with an 80/20 service-level target.
const (
	defaultForecastInterval = 30 * time.Minute
	defaultForecastAHT      = 5 * time.Minute
	defaultForecastSL       = 0.8
	defaultForecastT        = 20 * time.Second
)

// Audience sources of a forecast.
const (
	AudienceFromQuery    = "query"
	AudienceFromWhatIf   = "whatif"
	AudienceFromCampaign = "campaign"
)

// forecastResponse is a campaign's extra load over its first days.
type forecastResponse struct {
	CampaignID string    `json:"campaignId"`
	Launch     time.Time `json:"launch"`
	// Audience is how many customers the campaign reaches: the latest
	// finished what-if's offered count when there is one (AudienceSource
	// "whatif"), else the campaign's typed-in audience size ("campaign"),
	// unless ?audience= overrides both ("query").
	Audience       int64            `json:"audience"`
	AudienceSource string           `json:"audienceSource"`
	WhatIfJobID    string           `json:"whatIfJobId,omitempty"`
	ResponseRate   float64          `json:"responseRate"`
	Baseline       forecastBaseline `json:"baseline"`
	Days           int              `json:"days"`
	Decay          float64          `json:"decay"`
	Forecast       load.Forecast    `json:"forecast"`
}

// forecastBaseline is the interval without the campaign, in seconds.
type forecastBaseline struct {
	Contacts        float64 `json:"contacts"`
	IntervalSeconds float64 `json:"intervalSeconds"`
	AHTSeconds      float64 `json:"ahtSeconds"`
	ServiceLevel    float64 `json:"serviceLevel"`
	ThresholdSecs   float64 `json:"thresholdSeconds"`
	MaxOccupancy    float64 `json:"maxOccupancy,omitempty"`
	Agents          int     `json:"agents"`
}

// getCampaignForecast answers, per interval of the campaign's first days,
// the extra contacts it brings (audience × response rate, spread over the
// days with a decaying daily share) and the agents needed on top of the
// baseline interval's (Erlang C).
func (s *Server) getCampaignForecast() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := catalogID(r, catalog.KindCampaign)
		if err != nil {
			writeError(w, r, err)
			return
		}
		q := r.URL.Query()
		var p apperr.Problems
		unknownParams(q, forecastParams, &p)
		base := load.StaffingRequest{
			Contacts:     numberParam(q, "contacts", ptr(0.0), &p),
			Interval:     durationParam(q, "interval", ptr(defaultForecastInterval), &p),
			AHT:          durationParam(q, "aht", ptr(defaultForecastAHT), &p),
			ServiceLevel: numberParam(q, "sl", ptr(defaultForecastSL), &p),
			Threshold:    durationParam(q, "t", ptr(defaultForecastT), &p),
			MaxOccupancy: numberParam(q, "maxOccupancy", ptr(0.0), &p),
		}
		days := intParam(q, "days", ptr(int64(load.DefaultResponseDays)), &p)
		decay := numberParam(q, "decay", ptr(load.DefaultDecay), &p)
		openFrom := durationParam(q, "openFrom", ptr(time.Duration(0)), &p)
		openUntil := durationParam(q, "openUntil", ptr(time.Duration(0)), &p)
		rate := numberParam(q, "responseRate", ptr(-1.0), &p)
		audience := intParam(q, "audience", ptr(int64(-1)), &p)
		if q.Has("audience") && audience < 0 {
			p.Add("audience", "must not be negative")
		}
		// Zero would mean "the default" to the forecast: given, it is wrong.
		if q.Has("days") && days < 1 {
			p.Add("days", "must be at least 1")
		}
		if q.Has("decay") && decay <= 0 {
			p.Add("decay", "must be above 0 and at most 1")
		}
		if q.Has("responseRate") && rate < 0 {
			p.Add("responseRate", "must be above 0 and at most 1 (0.02 means 2 %%)")
		}
		if err := p.Err(); err != nil {
			writeError(w, r, err)
			return
		}
		c, err := s.deps.CatalogStore.GetCampaign(r.Context(), id)
		if err == nil && c.Deleted {
			err = apperr.ErrNotFound
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		out := forecastResponse{CampaignID: c.ID, Launch: c.LaunchAt.UTC(), Days: int(days), Decay: decay}
		switch {
		case audience >= 0:
			out.Audience, out.AudienceSource = audience, AudienceFromQuery
		default:
			out.Audience, out.AudienceSource = c.AudienceSize, AudienceFromCampaign
			if s.deps.WhatIf != nil {
				job, err := s.deps.WhatIf.Latest(r.Context(), c.ID)
				switch {
				case err == nil:
					out.Audience, out.AudienceSource, out.WhatIfJobID = job.Result.Offered, AudienceFromWhatIf, job.ID
				case !errors.Is(err, apperr.ErrNotFound):
					writeError(w, r, err)
					return
				}
			}
		}
		out.ResponseRate = c.ExpectedResponseRate
		if rate >= 0 {
			out.ResponseRate = rate
		}
		f, err := load.ForecastCampaign(load.ForecastRequest{
			Launch: c.LaunchAt, Audience: out.Audience, ResponseRate: out.ResponseRate, Days: int(days), Decay: decay,
			OpenFrom: openFrom, OpenUntil: openUntil, Baseline: base,
		})
		if err != nil {
			if problems, ok := apperr.AsProblems(err); ok && rate < 0 {
				for i := range problems {
					if problems[i].Field == "responseRate" {
						problems[i].Problem = "the campaign has no expectedResponseRate (0–1); set it on the campaign or pass ?responseRate="
					}
				}
			}
			writeError(w, r, err)
			return
		}
		out.Forecast = f
		out.Baseline = forecastBaseline{Contacts: base.Contacts, IntervalSeconds: base.Interval.Seconds(), AHTSeconds: base.AHT.Seconds(),
			ServiceLevel: base.ServiceLevel, ThresholdSecs: base.Threshold.Seconds(), MaxOccupancy: base.MaxOccupancy}
		if len(f.Intervals) > 0 {
			out.Baseline.Agents = f.Intervals[0].BaselineAgents
		}
		writeJSON(w, http.StatusOK, out)
	})
}
