package decision_test

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/decide"
	"github.com/conduit-cx/conduit/shared/offer"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/rollup"
	"github.com/conduit-cx/conduit/shared/store"
)

const (
	phoneHappy   = "+14155550111"
	phoneLongAgo = "+14155550112"
	offerPerk    = "advocate-perk"
)

// surveyHandler is the survey function as it runs in Lambda, over the
// fixture's DynamoDB Local tables, answering at clock.
func (f *fixture) surveyHandler(clock func() time.Time) *offer.SurveyHandler {
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	return offer.NewSurveyHandler(offer.SurveyDeps{
		Recorder: &offer.SurveyRecorder{Store: store.NewSurveys(f.env.Clients.Dynamo, f.env.Tables), Profiles: f.profiles, Log: log},
		Hasher:   f.hasher, Deadline: 5 * time.Second, Clock: clock, Log: log,
	})
}

func (f *fixture) customer(t *testing.T, phone string) {
	t.Helper()
	p, err := profiles.Input{Phone: phone, Segments: []string{"broadband"}, ValueTier: "gold"}.Build(f.hasher, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.profiles.Create(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

func answerSurvey(t *testing.T, h *offer.SurveyHandler, contactID, phone string, params map[string]string) connect.Response {
	t.Helper()
	ans, err := h.Handle(context.Background(), flowEvent(contactID, phone, params))
	if err != nil {
		t.Fatalf("the survey function returned an error to Connect: %v", err)
	}
	checkFlat(t, ans)
	return ans
}

// TestLowSurveyScoreHoldsOffersOnTheNextContact is the proof, end
// to end over DynamoDB Local: a customer gets an offer, scores the contact
// 2 in the post-contact survey, and on the next contact the offer function
// makes no offer (empathy gate, low_survey_score). A happy customer's 5
// makes an offer with the rule voice.last_survey_score >= 4 eligible; a low
// score older than the policy's window holds nothing.
func TestLowSurveyScoreHoldsOffersOnTheNextContact(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	perk := newOffer(offerPerk, f.now, 0, 50)
	perk.Eligibility = `voice.last_survey_score >= 4`
	if _, err := f.catalog.CreateOffer(ctx, perk); err != nil {
		t.Fatal(err)
	}
	f.customer(t, phoneHappy)
	f.customer(t, phoneLongAgo)
	f.reload(t)
	survey := f.surveyHandler(time.Now)

	// First contact: an offer, not the perk (no survey yet).
	first := f.ask(t, flowEvent("survey-c1", phoneLoyal, nil))
	if first[offer.KeyOffer] == offer.NoOffer || first[offer.KeyOffer] == offerPerk {
		t.Fatalf("first contact: %v", first)
	}
	// After the call the flow passes the score; a retry changes nothing, a
	// different score is refused.
	steps := []struct {
		params         map[string]string
		status, reason string
	}{
		{map[string]string{"surveyScore": "2", "surveyComment": "Kept on hold for ages"}, offer.StatusRecorded, ""},
		{map[string]string{"surveyScore": "2", "surveyComment": "Kept on hold for ages"}, offer.StatusDuplicate, ""},
		{map[string]string{"surveyScore": "5"}, offer.StatusRefused, offer.ReasonSurveyExists},
		{map[string]string{"surveyScore": "7"}, offer.StatusRefused, offer.ReasonInvalidInput},
		{map[string]string{"surveyScore": "two"}, offer.StatusRefused, offer.ReasonInvalidInput},
		{map[string]string{}, offer.StatusRefused, offer.ReasonInvalidInput},
		{map[string]string{"surveyScore": "3", "surveyComment": strings.Repeat("long ", 500)}, offer.StatusRefused, offer.ReasonInvalidInput},
	}
	for _, s := range steps {
		got := answerSurvey(t, survey, "survey-c1", phoneLoyal, s.params)
		if got[offer.KeyStatus] != s.status || got[offer.KeyReason] != s.reason {
			t.Fatalf("survey %v: %v, want %s %s", s.params, got, s.status, s.reason)
		}
	}
	loyal, err := f.profiles.LookupByIdentity(ctx, mustPhone(t, f.hasher, phoneLoyal))
	if err != nil || loyal.Voice.LastSurveyScore != 2 || loyal.Voice.LastSurveyAt.IsZero() {
		t.Fatalf("profile voice %+v, err %v", loyal.Voice, err)
	}

	// Next contact of the same customer: the empathy gate holds every offer.
	next := f.ask(t, flowEvent("survey-c2", phoneLoyal, nil))
	if next[offer.KeyOffer] != offer.NoOffer || next[offer.KeyReason] != string(decide.ReasonLowSurveyScore) {
		t.Fatalf("next contact after a score of 2: %v", next)
	}

	// The survey is on the contact item, where the KPI rollup counts it for CSAT.
	c, err := f.decisions.ReadContact(ctx, "survey-c1")
	if err != nil || c.Survey == nil || c.Survey.Score != 2 || c.Survey.Source != "flow" || c.Survey.Comment != "Kept on hold for ages" {
		t.Fatalf("contact survey %+v, err %v", c.Survey, err)
	}
	if fact, ok := (rollup.Options{}).FactOf(c, time.Now()); !ok || fact.SurveyScore != 2 {
		t.Fatalf("the rollup sees survey score %d (placed %v), want 2", fact.SurveyScore, ok)
	}

	// A happy customer's 5 makes the perk eligible on the next contact.
	before := f.ask(t, flowEvent("happy-c1", phoneHappy, nil))
	if before[offer.KeyOffer] == offerPerk {
		t.Fatalf("perk offered before any survey: %v", before)
	}
	if got := answerSurvey(t, survey, "happy-c1", phoneHappy, map[string]string{"surveyScore": "5"}); got[offer.KeyStatus] != offer.StatusRecorded {
		t.Fatalf("happy survey: %v", got)
	}
	if after := f.ask(t, flowEvent("happy-c2", phoneHappy, nil)); after[offer.KeyOffer] != offerPerk {
		t.Fatalf("after a 5 the rule voice.last_survey_score >= 4 should make the perk win: %v", after)
	}

	// A low score given longer ago than the policy's window holds nothing.
	window := time.Duration(decide.DefaultPolicy().LowSurveyDays) * 24 * time.Hour
	longAgo := f.surveyHandler(func() time.Time { return time.Now().Add(-window - time.Hour) })
	if got := answerSurvey(t, longAgo, "old-c1", phoneLongAgo, map[string]string{"surveyScore": "1"}); got[offer.KeyStatus] != offer.StatusRecorded {
		t.Fatalf("old survey: %v", got)
	}
	if ans := f.ask(t, flowEvent("old-c2", phoneLongAgo, nil)); ans[offer.KeyOffer] == offer.NoOffer {
		t.Fatalf("a score of 1 from %s ago still holds offers: %v", window, ans)
	}
}
