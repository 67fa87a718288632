package decide

import (
	"encoding/json"
	"iter"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/profiles"
)

// Decision is the engine's answer for one contact. It is a plain value,
// JSON-friendly: POST /v1/decisions/simulate returns it as is (with the
// ranked offers and the full explanation), and the offer function records
// it. It is an answer, not an input: it is encoded, never decoded.
type Decision struct {
	// Subject is whom holdouts and variants are drawn for: the profile id,
	// or "contact#<contact id>" for an anonymous caller.
	Subject   string `json:"subject"`
	Anonymous bool   `json:"anonymous"`
	// OfferID is the winning offer, or "" when none. With Holdout it is the
	// offer the customer would have been made, and nothing is shown.
	OfferID    string `json:"offerId,omitempty"`
	CampaignID string `json:"campaignId,omitempty"`
	Holdout    bool   `json:"holdout"`
	// Variant is the id of the script variant chosen for the customer, or
	// "" when the offer has none (its own script is used).
	Variant string `json:"variant,omitempty"`
	// Why is what the agent reads: why this offer fits, or, with no offer,
	// the gate, policy or holdout that stopped it.
	Why Why `json:"why"`

	// What follows is kept compact and pointer-free (a few bytes per
	// catalog offer), so a decision over thousands of offers costs the
	// garbage collector next to nothing; Ranked and Explain give the
	// readable forms, and JSON includes both.
	gates    []Gate
	verdicts []verdict // by snapshot offer index
	whys     []Why     // distinct verdicts of this decision; whys[0] is "not dropped"
	lastWhy  int32
	scores   []scored // of the offers that passed, in catalog order
	order    []int32  // indexes in scores, best first
	snap     *Snapshot

	winner  int // index in order, -1 when none
	variant int // index in the winner's variants, -1 when none
	prof    *profiles.Profile
	intent  string
	now     time.Time
}

// Candidate is one ranked offer.
type Candidate struct {
	OfferID    string `json:"offerId"`
	CampaignID string `json:"campaignId"`
	// Rank is 1 for the best offer.
	Rank     int     `json:"rank"`
	Priority float64 `json:"priority"`
	// Holdout: the customer is in the control group of this offer's
	// campaign, so if this offer wins nothing is shown.
	Holdout bool `json:"holdout"`
	// Offer is the catalog offer.
	Offer *catalog.Offer `json:"-"`
}

// Explanation says, for a simulation or an audit, how the decision came
// about: each gate's verdict, and for every offer in the catalog either
// what dropped it or how it scored. Decision.Explain builds it.
type Explanation struct {
	Gates  []Gate        `json:"gates"`
	Offers []OfferResult `json:"offers"`
	// Eligible is the number of offers that were ranked.
	Eligible int `json:"eligible"`
}

// OfferResult is one offer's fate in the decision.
type OfferResult struct {
	OfferID    string `json:"offerId"`
	CampaignID string `json:"campaignId"`
	Name       string `json:"name"`
	// Why is the gate, rule or policy that dropped the offer; zero when the
	// offer was ranked (and not dropped later for its global cap).
	Why Why `json:"why,omitzero"`
	// Score and Rank (1 = best) are set when the offer was ranked.
	Score *Score `json:"score,omitempty"`
	Rank  int    `json:"rank,omitempty"`
}

// verdict is one offer's fate, pointer-free.
type verdict struct {
	why  int32 // index in Decision.whys; 0: not dropped
	rank int32 // 1 = best; 0: not ranked
}

// drop records what dropped offer i.
func (d *Decision) drop(i int, w Why) { d.verdicts[i].why = d.whyIndex(w) }

// whyIndex finds or adds w in the decision's table of verdicts. Most
// verdicts repeat (the same few reasons over thousands of offers), so the
// last hit is tried first and a short table is searched; past that, new
// words (rule errors name their rule) are appended without a search.
func (d *Decision) whyIndex(w Why) int32 {
	if d.whys[d.lastWhy] == w {
		return d.lastWhy
	}
	if len(d.whys) <= 32 {
		for k := range d.whys {
			if d.whys[k] == w {
				d.lastWhy = int32(k)
				return d.lastWhy
			}
		}
	}
	d.whys = append(d.whys, w)
	d.lastWhy = int32(len(d.whys) - 1)
	return d.lastWhy
}

// Ranked is every offer that passed gates, rules and policies, best
// first, so the caller can see what it may fall back to when the winner's
// global cap cannot be reserved (see CapReached).
func (d *Decision) Ranked() []Candidate {
	out := make([]Candidate, len(d.order))
	for r := range d.order {
		out[r] = d.candidate(r)
	}
	return out
}

