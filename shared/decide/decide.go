package decide

import (
	"slices"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/rules"
)

// Input is everything one decision needs besides the catalog snapshot and
// the policy. All of it is plain data the caller has already read.
type Input struct {
	// Now is the time of the decision. Pass it in the contact center's time
	// zone: rules read its hour and weekday.
	Now time.Time `json:"now"`
	// Profile is the identified customer, or nil for an anonymous caller.
	Profile *profiles.Profile `json:"profile,omitempty"`
	// Suppressed: the customer was erased or is suppressed for good (a
	// suppression entry exists for their identity). Nothing is ever offered.
	Suppressed bool    `json:"suppressed,omitempty"`
	Contact    Contact `json:"contact"`
	// Held are the campaigns the load gate holds for this contact's queue,
	// by campaign id, with the reason in words (e.g. "Billing queue: ASA
	// 95 s is above 60 s"); the caller derives it from the queue load states.
	Held map[string]string `json:"held,omitempty"`
	// Propensity is each offer's outcome counts, by offer id; an offer
	// missing here is new and scored by the prior.
	Propensity map[string]catalog.OfferCounts `json:"propensity,omitempty"`
	// Exhausted are offers whose global cap is known to be used up, by
	// offer id.
	Exhausted map[string]bool `json:"exhausted,omitempty"`
}

// SubjectOf is whom holdouts and variants are drawn for: the profile id,
// or the contact id for an anonymous caller (so an anonymous caller is
// consistent within one contact, Connect's retries included).
func SubjectOf(p *profiles.Profile, contactID string) (subject string, anonymous bool) {
	if p != nil && p.ID != "" {
		return p.ID, false
	}
	if contactID == "" {
		return "", true
	}
	return "contact#" + contactID, true
}

// Decide runs the decision path of DESIGN section 4 for one contact: gates
// (consent, empathy, load, channel, and the customer's offer frequency),
// then for each offer eligibility, contact policies, rules and score, then
// arbitration, holdout and variant. It is pure: the same input, snapshot
// and policy always give the same decision. It never panics on odd input;
// whatever it cannot use leads to "no offer" with a reason.
func Decide(in Input, snap *Snapshot, pol Policy) Decision {
	pol = pol.withDefaults()
	e := engine{in: in, snap: snap, pol: pol, c: in.Contact.normalise()}
	d := Decision{winner: -1, variant: -1, prof: in.Profile, intent: e.c.Intent, now: in.Now}
	d.Subject, d.Anonymous = SubjectOf(in.Profile, e.c.ContactID)

	n := snap.Offers()
	d.snap = snap
	d.verdicts = make([]verdict, n)
	d.whys = make([]Why, 1, 16)
	if in.Profile != nil {
		e.hist = newHistory(in.Profile.RecentOffers)
	}

	stop := e.gates(&d)
	switch {
	case snap == nil:
		stop = why(StepInput, ReasonCatalogNotLoaded)
	case d.Subject == "":
		stop = why(StepInput, ReasonSubjectMissing)
	case stop == Why{} && n == 0:
		stop = why(StepEligibility, ReasonNoOffers)
	}
	if stop != (Why{}) {
		if n > 0 {
			k := d.whyIndex(stop)
			for i := range d.verdicts {
				d.verdicts[i].why = k
			}
		}
		d.Why = stop
		return d
	}

	// Checks, cheapest first; survivors are scored, zero priorities dropped.
	pass := make([]int32, 0, n)
	for i := range snap.offers {
		if w, dropped := e.check(&snap.offers[i]); dropped {
			d.drop(i, w)
			continue
		}
		pass = append(pass, int32(i))
	}
	scores := make([]scored, 0, len(pass))
	for _, i := range pass {
		po := &snap.offers[i]
		sc := score(po, e.c.Intent, in.Profile, in.Propensity[po.offer.ID], in.Now, &e.pol)
		if !(sc.priority > 0) {
			d.drop(int(i), why(StepArbitration, ReasonZeroPriority))
			continue
		}
		sc.ex = i
		scores = append(scores, sc)
	}

	// order ranks the scored offers: priority, then propensity, then id.
	order := make([]int32, len(scores))
	for k := range order {
		order[k] = int32(k)
	}
	// Priorities and propensities are finite (score makes sure), so plain
	// comparisons are enough.
	slices.SortFunc(order, func(a, b int32) int {
		sa, sb := &scores[a], &scores[b]
		switch {
		case sa.priority > sb.priority:
			return -1
		case sa.priority < sb.priority:
			return 1
		case sa.propensity > sb.propensity:
			return -1
		case sa.propensity < sb.propensity:
			return 1
		}
		return strings.Compare(snap.offers[sa.ex].offer.ID, snap.offers[sb.ex].offer.ID)
	})
	for r, k := range order {
		s := &scores[k]
		po := &snap.offers[s.ex]
		st := e.campaign(po.campaign)
		if st.holdout == 0 {
			c := snap.campaigns[po.campaign].campaign
			st.holdout = 2
			if InHoldout(d.Subject, c.ID, c.HoldoutShare) {
				st.holdout = 1
			}
		}
		s.holdout = st.holdout == 1
		d.verdicts[s.ex].rank = int32(r + 1)
	}
	d.scores, d.order = scores, order
	d.settle(0)
	return d
}

