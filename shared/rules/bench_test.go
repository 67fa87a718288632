package rules

import (
	"fmt"
	"testing"
)

const typical = `"broadband" in profile.segments && contact.intent == "high_bill" && profile.tenure_months >= 12 && profile.last_sentiment != "negative"`

func BenchmarkTypicalRule(b *testing.B) {
	r, err := Compile(typical)
	if err != nil {
		b.Fatal(err)
	}
	v := sampleVars()
	a := NewActivation(v)
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := r.Eval(a, Campaign{}); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkNewActivation(b *testing.B) {
	v := sampleVars()
	b.ReportAllocs()
	for b.Loop() {
		NewActivation(v)
	}
}

// BenchmarkTypicalRuleCELOnly is the same rule through CEL alone, without
// the Go guards: what the guards save.
func BenchmarkTypicalRuleCELOnly(b *testing.B) {
	r, err := Compile(typical)
	if err != nil {
		b.Fatal(err)
	}
	a := NewActivation(sampleVars())
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := celOnly(b, r, a, Campaign{}); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// benchRules are 2,500 distinct rules of the shapes a large catalog holds.
func benchRules(b *testing.B) []*Rule {
	intents := []string{"high_bill", "move", "upgrade", "roaming", "cancel_threat", "new_line", "speed", "tv", "device", "contract_end"}
	segments := []string{"broadband", "mobile", "tv", "young_family", "student", "senior", "business", "premium"}
	out := make([]*Rule, 2500)
	for i := range out {
		var src string
		if i%2 == 0 {
			src = fmt.Sprintf(`%q in profile.segments && contact.intent == %q && profile.tenure_months >= %d`, segments[i%len(segments)], intents[i%len(intents)], i%37)
		} else {
			src = fmt.Sprintf(`contact.intent == %q && voice.last_survey_score >= %d && profile.contact_count < %d`, intents[i%len(intents)], i%5, 5+i%20)
		}
		r, err := Compile(src)
		if err != nil {
			b.Fatal(err)
		}
		out[i] = r
	}
	return out
}

// What 2,500 rules cost per decision through CEL alone, with guards, and
// with the index: the path from "as CEL runs them" to what the engine does.
func BenchmarkCatalog2500(b *testing.B) {
	rs := benchRules(b)
	v := sampleVars()
	b.Run("cel-only", func(b *testing.B) {
		for b.Loop() {
			a := NewActivation(v)
			for _, r := range rs {
				_, _ = celOnly(b, r, a, Campaign{})
			}
		}
	})
	b.Run("guarded", func(b *testing.B) {
		for b.Loop() {
			a := NewActivation(v)
			for _, r := range rs {
				_, _ = a.Eval(r, Campaign{})
			}
		}
	})
	x := NewIndex(rs)
	b.Run("indexed", func(b *testing.B) {
		var cands []int
		for b.Loop() {
			a := NewActivation(v)
			cands = x.Candidates(a, cands[:0])
			for _, i := range cands {
				_, _ = a.Eval(rs[i], Campaign{})
			}
		}
		b.ReportMetric(float64(len(cands)), "candidates")
	})
}
