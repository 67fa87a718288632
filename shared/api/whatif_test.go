package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/api"
	"github.com/conduit-cx/conduit/shared/api/apitest"
	"github.com/conduit-cx/conduit/shared/campaignjob"
	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/decide"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/logging"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/catalogstore"
	"github.com/conduit-cx/conduit/shared/store/loadstore"
	"github.com/conduit-cx/conduit/shared/store/storetest"
	"github.com/conduit-cx/conduit/shared/store/whatifstore"
)

// loadFixture is the API with the load-aware parts wired over DynamoDB
// Local: the wallboard, the catalog and what-ifs over a small profile base.
type loadFixture struct {
	t       *testing.T
	env     storetest.Env
	srv     *api.Server
	board   *loadstore.LoadBoard
	catalog *catalogstore.Catalog
	now     time.Time
	launch  time.Time
}

const loadCampaign = "spring-families"

func newLoadFixture(t *testing.T, profilesInBase int) *loadFixture {
	t.Helper()
	env := storetest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	f := &loadFixture{t: t, env: env, board: loadstore.NewLoadBoard(env.Clients.Dynamo, env.Tables),
		catalog: catalogstore.NewCatalog(env.Clients.Dynamo, env.Tables), now: now, launch: now.Add(24 * time.Hour)}
	profileStore := store.NewProfiles(env.Clients.Dynamo, env.Tables)
	decisions := store.NewDecisions(env.Clients.Dynamo, env.Tables)
	whatIf := &campaignjob.WhatIf{
		Catalog: f.catalog, Profiles: profileStore, Propensity: decisions, Caps: decisions,
		Jobs: whatifstore.NewWhatIfJobs(env.Clients.Dynamo, env.Tables), Policy: decide.DefaultPolicy(),
		Clock: func() time.Time { return now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	f.srv = api.NewServer(api.Deps{
		CatalogStore: f.catalog, Load: f.board, WhatIf: whatIf,
		Clock: func() time.Time { return now }, Log: logging.New(&strings.Builder{}, slog.LevelError),
	})

	c := catalog.Campaign{ID: loadCampaign, Status: catalog.CampaignPlanned}
	c.Name, c.Goal, c.Owner = "Spring for families", "Family bundles", "maria.marketing"
	c.LaunchAt, c.EndAt = f.launch, f.launch.Add(30*24*time.Hour)
	c.Audience, c.ExpectedResponseRate, c.AudienceSize, c.HoldoutShare = `"families" in profile.segments`, 0.05, 10000, 0.1
	if _, err := f.catalog.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	o := catalog.Offer{ID: "spring-bundle", Status: catalog.OfferDraft}
	o.Name, o.CampaignID, o.Channels = "Family bundle", loadCampaign, []string{profiles.ChannelVoice}
	o.ValidFrom, o.Value, o.BusinessLever, o.PriorityWeight = now, catalog.Money{Amount: "10.00", Currency: "USD"}, 1, 1
	o.Content.Pitch = "A bundle for the whole family."
	if _, err := f.catalog.CreateOffer(ctx, o); err != nil {
		t.Fatal(err)
	}
	hasher := identity.NewHasher(env.Config.IdentityKey)
	for i := range profilesInBase {
		p, err := profiles.Input{CustomerID: fmt.Sprintf("C-%03d", i)}.Build(hasher, now)
		if err != nil {
			t.Fatal(err)
		}
		p.ID, p.Segments = fmt.Sprintf("p-%03d", i), []string{[]string{"families", "students"}[i%2]}
		if i%6 == 0 {
			p.Consent = map[string]profiles.Consent{profiles.ChannelAll: {Status: profiles.ConsentOptOut, UpdatedAt: now}}
		}
		if _, err := profileStore.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *loadFixture) do(method, target string, body any, scopes ...string) apitest.Response {
	f.t.Helper()
	return apitest.Do(f.t, f.srv, apitest.Request(method, target, body, scopes...))
}

func TestWhatIfThroughTheAPI(t *testing.T) {
	t.Parallel()
	f := newLoadFixture(t, 24)
	resp := f.do(http.MethodPost, "/v1/campaigns/"+loadCampaign+"/whatif", nil, marketer)
	if resp.Status != http.StatusOK {
		t.Fatalf("a small base is done within the request: %d %s", resp.Status, resp.Body)
	}
	var job campaignjob.WhatIfJob
	resp.JSON(t, &job)
	r := job.Result
	if job.Status != campaignjob.WhatIfDone || r.Profiles != 24 || r.Matched != 12 || r.Offered+r.HeldBackTotal() != r.Matched ||
		r.HeldBack["opted_out"] != 4 || job.RequestedBy != apitest.Subject || !job.DecidedAt.Equal(f.launch) || job.Contact.Channel != "voice" {
		t.Fatalf("job %s", resp.Body)
	}
	loc := resp.Headers.Get("Location")
	if loc != "/v1/campaigns/"+loadCampaign+"/whatif/"+job.ID {
		t.Fatalf("location %q", loc)
	}
	got := f.do(http.MethodGet, loc, nil, analyst)
	var again campaignjob.WhatIfJob
	got.JSON(t, &again)
	if got.Status != http.StatusOK || again.ID != job.ID || again.Result.Offered != r.Offered {
		t.Fatalf("get: %d %s", got.Status, got.Body)
	}

	cases := []struct {
		name   string
		method string
		target string
		body   any
		scopes []string
		status int
	}{
		{"an analyst may not start one", http.MethodPost, "/v1/campaigns/" + loadCampaign + "/whatif", nil, []string{analyst}, http.StatusForbidden},
		{"unknown options are refused", http.MethodPost, "/v1/campaigns/" + loadCampaign + "/whatif", `{"sample":10}`, []string{marketer}, http.StatusBadRequest},
		{"an unknown channel is refused", http.MethodPost, "/v1/campaigns/" + loadCampaign + "/whatif", `{"contact":{"channel":"fax"}}`, []string{marketer}, http.StatusBadRequest},
		{"an intent that is not a word is refused", http.MethodPost, "/v1/campaigns/" + loadCampaign + "/whatif", `{"contact":{"intent":"high bill!"}}`, []string{marketer}, http.StatusBadRequest},
		{"a chat contact about a high bill", http.MethodPost, "/v1/campaigns/" + loadCampaign + "/whatif", `{"contact":{"channel":"CHAT","intent":"High_Bill"}}`, []string{marketer}, http.StatusOK},
		{"an empty object is fine", http.MethodPost, "/v1/campaigns/" + loadCampaign + "/whatif", `{}`, []string{marketer}, http.StatusOK},
		{"unknown campaign", http.MethodPost, "/v1/campaigns/nope/whatif", nil, []string{marketer}, http.StatusNotFound},
		{"unknown job", http.MethodGet, "/v1/campaigns/" + loadCampaign + "/whatif/wi-0000", nil, []string{analyst}, http.StatusNotFound},
		{"not a job id", http.MethodGet, "/v1/campaigns/" + loadCampaign + "/whatif/x", nil, []string{analyst}, http.StatusNotFound},
		{"a job under another campaign", http.MethodGet, "/v1/campaigns/other/whatif/" + job.ID, nil, []string{analyst}, http.StatusNotFound},
	}
	for _, tc := range cases {
		resp := f.do(tc.method, tc.target, tc.body, tc.scopes...)
		if resp.Status != tc.status {
			t.Errorf("%s: %d, want %d: %s", tc.name, resp.Status, tc.status, resp.Body)
		}
	}
}
