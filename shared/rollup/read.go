package rollup

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/kpi"
	"github.com/conduit-cx/conduit/shared/stats"
)

// Reader reads stored buckets back.
type Reader interface {
	// Series reads one key's buckets overlapping [from, to).
	Series(ctx context.Context, g kpi.Grain, k kpi.Key, from, to time.Time) ([]Bucket, error)
	// Dimension reads the buckets of every key of a dimension overlapping
	// [from, to) that match (nil matches all). It refuses, with a problem
	// naming the limit, to read more than limit buckets.
	Dimension(ctx context.Context, g kpi.Grain, d kpi.Dimension, from, to time.Time, match func(kpi.Key) bool, limit int) ([]Bucket, error)
}

// Read reads a dimension's buckets through whichever of r's calls fits.
func Read(ctx context.Context, r Reader, g kpi.Grain, d kpi.Dimension, from, to time.Time, match func(kpi.Key) bool, limit int) ([]Bucket, error) {
	if d == kpi.ByTotal {
		return r.Series(ctx, g, kpi.Total, from, to)
	}
	return r.Dimension(ctx, g, d, from, to, match, limit)
}

// Sum adds stored aggregates, in a fixed order (start, then key), so the
// same buckets always give the same sums.
func Sum(bs []Bucket) kpi.Aggregate {
	bs = slices.Clone(bs)
	sortBuckets(bs)
	var s kpi.Aggregate
	for _, b := range bs {
		s = s.Add(b.Aggregate)
	}
	return s
}

// SumByKey adds stored aggregates per key.
func SumByKey(bs []Bucket) map[kpi.Key]kpi.Aggregate {
	bs = slices.Clone(bs)
	sortBuckets(bs)
	out := map[kpi.Key]kpi.Aggregate{}
	for _, b := range bs {
		out[b.Key] = out[b.Key].Add(b.Aggregate)
	}
	return out
}

func sortBuckets(bs []Bucket) {
	slices.SortFunc(bs, func(a, b Bucket) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		if c := strings.Compare(string(a.Key.Dimension), string(b.Key.Dimension)); c != 0 {
			return c
		}
		return strings.Compare(a.Key.Value, b.Key.Value)
	})
}

