package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/api"
	"github.com/conduit-cx/conduit/shared/api/apitest"
	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/decide"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/offer/decision"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/catalogstore"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

// decisionServer is an API over a stage with one live campaign and offer.
func decisionServer(t *testing.T) (*api.Server, *store.Profiles, identity.Hasher) {
	t.Helper()
	env := storetest.New(t)
	ctx := context.Background()
	now := time.Now().UTC()
	cat := catalogstore.NewCatalog(env.Clients.Dynamo, env.Tables)
	c := catalog.Campaign{ID: "movers", Status: catalog.CampaignLive}
	c.Name, c.LaunchAt, c.EndAt = "Home move", now.Add(-time.Hour), now.Add(24*time.Hour)
	if _, err := cat.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	o := catalog.Offer{ID: "move-kit", Status: catalog.OfferActive}
	o.Name, o.CampaignID, o.Channels, o.ValidFrom = "Home move kit", "movers", []string{"voice"}, now.Add(-time.Hour)
	o.Value, o.BusinessLever, o.PriorityWeight = catalog.Money{Amount: "25.00", Currency: "USD"}, 1, 1
	o.Eligibility = `"move" in profile.life_events`
	o.Content.Pitch = "Moving? Take your service with you, free."
	if _, err := cat.CreateOffer(ctx, o); err != nil {
		t.Fatal(err)
	}
	profileStore := store.NewProfiles(env.Clients.Dynamo, env.Tables)
	decisions := store.NewDecisions(env.Clients.Dynamo, env.Tables)
	hasher := identity.NewHasher(env.Config.IdentityKey)
	srv := api.NewServer(api.Deps{
		Profiles: profileStore, Identity: hasher, Contacts: decisions, Policy: decide.DefaultPolicy(),
		Catalog: decision.NewCache(cat, decisions, nil, time.Minute, nil, nil),
	})
	return srv, profileStore, hasher
}

func TestSimulateExplainsEveryOffer(t *testing.T) {
	srv, profileStore, hasher := decisionServer(t)
	mover, err := profiles.Input{Phone: "+14155550123", LifeEvents: []profiles.LifeEvent{{Kind: "move", At: time.Now().Add(-48 * time.Hour)}}}.Build(hasher, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	stored, err := profileStore.Create(context.Background(), mover)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		body      any
		wantOffer string
		wantWhy   string
	}{
		{"stored mover by phone gets the offer", map[string]any{"phone": "+14155550123", "contact": map[string]any{"channel": "voice"}}, "move-kit", ""},
		{"stored mover by id gets the offer", map[string]any{"profileId": stored.ID, "contact": map[string]any{"channel": "voice"}}, "move-kit", ""},
		{"inline profile without the life event does not", map[string]any{"profile": map[string]any{"customerId": "c-1"}, "contact": map[string]any{"channel": "voice"}}, "", string(decide.ReasonOfferRule)},
		{"upset mover gets nothing", map[string]any{"phone": "+14155550123", "contact": map[string]any{"channel": "voice", "sentiment": "negative"}}, "", string(decide.ReasonUpset)},
		{"chat is not the offer's channel", map[string]any{"phone": "+14155550123", "contact": map[string]any{"channel": "chat"}}, "", string(decide.ReasonOfferChannel)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := apitest.Do(t, srv, apitest.Request(http.MethodPost, "/v1/decisions/simulate", tc.body, api.ScopeAnalyst))
			if resp.Status != http.StatusOK {
				t.Fatalf("status %d: %s", resp.Status, resp.Body)
			}
			var out struct {
				Decision struct {
					OfferID     string                  `json:"offerId"`
					Why         struct{ Reason string } `json:"why"`
					Explanation struct {
						Offers []struct {
							OfferID string                  `json:"offerId"`
							Why     struct{ Reason string } `json:"why"`
							Rank    int                     `json:"rank"`
						} `json:"offers"`
					} `json:"explanation"`
				} `json:"decision"`
				Recorded bool `json:"recorded"`
			}
			resp.JSON(t, &out)
			if out.Decision.OfferID != tc.wantOffer || out.Recorded {
				t.Fatalf("offer %q recorded=%v, want %q: %s", out.Decision.OfferID, out.Recorded, tc.wantOffer, resp.Body)
			}
			if len(out.Decision.Explanation.Offers) != 1 {
				t.Fatalf("explanation lists %d offers, want 1", len(out.Decision.Explanation.Offers))
			}
			got := out.Decision.Explanation.Offers[0]
			if tc.wantWhy != "" && got.Why.Reason != tc.wantWhy && out.Decision.Why.Reason != tc.wantWhy {
				t.Fatalf("why %q / %q, want %q: %s", got.Why.Reason, out.Decision.Why.Reason, tc.wantWhy, resp.Body)
			}
			if tc.wantOffer != "" && got.Rank != 1 {
				t.Fatalf("winner not ranked first: %s", resp.Body)
			}
		})
	}
}

func TestSimulateRefusesBadInput(t *testing.T) {
	srv, _, _ := decisionServer(t)
	cases := []struct {
		name   string
		body   any
		scopes []string
		status int
		field  string
	}{
		{"two ways of naming the customer", map[string]any{"phone": "+14155550123", "email": "a@example.com"}, []string{api.ScopeAnalyst}, 400, "profileId"},
		{"phone not E.164", map[string]any{"phone": "4155550123"}, []string{api.ScopeAnalyst}, 400, "phone"},
		{"bad inline profile", map[string]any{"profile": map[string]any{"valueTier": "diamond"}}, []string{api.ScopeAnalyst}, 400, "profile.valueTier"},
		{"unknown field", map[string]any{"colour": "red"}, []string{api.ScopeAnalyst}, 400, "colour"},
		{"unknown profile", map[string]any{"profileId": "p-missing"}, []string{api.ScopeAnalyst}, 404, ""},
		{"no token", map[string]any{}, nil, 401, ""},
		{"ingest scope cannot simulate", map[string]any{}, []string{api.ScopeIngest}, 403, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := apitest.Do(t, srv, apitest.Request(http.MethodPost, "/v1/decisions/simulate", tc.body, tc.scopes...))
			if resp.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.Status, tc.status, resp.Body)
			}
			if tc.field != "" {
				var e apitest.Error
				resp.JSON(t, &e)
				if fmt.Sprint(e.Fields()) != fmt.Sprint([]string{tc.field}) {
					t.Fatalf("fields %v, want %s", e.Fields(), tc.field)
				}
			}
		})
	}
}

func TestContactDecisionNotFound(t *testing.T) {
	srv, _, _ := decisionServer(t)
	resp := apitest.Do(t, srv, apitest.Request(http.MethodGet, "/v1/contacts/nobody/decision", nil, api.ScopeAnalyst))
	if resp.Status != http.StatusNotFound {
		t.Fatalf("status %d: %s", resp.Status, resp.Body)
	}
}
