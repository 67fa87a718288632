package rules

import (
	"fmt"
	"slices"
	"testing"
)

// celOnly evaluates a rule with CEL alone, skipping the guards.
func celOnly(t testing.TB, r *Rule, a *Activation, c Campaign) (bool, error) {
	t.Helper()
	if r.prg == nil {
		return true, nil
	}
	f := a.celFrame()
	f.campaign = a.campaignValue(c)
	out, _, err := r.prg.Eval(f)
	if err != nil {
		return false, err
	}
	b, _ := out.Value().(bool)
	return b, nil
}

var guardRules = []string{
	`contact.intent == "high_bill"`,
	`"high_bill" == contact.intent && "broadband" in profile.segments`,
	`contact.intent != "cancel" && profile.value_tier in ["gold", "platinum"]`,
	`"move" in profile.life_events && profile.life_event_days["move"] <= 30`,
	`"new_baby" in profile.life_event_days || contact.intent == "move"`,
	`"mobile" in profile.products && contact.channel == "voice" && contact.hour >= 9`,
	`campaign.id == "fibre" && "broadband" in profile.segments`,
	`voice.last_social_topic == "speed" && voice.last_survey_score < 3`,
	`contact.weekday in ["saturday", "sunday"]`,
	`profile.life_event_days["marriage"] < 10 && contact.intent == "nothing"`,
	`profile.language == "" && contact.language == "en"`,
	`profile.segments.exists(s, s == "student") && contact.queue == "sales"`,
	`!("broadband" in profile.segments)`,
	`profile.tenure_months >= 12 && 3 < voice.last_survey_score && contact.hour != 3`,
	`profile.life_event_days["move"] <= 30`,
	`profile.life_event_days["move"] > 30 || profile.contact_count == 0`,
	`12 <= profile.tenure_months && profile.contact_count < 4 && contact.hour == 14`,
	`profile.life_event_days["marriage"] >= 0 && contact.intent == "move"`,
}

func guardVars() []Vars {
	base := sampleVars()
	other := base
	other.Profile.Segments = []string{"student"}
	other.Profile.Products = nil
	other.Profile.LifeEvents = nil
	other.Profile.LifeEventDays = nil
	other.Profile.ValueTier = "standard"
	other.Contact = Contact{Channel: "chat", Queue: "sales", Intent: "move", Language: "en", Hour: 8, Weekday: "sunday"}
	other.Voice = Voice{LastSocialTopic: "speed", LastSurveyScore: 1}
	empty := Vars{}
	return []Vars{base, other, empty}
}

// The guards are an optimisation only: with or without them, every rule
// gives the same answer.
func TestGuardsAgreeWithCEL(t *testing.T) {
	for _, src := range guardRules {
		r, err := Compile(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		for vi, v := range guardVars() {
			for _, c := range []Campaign{{ID: "fibre"}, {ID: "move"}} {
				a := NewActivation(v)
				got, gerr := r.Eval(a, c)
				want, werr := celOnly(t, r, NewActivation(v), c)
				if got != want || (werr == nil && gerr != nil) {
					t.Errorf("%s (vars %d, campaign %s): guarded %v/%v, CEL %v/%v", src, vi, c.ID, got, gerr, want, werr)
				}
			}
		}
	}
}

func TestGuardExtraction(t *testing.T) {
	cases := []struct {
		rule       string
		guards     int
		guardsOnly bool
	}{
		{`contact.intent == "high_bill"`, 1, true},
		{`contact.intent == "high_bill" && profile.segments.size() > 3`, 1, false},
		{`contact.intent == "high_bill" && profile.tenure_months > 3 && 5 >= voice.last_survey_score`, 3, true},
		{`profile.life_event_days["move"] <= 30`, 1, true},
		{`"a" in profile.segments && ("b" in profile.products && contact.queue != "x")`, 3, true},
		{`contact.intent == "a" || contact.intent == "b"`, 0, false},
		{`profile.value_tier in ["gold", profile.language]`, 0, false},
	}
	for _, tc := range cases {
		r, err := Compile(tc.rule)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.guards) != tc.guards || r.guardsOnly != tc.guardsOnly {
			t.Errorf("%s: %d guards (only %v), want %d (only %v)", tc.rule, len(r.guards), r.guardsOnly, tc.guards, tc.guardsOnly)
		}
	}
}

// The index never leaves out a rule that is true.
func TestIndexCandidatesCoverTrueRules(t *testing.T) {
	var rs []*Rule
	for _, src := range append(guardRules, "", `profile.tenure_months > 1`) {
		r, err := Compile(src)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	x := NewIndex(rs)
	for vi, v := range guardVars() {
		a := NewActivation(v)
		cands := x.Candidates(a, nil)
		if !slices.IsSorted(cands) {
			t.Fatalf("candidates not sorted: %v", cands)
		}
		for i, r := range rs {
			if ok, _ := r.Eval(a, Campaign{ID: "fibre"}); ok && !slices.Contains(cands, i) {
				t.Errorf("vars %d: rule %q is true but not a candidate (candidates %v)", vi, r.Source, cands)
			}
		}
	}
	// One rule per intent: a decision sees only its intent's rule.
	var byIntent []*Rule
	for i := range 50 {
		r, _ := Compile(fmt.Sprintf(`contact.intent == "intent_%d" && profile.tenure_months > 1`, i))
		byIntent = append(byIntent, r)
	}
	v := sampleVars()
	v.Contact.Intent = "intent_7"
	if got := NewIndex(byIntent).Candidates(NewActivation(v), nil); !slices.Equal(got, []int{7}) {
		t.Fatalf("candidates = %v, want [7]", got)
	}
}
