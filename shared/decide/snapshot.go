package decide

import (
	"cmp"
	"math"
	"slices"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/rules"
)

// Snapshot is the catalog prepared for deciding: offers and campaigns with
// their rules compiled, values converted and offers linked to campaigns.
// Build it once per catalog refresh (it is the expensive part) and share it
// between decisions; it is read-only and safe for concurrent use.
type Snapshot struct {
	offers    []preparedOffer
	campaigns []preparedCampaign
	byID      map[string]int // campaign id → index in campaigns
}

type preparedOffer struct {
	offer    *catalog.Offer
	campaign int // index in Snapshot.campaigns, -1 when missing
	// value is the offer's value in major units, for arbitration only.
	value float64
	rule  *rules.Rule
	// ruleErr is set when the eligibility rule does not compile; the offer
	// is then never made and the explanation says why.
	ruleErr error
	ruleWhy Why
}

type preparedCampaign struct {
	campaign    *catalog.Campaign
	audience    *rules.Rule
	audienceErr error
	audienceWhy Why
	vars        rules.Campaign
	hasOffers   bool
}

// NewSnapshot prepares offers and campaigns for deciding. Deleted items are
// left out; offers in any status are kept so a simulation can say why an
// inactive one was not made. Rules come from rules' process-wide cache, so
// a refresh recompiles only changed rules. A rule that does not compile
// does not fail the snapshot: the offers it guards are dropped with reason
// rule_error at decision time.
func NewSnapshot(offers []catalog.Offer, campaigns []catalog.Campaign) *Snapshot {
	s := &Snapshot{
		offers:    make([]preparedOffer, 0, len(offers)),
		campaigns: make([]preparedCampaign, 0, len(campaigns)),
		byID:      make(map[string]int, len(campaigns)),
	}
	cs := make([]catalog.Campaign, 0, len(campaigns))
	for _, c := range campaigns {
		if !c.Deleted {
			cs = append(cs, c)
		}
	}
	slices.SortStableFunc(cs, func(a, b catalog.Campaign) int { return cmp.Compare(a.ID, b.ID) })
	for i := range cs {
		c := &cs[i]
		if _, dup := s.byID[c.ID]; dup {
			continue // the first of duplicate ids wins; the store never makes them
		}
		pc := preparedCampaign{campaign: c, vars: rules.Campaign{ID: c.ID, Name: c.Name}}
		pc.audience, pc.audienceErr = rules.Compiled(c.Audience)
		if pc.audienceErr != nil {
			pc.audienceWhy = Why{Step: StepEligibility, Reason: ReasonRuleError,
				Words: "The campaign's audience rule does not compile: " + pc.audienceErr.Error()}
		}
		s.byID[c.ID] = len(s.campaigns)
		s.campaigns = append(s.campaigns, pc)
	}
	os := make([]catalog.Offer, 0, len(offers))
	for _, o := range offers {
		if !o.Deleted {
			os = append(os, o)
		}
	}
	slices.SortStableFunc(os, func(a, b catalog.Offer) int { return cmp.Compare(a.ID, b.ID) })
	for i := range os {
		o := &os[i]
		if i > 0 && os[i-1].ID == o.ID {
			continue
		}
		p := preparedOffer{offer: o, campaign: -1, value: o.Value.Major()}
		if ci, ok := s.byID[o.CampaignID]; ok {
			p.campaign = ci
			s.campaigns[ci].hasOffers = true
		}
		if math.IsNaN(p.value) || math.IsInf(p.value, 0) {
			p.value = 0
		}
		p.rule, p.ruleErr = rules.Compiled(o.Eligibility)
		if p.ruleErr != nil {
			p.ruleWhy = Why{Step: StepEligibility, Reason: ReasonRuleError,
				Words: "The offer's eligibility rule does not compile: " + p.ruleErr.Error()}
		}
		s.offers = append(s.offers, p)
	}
	return s
}

// Offers is the number of offers in the snapshot.
func (s *Snapshot) Offers() int {
	if s == nil {
		return 0
	}
	return len(s.offers)
}

// Offer returns the offer with id, or nil.
func (s *Snapshot) Offer(id string) *catalog.Offer {
	if s == nil {
		return nil
	}
	i, ok := slices.BinarySearchFunc(s.offers, id, func(p preparedOffer, id string) int { return cmp.Compare(p.offer.ID, id) })
	if !ok {
		return nil
	}
	return s.offers[i].offer
}

// Campaign returns the campaign with id, or nil.
func (s *Snapshot) Campaign(id string) *catalog.Campaign {
	if s == nil {
		return nil
	}
	i, ok := s.byID[id]
	if !ok {
		return nil
	}
	return s.campaigns[i].campaign
}