// engine is the state of one decision.
type engine struct {
	in   Input // copies, so nothing of the caller's stack escapes
	snap *Snapshot
	pol  Policy
	c    Contact
	hist history
	act  *rules.Activation
	// campaigns holds what is worked out once per campaign and decision.
	campaigns []campaignState
}

// campaignState is one campaign's part of a decision.
type campaignState struct {
	open, closed bool // open: worked out; closed: its offers are not made, for stop
	stop         Why
	audienceDone bool
	outside      bool // the customer is not in the audience, for audience
	audience     Why
	holdout      int8 // 0 not drawn yet, 1 in the control group, 2 not
}

// campaign returns the decision's state of campaign ci.
func (e *engine) campaign(ci int) *campaignState {
	if e.campaigns == nil {
		e.campaigns = make([]campaignState, len(e.snap.campaigns))
	}
	return &e.campaigns[ci]
}

// gates runs the gates in order and records each verdict; it returns the
// first that stops every offer, or the zero Why.
func (e *engine) gates(d *Decision) Why {
	d.gates = make([]Gate, 0, 5)
	var stop Why
	add := func(step Step, r Reason, words string) {
		g := Gate{Step: step, Passed: r == ReasonNone}
		if !g.Passed {
			g.Why = Why{Step: step, Reason: r, Words: words}
			if stop == (Why{}) {
				stop = g.Why
			}
		}
		d.gates = append(d.gates, g)
	}
	r := consentGate(e.in.Profile, e.in.Suppressed, e.c.Channel, &e.pol)
	add(StepConsent, r, r.Words())
	r = empathyGate(e.in.Profile, &e.c, e.in.Now, &e.pol)
	add(StepEmpathy, r, r.Words())
	r = e.loadGate()
	add(StepLoad, r, r.Words())
	r = channelGate(e.c.Channel, &e.pol)
	add(StepChannel, r, r.Words())
	r = ReasonNone
	if m := e.pol.MaxOffersPerWindow; m > 0 && e.in.Profile != nil {
		now := e.in.Now
		if e.hist.shownSince(now.Add(-days(e.pol.FrequencyWindowDays)), now) >= m {
			r = ReasonFrequencyCap
		}
	}
	add(StepPolicy, r, r.Words())
	return stop
}

// loadGate stops every offer when the load gate holds every live campaign
// that has offers; otherwise the held campaigns' offers are dropped one by
// one in check.
func (e *engine) loadGate() Reason {
	if len(e.in.Held) == 0 || e.snap == nil {
		return ReasonNone
	}
	byLoad := 0
	for i := range e.snap.campaigns {
		pc := &e.snap.campaigns[i]
		c := pc.campaign
		if !pc.hasOffers || c.Deleted || e.in.Now.Before(c.LaunchAt) || !e.in.Now.Before(c.EndAt) {
			continue
		}
		// The load watcher moves the campaigns it holds to "held"; a
		// campaign it holds counts as held by load in either status.
		_, held := e.in.Held[c.ID]
		switch {
		case held && (c.Status == catalog.CampaignLive || c.Status == catalog.CampaignHeld):
			byLoad++
		case c.Status == catalog.CampaignLive:
			return ReasonNone
		}
	}
	if byLoad == 0 {
		return ReasonNone
	}
	return ReasonLoadHeld
}

