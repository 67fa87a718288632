package decide

import (
	"fmt"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/profiles"
)

// benchCatalog builds a realistic catalog of n offers over up to 20
// campaigns: most campaigns have an audience rule, about two thirds of the
// offers an eligibility rule (mostly distinct sources, as marketers write
// them with their own thresholds), a mix of channels, intents, life events,
// caps and A/B variants.
func benchCatalog(n int) *Snapshot {
	nc := min(20, n)
	audiences := []string{
		`"broadband" in profile.segments`,
		`profile.tenure_months >= 6`,
		`profile.value_tier in ["gold", "platinum"]`,
		``,
		`contact.channel == "voice" || contact.channel == "chat"`,
		`!("mobile_only" in profile.segments) && profile.contact_count < 50`,
	}
	campaigns := make([]catalog.Campaign, nc)
	for i := range campaigns {
		campaigns[i] = campaign(fmt.Sprintf("cmp-%02d", i), func(c *catalog.Campaign) {
			c.Audience = audiences[i%len(audiences)]
			c.HoldoutShare = 0.1
		})
	}
	products := []string{"broadband_100", "mobile", "tv", "landline"}
	intents := []string{"high_bill", "move", "new_account", "upgrade"}
	offers := make([]catalog.Offer, n)
	for i := range offers {
		rule := ""
		switch i % 6 {
		case 0:
			rule = fmt.Sprintf(`profile.tenure_months >= %d && %q in profile.products`, i%36, products[i%len(products)])
		case 1:
			rule = fmt.Sprintf(`"move" in profile.life_events && profile.life_event_days["move"] <= %d`, 30+i%90)
		case 2:
			rule = fmt.Sprintf(`contact.intent == %q || profile.value_tier == "platinum"`, intents[i%len(intents)])
		case 3:
			rule = fmt.Sprintf(`voice.last_survey_score >= %d || profile.contact_count < %d`, 1+i%5, 5+i%20)
		}
		offers[i] = offer(fmt.Sprintf("off-%04d", i), campaigns[i%nc].ID, func(o *catalog.Offer) {
			o.Eligibility = rule
			o.Value.Amount = fmt.Sprintf("%d.%02d", 5+i%95, i%100)
			o.BusinessLever = 0.5 + float64(i%4)*0.25
			switch i % 5 {
			case 0:
				o.Channels = []string{profiles.ChannelVoice}
			case 1:
				o.Channels = []string{profiles.ChannelChat}
			}
			if i%3 == 0 {
				o.Intents = []string{intents[i%len(intents)]}
			}
			if i%7 == 0 {
				o.LifeEvents = []string{"move"}
			}
			o.Caps = catalog.Caps{Global: 1000, PerCustomer: catalog.PerCustomerCap{Max: 2, WindowDays: 30}}
			o.SuppressionDaysAfterDecline = 30
			o.Content.WhyItFits = "You mentioned {intent}; as a {valueTier} customer this fits."
			if i%4 == 0 {
				o.Content.Variants = []catalog.Variant{{ID: "warm", Script: "Warm", Weight: 1}, {ID: "direct", Script: "Direct", Weight: 1}}
			}
		})
	}
	return NewSnapshot(offers, campaigns)
}

// benchInput is a known, consenting, calm customer calling about a high
// bill, with a realistic history, and one campaign held by load.
func benchInput(snap *Snapshot) Input {
	p := customer(func(p *profiles.Profile) {
		p.ID = "prof-8f2c1a"
		p.Segments = []string{"broadband", "young_family", "urban"}
		p.Products = []string{"broadband_100", "mobile", "tv", "landline"}
		p.Consent["voice"] = profiles.Consent{Status: profiles.ConsentOptIn}
		p.LifeEvents = []profiles.LifeEvent{{Kind: "move", At: now.Add(-20 * day)}, {Kind: "new_baby", At: now.Add(-200 * day), ExpiresAt: now.Add(-20 * day)}}
		for i := range 10 {
			p.RecentContacts = append(p.RecentContacts, profiles.ContactSummary{ContactID: fmt.Sprintf("old-%d", i),
				At: now.Add(-time.Duration(10+i*5) * day), Issue: "technical", Sentiment: "neutral", Resolved: true})
		}
		for i := range 20 {
			outcome := []string{OutcomeDeclined, OutcomeAccepted, OutcomeLater, ""}[i%4]
			e := exposure(fmt.Sprintf("off-%04d", (i*37)%max(snap.Offers(), 1)), time.Duration(3+i*6)*day, outcome)
			e.Holdout = i < 4 // the recent ones were held out, so the frequency cap leaves room
			p.RecentOffers = append(p.RecentOffers, e)
		}
		p.Voice.LastSurveyScore, p.Voice.LastSurveyAt = 4, now.Add(-40*day)
		p.ContactCount = 12
	})
	c := Contact{ContactID: "6b1f0e1c-2d2b-4a8e-9f3c-7c0d5a1e2b3f", Channel: "VOICE", Queue: "billing", Intent: "high_bill", Language: "en-US", Sentiment: "NEUTRAL"}
	in := input(p, c)
	in.Held = map[string]string{"cmp-03": "Billing queue: service level 0.62 is below 0.80"}
	in.Propensity = make(map[string]catalog.OfferCounts, snap.Offers())
	for i := range snap.Offers() {
		in.Propensity[fmt.Sprintf("off-%04d", i)] = catalog.OfferCounts{Shown: int64(50 + i%400), Accepted: int64(i % 40)}
	}
	return in
}

func BenchmarkDecide(b *testing.B) {
	for _, n := range []int{10, 100, 2500} {
		snap := benchCatalog(n)
		in := benchInput(snap)
		if d := Decide(in, snap, Policy{}); d.OfferID == "" {
			b.Fatalf("%d offers: no winner: %+v", n, d.Why)
		}
		b.Run(fmt.Sprintf("offers=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				Decide(in, snap, Policy{})
			}
			reportCPU(b, cpu)
		})
	}
	// The floor: an upset caller is stopped at the empathy gate.
	snap := benchCatalog(2500)
	in := benchInput(snap)
	in.Contact.Sentiment = "NEGATIVE"
	b.Run("offers=2500/upset", func(b *testing.B) {
		b.ReportAllocs()
		cpu := processCPU()
		for b.Loop() {
			Decide(in, snap, Policy{})
		}
		reportCPU(b, cpu)
	})
}

// reportCPU adds cpu-ns/op: the process's CPU time per decision, garbage
// collection included. On a busy machine it is steadier than ns/op.
func reportCPU(b *testing.B, since time.Duration) {
	if used := processCPU() - since; used > 0 && b.N > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkNewSnapshot(b *testing.B) {
	snap := benchCatalog(2500) // warms the rule cache, as a running instance has
	offers := make([]catalog.Offer, 0, snap.Offers())
	for _, po := range snap.offers {
		offers = append(offers, *po.offer)
	}
	campaigns := make([]catalog.Campaign, 0, len(snap.campaigns))
	for _, pc := range snap.campaigns {
		campaigns = append(campaigns, *pc.campaign)
	}
	b.ReportAllocs()
	for b.Loop() {
		NewSnapshot(offers, campaigns)
	}
}
