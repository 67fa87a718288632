package decide

import (
	"math"
	"time"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/profiles"
)

// Propensity is the offer's smoothed acceptance rate, the mean of a Beta
// prior updated by its outcomes:
//
//	(accepted + α) / (shown + α + β),  α = PriorAcceptance × PriorStrength,
//	                                   β = (1 − PriorAcceptance) × PriorStrength
//
// A new offer starts at PriorAcceptance; after about PriorStrength showings
// its own rate weighs as much as the prior. Negative or inconsistent counts
// are clamped (accepted never above shown).
func (p Policy) Propensity(c catalog.OfferCounts) float64 {
	p = p.withDefaults()
	return propensity(c, &p)
}

func propensity(c catalog.OfferCounts, p *Policy) float64 {
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

// scored is a ranked offer's score as the engine keeps it: pointer-free,
// so thousands of them cost the garbage collector nothing to scan. Score
// is its readable form.
type scored struct {
	ex         int32 // the offer's index in the snapshot
	life       int16 // index in the profile's life events of the match, -1 none
	intent     bool  // the offer is made for the contact's intent
	holdout    bool  // the customer is in the control group of its campaign
	propensity float64
	context    float64
	value      float64
	lever      float64
	weight     float64
	priority   float64
	shown      int64
	accepted   int64
}

func score(o *preparedOffer, intent string, p *profiles.Profile, counts catalog.OfferCounts, now time.Time, pol *Policy) scored {
	s := scored{
		life:       -1,
		propensity: propensity(counts, pol),
		shown:      counts.Shown,
		accepted:   counts.Accepted,
		context:    1,
		value:      o.value,
		lever:      o.offer.BusinessLever,
		weight:     o.offer.PriorityWeight,
	}
	if intent != "" {
		for _, in := range o.offer.Intents {
			if lower(in) == intent {
				s.intent = true
				s.context *= pol.IntentBoost
				break
			}
		}
	}
	if p != nil && len(o.offer.LifeEvents) > 0 {
		if i := activeLifeEventIn(p, o.offer.LifeEvents, now); i >= 0 {
			s.life = int16(i)
			s.context *= pol.LifeEventBoost
		}
	}
	if !(s.weight > 0) || math.IsInf(s.weight, 0) {
		s.weight = 1
	}
	s.priority = s.propensity * s.context * s.value * s.lever * s.weight
	if math.IsNaN(s.priority) || math.IsInf(s.priority, 0) {
		s.priority = 0
	}
	return s
}

// readable turns a kept score into its Score, naming the matches.
func (s *scored) readable(intent string, p *profiles.Profile) Score {
	out := Score{
		Propensity: s.propensity, Shown: s.shown, Accepted: s.accepted, ContextWeight: s.context,
		Value: s.value, BusinessLever: s.lever, PriorityWeight: s.weight, Priority: s.priority,
	}
	if s.intent {
		out.IntentMatch = intent
	}
	if s.life >= 0 && p != nil && int(s.life) < len(p.LifeEvents) {
		out.LifeEventMatch = p.LifeEvents[s.life].Kind
	}
	return out
}

// activeLifeEventIn returns the index of the first of the customer's
// active life events whose kind is among kinds, or -1. Only the first
// 32,767 life events are looked at (a profile keeps 20).
func activeLifeEventIn(p *profiles.Profile, kinds []string, now time.Time) int {
	for i := range min(len(p.LifeEvents), math.MaxInt16) {
		e := &p.LifeEvents[i]
		if !e.ExpiresAt.IsZero() && !now.Before(e.ExpiresAt) {
			continue
		}
		for _, k := range kinds {
			if lower(k) == lower(e.Kind) {
				return i
			}
		}
	}
	return -1
}
