package decide

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/profiles"
)

// bytesource turns fuzz input into choices; past its end every choice is 0.
type bytesource struct {
	b []byte
	i int
}

func (s *bytesource) byte() byte {
	if s.i >= len(s.b) {
		return 0
	}
	s.i++
	return s.b[s.i-1]
}

func (s *bytesource) pick(options ...string) string { return options[int(s.byte())%len(options)] }

func (s *bytesource) bool() bool { return s.byte()&1 == 1 }

func (s *bytesource) float() float64 {
	switch b := s.byte(); b {
	case 255:
		return math.NaN()
	case 254:
		return math.Inf(1)
	case 253:
		return -1
	default:
		return float64(b) / 50
	}
}

func (s *bytesource) ago() time.Duration {
	return time.Duration(int(s.byte())-20) * 6 * time.Hour // some in the future
}

var (
	fuzzChannels   = []string{"VOICE", "VOICE", "VOICE", "voice", "CHAT", "CHAT", "TASK", "EMAIL", "", "Vo\u0130ce"}
	fuzzIntents    = []string{"", "", "", "high_bill", "high_bill", "move", "move", "complaint", "cancel", "HIGH_BILL", "new_account", "new_account", "\xff"}
	fuzzSentiments = []string{"", "", "", "NEGATIVE", "positive", "positive", "neutral", "neutral", "MIXED", "bad"}
	fuzzRules      = []string{"", "", "", "", "", "", "true", "true", "false", `"broadband" in profile.segments`, `profile.life_event_days["move"] < 30`,
		`contact.intent == "move"`, `campaign.id == "c-1"`, `profile.tenure_months >= 12`, `voice.last_survey_score >= 4`, `nonsense ==`}
	fuzzStatuses = []catalog.OfferStatus{catalog.OfferActive, catalog.OfferActive, catalog.OfferActive, catalog.OfferActive, catalog.OfferActive, catalog.OfferActive, catalog.OfferActive, catalog.OfferPaused, "", "weird"}
	fuzzCampaign = []catalog.CampaignStatus{catalog.CampaignLive, catalog.CampaignLive, catalog.CampaignLive, catalog.CampaignLive, catalog.CampaignHeld, catalog.CampaignPlanned, ""}
	fuzzOutcomes = []string{"", OutcomeAccepted, OutcomeDeclined, OutcomeLater, "x"}
)

