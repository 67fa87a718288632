package decide

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/profiles"
)

func TestPropensity(t *testing.T) {
	pol := DefaultPolicy()
	cases := []struct {
		name   string
		counts catalog.OfferCounts
		want   float64
	}{
		{"a new offer starts at the prior", catalog.OfferCounts{}, 0.1},
		{"a few outcomes barely move it", catalog.OfferCounts{Shown: 2, Accepted: 2}, (2 + 2.0) / (2 + 20.0)},
		{"many outcomes outweigh the prior", catalog.OfferCounts{Shown: 10000, Accepted: 3000}, (3000 + 2.0) / (10000 + 20.0)},
		{"accepted above shown is clamped", catalog.OfferCounts{Shown: 10, Accepted: 50}, (10 + 2.0) / (10 + 20.0)},
		{"negative counts are treated as none", catalog.OfferCounts{Shown: -5, Accepted: -1}, 0.1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := pol.Propensity(tc.counts); math.Abs(got-tc.want) > 1e-12 {
				t.Fatalf("propensity = %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("a stronger prior moves slower", func(t *testing.T) {
		weak := Policy{PriorAcceptance: 0.2, PriorStrength: 2}.Propensity(catalog.OfferCounts{Shown: 10})
		strong := Policy{PriorAcceptance: 0.2, PriorStrength: 200}.Propensity(catalog.OfferCounts{Shown: 10})
		if !(weak < strong) || math.Abs(strong-0.2) > 0.02 {
			t.Fatalf("weak %v strong %v", weak, strong)
		}
	})
}

func TestArbitrationOrder(t *testing.T) {
	life := func(kind string, expired bool) func(*profiles.Profile) {
		return func(p *profiles.Profile) {
			e := profiles.LifeEvent{Kind: kind, At: now.Add(-5 * day)}
			if expired {
				e.ExpiresAt = now.Add(-day)
			}
			p.LifeEvents = append(p.LifeEvents, e)
		}
	}
	cases := []struct {
		name       string
		offers     []catalog.Offer
		profile    *profiles.Profile
		intent     string
		propensity map[string]catalog.OfferCounts
		want       []string
	}{
		{"higher value wins at equal propensity",
			[]catalog.Offer{offer("o-a", "c-1", withValue("10")), offer("o-b", "c-1", withValue("25"))},
			customer(), "", nil, []string{"o-b", "o-a"}},
		{"learned propensity beats value",
			[]catalog.Offer{offer("o-a", "c-1", withValue("10")), offer("o-b", "c-1", withValue("25"))},
			customer(), "", map[string]catalog.OfferCounts{"o-a": {Shown: 1000, Accepted: 400}, "o-b": {Shown: 1000, Accepted: 20}}, []string{"o-a", "o-b"}},
		{"the contact's intent raises its offer",
			[]catalog.Offer{offer("o-a", "c-1", withValue("15")), offer("o-b", "c-1", withValue("10"), withIntents("high_bill"))},
			customer(), "High_Bill", nil, []string{"o-b", "o-a"}},
		{"an active life event raises its offer",
			[]catalog.Offer{offer("o-a", "c-1", withValue("12")), offer("o-b", "c-1", withValue("10"), withLifeEvents("move"))},
			customer(life("move", false)), "", nil, []string{"o-b", "o-a"}},
		{"an expired life event does not",
			[]catalog.Offer{offer("o-a", "c-1", withValue("12")), offer("o-b", "c-1", withValue("10"), withLifeEvents("move"))},
			customer(life("move", true)), "", nil, []string{"o-a", "o-b"}},
		{"intent and life event together multiply",
			[]catalog.Offer{offer("o-a", "c-1", withValue("25")), offer("o-b", "c-1", withValue("10"), withIntents("move"), withLifeEvents("move")),
				offer("o-c", "c-1", withValue("14"), withIntents("move"))},
			customer(life("move", false)), "move", nil, []string{"o-b", "o-c", "o-a"}},
		{"business lever and priority weight scale priority",
			[]catalog.Offer{offer("o-a", "c-1", withValue("10")), offer("o-b", "c-1", withValue("10"), func(o *catalog.Offer) { o.BusinessLever = 1.5 }),
				offer("o-c", "c-1", withValue("10"), func(o *catalog.Offer) { o.PriorityWeight = 2 })},
			customer(), "", nil, []string{"o-c", "o-b", "o-a"}},
		{"an unset priority weight counts as 1",
			[]catalog.Offer{offer("o-a", "c-1", withValue("10"), func(o *catalog.Offer) { o.PriorityWeight = 0 }), offer("o-b", "c-1", withValue("9"))},
			customer(), "", nil, []string{"o-a", "o-b"}},
		{"equal scores rank by offer id",
			[]catalog.Offer{offer("o-c", "c-1"), offer("o-a", "c-1"), offer("o-b", "c-1")},
			customer(), "", nil, []string{"o-a", "o-b", "o-c"}},
		{"equal priority ranks the better-proven offer first",
			[]catalog.Offer{offer("o-a", "c-1", withValue("20")), offer("o-b", "c-1", withValue("10"))},
			customer(), "", map[string]catalog.OfferCounts{"o-a": {Shown: 80, Accepted: 8}, "o-b": {Shown: 80, Accepted: 38}}, []string{"o-b", "o-a"}},
		{"anonymous callers rank by intent",
			[]catalog.Offer{offer("o-a", "c-1", withValue("15")), offer("o-b", "c-1", withValue("10"), withIntents("new_account"), withLifeEvents("move"))},
			nil, "new_account", nil, []string{"o-b", "o-a"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := voiceCall()
			c.Intent = tc.intent
			in := input(tc.profile, c)
			in.Propensity = tc.propensity
			d := Decide(in, NewSnapshot(tc.offers, []catalog.Campaign{campaign("c-1")}), Policy{})
			var got []string
			for _, r := range d.Ranked() {
				got = append(got, r.OfferID)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				for _, o := range d.Explain().Offers {
					if o.Score != nil {
						t.Logf("%s: %+v", o.OfferID, *o.Score)
					}
				}
				t.Fatalf("ranked %v, want %v", got, tc.want)
			}
			if d.OfferID != tc.want[0] {
				t.Fatalf("winner %q, want %q", d.OfferID, tc.want[0])
			}
			ranks := map[string]int{}
			for _, o := range d.Explain().Offers {
				ranks[o.OfferID] = o.Rank
			}
			for r, cand := range d.Ranked() {
				if cand.Rank != r+1 || ranks[cand.OfferID] != r+1 {
					t.Fatalf("%s ranked %d, candidate says %d, explained with rank %d", cand.OfferID, r+1, cand.Rank, ranks[cand.OfferID])
				}
			}
		})
	}
}

func TestScoreComponents(t *testing.T) {
	c := voiceCall()
	c.Intent = "move"
	p := customer(func(p *profiles.Profile) { p.LifeEvents = []profiles.LifeEvent{{Kind: "move", At: now.Add(-day)}} })
	in := input(p, c)
	in.Propensity = map[string]catalog.OfferCounts{"o-1": {Shown: 30, Accepted: 8}}
	snap := oneOffer(withValue("19.99"), withIntents("move"), withLifeEvents("move"), func(o *catalog.Offer) { o.BusinessLever, o.PriorityWeight = 1.2, 3 })
	d := Decide(in, snap, Policy{})
	s := d.Explain().Offers[0].Score
	if s == nil {
		t.Fatalf("no score: %+v", d.Explain().Offers[0])
	}
	prop := (8 + 2.0) / (30 + 20.0)
	want := prop * 2 * 1.5 * 19.99 * 1.2 * 3
	if s.Propensity != prop || s.ContextWeight != 3 || s.IntentMatch != "move" || s.LifeEventMatch != "move" ||
		s.Value != 19.99 || s.Shown != 30 || s.Accepted != 8 || math.Abs(s.Priority-want) > 1e-9 {
		t.Fatalf("score %+v, want priority %v", *s, want)
	}
}

func TestZeroPriorityNeverWins(t *testing.T) {
	snap := NewSnapshot([]catalog.Offer{
		offer("o-a", "c-1", func(o *catalog.Offer) { o.BusinessLever = 0 }),
		offer("o-b", "c-1", withValue("0")),
		offer("o-c", "c-1", withValue("not money")),
	}, []catalog.Campaign{campaign("c-1")})
	d := Decide(input(customer(), voiceCall()), snap, Policy{})
	if d.OfferID != "" || len(d.Ranked()) != 0 {
		t.Fatalf("winner %q ranked %d", d.OfferID, len(d.Ranked()))
	}
	for _, o := range d.Explain().Offers {
		if o.Why.Reason != ReasonZeroPriority {
			t.Fatalf("%s: %+v", o.OfferID, o.Why)
		}
	}
}

func TestWhyItFits(t *testing.T) {
	template := func(s string) func(*catalog.Offer) { return func(o *catalog.Offer) { o.Content.WhyItFits = s } }
	cases := []struct {
		name   string
		offer  []func(*catalog.Offer)
		intent string
		life   string
		reason Reason
		words  string
	}{
		{"the offer's template, filled", []func(*catalog.Offer){withIntents("high_bill"),
			template("You mentioned your {intent}; as a {valueTier} customer of {tenureMonths} months with {product}, {offer} lowers it.")},
			"high_bill", "", ReasonIntentMatch,
			"You mentioned your high bill; as a gold customer of 36 months with broadband 100, Offer o-1 lowers it."},
		{"a template naming a fact the decision lacks gives way to the plain sentence",
			[]func(*catalog.Offer){template("Congratulations on your {lifeEvent}! {campaign} is for you.")},
			"", "", ReasonBestFit, "The one offer this customer may get now."},
		{"a template with every fact", []func(*catalog.Offer){withLifeEvents("new_baby"), template("Congratulations on your {lifeEvent}! {campaign} is for you.")},
			"", "new_baby", ReasonLifeEventMatch, "Congratulations on your new baby! Campaign c-1 is for you."},
		{"no template, intent match", []func(*catalog.Offer){withIntents("high_bill")}, "high_bill", "", ReasonIntentMatch,
			"Customer got in touch about high bill, which this offer answers."},
		{"no template, life event match", []func(*catalog.Offer){withLifeEvents("new_baby")}, "", "new_baby", ReasonLifeEventMatch,
			"This offer is made for customers with a recent new baby."},
		{"no template, best fit", nil, "", "", ReasonBestFit, "The one offer this customer may get now."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := voiceCall()
			c.Intent = tc.intent
			p := customer()
			if tc.life != "" {
				p.LifeEvents = []profiles.LifeEvent{{Kind: tc.life, At: now.Add(-day)}}
			}
			d := Decide(input(p, c), oneOffer(tc.offer...), Policy{})
			if !d.Offered() || d.Why.Step != StepArbitration || d.Why.Reason != tc.reason || d.Why.Words != tc.words {
				t.Fatalf("why = %+v, want %q %q", d.Why, tc.reason, tc.words)
			}
		})
	}
}

func TestHoldout(t *testing.T) {
	t.Run("a control-group customer is decided for but shown nothing", func(t *testing.T) {
		snap := NewSnapshot([]catalog.Offer{offer("o-1", "c-1")}, []catalog.Campaign{campaign("c-1", withHoldout(0.5))})
		var held, shown int
		for i := range 200 {
			p := customer(func(p *profiles.Profile) { p.ID = "prof-" + strconv.Itoa(i) })
			d := Decide(input(p, voiceCall()), snap, Policy{})
			switch {
			case d.Holdout:
				held++
				if d.Offered() || d.OfferID != "o-1" || d.Why.Reason != ReasonHoldout || d.Why.Step != StepHoldout {
					t.Fatalf("holdout decision: offer %q offered %v why %+v", d.OfferID, d.Offered(), d.Why)
				}
			case d.Offered():
				shown++
			default:
				t.Fatalf("neither shown nor held: %+v", d.Why)
			}
		}
		if held == 0 || shown == 0 {
			t.Fatalf("held %d shown %d of 200 at share 0.5", held, shown)
		}
	})
	t.Run("the same customer is always in the same group", func(t *testing.T) {
		for i := range 100 {
			id := "prof-" + strconv.Itoa(i)
			if InHoldout(id, "c-1", 0.3) != InHoldout(id, "c-1", 0.3) {
				t.Fatal("holdout draw changed")
			}
		}
	})
	t.Run("a share of 0 holds nobody and a share of 1 everybody", func(t *testing.T) {
		for i := range 1000 {
			id := "prof-" + strconv.Itoa(i)
			if InHoldout(id, "c-1", 0) || !InHoldout(id, "c-1", 1) || InHoldout(id, "c-1", math.NaN()) {
				t.Fatal("edge share misdrawn")
			}
		}
	})
	t.Run("anonymous callers are drawn by contact id", func(t *testing.T) {
		s, anon := SubjectOf(nil, "abc")
		if s != "contact#abc" || !anon {
			t.Fatalf("subject %q anonymous %v", s, anon)
		}
	})
}

// TestHoldoutShareWithinStatisticalBounds draws 10,000 simulated profiles
// through the whole engine for several shares: the share held out must lie
// within 4 standard deviations of the campaign's holdout share (a false
// alarm about once in 16,000 runs, and the draw is deterministic anyway).
func TestHoldoutShareWithinStatisticalBounds(t *testing.T) {
	const n = 10_000
	for _, share := range []float64{0.05, 0.1, 0.2, 0.5} {
		t.Run(strconv.FormatFloat(share, 'f', -1, 64), func(t *testing.T) {
			snap := NewSnapshot([]catalog.Offer{offer("o-1", "c-1"), offer("o-2", "c-2")},
				[]catalog.Campaign{campaign("c-1", withHoldout(share)), campaign("c-2", withHoldout(share))})
			p := customer()
			in := input(p, voiceCall())
			held := 0
			bothHeld := 0
			for i := range n {
				p.ID = "prof-" + strconv.Itoa(i)
				d := Decide(in, snap, Policy{})
				if d.Holdout {
					held++
				}
				if ranked := d.Ranked(); ranked[0].Holdout && ranked[1].Holdout {
					bothHeld++
				}
			}
			sd := math.Sqrt(share * (1 - share) / n)
			if got := float64(held) / n; math.Abs(got-share) > 4*sd {
				t.Fatalf("held out %.4f of %d, want %.2f ± %.4f", got, n, share, 4*sd)
			}
			// Campaigns draw independently: both held about share² of the time.
			both := share * share
			sdBoth := math.Sqrt(both * (1 - both) / n)
			if got := float64(bothHeld) / n; math.Abs(got-both) > 4*sdBoth {
				t.Fatalf("held out of both campaigns %.4f, want %.4f ± %.4f", got, both, 4*sdBoth)
			}
		})
	}
}

func TestVariant(t *testing.T) {
	variants := []catalog.Variant{{ID: "warm", Weight: 3}, {ID: "direct", Weight: 1}}
	t.Run("the same customer always gets the same variant", func(t *testing.T) {
		snap := oneOffer(func(o *catalog.Offer) {
			o.Content.Variants = []catalog.Variant{{ID: "warm", Script: "Warm script", Weight: 1}, {ID: "direct", Script: "Direct script", Weight: 1}}
		})
		first := Decide(input(customer(), voiceCall()), snap, Policy{})
		if first.Variant == "" || first.Script() != map[string]string{"warm": "Warm script", "direct": "Direct script"}[first.Variant] {
			t.Fatalf("variant %q script %q", first.Variant, first.Script())
		}
		for range 10 {
			if d := Decide(input(customer(), voiceCall()), snap, Policy{}); d.Variant != first.Variant {
				t.Fatalf("variant changed from %q to %q", first.Variant, d.Variant)
			}
		}
	})
	t.Run("an offer without variants uses its own script", func(t *testing.T) {
		d := Decide(input(customer(), voiceCall()), oneOffer(), Policy{})
		if d.Variant != "" || d.Script() != "Script of o-1" {
			t.Fatalf("variant %q script %q", d.Variant, d.Script())
		}
	})
	t.Run("shares follow the weights", func(t *testing.T) {
		const n = 10_000
		warm := 0
		for i := range n {
			if ChooseVariant("prof-"+strconv.Itoa(i), "o-1", variants) == 0 {
				warm++
			}
		}
		sd := math.Sqrt(0.75 * 0.25 / n)
		if got := float64(warm) / n; math.Abs(got-0.75) > 4*sd {
			t.Fatalf("warm share %.4f, want 0.75 ± %.4f", got, 4*sd)
		}
	})
	t.Run("odd weights", func(t *testing.T) {
		cases := []struct {
			name     string
			variants []catalog.Variant
			allowed  []int
		}{
			{"none", nil, []int{-1}},
			{"only one usable weight", []catalog.Variant{{ID: "a", Weight: 0}, {ID: "b", Weight: 2}, {ID: "c", Weight: math.NaN()}}, []int{1}},
			{"no usable weight picks evenly", []catalog.Variant{{ID: "a"}, {ID: "b", Weight: -1}}, []int{0, 1}},
			{"infinite weight is unusable", []catalog.Variant{{ID: "a", Weight: math.Inf(1)}, {ID: "b", Weight: 1}}, []int{1}},
		}
		for _, tc := range cases {
			for i := range 200 {
				got := ChooseVariant("s"+strconv.Itoa(i), "o", tc.variants)
				if !containsInt(tc.allowed, got) {
					t.Fatalf("%s: chose %d, allowed %v", tc.name, got, tc.allowed)
				}
			}
		}
	})
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func TestDrawIsUniformAndKeyed(t *testing.T) {
	const n, bins = 20_000, 10
	var counts [bins]int
	for i := range n {
		u := Draw(drawHoldout, "prof-"+strconv.Itoa(i), "c-1")
		if u < 0 || u >= 1 {
			t.Fatalf("draw %v outside [0,1)", u)
		}
		counts[int(u*bins)]++
	}
	// Chi-square with 9 degrees of freedom; 27.88 is the 0.999 quantile.
	chi := 0.0
	for _, c := range counts {
		d := float64(c) - n/bins
		chi += d * d / (n / bins)
	}
	if chi > 27.88 {
		t.Fatalf("chi-square %.1f over %v", chi, counts)
	}
	if Draw(drawHoldout, "a", "bc") == Draw(drawHoldout, "ab", "c") {
		t.Fatal("subject and key run together")
	}
	if Draw(drawHoldout, "a", "b") == Draw(drawVariant, "a", "b") {
		t.Fatal("holdout and variant draws are the same")
	}
}

func TestRenderMatchesTheCatalogTemplate(t *testing.T) {
	c := voiceCall()
	c.Intent = "high_bill"
	p := customer(func(p *profiles.Profile) { p.LifeEvents = []profiles.LifeEvent{{Kind: "new_baby", At: now.Add(-day)}} })
	d := Decide(input(p, c), oneOffer(withLifeEvents("new_baby")), Policy{})
	if _, ok := d.Winner(); !ok {
		t.Fatalf("no winner: %+v", d.Why)
	}
	s := &d.scores[d.order[d.winner]]
	sc := s.readable(d.intent, d.prof)
	facts := map[string]string{}
	for _, name := range catalog.WhyItFitsPlaceholders {
		facts[name] = d.fact(name, s.ex, &sc)
		if facts[name] == "" {
			t.Fatalf("fact %q empty", name)
		}
	}
	for _, tmpl := range []string{
		"You mentioned your {intent}.",
		"  {offer}\tfits a {valueTier}   customer of {tenureMonths} months\nwith {product} in {segment}; {campaign} — {lifeEvent}  ",
		"{{intent}} and {intent",
		"",
		"ünïcode {segment}\u00a0spaces",
	} {
		got, ok := d.render(tmpl, s.ex, &sc)
		want := catalog.Content{WhyItFits: tmpl}.WhyItFitsFor(facts)
		if !ok || got != want {
			t.Errorf("render(%q) = %q %v, catalog gives %q", tmpl, got, ok, want)
		}
	}
	// An unknown placeholder (validation refuses them) gives way to the
	// plain sentence instead of vanishing.
	if got, ok := d.render("Lone { brace and } other {intent}", s.ex, &sc); ok {
		t.Errorf("unknown placeholder rendered as %q", got)
	}
}
