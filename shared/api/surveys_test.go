package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

// A survey tool (SMS, email) reports the answer for a contact Conduit
// knows: it lands on the contact and on the customer's profile, once.
func TestSurveyThroughTheAPI(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	f := newSocialFixture(t, env, nil)
	ctx := context.Background()
	var profile struct {
		ID string `json:"id"`
	}
	f.must(f.do(http.MethodPost, "/v1/profiles", map[string]any{"phone": "+447700900321"}, marketer), http.StatusCreated).JSON(t, &profile)
	contactStore := store.NewContacts(env.Clients.Dynamo, env.Tables)
	if _, err := contactStore.ApplyFacts(ctx, "c-1", contacts.Facts{LastUpdate: clock, InitiatedAt: clock.Add(-time.Hour),
		Handled: true, Status: contacts.StatusHandled}); err != nil {
		t.Fatal(err)
	}
	if err := contactStore.SetProfile(ctx, "c-1", profile.ID); err != nil {
		t.Fatal(err)
	}

	answer := `{"score":1,"comment":"Nobody called me back","source":"sms","answeredAt":"2026-03-02T09:10:00Z"}`
	var got struct {
		ContactID string          `json:"contactId"`
		Survey    contacts.Survey `json:"survey"`
		Linked    bool            `json:"profileLinked"`
	}
	f.must(f.do(http.MethodPost, "/v1/contacts/c-1/survey", answer, ingester), http.StatusCreated).JSON(t, &got)
	if got.ContactID != "c-1" || got.Survey.Score != 1 || got.Survey.Source != "sms" || !got.Linked ||
		!got.Survey.At.Equal(time.Date(2026, 3, 2, 9, 10, 0, 0, time.UTC)) {
		t.Fatalf("recorded %+v", got)
	}
	f.must(f.do(http.MethodPost, "/v1/contacts/c-1/survey", answer, ingester), http.StatusOK)
	wantError(t, f.do(http.MethodPost, "/v1/contacts/c-1/survey", `{"score":5}`, ingester), http.StatusConflict, "conflict")

	var view struct {
		Voice struct {
			LastSurveyScore int       `json:"lastSurveyScore"`
			LastSurveyAt    time.Time `json:"lastSurveyAt"`
		} `json:"voice"`
	}
	f.must(f.do(http.MethodGet, "/v1/profiles/"+profile.ID, nil, analyst), http.StatusOK).JSON(t, &view)
	if view.Voice.LastSurveyScore != 1 || !view.Voice.LastSurveyAt.Equal(got.Survey.At) {
		t.Fatalf("profile voice %+v", view.Voice)
	}
	c, err := contactStore.Get(ctx, "c-1")
	if err != nil || c.Survey == nil || c.Survey.Comment != "Nobody called me back" || c.Facts == nil {
		t.Fatalf("contact %+v %v", c, err)
	}

	cases := []struct {
		name, target, body string
		status             int
		code               string
		fields             []string
	}{
		{"unknown contact", "/v1/contacts/c-404/survey", `{"score":3}`, 404, "not_found", nil},
		{"score 0", "/v1/contacts/c-1/survey", `{"score":0}`, 400, "invalid_input", []string{"score"}},
		{"score 6", "/v1/contacts/c-1/survey", `{"score":6}`, 400, "invalid_input", []string{"score"}},
		{"score as text", "/v1/contacts/c-1/survey", `{"score":"five"}`, 400, "invalid_input", []string{"score"}},
		{"score with a fraction", "/v1/contacts/c-1/survey", `{"score":4.5}`, 400, "invalid_input", []string{"score"}},
		{"comment too long", "/v1/contacts/c-1/survey", `{"score":3,"comment":"` + strings.Repeat("x", 2001) + `"}`, 400, "invalid_input", []string{"comment"}},
		{"answered in the future", "/v1/contacts/c-1/survey", `{"score":3,"answeredAt":"2026-03-03T09:00:00Z"}`, 400, "invalid_input", []string{"answeredAt"}},
		{"bad source", "/v1/contacts/c-1/survey", `{"score":3,"source":"SMS text"}`, 400, "invalid_input", []string{"source"}},
		{"unknown field", "/v1/contacts/c-1/survey", `{"score":3,"stars":3}`, 400, "invalid_input", []string{"stars"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, f.do(http.MethodPost, tc.target, tc.body, ingester), tc.status, tc.code, tc.fields...)
		})
	}
	if _, err := contactStore.Get(ctx, "c-404"); err == nil {
		t.Fatal("a survey for an unknown contact created it")
	}
	wantError(t, f.do(http.MethodPost, "/v1/contacts/c-1/survey", `{"score":3}`, analyst), http.StatusForbidden, "forbidden")
}
