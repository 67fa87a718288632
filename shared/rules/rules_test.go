package rules

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/profiles"
)

func sampleVars() Vars {
	return Vars{
		Profile: Profile{
			Segments: []string{"broadband", "young_family"}, TenureMonths: 26,
			Products: []string{"broadband_100", "mobile"}, ValueTier: "gold",
			LifeEvents: []string{"move"}, LifeEventDays: map[string]int{"move": 12},
			LastSentiment: "positive", ContactCount: 3, Language: "en-GB",
		},
		Contact: Contact{Channel: "voice", Queue: "billing", Intent: "high_bill", Language: "en-GB", Hour: 14, Weekday: "tuesday"},
		Voice:   Voice{LastSurveyScore: 5, LastSocialTopic: "speed"},
	}
}

func TestEval(t *testing.T) {
	cases := []struct {
		name, rule string
		want       bool
		wantErr    bool
	}{
		{"empty rule is everyone", "", true, false},
		{"product and tenure", `"broadband_100" in profile.products && profile.tenure_months >= 12`, true, false},
		{"value tier", `profile.value_tier in ["gold", "platinum"]`, true, false},
		{"intent on voice", `contact.channel == "voice" && contact.intent == "high_bill"`, true, false},
		{"recent move", `"move" in profile.life_events && profile.life_event_days["move"] <= 60`, true, false},
		{"old move refused", `profile.life_event_days["move"] > 60`, false, false},
		{"missing life event key is an error, false", `profile.life_event_days["new_baby"] < 30`, false, true},
		{"guarded missing key", `"new_baby" in profile.life_event_days && profile.life_event_days["new_baby"] < 30`, false, false},
		{"office hours", `contact.hour >= 9 && contact.hour < 18 && contact.weekday != "sunday"`, true, false},
		{"campaign id", `campaign.id == "fibre-upgrade"`, true, false},
		{"voice of customer", `voice.last_survey_score >= 4 && voice.last_social_topic == "speed"`, true, false},
		{"segments exists", `profile.segments.exists(s, s.startsWith("young"))`, true, false},
		{"sentiment", `profile.last_sentiment != "negative"`, true, false},
	}
	a := NewActivation(sampleVars())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Compile(tc.rule)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			got, err := r.Eval(a, Campaign{ID: "fibre-upgrade", Name: "Fibre upgrade"})
			if got != tc.want || (err != nil) != tc.wantErr {
				t.Fatalf("Eval = %v, %v; want %v, error %v", got, err, tc.want, tc.wantErr)
			}
			memo, merr := a.Eval(r, Campaign{ID: "fibre-upgrade"})
			if memo != got || (merr != nil) != (err != nil) {
				t.Fatalf("memoized Eval = %v, %v; want %v, %v", memo, merr, got, err)
			}
		})
	}
}

func TestCompileRefusals(t *testing.T) {
	cases := []struct {
		name, rule       string
		line, col        int
		token, inMessage string
	}{
		{"unknown variable", `profil.tenure_months > 3`, 1, 1, "profil", "undeclared reference to 'profil'"},
		{"unknown field", `profile.tenure > 3`, 1, 8, "", "undefined field 'tenure'"},
		{"type error", "profile.value_tier == \"gold\" &&\n  profile.tenure_months > \"12\"", 2, 25, "", "no matching overload"},
		{"not bool", `profile.tenure_months + 1`, 1, 1, "profile", "must be true or false"},
		{"syntax error", `profile.tenure_months >`, 1, 24, "", "Syntax error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.rule)
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("want a CompileError, got %v", err)
			}
			is := ce.Issues[0]
			if is.Line != tc.line || is.Column != tc.col || !strings.Contains(is.Message, tc.inMessage) {
				t.Fatalf("issue = %+v; want line %d column %d message containing %q", is, tc.line, tc.col, tc.inMessage)
			}
			if tc.token != "" && is.Token != tc.token {
				t.Fatalf("token = %q, want %q", is.Token, tc.token)
			}
			perr := Check("eligibility", tc.rule)
			ps, ok := apperr.AsProblems(perr)
			if !ok || ps[0].Field != "eligibility" || !strings.Contains(ps[0].Problem, "line ") {
				t.Fatalf("Check = %v", perr)
			}
		})
	}
}

func TestVarsFrom(t *testing.T) {
	now := time.Date(2026, 3, 10, 15, 30, 0, 0, time.UTC)
	p := profiles.Profile{
		Segments: []string{"broadband"}, CustomerSince: now.AddDate(-2, -1, 0), ValueTier: "gold",
		LifeEvents: []profiles.LifeEvent{
			{Kind: "move", At: now.AddDate(0, 0, -20)},
			{Kind: "marriage", At: now.AddDate(-1, 0, 0), ExpiresAt: now.AddDate(0, -1, 0)},
		},
		Voice: profiles.VoiceSignals{LastSurveyScore: 2},
	}
	v := VarsFrom(p, ContactFacts{Channel: "chat", Intent: "move"}, now)
	if v.Profile.TenureMonths != 25 || len(v.Profile.LifeEvents) != 1 || v.Profile.LifeEventDays["move"] != 20 {
		t.Fatalf("profile vars = %+v", v.Profile)
	}
	if v.Contact.Hour != 15 || v.Contact.Weekday != "tuesday" || v.Voice.LastSurveyScore != 2 {
		t.Fatalf("contact/voice vars = %+v %+v", v.Contact, v.Voice)
	}
	if v.Profile.Products == nil {
		t.Fatal("nil products must become an empty list")
	}
}
