package decide

import (
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/profiles"
)

func TestFrequencyCap(t *testing.T) {
	shown := func(ago ...time.Duration) []profiles.Exposure {
		var out []profiles.Exposure
		for i, a := range ago {
			e := exposure("o-old", a, "")
			e.DecisionID += string(rune('a' + i))
			out = append(out, e)
		}
		return out
	}
	cases := []struct {
		name    string
		history []profiles.Exposure
		policy  Policy
		want    Reason
	}{
		{"two offers this month leave room for a third", shown(day, 10*day), Policy{}, ReasonNone},
		{"three offers this month reach the default cap", shown(day, 10*day, 20*day), Policy{}, ReasonFrequencyCap},
		{"offers older than the window do not count", shown(day, 10*day, 40*day), Policy{}, ReasonNone},
		{"holdout decisions were never shown and do not count", func() []profiles.Exposure {
			h := shown(day, 10*day, 20*day)
			h[0].Holdout = true
			return h
		}(), Policy{}, ReasonNone},
		{"a policy of one offer a week", shown(3 * day), Policy{MaxOffersPerWindow: 1, FrequencyWindowDays: 7}, ReasonFrequencyCap},
		{"a negative cap switches the check off", shown(day, 2*day, 3*day, 4*day), Policy{MaxOffersPerWindow: -1}, ReasonNone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := customer(func(p *profiles.Profile) { p.RecentOffers = tc.history })
			d := Decide(input(p, voiceCall()), oneOffer(), tc.policy)
			if g := d.Explain().Gates[4]; g.Step != StepPolicy || g.Why.Reason != tc.want {
				t.Fatalf("frequency gate = %+v, want %q", g, tc.want)
			}
			if (tc.want == ReasonNone) != d.Offered() {
				t.Fatalf("offered = %v, why %+v", d.Offered(), d.Why)
			}
		})
	}
}

func TestOfferPolicies(t *testing.T) {
	suppress := func(days int) func(*catalog.Offer) {
		return func(o *catalog.Offer) { o.SuppressionDaysAfterDecline = days }
	}
	capped := func(max, days int) func(*catalog.Offer) {
		return func(o *catalog.Offer) { o.Caps.PerCustomer = catalog.PerCustomerCap{Max: max, WindowDays: days} }
	}
	cases := []struct {
		name    string
		offer   []func(*catalog.Offer)
		history []profiles.Exposure
		want    Reason
	}{
		{"declined last week is suppressed for 30 days", []func(*catalog.Offer){suppress(30)},
			[]profiles.Exposure{exposure("o-1", 7*day, OutcomeDeclined)}, ReasonDeclinedRecently},
		{"declined 40 days ago is offered again", []func(*catalog.Offer){suppress(30)},
			[]profiles.Exposure{exposure("o-1", 40*day, OutcomeDeclined)}, ReasonNone},
		{"no suppression days means no suppression", nil,
			[]profiles.Exposure{exposure("o-1", day, OutcomeDeclined)}, ReasonNone},
		{"declining another offer does not suppress this one", []func(*catalog.Offer){suppress(30)},
			[]profiles.Exposure{exposure("o-2", day, OutcomeDeclined)}, ReasonNone},
		{"accepted last month is not offered again", nil,
			[]profiles.Exposure{exposure("o-1", 30*day, OutcomeAccepted)}, ReasonAlreadyAccepted},
		{"said later is offered again", []func(*catalog.Offer){suppress(30)},
			[]profiles.Exposure{exposure("o-1", day, OutcomeLater)}, ReasonNone},
		{"per-customer cap of 2 in 30 days reached", []func(*catalog.Offer){capped(2, 30)},
			[]profiles.Exposure{exposure("o-1", day, ""), exposure("o-1", 20*day, OutcomeLater)}, ReasonCustomerCap},
		{"per-customer cap counts only its window", []func(*catalog.Offer){capped(2, 30)},
			[]profiles.Exposure{exposure("o-1", day, ""), exposure("o-1", 45*day, "")}, ReasonNone},
		{"per-customer cap ignores holdout decisions", []func(*catalog.Offer){capped(1, 30)},
			[]profiles.Exposure{func() profiles.Exposure { e := exposure("o-1", day, ""); e.Holdout = true; return e }()}, ReasonNone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := customer(func(p *profiles.Profile) { p.RecentOffers = tc.history })
			d := Decide(input(p, voiceCall()), oneOffer(tc.offer...), Policy{})
			w := d.Explain().Offers[0].Why
			if w.Reason != tc.want || (tc.want != ReasonNone && w.Step != StepPolicy) {
				t.Fatalf("verdict = %+v, want %q", w, tc.want)
			}
			if (tc.want == ReasonNone) != d.Offered() {
				t.Fatalf("offered = %v, why %+v", d.Offered(), d.Why)
			}
		})
	}
}

func TestHistoryFindsEachOffersExposures(t *testing.T) {
	list := []profiles.Exposure{
		exposure("b", day, ""), exposure("a", 2*day, ""), exposure("c", 3*day, ""), exposure("a", 4*day, ""), exposure("b", 5*day, ""),
	}
	h := newHistory(list)
	for id, want := range map[string]int{"a": 2, "b": 2, "c": 1, "d": 0, "": 0} {
		idx := h.of(id)
		if len(idx) != want {
			t.Fatalf("%q: %d exposures, want %d", id, len(idx), want)
		}
		for _, i := range idx {
			if list[i].OfferID != id {
				t.Fatalf("%q: got exposure of %q", id, list[i].OfferID)
			}
		}
	}
	empty := newHistory(nil)
	if empty.of("a") != nil || empty.shownSince(now.Add(-day), now) != 0 {
		t.Fatal("empty history found something")
	}
}