// candidate is the readable form of the offer ranked r (0 = best).
func (d *Decision) candidate(r int) Candidate {
	s := &d.scores[d.order[r]]
	o := d.snap.offers[s.ex].offer
	return Candidate{OfferID: o.ID, CampaignID: o.CampaignID, Rank: r + 1, Priority: s.priority, Holdout: s.holdout, Offer: o}
}

// Explain builds the full explanation: every gate, and every catalog offer
// with what dropped it or its score and rank.
func (d *Decision) Explain() Explanation {
	ex := Explanation{Gates: d.gates, Eligible: len(d.order), Offers: make([]OfferResult, len(d.verdicts))}
	if ex.Gates == nil {
		ex.Gates = []Gate{}
	}
	scores := make([]Score, len(d.order))
	for i := range d.verdicts {
		var s *Score
		if r := d.verdicts[i].rank; r > 0 {
			s = &scores[r-1]
		}
		ex.Offers[i] = d.result(i, s)
	}
	return ex
}

// Offers yields each catalog offer's fate in snapshot order (by offer id),
// without building the whole explanation.
func (d *Decision) Offers() iter.Seq[OfferResult] {
	return func(yield func(OfferResult) bool) {
		for i := range d.verdicts {
			var s *Score
			if d.verdicts[i].rank > 0 {
				s = new(Score)
			}
			if !yield(d.result(i, s)) {
				return
			}
		}
	}
}

// result is the fate of snapshot offer i; a ranked offer's score is
// written to s.
func (d *Decision) result(i int, s *Score) OfferResult {
	v := d.verdicts[i]
	o := d.snap.offers[i].offer
	r := OfferResult{OfferID: o.ID, CampaignID: o.CampaignID, Name: o.Name, Why: d.whys[v.why], Rank: int(v.rank)}
	if v.rank > 0 && s != nil {
		*s = d.scores[d.order[v.rank-1]].readable(d.intent, d.prof)
		r.Score = s
	}
	return r
}

// MarshalJSON writes the decision with its ranked offers and its full
// explanation.
func (d Decision) MarshalJSON() ([]byte, error) {
	type fields Decision // the exported fields, without this method
	return json.Marshal(struct {
		fields
		Ranked      []Candidate `json:"ranked"`
		Explanation Explanation `json:"explanation"`
	}{fields(d), d.Ranked(), d.Explain()})
}

// Offered reports whether an offer is to be shown: there is a winner and
// the customer is not in its campaign's control group.
func (d *Decision) Offered() bool { return d.OfferID != "" && !d.Holdout }

// Winner is the winning offer (what would have been offered, for a
// holdout); false when there is none.
func (d *Decision) Winner() (Candidate, bool) {
	if d.winner < 0 || d.winner >= len(d.order) {
		return Candidate{}, false
	}
	return d.candidate(d.winner), true
}

// Offer is the winning offer (what would have been offered, for a
// holdout), or nil.
func (d *Decision) Offer() *catalog.Offer {
	if d.winner < 0 || d.winner >= len(d.order) {
		return nil
	}
	return d.snap.offers[d.scores[d.order[d.winner]].ex].offer
}

// Script is what the agent says for the winning offer: the chosen
// variant's script, or the offer's own.
func (d *Decision) Script() string {
	o := d.Offer()
	if o == nil {
		return ""
	}
	if d.variant >= 0 && d.variant < len(o.Content.Variants) {
		return o.Content.Variants[d.variant].Script
	}
	return o.Content.Script
}

// CapReached records that the winner's global cap could not be reserved
// and moves on to the next ranked offer, drawing its holdout and variant
// as if it had won in the first place. It reports whether there is a new
// winner; when there is none, the decision is "no offer". Call it only
// for a winner that is not a holdout (a holdout reserves nothing).
func (d *Decision) CapReached() bool {
	if d.winner < 0 || d.winner >= len(d.order) {
		return false
	}
	d.drop(int(d.scores[d.order[d.winner]].ex), why(StepCap, ReasonGlobalCap))
	d.settle(d.winner + 1)
	return d.winner >= 0
}

