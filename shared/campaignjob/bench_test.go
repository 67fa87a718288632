package campaignjob

import (
	"fmt"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/decide"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/rules"
)

// BenchmarkWhatIfPerCustomer is the what-if's own cost per customer (audience
// rule, the real engine, cap reservation, counting) over a catalog of 3
// campaigns and 12 offers, without the Scan. With it, a base of a million
// customers is this many seconds of CPU over as many chunks as it needs.
func BenchmarkWhatIfPerCustomer(b *testing.B) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var campaigns []catalog.Campaign
	var offers []catalog.Offer
	for ci, audience := range []string{`"families" in profile.segments`, `profile.value_tier == "gold"`, ``} {
		c := catalog.Campaign{ID: fmt.Sprintf("c%d", ci), Status: catalog.CampaignLive}
		c.LaunchAt, c.EndAt, c.Audience, c.HoldoutShare = now.Add(-time.Hour), now.Add(time.Hour), audience, 0.1
		campaigns = append(campaigns, c)
		for oi := range 4 {
			o := catalog.Offer{ID: fmt.Sprintf("c%d-o%d", ci, oi), Status: catalog.OfferActive}
			o.CampaignID, o.Channels, o.ValidFrom = c.ID, []string{"voice"}, now.Add(-time.Hour)
			o.Value, o.BusinessLever, o.PriorityWeight = catalog.Money{Amount: "10.00", Currency: "USD"}, float64(oi+1), 1
			if oi == 3 {
				o.Eligibility = `profile.tenure_months >= 12`
			}
			offers = append(offers, o)
		}
	}
	ev := &evaluator{campaign: campaigns[0], snap: decide.NewSnapshot(offers, campaigns), policy: decide.DefaultPolicy(), at: now,
		contact: WhatIfContact{Channel: "voice"}, exhausted: map[string]bool{}, capUsed: map[string]int64{}}
	ev.audience, ev.audErr = rules.Compiled(campaigns[0].Audience)
	base := make([]profiles.Profile, 1000)
	for i := range base {
		base[i] = profiles.Profile{ID: fmt.Sprintf("p%d", i), Segments: []string{[]string{"families", "students"}[i%2]},
			ValueTier: []string{"gold", "silver"}[i%2], CustomerSince: now.AddDate(0, -i%48, 0)}
	}
	var r WhatIfResult
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		ev.evaluate(&base[i%len(base)], &r)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "customers/s")
}