// Points computes a (non-comparative) metric for stored buckets. By total,
// every bucket start in starts gets a point (an empty bucket has a null
// value, or 0 for a volume); by any other dimension, only the keys with
// contacts do. Points are ordered by start, then by key.
func Points(d kpi.Definition, by kpi.Dimension, starts []time.Time, bs []Bucket) ([]kpi.Point, error) {
	bs = slices.Clone(bs)
	sortBuckets(bs)
	var out []kpi.Point
	if by == kpi.ByTotal {
		at := map[time.Time]kpi.Aggregate{}
		for _, b := range bs {
			at[b.Start] = at[b.Start].Add(b.Aggregate)
		}
		for _, s := range starts {
			p, err := d.Point(s, kpi.Total, at[s])
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		return out, nil
	}
	for _, b := range bs {
		p, err := d.Point(b.Start, b.Key, b.Aggregate)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// LiftDimension is the stored dimension that holds treated and holdout
// side by side for lift by a dimension: group for the total, campaign_group
// by campaign, offer_group by offer.
func LiftDimension(by kpi.Dimension) (kpi.Dimension, error) {
	switch by {
	case kpi.ByTotal:
		return kpi.ByGroup, nil
	case kpi.ByCampaign:
		return kpi.ByCampaignGroup, nil
	case kpi.ByOffer:
		return kpi.ByOfferGroup, nil
	}
	return "", apperr.Invalid("by", "lift compares treated with holdout contacts of a campaign or offer: use by=total, by=campaign or by=offer, not %q", by)
}

// LiftPoints computes lift per bucket from buckets of the paired dimension
// (LiftDimension). By total every start gets a point; otherwise each
// campaign (offer) with contacts in a bucket does.
func LiftPoints(d kpi.Definition, by kpi.Dimension, starts []time.Time, bs []Bucket, o stats.Options) []kpi.Point {
	type entity struct {
		start time.Time
		key   kpi.Key
	}
	type arms struct{ treated, holdout kpi.Aggregate }
	groups := map[entity]*arms{}
	var order []entity
	bs = slices.Clone(bs)
	sortBuckets(bs)
	for _, b := range bs {
		parts := b.Key.Parts()
		if len(parts) == 0 {
			continue
		}
		group := kpi.Group(parts[len(parts)-1])
		e := entity{b.Start, kpi.Total}
		if by != kpi.ByTotal && len(parts) == 2 {
			e.key = kpi.NewKey(by, parts[0])
		}
		a := groups[e]
		if a == nil {
			a = &arms{}
			groups[e] = a
			order = append(order, e)
		}
		switch group {
		case kpi.GroupTreated:
			a.treated = a.treated.Add(b.Aggregate)
		case kpi.GroupHoldout:
			a.holdout = a.holdout.Add(b.Aggregate)
		}
	}
	var out []kpi.Point
	if by == kpi.ByTotal {
		for _, s := range starts {
			a := groups[entity{s, kpi.Total}]
			if a == nil {
				a = &arms{}
			}
			out = append(out, d.LiftPoint(s, kpi.Total, a.treated, a.holdout, o))
		}
		return out
	}
	slices.SortStableFunc(order, func(a, b entity) int {
		if c := a.start.Compare(b.start); c != 0 {
			return c
		}
		return strings.Compare(a.key.Value, b.key.Value)
	})
	for _, e := range order {
		a := groups[e]
		out = append(out, d.LiftPoint(e.start, e.key, a.treated, a.holdout, o))
	}
	return out
}

// Arm summarises one group of a campaign or offer.
type Arm struct {
	// Contacts are contacts with a decision in the group.
	Contacts    int64 `json:"contacts"`
	OffersShown int64 `json:"offersShown"`
	Accepted    int64 `json:"accepted"`
	// Revenue is the accepted value, in the offers' currency.
	Revenue float64 `json:"revenue"`
	// Handled and SurveyAnswers are the samples of AHT and CSAT.
	Handled       int64 `json:"handled"`
	SurveyAnswers int64 `json:"surveyAnswers"`
	// FCRContacts are handled contacts whose 7-day window has closed.
	FCRContacts int64 `json:"fcrContacts"`
}

func armOf(a kpi.Aggregate) Arm {
	return Arm{
		Contacts: a.Decisions, OffersShown: a.OffersShown, Accepted: a.Accepted, Revenue: a.AcceptedValue,
		Handled: a.HandledTimed, SurveyAnswers: a.SurveyAnswers, FCRContacts: a.FCRContacts,
	}
}

// Impact is what a campaign or offer did, treated against holdout.
type Impact struct {
	Treated Arm `json:"treated"`
	Holdout Arm `json:"holdout"`
	// Acceptance is accepted ÷ offers shown of the treated group (holdout
	// contacts are never shown the offer), with its Wilson interval.
	Acceptance stats.Rate `json:"acceptance"`
	// Conversion (accepted ÷ contacts with a decision) is the lift headline;
	// RevenuePerContact, AHT, FCR and CSAT are compared the same way.
	kpi.Impact
	// Summary says the headline in one sentence.
	Summary string `json:"summary"`
}

// ImpactOf compares a treated aggregate with its holdout.
func ImpactOf(treated, holdout kpi.Aggregate, o stats.Options) Impact {
	im := Impact{
		Treated:    armOf(treated),
		Holdout:    armOf(holdout),
		Acceptance: RateOf(treated.AcceptedOfShown, treated.OffersShown, o),
		Impact:     kpi.CompareGroups(treated, holdout, o),
	}
	im.Summary = liftSentence(im.Conversion)
	return im
}

// RateOf is successes out of trials with its Wilson interval (value NaN,
// written as null, when there are no trials).
func RateOf(successes, trials int64, o stats.Options) stats.Rate {
	level := o.Level
	if !(level > 0 && level < 1) {
		level = stats.DefaultLevel
	}
	r := stats.Rate{Successes: successes, Trials: trials, Value: math.NaN(), Interval: stats.Wilson(successes, trials, level)}
	if trials > 0 && successes >= 0 && successes <= trials {
		r.Value = float64(successes) / float64(trials)
	}
	return r
}

func liftSentence(c stats.ProportionComparison) string {
	pct := func(x float64) string { return fmt.Sprintf("%.1f %%", 100*x) }
	signed := func(x float64) string { return fmt.Sprintf("%+.1f %%", 100*x) }
	if c.Treated.Trials == 0 || c.Holdout.Trials == 0 {
		return fmt.Sprintf("insufficient data: %d treated and %d holdout contacts with a decision", c.Treated.Trials, c.Holdout.Trials)
	}
	head := fmt.Sprintf("conversion %s treated (%d contacts) vs %s holdout (%d contacts)",
		pct(c.Treated.Value), c.Treated.Trials, pct(c.Holdout.Value), c.Holdout.Trials)
	if c.LiftDefined {
		head += fmt.Sprintf(": lift %s (%.0f %% CI %s to %s)", signed(c.Lift), 100*c.Level, signed(c.LiftInterval.Lower), signed(c.LiftInterval.Upper))
	} else {
		head += fmt.Sprintf(": difference %s points (%.0f %% CI %s to %s; lift undefined with no holdout conversions)",
			signed(c.Difference), 100*c.Level, signed(c.DifferenceInterval.Lower), signed(c.DifferenceInterval.Upper))
	}
	return head + ", " + string(c.Verdict)
}

// Scorecard is an agent's offers and service, with and without an offer,
// against the rest of the team.
type Scorecard struct {
	Offers AgentOffers `json:"offers"`
	// WithOffer and WithoutOffer are the agent's contacts where an offer was
	// shown, and the others.
	WithOffer    Service `json:"withOffer"`
	WithoutOffer Service `json:"withoutOffer"`
	// AHTDifference and CSATDifference compare with-offer contacts against
	// without-offer contacts (with − without).
	AHTDifference  stats.MeanComparison       `json:"ahtDifference"`
	CSATDifference stats.ProportionComparison `json:"csatDifference"`
	// All is the agent's service over all contacts.
	All Service `json:"all"`
}

// AgentOffers are the offers an agent presented and what came of them.
type AgentOffers struct {
	Presented  int64      `json:"presented"`
	Accepted   int64      `json:"accepted"`
	Acceptance stats.Rate `json:"acceptance"`
	// Team is the acceptance of every agent's offers (the agent included);
	// VsRestOfTeam compares the agent with the others.
	Team         stats.Rate                 `json:"team"`
	VsRestOfTeam stats.ProportionComparison `json:"vsRestOfTeam"`
}

// Service is handle time and satisfaction on a set of contacts.
type Service struct {
	Handled int64 `json:"handled"`
	// AHT in seconds over HandledTimed contacts (null when none).
	AHT           *float64 `json:"aht"`
	HandledTimed  int64    `json:"handledTimed"`
	CSAT          *float64 `json:"csat"`
	SurveyAnswers int64    `json:"surveyAnswers"`
}

func serviceOf(a kpi.Aggregate) Service {
	s := Service{Handled: a.Handled, HandledTimed: a.HandledTimed, SurveyAnswers: a.SurveyAnswers}
	if v := kpi.AHT(a); v.OK {
		s.AHT = &v.Value
	}
	if v := kpi.CSAT(a); v.OK {
		s.CSAT = &v.Value
	}
	return s
}

// ScorecardOf builds an agent's scorecard from the agent's contacts with
// and without an offer shown, and the team's (every agent's) contacts.
func ScorecardOf(withOffer, withoutOffer, team kpi.Aggregate, o stats.Options) Scorecard {
	agent := withOffer.Add(withoutOffer)
	rest := stats.Count{Successes: team.AcceptedOfShown - agent.AcceptedOfShown, Trials: team.OffersShown - agent.OffersShown}
	return Scorecard{
		Offers: AgentOffers{
			Presented:    agent.OffersShown,
			Accepted:     agent.AcceptedOfShown,
			Acceptance:   RateOf(agent.AcceptedOfShown, agent.OffersShown, o),
			Team:         RateOf(team.AcceptedOfShown, team.OffersShown, o),
			VsRestOfTeam: stats.CompareProportions(stats.Count{Successes: agent.AcceptedOfShown, Trials: agent.OffersShown}, rest, o),
		},
		WithOffer:     serviceOf(withOffer),
		WithoutOffer:  serviceOf(withoutOffer),
		AHTDifference: stats.CompareMeans(withOffer.HandleTimeMoments(), withoutOffer.HandleTimeMoments(), o),
		CSATDifference: stats.CompareProportions(
			stats.Count{Successes: withOffer.SurveySatisfied, Trials: withOffer.SurveyAnswers},
			stats.Count{Successes: withoutOffer.SurveySatisfied, Trials: withoutOffer.SurveyAnswers}, o),
		All: serviceOf(agent),
	}
}