// check runs one offer through eligibility, load, channel, caps, contact
// policies and rules, cheapest first, and reports what dropped it. What
// holds for a whole campaign is worked out once per decision.
func (e *engine) check(po *preparedOffer) (Why, bool) {
	o, now := po.offer, e.in.Now
	switch {
	case o.Status != catalog.OfferActive:
		return why(StepEligibility, ReasonOfferInactive), true
	case now.Before(o.ValidFrom):
		return why(StepEligibility, ReasonOfferNotStarted), true
	case !o.ValidTo.IsZero() && !now.Before(o.ValidTo):
		return why(StepEligibility, ReasonOfferEnded), true
	case po.campaign < 0:
		return why(StepEligibility, ReasonCampaignMissing), true
	}
	st := e.campaign(po.campaign)
	if !st.open {
		e.openCampaign(po.campaign, st)
	}
	if st.closed {
		return st.stop, true
	}
	if !o.OnChannel(e.c.Channel) {
		return why(StepEligibility, ReasonOfferChannel), true
	}
	if len(e.in.Exhausted) > 0 && e.in.Exhausted[o.ID] {
		return why(StepCap, ReasonGlobalCap), true
	}
	if e.in.Profile != nil {
		if r := offerPolicy(&e.hist, o, now, &e.pol); r != ReasonNone {
			return why(StepPolicy, r), true
		}
	}
	if !st.audienceDone {
		e.evalAudience(po.campaign, st)
	}
	if st.outside {
		return st.audience, true
	}
	switch {
	case po.ruleErr != nil:
		return po.ruleWhy, true
	case po.rule.Always():
		return Why{}, false
	}
	ok, err := e.activation().Eval(po.rule, e.snap.campaigns[po.campaign].vars)
	switch {
	case err != nil:
		return Why{Step: StepEligibility, Reason: ReasonRuleError, Words: "The offer's eligibility rule could not be evaluated: " + err.Error()}, true
	case !ok:
		return why(StepEligibility, ReasonOfferRule), true
	}
	return Why{}, false
}

// openCampaign works out once whether the campaign's offers may be made
// at all: live, within its dates, not held by load.
func (e *engine) openCampaign(ci int, st *campaignState) {
	c, now := e.snap.campaigns[ci].campaign, e.in.Now
	st.open, st.closed = true, true
	words, heldByLoad := e.in.Held[c.ID]
	if words == "" {
		words = ReasonLoadHeld.Words()
	}
	switch {
	case c.Status == catalog.CampaignHeld && heldByLoad:
		st.stop = Why{Step: StepLoad, Reason: ReasonLoadHeld, Words: words}
	case c.Status == catalog.CampaignHeld:
		st.stop = why(StepEligibility, ReasonCampaignHeld)
	case c.Status != catalog.CampaignLive:
		st.stop = why(StepEligibility, ReasonCampaignNotLive)
	case now.Before(c.LaunchAt):
		st.stop = why(StepEligibility, ReasonCampaignNotStarted)
	case !now.Before(c.EndAt):
		st.stop = why(StepEligibility, ReasonCampaignEnded)
	case heldByLoad:
		st.stop = Why{Step: StepLoad, Reason: ReasonLoadHeld, Words: words}
	default:
		st.closed = false
	}
}

// evalAudience evaluates a campaign's audience rule once per decision.
func (e *engine) evalAudience(ci int, st *campaignState) {
	pc := &e.snap.campaigns[ci]
	st.audienceDone = true
	switch {
	case pc.audienceErr != nil:
		st.audience = pc.audienceWhy
	case pc.audience.Always():
		return
	default:
		ok, err := e.activation().Eval(pc.audience, pc.vars)
		switch {
		case err != nil:
			st.audience = Why{Step: StepEligibility, Reason: ReasonRuleError, Words: "The campaign's audience rule could not be evaluated: " + err.Error()}
		case !ok:
			st.audience = why(StepEligibility, ReasonAudienceRule)
		default:
			return
		}
	}
	st.outside = true
}

// activation builds the rule variables once per decision, on first need.
func (e *engine) activation() *rules.Activation {
	if e.act == nil {
		var p profiles.Profile
		if e.in.Profile != nil {
			p = *e.in.Profile
		}
		facts := rules.ContactFacts{Channel: e.c.Channel, Queue: e.c.Queue, Intent: e.c.Intent, Language: e.c.Language, At: e.in.Now}
		e.act = rules.NewActivation(rules.VarsFrom(p, facts, e.in.Now))
	}
	return e.act
}
