package api_test

import (
	"net/http"
	"testing"
)

type forecastBody struct {
	Audience       int64   `json:"audience"`
	AudienceSource string  `json:"audienceSource"`
	WhatIfJobID    string  `json:"whatIfJobId"`
	ResponseRate   float64 `json:"responseRate"`
	Baseline       struct {
		Contacts float64 `json:"contacts"`
		Agents   int     `json:"agents"`
	} `json:"baseline"`
	Forecast struct {
		ExtraContacts float64 `json:"extraContacts"`
		Intervals     []struct {
			Start          string  `json:"start"`
			ExtraContacts  float64 `json:"extraContacts"`
			BaselineAgents int     `json:"baselineAgents"`
			ExtraAgents    int     `json:"extraAgents"`
		} `json:"intervals"`
		PeakExtraAgents int `json:"peakExtraAgents"`
	} `json:"forecast"`
}

func TestForecastUsesTheMeasuredAudience(t *testing.T) {
	t.Parallel()
	f := newLoadFixture(t, 12)
	target := "/v1/campaigns/" + loadCampaign + "/forecast?contacts=100&interval=30m&aht=300&sl=0.8&t=20&openFrom=8h&openUntil=20h&days=3"
	resp := f.do(http.MethodGet, target, nil, analyst)
	var typed forecastBody
	resp.JSON(t, &typed)
	if resp.Status != http.StatusOK || typed.AudienceSource != "campaign" || typed.Audience != 10000 || typed.ResponseRate != 0.05 ||
		typed.Forecast.ExtraContacts != 500 || len(typed.Forecast.Intervals) != 22+24+24 || typed.Baseline.Agents == 0 {
		t.Fatalf("typed-in audience: %d %s", resp.Status, clipBody(resp.Body))
	}
	first := typed.Forecast.Intervals[0]
	if first.Start != "2026-03-03T09:00:00Z" || first.ExtraAgents <= 0 || typed.Forecast.PeakExtraAgents < first.ExtraAgents {
		t.Fatalf("first interval %+v (launch 09:00, opening 8h-20h)", first)
	}

	run := f.do(http.MethodPost, "/v1/campaigns/"+loadCampaign+"/whatif", nil, marketer)
	var job struct {
		ID     string `json:"id"`
		Result struct {
			Offered int64 `json:"offered"`
		} `json:"result"`
	}
	run.JSON(t, &job)
	resp = f.do(http.MethodGet, target, nil, analyst)
	var measured forecastBody
	resp.JSON(t, &measured)
	if measured.AudienceSource != "whatif" || measured.WhatIfJobID != job.ID || measured.Audience != job.Result.Offered ||
		measured.Forecast.ExtraContacts != float64(job.Result.Offered)*0.05 {
		t.Fatalf("measured audience: %s (what-if %s)", clipBody(resp.Body), run.Body)
	}

	resp = f.do(http.MethodGet, target+"&audience=2000&responseRate=0.1", nil, analyst)
	var overridden forecastBody
	resp.JSON(t, &overridden)
	if overridden.AudienceSource != "query" || overridden.Forecast.ExtraContacts != 200 {
		t.Fatalf("override: %s", clipBody(resp.Body))
	}
}

func TestForecastRefusesBadInput(t *testing.T) {
	t.Parallel()
	f := newLoadFixture(t, 0)
	base := "/v1/campaigns/" + loadCampaign + "/forecast?"
	cases := []struct {
		query string
		field string
	}{
		{"sl=1.5", "sl"},
		{"aht=0", "aht"},
		{"contacts=-1", "contacts"},
		{"days=0", "days"},
		{"decay=2", "decay"},
		{"responseRate=0", "responseRate"},
		{"responseRate=-1", "responseRate"},
		{"audience=-3", "audience"},
		{"openFrom=20h&openUntil=8h", "openUntil"},
		{"bogus=1", "bogus"},
	}
	for _, tc := range cases {
		resp := f.do(http.MethodGet, base+tc.query, nil, analyst)
		var e struct {
			Error struct {
				Details []struct {
					Field string `json:"field"`
				} `json:"details"`
			} `json:"error"`
		}
		resp.JSON(t, &e)
		if resp.Status != http.StatusBadRequest || len(e.Error.Details) == 0 || e.Error.Details[0].Field != tc.field {
			t.Errorf("%s: %d %s", tc.query, resp.Status, clipBody(resp.Body))
		}
	}
	if resp := f.do(http.MethodGet, "/v1/campaigns/nope/forecast", nil, analyst); resp.Status != http.StatusNotFound {
		t.Errorf("unknown campaign: %d", resp.Status)
	}
}

// clipBody keeps a failure message readable: a forecast is long.
func clipBody(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}
