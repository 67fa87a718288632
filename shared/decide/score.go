package decide

import (
	"math"
	"time"

	"github.com/conduit-cx/conduit/shared/profiles"
)

// Counts are an offer's outcomes so far: how often it was shown and how
// often accepted. They are learned from outcomes and feed its propensity.
type Counts struct {
	Shown    int64 `json:"shown"`
	Accepted int64 `json:"accepted"`
}

// Propensity is the offer's smoothed acceptance rate, the mean of a Beta
// prior updated by its outcomes:
//
//	(accepted + α) / (shown + α + β),  α = PriorAcceptance × PriorStrength,
//	                                   β = (1 − PriorAcceptance) × PriorStrength
//
// A new offer starts at PriorAcceptance; after about PriorStrength showings
// its own rate weighs as much as the prior. Negative or inconsistent counts
// are clamped (accepted never above shown).
func (p Policy) Propensity(c Counts) float64 {
	p = p.withDefaults()
	return propensity(c, &p)
}

func propensity(c Counts, p *Policy) float64 {
	shown := max(c.Shown, 0)
	accepted := min(max(c.Accepted, 0), shown)
	return (float64(accepted) + p.PriorAcceptance*p.PriorStrength) / (float64(shown) + p.PriorStrength)
}

// Score is how an offer that passed every gate, rule and policy ranks:
//
//	priority = propensity × context weight × value × business lever × priority weight
type Score struct {
	Propensity float64 `json:"propensity"`
	Shown      int64   `json:"shown"`
	Accepted   int64   `json:"accepted"`
	// ContextWeight is 1, times the intent boost when the offer is made for
	// the contact's intent, times the life-event boost when it is made for
	// one of the customer's active life events.
	ContextWeight  float64 `json:"contextWeight"`
	IntentMatch    string  `json:"intentMatch,omitempty"`
	LifeEventMatch string  `json:"lifeEventMatch,omitempty"`
	// Value is the offer's value in major currency units.
	Value         float64 `json:"value"`
	BusinessLever float64 `json:"businessLever"`
	// PriorityWeight is the marketer's static weight; unset (0) counts as 1.
	PriorityWeight float64 `json:"priorityWeight"`
	Priority       float64 `json:"priority"`
}

func score(o *preparedOffer, intent string, p *profiles.Profile, counts Counts, now time.Time, pol *Policy) Score {
	s := Score{
		Propensity:     propensity(counts, pol),
		Shown:          counts.Shown,
		Accepted:       counts.Accepted,
		ContextWeight:  1,
		Value:          o.value,
		BusinessLever:  o.offer.BusinessLever,
		PriorityWeight: o.offer.PriorityWeight,
	}
	if intent != "" {
		for _, in := range o.offer.Intents {
			if lower(in) == intent {
				s.IntentMatch = intent
				s.ContextWeight *= pol.IntentBoost
				break
			}
		}
	}
	if p != nil && len(o.offer.LifeEvents) > 0 {
		if kind := activeLifeEventIn(p, o.offer.LifeEvents, now); kind != "" {
			s.LifeEventMatch = kind
			s.ContextWeight *= pol.LifeEventBoost
		}
	}
	if !(s.PriorityWeight > 0) || math.IsInf(s.PriorityWeight, 0) {
		s.PriorityWeight = 1
	}
	s.Priority = s.Propensity * s.ContextWeight * s.Value * s.BusinessLever * s.PriorityWeight
	if math.IsNaN(s.Priority) || math.IsInf(s.Priority, 0) {
		s.Priority = 0
	}
	return s
}

// activeLifeEventIn returns the kind of the first of the customer's active
// life events that is among kinds, or "".
func activeLifeEventIn(p *profiles.Profile, kinds []string, now time.Time) string {
	for i := range p.LifeEvents {
		e := &p.LifeEvents[i]
		if !e.ExpiresAt.IsZero() && !now.Before(e.ExpiresAt) {
			continue
		}
		for _, k := range kinds {
			if lower(k) == lower(e.Kind) {
				return e.Kind
			}
		}
	}
	return ""
}
