package decide

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/profiles"
)

// threeOffers is a catalog where every offer fits a gold broadband customer.
func threeOffers() *Snapshot {
	return NewSnapshot(
		[]catalog.Offer{
			offer("o-a", "c-1", withValue("30.00")),
			offer("o-b", "c-1", withValue("20.00")),
			offer("o-c", "c-2", withValue("10.00")),
		},
		[]catalog.Campaign{campaign("c-1"), campaign("c-2")},
	)
}

func TestConsentAndErasureSuppressBeforeRanking(t *testing.T) {
	cases := []struct {
		name string
		in   Input
		want Reason
	}{
		{"opted out", input(customer(func(p *profiles.Profile) {
			p.Consent["voice"] = profiles.Consent{Status: profiles.ConsentOptOut}
		}), voiceCall()), ReasonOptedOut},
		{"erased", func() Input { in := input(customer(), voiceCall()); in.Suppressed = true; return in }(), ReasonSuppressed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.in, threeOffers(), Policy{})
			if d.OfferID != "" || d.Holdout || len(d.Ranked()) != 0 || d.Explain().Eligible != 0 {
				t.Fatalf("offer %q holdout %v ranked %d: want nothing ranked", d.OfferID, d.Holdout, len(d.Ranked()))
			}
			for _, o := range d.Explain().Offers {
				if o.Why.Reason != tc.want || o.Score != nil || o.Rank != 0 {
					t.Fatalf("offer %s: %+v, want dropped for %q without a score", o.OfferID, o, tc.want)
				}
			}
		})
	}
}

func TestHeldCampaignOffersAreNotMade(t *testing.T) {
	t.Run("one campaign held, the other still offers", func(t *testing.T) {
		in := input(customer(), voiceCall())
		in.Held = map[string]string{"c-1": "Billing queue: ASA 95 s is above 60 s"}
		d := Decide(in, threeOffers(), Policy{})
		if d.OfferID != "o-c" {
			t.Fatalf("winner = %q, want o-c, the only offer of the campaign not held", d.OfferID)
		}
		for _, o := range d.Explain().Offers[:2] {
			if o.Why.Step != StepLoad || o.Why.Reason != ReasonLoadHeld || o.Why.Words != "Billing queue: ASA 95 s is above 60 s" {
				t.Fatalf("offer %s: %+v, want held by load with the load reason", o.OfferID, o.Why)
			}
		}
		if g := d.Explain().Gates[2]; !g.Passed {
			t.Fatalf("load gate %+v stopped everything with one campaign still open", g)
		}
	})
	t.Run("every campaign held stops everything", func(t *testing.T) {
		in := input(customer(), voiceCall())
		in.Held = map[string]string{"c-1": "busy", "c-2": ""}
		d := Decide(in, threeOffers(), Policy{})
		if d.OfferID != "" || d.Why.Step != StepLoad || d.Why.Reason != ReasonLoadHeld {
			t.Fatalf("decision %q why %+v, want stopped by load", d.OfferID, d.Why)
		}
		if d.Why.Words != "Queues are busy: keep the contact short, no offer." {
			t.Fatalf("agent reads %q", d.Why.Words)
		}
	})
	t.Run("campaigns the load watcher moved to held say so", func(t *testing.T) {
		snap := threeOffers()
		for _, id := range []string{"c-1", "c-2"} {
			snap.Campaign(id).Status = catalog.CampaignHeld
		}
		in := input(customer(), voiceCall())
		in.Held = map[string]string{"c-1": "held: queue Billing ASA 95 s > 60 s", "c-2": ""}
		d := Decide(in, snap, Policy{})
		if d.OfferID != "" || d.Why.Reason != ReasonLoadHeld {
			t.Fatalf("decision %q why %+v, want stopped by load", d.OfferID, d.Why)
		}
	})
	t.Run("one campaign held by a person and the other by load stop everything", func(t *testing.T) {
		snap := threeOffers()
		snap.Campaign("c-1").Status = catalog.CampaignHeld
		in := input(customer(), voiceCall())
		in.Held = map[string]string{"c-2": "busy"}
		d := Decide(in, snap, Policy{})
		if d.OfferID != "" || d.Why.Reason != ReasonLoadHeld {
			t.Fatalf("decision %q why %+v, want the load gate", d.OfferID, d.Why)
		}
	})
	t.Run("a campaign a person held is not blamed on load", func(t *testing.T) {
		snap := threeOffers()
		snap.Campaign("c-1").Status = catalog.CampaignHeld
		d := Decide(input(customer(), voiceCall()), snap, Policy{})
		if got := d.Explain().Offers[0].Why.Reason; got != ReasonCampaignHeld {
			t.Fatalf("offer of the campaign a person held: %q, want %q", got, ReasonCampaignHeld)
		}
	})
}

