package rules

import "testing"

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
