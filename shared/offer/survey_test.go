package offer_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/offer"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

// fixture is a stage's contact and profile tables; the survey needs no
// catalog (the survey tests that make a decision first are in
// offer/decision).
type fixture struct {
	env       storetest.Env
	profiles  *store.Profiles
	decisions *store.Decisions
	hasher    identity.Hasher
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	env := storetest.New(t)
	return &fixture{
		env:       env,
		profiles:  store.NewProfiles(env.Clients.Dynamo, env.Tables),
		decisions: store.NewDecisions(env.Clients.Dynamo, env.Tables),
		hasher:    identity.NewHasher(env.Config.IdentityKey),
	}
}

// surveyHandler is the survey function as it runs in Lambda, over the
// fixture's DynamoDB Local tables, answering at clock.
func (f *fixture) surveyHandler(clock func() time.Time) *offer.SurveyHandler {
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	return offer.NewSurveyHandler(offer.SurveyDeps{
		Recorder: &offer.SurveyRecorder{Store: store.NewSurveys(f.env.Clients.Dynamo, f.env.Tables), Profiles: f.profiles, Log: log},
		Hasher:   f.hasher, Deadline: 5 * time.Second, Clock: clock, Log: log,
	})
}

func TestSurveyBadEvents(t *testing.T) {
	f := newFixture(t)
	h := f.surveyHandler(time.Now)
	cases := []struct {
		name, payload, reason string
	}{
		{"not JSON", `{`, offer.ReasonInvalidEvent},
		{"no contact", `{"Details":{"ContactData":null}}`, offer.ReasonInvalidEvent},
		{"score as a number in nested JSON is read as text", `{"Details":{"ContactData":{"ContactId":"n-1","Channel":"CHAT"},"Parameters":{"surveyScore":{"value":4}}}}`, offer.ReasonInvalidInput},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ans, err := h.Handle(context.Background(), json.RawMessage(tc.payload))
			if err != nil || ans[offer.KeyStatus] != offer.StatusRefused || ans[offer.KeyReason] != tc.reason {
				t.Fatalf("answer %v, err %v; want refused %s", ans, err, tc.reason)
			}
		})
	}
	// An anonymous chat's survey is kept on the contact, without a profile;
	// the score may come as the contact attribute the flow set.
	ev := `{"Details":{"ContactData":{"ContactId":"chat-1","Channel":"CHAT","CustomerEndpoint":null,"Attributes":{"conduit_surveyScore":"4"}},"Parameters":{}}}`
	ans, err := h.Handle(context.Background(), json.RawMessage(ev))
	if err != nil || ans[offer.KeyStatus] != offer.StatusRecorded || ans[offer.KeySurveyScore] != "4" {
		t.Fatalf("anonymous chat survey: %v %v", ans, err)
	}
	c, err := f.decisions.ReadContact(context.Background(), "chat-1")
	if err != nil || c.Survey == nil || c.Survey.Score != 4 || c.ProfileID != "" {
		t.Fatalf("anonymous contact %+v %v", c, err)
	}
}

// TestSurveySampleEvents replays events/survey through the handler.
func TestSurveySampleEvents(t *testing.T) {
	f := newFixture(t)
	h := f.surveyHandler(time.Now)
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "survey", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample survey events: %v", err)
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		want := offer.StatusRecorded
		if strings.Contains(filepath.Base(file), "refused") {
			want = offer.StatusRefused
		}
		ans, err := h.Handle(context.Background(), raw)
		if err != nil || ans[offer.KeyStatus] != want {
			t.Errorf("%s: %v %v; want %s", file, ans, err, want)
		}
	}
}