func TestEligibility(t *testing.T) {
	cases := []struct {
		name     string
		offer    func(*catalog.Offer)
		campaign func(*catalog.Campaign)
		contact  func(*Contact)
		want     Why
	}{
		{"an active offer in a live campaign is made", nil, nil, nil, Why{}},
		{"a paused offer is not", func(o *catalog.Offer) { o.Status = catalog.OfferPaused }, nil, nil, why(StepEligibility, ReasonOfferInactive)},
		{"an offer before its start is not", func(o *catalog.Offer) { o.ValidFrom = now.Add(day) }, nil, nil, why(StepEligibility, ReasonOfferNotStarted)},
		{"an offer past its end is not", func(o *catalog.Offer) { o.ValidTo = now }, nil, nil, why(StepEligibility, ReasonOfferEnded)},
		{"an offer of an unknown campaign is not", func(o *catalog.Offer) { o.CampaignID = "gone" }, nil, nil, why(StepEligibility, ReasonCampaignMissing)},
		{"a planned campaign's offer is not", nil, func(c *catalog.Campaign) { c.Status = catalog.CampaignPlanned }, nil, why(StepEligibility, ReasonCampaignNotLive)},
		{"a held campaign's offer is not", nil, func(c *catalog.Campaign) { c.Status = catalog.CampaignHeld }, nil, why(StepEligibility, ReasonCampaignHeld)},
		{"a campaign before launch", nil, func(c *catalog.Campaign) { c.LaunchAt = now.Add(day) }, nil, why(StepEligibility, ReasonCampaignNotStarted)},
		{"a campaign past its end", nil, func(c *catalog.Campaign) { c.EndAt = now }, nil, why(StepEligibility, ReasonCampaignEnded)},
		{"a voice-only offer is not made in chat", func(o *catalog.Offer) { o.Channels = []string{"voice"} }, nil, func(c *Contact) { c.Channel = "CHAT" }, why(StepEligibility, ReasonOfferChannel)},
		{"the audience rule excludes the customer", nil, func(c *catalog.Campaign) { c.Audience = `profile.value_tier == "platinum"` }, nil, why(StepEligibility, ReasonAudienceRule)},
		{"the audience rule includes the customer", nil, func(c *catalog.Campaign) { c.Audience = `"broadband" in profile.segments` }, nil, Why{}},
		{"the offer rule excludes the customer", withRule(`profile.tenure_months < 12`), nil, nil, why(StepEligibility, ReasonOfferRule)},
		{"the offer rule reads the contact", withRule(`contact.intent == "move" && contact.channel == "voice"`), nil, func(c *Contact) { c.Intent = "move" }, Why{}},
		{"the offer rule reads the campaign", withRule(`campaign.id == "c-1"`), nil, nil, Why{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := offer("o-1", "c-1")
			if tc.offer != nil {
				tc.offer(&o)
			}
			c := campaign("c-1")
			if tc.campaign != nil {
				tc.campaign(&c)
			}
			ct := voiceCall()
			if tc.contact != nil {
				tc.contact(&ct)
			}
			d := Decide(input(customer(), ct), NewSnapshot([]catalog.Offer{o}, []catalog.Campaign{c}), Policy{})
			if got := d.Explain().Offers[0].Why; got != tc.want {
				t.Fatalf("offer verdict = %+v, want %+v", got, tc.want)
			}
			if (tc.want == Why{}) != d.Offered() {
				t.Fatalf("offered = %v, why %+v", d.Offered(), d.Why)
			}
			if (tc.want != Why{}) && (d.Why.Reason != ReasonNoEligibleOffer || d.Why.Words != "No offer fits this customer right now: no offer.") {
				t.Fatalf("decision why = %+v, want no eligible offer", d.Why)
			}
		})
	}
}