// settle makes the offer ranked r (0 = best) the winner, or decides "no
// offer" when r is past the end.
func (d *Decision) settle(r int) {
	d.OfferID, d.CampaignID, d.Holdout, d.Variant = "", "", false, ""
	d.winner, d.variant = -1, -1
	if r >= len(d.order) {
		d.Why = Why{Step: StepCap, Reason: ReasonNoEligibleOffer, Words: ReasonNoEligibleOffer.Words()}
		if len(d.order) == 0 {
			d.Why.Step = StepEligibility
		}
		return
	}
	s := &d.scores[d.order[r]]
	o := d.snap.offers[s.ex].offer
	d.winner = r
	d.OfferID, d.CampaignID, d.Holdout = o.ID, o.CampaignID, s.holdout
	d.variant = ChooseVariant(d.Subject, o.ID, o.Content.Variants)
	if d.variant >= 0 {
		d.Variant = o.Content.Variants[d.variant].ID
	}
	if s.holdout {
		d.Why = why(StepHoldout, ReasonHoldout)
		return
	}
	d.Why = d.whyItFits(s)
}

// whyItFits is the agent's one line on why the offer fits the customer:
// the offer's own template filled with the decision's facts, or a plain
// sentence from what matched.
func (d *Decision) whyItFits(s *scored) Why {
	sc := s.readable(d.intent, d.prof)
	r := ReasonBestFit
	switch {
	case sc.IntentMatch != "":
		r = ReasonIntentMatch
	case sc.LifeEventMatch != "":
		r = ReasonLifeEventMatch
	}
	out := Why{Step: StepArbitration, Reason: r}
	if t := d.snap.offers[s.ex].offer.Content.WhyItFits; t != "" {
		// A template naming a fact this decision lacks would read badly
		// ("Congratulations on your !"): the plain sentence is better.
		if words, ok := d.render(t, s.ex, &sc); ok && words != "" {
			out.Words = words
			return out
		}
	}
	switch {
	case r == ReasonIntentMatch:
		out.Words = "Customer got in touch about " + spoken(sc.IntentMatch) + ", which this offer answers."
	case r == ReasonLifeEventMatch:
		out.Words = "This offer is made for customers with a recent " + spoken(sc.LifeEventMatch) + "."
	case len(d.order) == 1:
		out.Words = "The one offer this customer may get now."
	default:
		out.Words = "Best fit of the " + strconv.Itoa(len(d.order)) + " offers this customer may get now."
	}
	return out
}

// fact is the value of one why-it-fits placeholder
// (catalog.WhyItFitsPlaceholders), or "" when the decision lacks it.
func (d *Decision) fact(name string, ex int32, sc *Score) string {
	p := d.prof
	switch name {
	case "intent":
		return spoken(d.intent)
	case "lifeEvent":
		return spoken(sc.LifeEventMatch)
	case "offer":
		return d.snap.offers[ex].offer.Name
	case "campaign":
		if ci := d.snap.offers[ex].campaign; ci >= 0 {
			return d.snap.campaigns[ci].campaign.Name
		}
	case "valueTier":
		if p != nil {
			return p.ValueTier
		}
	case "tenureMonths":
		if p != nil {
			if m := p.TenureMonths(d.now); m > 0 {
				return strconv.Itoa(m)
			}
		}
	case "product":
		if p != nil && len(p.Products) > 0 {
			return spoken(p.Products[0])
		}
	case "segment":
		if p != nil && len(p.Segments) > 0 {
			return spoken(p.Segments[0])
		}
	}
	return ""
}

// render fills a why-it-fits template the way catalog.Content.WhyItFitsFor
// does ({name} replaced, runs of white space made one space, ends trimmed)
// in one pass and one allocation; ok is false when a placeholder has no
// fact.
func (d *Decision) render(template string, ex int32, sc *Score) (words string, ok bool) {
	var b strings.Builder
	b.Grow(len(template) + 64)
	space := false // a space is pending: written before the next word
	put := func(s string) {
		for _, r := range s {
			if unicode.IsSpace(r) {
				space = b.Len() > 0
				continue
			}
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
	}
	for t := template; t != ""; {
		open := strings.IndexByte(t, '{')
		if open < 0 {
			put(t)
			break
		}
		put(t[:open])
		end := strings.IndexAny(t[open+1:], "{}")
		if end < 0 || t[open+1+end] == '{' { // not a placeholder: a lone brace
			put(t[open : open+1])
			t = t[open+1:]
			continue
		}
		v := d.fact(t[open+1:open+1+end], ex, sc)
		if v == "" {
			return "", false
		}
		put(v)
		t = t[open+1+end+1:]
	}
	return b.String(), true
}

// spoken turns a machine tag into words: high_bill → high bill.
func spoken(tag string) string {
	if !strings.ContainsAny(tag, "_-") {
		return tag
	}
	b := []byte(tag)
	for i, c := range b {
		if c == '_' || c == '-' {
			b[i] = ' '
		}
	}
	return string(b)
}