// fuzzCase builds a whole decision input, catalog and policy from bytes.
func fuzzCase(data []byte) (Input, *Snapshot, Policy) {
	s := &bytesource{b: data}
	c := Contact{
		ContactID: s.pick("contact-1", "contact-1", "contact-2", "", "c\x00"), Channel: s.pick(fuzzChannels...), Queue: s.pick("billing", ""),
		Intent: s.pick(fuzzIntents...), Sentiment: s.pick(fuzzSentiments...),
		SelfServiceFailed: s.byte() == 7, Complaint: s.byte() == 7, Cancellation: s.byte() == 7, RepeatContact: s.byte() == 7,
	}
	in := Input{Now: now.Add(time.Duration(s.byte()) * time.Hour), Contact: c, Suppressed: s.byte() == 7}
	if s.bool() {
		p := customer()
		p.ID = s.pick("prof-1", "", "prof-2")
		if s.bool() {
			p.Consent = nil
		} else {
			p.Consent[s.pick("voice", "chat", "all")] = profiles.Consent{Status: s.pick(profiles.ConsentOptIn, profiles.ConsentOptOut, "")}
		}
		p.LastSentiment, p.LastSentimentAt = s.pick(fuzzSentiments...), now.Add(-4*s.ago())
		for range int(s.byte() % 4) {
			p.LifeEvents = append(p.LifeEvents, profiles.LifeEvent{Kind: s.pick("move", "new_baby", ""), At: now.Add(-s.ago()), ExpiresAt: now.Add(s.ago())})
		}
		for range int(s.byte() % 3) {
			p.RecentContacts = append(p.RecentContacts, profiles.ContactSummary{ContactID: s.pick("old", "contact-1"), At: now.Add(-s.ago()),
				Issue: s.pick(fuzzIntents...), Sentiment: s.pick(fuzzSentiments...)})
			p.RecentContacts[len(p.RecentContacts)-1].At = now.Add(-8 * s.ago())
		}
		for i := range int(s.byte() % 70) {
			p.RecentOffers = append(p.RecentOffers, profiles.Exposure{DecisionID: strconv.Itoa(i), OfferID: s.pick("o-0", "o-1", "o-2", "o-3", ""),
				At: now.Add(-s.ago()), Holdout: s.bool(), Outcome: s.pick(fuzzOutcomes...), OutcomeAt: now.Add(-s.ago())})
		}
		p.Voice.LastSurveyScore, p.Voice.LastSurveyAt = int(s.byte()%7)-1, now.Add(-8*s.ago())
		if s.byte() < 40 {
			p.Voice.ComplaintOpenedAt = now.Add(-s.ago())
		}
		if s.bool() {
			p = nil
		}
		in.Profile = p
	}
	var campaigns []catalog.Campaign
	for i := range int(s.byte()%4) + 1 {
		campaigns = append(campaigns, campaign("c-"+strconv.Itoa(i), func(c *catalog.Campaign) {
			c.Status = fuzzCampaign[int(s.byte())%len(fuzzCampaign)]
			c.HoldoutShare = s.float() / 4
			c.Audience = s.pick(fuzzRules...)
			c.LaunchAt, c.EndAt = now.Add(-s.ago()-20*day), now.Add(s.ago()+20*day)
			c.Deleted = s.byte() == 7
		}))
	}
	var offers []catalog.Offer
	for range int(s.byte()%8) + 1 {
		offers = append(offers, offer("o-"+strconv.Itoa(int(s.byte()%5)), "c-"+strconv.Itoa(int(s.byte())%(len(campaigns)+1)), func(o *catalog.Offer) {
			o.Status = fuzzStatuses[int(s.byte())%len(fuzzStatuses)]
			if s.byte() < 64 {
				o.Channels = []string{s.pick("voice", "chat", "task", "")}
			}
			o.ValidFrom = now.Add(-s.ago() - 10*day)
			if s.bool() {
				o.ValidTo = now.Add(s.ago() + 10*day)
			}
			o.Value = catalog.Money{Amount: s.pick("10", "10", "0", "19.99", "19.99", "x", "", "1e300"), Currency: s.pick("EUR", "EUR", "JPY", "")}
			o.BusinessLever, o.PriorityWeight = s.float(), s.float()
			o.Eligibility = s.pick(fuzzRules...)
			o.Intents = []string{s.pick(fuzzIntents...)}
			o.LifeEvents = []string{s.pick("move", "new_baby", "")}
			o.Caps.PerCustomer = catalog.PerCustomerCap{Max: int(s.byte()%4) - 1, WindowDays: int(s.byte()%40) - 1}
			o.SuppressionDaysAfterDecline = int(s.byte()%60) - 1
			o.Content.WhyItFits = s.pick("", "{intent} {lifeEvent} {valueTier} {tenureMonths} {product} {segment} {campaign} {offer}", "{", "{nope}")
			for j := range int(s.byte() % 4) {
				o.Content.Variants = append(o.Content.Variants, catalog.Variant{ID: "v" + strconv.Itoa(j), Weight: s.float()})
			}
		}))
	}
	if s.bool() {
		in.Held = map[string]string{"c-" + strconv.Itoa(int(s.byte()%4)): s.pick("busy", "")}
	}
	if s.bool() {
		in.Exhausted = map[string]bool{"o-" + strconv.Itoa(int(s.byte()%5)): true}
	}
	in.Propensity = map[string]catalog.OfferCounts{"o-1": {Shown: int64(s.byte()) - 10, Accepted: int64(s.byte()) - 10}}
	pol := Policy{
		MaxOffersPerWindow: int(s.byte()%5) - 1, FrequencyWindowDays: int(s.byte()%60) - 1, RequireOptIn: s.byte() == 7,
		IntentBoost: s.float(), LifeEventBoost: s.float(), PriorAcceptance: s.float(), PriorStrength: s.float(),
		RecentNegativeHours: int(s.byte()) - 1, LowSurveyScore: int(s.byte()%6) - 1,
	}
	snap := NewSnapshot(offers, campaigns)
	if s.byte() == 7 {
		snap = nil
	}
	return in, snap, pol
}