func TestRuleErrorsDropTheOfferWithTheError(t *testing.T) {
	cases := []struct {
		name     string
		offer    func(*catalog.Offer)
		campaign func(*catalog.Campaign)
		words    string
	}{
		{"missing map key at run time", withRule(`profile.life_event_days["move"] < 30`), nil, "The offer's eligibility rule could not be evaluated: "},
		{"offer rule that does not compile", withRule(`profile.nope == 1`), nil, "The offer's eligibility rule does not compile: "},
		{"audience rule that does not compile", nil, func(c *catalog.Campaign) { c.Audience = `1 +` }, "The campaign's audience rule does not compile: "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := offer("o-1", "c-1")
			if tc.offer != nil {
				tc.offer(&o)
			}
			c := campaign("c-1")
			if tc.campaign != nil {
				tc.campaign(&c)
			}
			d := Decide(input(customer(), voiceCall()), NewSnapshot([]catalog.Offer{o}, []catalog.Campaign{c}), Policy{})
			w := d.Explain().Offers[0].Why
			if w.Reason != ReasonRuleError || !strings.HasPrefix(w.Words, tc.words) || len(w.Words) == len(tc.words) {
				t.Fatalf("verdict = %+v, want rule_error starting %q with the error", w, tc.words)
			}
			if d.Offered() {
				t.Fatal("an offer with a broken rule was made")
			}
		})
	}
}

func TestAudienceIsEvaluatedOncePerCampaign(t *testing.T) {
	// Five offers share a campaign whose audience fails at run time: every
	// offer carries the same verdict, and the verdict comes from one run.
	offers := make([]catalog.Offer, 5)
	for i := range offers {
		offers[i] = offer("o-"+string(rune('a'+i)), "c-1")
	}
	c := campaign("c-1", func(c *catalog.Campaign) { c.Audience = `profile.life_event_days["move"] < 30` })
	snap := NewSnapshot(offers, []catalog.Campaign{c})
	e := engine{in: Input{Now: now, Profile: customer()}, c: Contact{Channel: "voice"}, snap: snap, pol: DefaultPolicy()}
	first, dropped := e.check(&snap.offers[0])
	if !dropped || first.Reason != ReasonRuleError {
		t.Fatalf("audience verdict %+v", first)
	}
	e.act = nil // a second evaluation would need the activation again
	for i := range snap.offers {
		if got, _ := e.check(&snap.offers[i]); got != first || e.act != nil {
			t.Fatalf("offer %d: %+v, activation rebuilt %v", i, got, e.act != nil)
		}
	}
}

func TestExhaustedOffersAreSkipped(t *testing.T) {
	in := input(customer(), voiceCall())
	in.Exhausted = map[string]bool{"o-a": true}
	d := Decide(in, threeOffers(), Policy{})
	if d.OfferID != "o-b" {
		t.Fatalf("winner = %q, want o-b after the exhausted o-a", d.OfferID)
	}
	if w := d.Explain().Offers[0].Why; w.Step != StepCap || w.Reason != ReasonGlobalCap {
		t.Fatalf("o-a verdict %+v, want global cap", w)
	}
}

func TestCapReachedFallsBackToTheNextOffer(t *testing.T) {
	d := Decide(input(customer(), voiceCall()), threeOffers(), Policy{})
	var tried []string
	for d.Offered() {
		tried = append(tried, d.OfferID)
		if !d.CapReached() {
			break
		}
	}
	if want := []string{"o-a", "o-b", "o-c"}; !slices.Equal(tried, want) {
		t.Fatalf("tried %v, want %v", tried, want)
	}
	if d.OfferID != "" || d.Offered() || d.Why.Reason != ReasonNoEligibleOffer || d.Why.Step != StepCap {
		t.Fatalf("after every cap: offer %q why %+v", d.OfferID, d.Why)
	}
	for _, o := range d.Explain().Offers {
		if o.Why.Reason != ReasonGlobalCap || o.Score == nil {
			t.Fatalf("offer %s: %+v, want cap reason and its score kept", o.OfferID, o)
		}
	}
}

