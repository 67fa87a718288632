package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/kpi"
	"github.com/conduit-cx/conduit/shared/rollup"
	"github.com/conduit-cx/conduit/shared/stats"
)

// impactResponse is the answer of GET /v1/campaigns/{id}/impact.
type impactResponse struct {
	Campaign impactSubject `json:"campaign"`
	// From and To are the range read, widened to whole UTC days.
	From      time.Time     `json:"from"`
	To        time.Time     `json:"to"`
	Level     float64       `json:"level"`
	MinSample int64         `json:"minSample"`
	Methods   impactMethods `json:"methods"`
	Impact    rollup.Impact `json:"impact"`
	Offers    []offerImpact `json:"offers"`
	Notes     []string      `json:"notes"`
}

type impactSubject struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Status string `json:"status,omitempty"`
}

type offerImpact struct {
	Offer  impactSubject `json:"offer"`
	Impact rollup.Impact `json:"impact"`
}

type impactMethods struct {
	Proportions string `json:"proportions"`
	Means       string `json:"means"`
}

// impactNotes say how to read the report.
var impactNotes = []string{
	"treated contacts were eligible and shown the offer; holdout contacts were eligible and deliberately shown nothing",
	"conversion (accepted ÷ contacts with a decision) is compared, since holdout contacts are never offered; acceptance is of the treated group only",
	"a verdict of \"not significant\" means the interval holds zero; \"insufficient data\" means an arm has fewer contacts than minSample",
	"FCR counts a contact once its day's 7-day repeat window has closed, so the latest week is not in it yet",
}

// getCampaignImpact reports what a campaign, and each of its offers, did
// to sales and to service: treated against holdout, over whole UTC days
// (?from=&to=, default from the launch to now).
func (s *Server) getCampaignImpact() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id := r.PathValue("id")
		now := s.deps.Clock().UTC()
		subject := impactSubject{ID: id}
		defFrom := now.Add(-30 * 24 * time.Hour)
		var offers []catalog.Offer
		if s.deps.CatalogStore != nil {
			c, err := s.deps.CatalogStore.GetCampaign(ctx, id)
			if err != nil {
				writeError(w, r, err)
				return
			}
			subject.Name, subject.Status = c.Name, string(c.Status)
			if !c.LaunchAt.IsZero() && c.LaunchAt.Before(now) {
				defFrom = c.LaunchAt
			}
			if offers, err = campaignOffers(ctx, s.deps.CatalogStore, id); err != nil {
				writeError(w, r, err)
				return
			}
		}
		var p apperr.Problems
		q := r.URL.Query()
		dimensionFilter(q, kpi.ByTotal, &p, "from", "to")
		from, to := reportRange(q, defFrom, now, &p)
		if len(p) > 0 {
			writeError(w, r, p)
			return
		}
		if s.deps.KPIs == nil {
			writeError(w, r, errors.New("no KPI store configured"))
			return
		}
		o := stats.Options{}
		arms := func(d kpi.Dimension, id string) (rollup.Impact, error) {
			treated, err := s.deps.KPIs.Series(ctx, kpi.GrainDay, kpi.NewKey(d, id, string(kpi.GroupTreated)), from, to)
			if err != nil {
				return rollup.Impact{}, err
			}
			holdout, err := s.deps.KPIs.Series(ctx, kpi.GrainDay, kpi.NewKey(d, id, string(kpi.GroupHoldout)), from, to)
			if err != nil {
				return rollup.Impact{}, err
			}
			return rollup.ImpactOf(rollup.Sum(treated), rollup.Sum(holdout), o), nil
		}
		resp := impactResponse{
			Campaign: subject, From: from, To: to, Level: stats.DefaultLevel, MinSample: stats.DefaultMinSample,
			Methods: impactMethods{Proportions: stats.MethodProportions, Means: stats.MethodMeans},
			Offers:  []offerImpact{}, Notes: impactNotes,
		}
		var err error
		if resp.Impact, err = arms(kpi.ByCampaignGroup, id); err != nil {
			writeError(w, r, err)
			return
		}
		for _, of := range offers {
			im, err := arms(kpi.ByOfferGroup, of.ID)
			if err != nil {
				writeError(w, r, err)
				return
			}
			resp.Offers = append(resp.Offers, offerImpact{Offer: impactSubject{ID: of.ID, Name: of.Name, Status: string(of.Status)}, Impact: im})
		}
		writeJSON(w, http.StatusOK, resp)
	})
}

// maxCampaignOffers bounds the offers one impact report lists.
const maxCampaignOffers = 200

// campaignOffers lists a campaign's offers, page by page.
func campaignOffers(ctx context.Context, c CatalogStore, campaignID string) ([]catalog.Offer, error) {
	var out []catalog.Offer
	cursor := ""
	for len(out) < maxCampaignOffers {
		page, next, err := c.ListOffers(ctx, catalog.OfferFilter{CampaignID: campaignID}, maxPageSize, cursor)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	return out, nil
}