// checkDecision asserts what holds for every decision, whatever the input.
func checkDecision(t *testing.T, d Decision, snap *Snapshot) {
	t.Helper()
	if len(d.Explain().Offers) != snap.Offers() {
		t.Fatalf("%d offers explained of %d", len(d.Explain().Offers), snap.Offers())
	}
	if d.Why.Reason == ReasonNone || d.Why.Words == "" || d.Why.Step == "" {
		t.Fatalf("decision without a why: %+v", d.Why)
	}
	for _, o := range d.Explain().Offers {
		if (o.Why == Why{}) == (o.Score == nil) && o.Why.Reason != ReasonGlobalCap {
			t.Fatalf("offer %s has why %+v and score %v: want exactly one", o.OfferID, o.Why, o.Score)
		}
	}
	ranked := d.Ranked()
	for i := range ranked {
		if ranked[i].Rank != i+1 || ranked[i].Offer == nil || ranked[i].Offer.ID != ranked[i].OfferID {
			t.Fatalf("ranked[%d] = %+v", i, ranked[i])
		}
		if i > 0 && ranked[i].Priority > ranked[i-1].Priority {
			t.Fatalf("ranked out of order at %d", i)
		}
	}
	if d.Explain().Eligible != len(d.Ranked()) {
		t.Fatalf("eligible %d, ranked %d", d.Explain().Eligible, len(d.Ranked()))
	}
	switch w, ok := d.Winner(); {
	case !ok:
		if d.OfferID != "" || d.Holdout || d.Offered() {
			t.Fatalf("no winner but offer %q holdout %v", d.OfferID, d.Holdout)
		}
	default:
		if w.OfferID != d.OfferID || w.Holdout != d.Holdout || d.Offer() != w.Offer || w.Offer == nil {
			t.Fatalf("winner %+v, decision offer %q holdout %v", w, d.OfferID, d.Holdout)
		}
		if d.Holdout && d.Why.Reason != ReasonHoldout {
			t.Fatalf("holdout with why %+v", d.Why)
		}
	}
	if _, err := json.Marshal(d); err != nil {
		t.Fatalf("decision does not marshal: %v", err)
	}
}

func FuzzDecide(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("a realistic enough seed with several offers and campaigns in it"))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1, 0, 0, 0, 0, 0, 0, 7, 1, 1, 1, 1, 1, 1, 1, 1})
	f.Add([]byte{255, 254, 253, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 255, 255, 255, 255, 254, 254, 254})
	f.Fuzz(func(t *testing.T, data []byte) {
		in, snap, pol := fuzzCase(data)
		d := Decide(in, snap, pol)
		checkDecision(t, d, snap)
		for d.Offered() && d.CapReached() {
			checkDecision(t, d, snap)
		}
		checkDecision(t, d, snap)
	})
}

// TestRandomContexts runs the fuzz generator over a fixed stream of random
// inputs on every test run, and checks that it reaches every outcome (so
// the fuzz target is not stopped at the first gate every time).
func TestRandomContexts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	outcomes := map[string]int{}
	for range 3000 {
		data := make([]byte, 40+r.IntN(400))
		for i := range data {
			data[i] = byte(r.UintN(256))
		}
		in, snap, pol := fuzzCase(data)
		d := Decide(in, snap, pol)
		checkDecision(t, d, snap)
		switch {
		case d.Offered():
			outcomes["offered"]++
		case d.Holdout:
			outcomes["holdout"]++
		default:
			outcomes[string(d.Why.Step)]++
		}
	}
	for _, k := range []string{"offered", "holdout", "consent", "empathy", "channel", "eligibility"} {
		if outcomes[k] == 0 {
			t.Errorf("no random decision ended in %q: %v", k, outcomes)
		}
	}
	t.Logf("outcomes: %v", outcomes)
}