func TestNoOffersAndOddInput(t *testing.T) {
	cases := []struct {
		name string
		in   Input
		snap *Snapshot
		want Reason
	}{
		{"no catalog loaded", input(customer(), voiceCall()), nil, ReasonCatalogNotLoaded},
		{"empty catalog", input(customer(), voiceCall()), NewSnapshot(nil, nil), ReasonNoOffers},
		{"no customer and no contact id", input(nil, Contact{Channel: "voice"}), threeOffers(), ReasonSubjectMissing},
		{"zero input", Input{}, threeOffers(), ReasonSubjectMissing},
		{"zero input and no catalog", Input{}, nil, ReasonCatalogNotLoaded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.in, tc.snap, Policy{})
			if d.Offered() || d.Why.Reason != tc.want || d.Why.Words == "" {
				t.Fatalf("decision %q why %+v, want no offer for %q", d.OfferID, d.Why, tc.want)
			}
			if _, err := json.Marshal(d); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDecisionJSON(t *testing.T) {
	c := voiceCall()
	c.Intent = "high_bill"
	snap := NewSnapshot(
		[]catalog.Offer{offer("o-a", "c-1", withIntents("high_bill")), offer("o-b", "c-1", withRule("false"))},
		[]catalog.Campaign{campaign("c-1")},
	)
	d := Decide(input(customer(), c), snap, Policy{})
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"subject", "anonymous", "offerId", "campaignId", "holdout", "why", "ranked", "explanation"} {
		if _, ok := m[k]; !ok {
			t.Errorf("key %q missing from %s", k, b)
		}
	}
	ex := m["explanation"].(map[string]any)
	offers := ex["offers"].([]any)
	won, dropped := offers[0].(map[string]any), offers[1].(map[string]any)
	score := won["score"].(map[string]any)
	for _, k := range []string{"propensity", "contextWeight", "intentMatch", "value", "businessLever", "priorityWeight", "priority"} {
		if _, ok := score[k]; !ok {
			t.Errorf("score key %q missing: %v", k, score)
		}
	}
	if _, ok := won["why"]; ok {
		t.Errorf("ranked offer carries a why: %v", won)
	}
	if w := dropped["why"].(map[string]any); w["reason"] != "offer_rule" || w["step"] != "eligibility" || w["words"] == "" {
		t.Errorf("dropped offer why = %v", w)
	}
	if _, ok := dropped["score"]; ok {
		t.Errorf("dropped offer has a score: %v", dropped)
	}
	checkCamelCase(t, "", m)
}

// checkCamelCase walks decoded JSON and fails on any key that is not
// camelCase.
func checkCamelCase(t *testing.T, path string, v any) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k == "" || k[0] < 'a' || k[0] > 'z' || strings.ContainsAny(k, "_- ") {
				t.Errorf("key %q at %q is not camelCase", k, path)
			}
			checkCamelCase(t, path+"."+k, x)
		}
	case []any:
		for _, x := range v {
			checkCamelCase(t, path+"[]", x)
		}
	}
}

func TestDecideIsDeterministic(t *testing.T) {
	in := input(customer(), voiceCall())
	in.Propensity = map[string]catalog.OfferCounts{"o-a": {Shown: 100, Accepted: 5}, "o-b": {Shown: 100, Accepted: 30}}
	first, _ := json.Marshal(Decide(in, threeOffers(), Policy{}))
	for range 20 {
		again, _ := json.Marshal(Decide(in, threeOffers(), Policy{}))
		if string(again) != string(first) {
			t.Fatalf("decision changed:\n%s\n%s", first, again)
		}
	}
}

func TestPolicyDefaults(t *testing.T) {
	p := DefaultPolicy()
	if p.MaxOffersPerWindow != 3 || p.FrequencyWindowDays != 30 || p.RecentNegativeHours != 24 || p.RepeatContactDays != 7 ||
		p.LowSurveyScore != 2 || p.IntentBoost != 2 || p.LifeEventBoost != 1.5 || p.PriorAcceptance != 0.1 || p.PriorStrength != 20 {
		t.Fatalf("defaults = %+v", p)
	}
	odd := Policy{IntentBoost: 0.5, LifeEventBoost: math.NaN(), PriorAcceptance: 2, PriorStrength: math.Inf(1)}.withDefaults()
	if odd.IntentBoost != 1 || odd.LifeEventBoost != 1.5 || odd.PriorAcceptance != 0.1 || odd.PriorStrength != 20 {
		t.Fatalf("repaired = %+v", odd)
	}
}

func TestSnapshotIsSharedSafelyBetweenDecisions(t *testing.T) {
	snap := benchCatalog(200)
	in := benchInput(snap)
	want, _ := json.Marshal(Decide(in, snap, Policy{}))
	done := make(chan string, 8)
	for g := range 8 {
		go func() {
			local := in
			local.Contact.ContactID = "contact-" + strings.Repeat("x", g)
			for range 20 {
				got, err := json.Marshal(Decide(in, snap, Policy{}))
				if err != nil || string(got) != string(want) {
					done <- "decision changed under concurrency"
					return
				}
				Decide(local, snap, Policy{})
			}
			done <- ""
		}()
	}
	for range 8 {
		if msg := <-done; msg != "" {
			t.Fatal(msg)
		}
	}
}
