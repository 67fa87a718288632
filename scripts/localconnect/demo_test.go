package localconnect_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/conduit-cx/conduit/scripts/localaws"
	"github.com/conduit-cx/conduit/scripts/localconnect"

	"github.com/conduit-cx/conduit/scripts/seed"
	"github.com/conduit-cx/conduit/shared/campaignjob"
	"github.com/conduit-cx/conduit/shared/campaignjob/invoke"
	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/decide"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/rules"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/catalogstore"
	"github.com/conduit-cx/conduit/shared/store/storetest"
	"github.com/conduit-cx/conduit/shared/store/whatifstore"
)

// TestWhatIfOverTheDemoBase runs a what-if of every demo campaign over
// the demo profile base (what scripts/dev seeds): the counts add up, and
// the matched count is the direct count of the stored profiles the
// campaign's audience rule selects.
func TestWhatIfOverTheDemoBase(t *testing.T) {
	env := storetest.New(t)
	ctx := context.Background()
	now := time.Now().UTC()
	if err := seed.Run(ctx, seed.Env{Config: env.Config, Clients: env.Clients, Tables: env.Tables, Now: now}); err != nil {
		t.Fatal(err)
	}
	// The stored profiles, read past the store's scan.
	var stored []profiles.Profile
	err := env.Clients.Dynamo.Table(env.Tables.Profiles).Scan().Filter("$ = ?", "kind", "profile").All(ctx, &stored)
	if err != nil || len(stored) != seed.DemoProfiles {
		t.Fatalf("%d stored profiles: %v", len(stored), err)
	}
	catalogStore := catalogstore.NewCatalog(env.Clients.Dynamo, env.Tables)
	profileStore := store.NewProfiles(env.Clients.Dynamo, env.Tables)
	decisions := store.NewDecisions(env.Clients.Dynamo, env.Tables)
	w := &campaignjob.WhatIf{
		Catalog: catalogStore, Profiles: profileStore, Propensity: decisions, Caps: decisions,
		Jobs: whatifstore.NewWhatIfJobs(env.Clients.Dynamo, env.Tables), Policy: decide.DefaultPolicy(),
		Clock: func() time.Time { return now }, PageSize: 100, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, tc := range []struct {
		campaign string
		contact  campaignjob.WhatIfContact
	}{
		{"fibre-upgrade", campaignjob.WhatIfContact{}},
		{"fibre-upgrade", campaignjob.WhatIfContact{Intent: "high_bill"}}, // its offers are made on a high-bill call
		{"home-move", campaignjob.WhatIfContact{}},
		{"home-move", campaignjob.WhatIfContact{Intent: "move"}}, // its audience takes callers who say they move
		{"family-plan", campaignjob.WhatIfContact{Channel: "chat"}},
	} {
		c := demoCampaign(t, now, tc.campaign)
		t.Run(tc.campaign+"/"+tc.contact.Intent, func(t *testing.T) {
			job, err := w.Start(ctx, c.ID, "maria.marketing", tc.contact)
			if err != nil {
				t.Fatal(err)
			}
			r := job.Result
			rule, err := rules.Compile(c.Audience)
			if err != nil {
				t.Fatal(err)
			}
			var direct int64
			for _, p := range stored {
				at := job.DecidedAt
				facts := rules.ContactFacts{Channel: job.Contact.Channel, Intent: job.Contact.Intent, At: at}
				ok, err := rules.NewActivation(rules.VarsFrom(p, facts, at)).
					Eval(rule, rules.Campaign{ID: c.ID, Name: c.Name})
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					direct++
				}
			}
			if job.Status != campaignjob.WhatIfDone || r.Profiles != int64(len(stored)) || r.Matched != direct || r.AudienceErrors != 0 ||
				r.Offered+r.HeldBackTotal() != r.Matched {
				t.Fatalf("job %s: %+v; the audience rule selects %d", job.Status, r, direct)
			}
			t.Logf("%s (%s call, intent %q): %d profiles, matched %d (direct count %d), offered %d, held back %v, %.1f extra contacts",
				c.ID, job.Contact.Channel, job.Contact.Intent, r.Profiles, r.Matched, direct, r.Offered, r.HeldBack, r.ExpectedExtraContacts)
		})
	}
}

// TestWhatIfInTheBackground runs a what-if whose later chunks go, as in
// the cloud, by asynchronous invocations (InvocationType Event) of the
// campaigns function, here through the local Lambda Invoke API.
func TestWhatIfInTheBackground(t *testing.T) {
	env := storetest.New(t)
	ctx := context.Background()
	now := time.Now().UTC()
	if err := seed.Run(ctx, seed.Env{Config: env.Config, Clients: env.Clients, Tables: env.Tables, Now: now}); err != nil {
		t.Fatal(err)
	}
	profileStore := store.NewProfiles(env.Clients.Dynamo, env.Tables)
	decisions := store.NewDecisions(env.Clients.Dynamo, env.Tables)
	w := &campaignjob.WhatIf{
		Catalog: catalogstore.NewCatalog(env.Clients.Dynamo, env.Tables), Profiles: profileStore, Propensity: decisions, Caps: decisions,
		Jobs: whatifstore.NewWhatIfJobs(env.Clients.Dynamo, env.Tables), Policy: decide.DefaultPolicy(),
		PageSize: 100, InlineBudget: time.Nanosecond, ChunkPages: 2, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	h := &campaignjob.Handler{WhatIf: w}
	invoker := localaws.NewInvoker(localconnect.DefaultRegion, map[string]lambda.Handler{"campaigns": lambda.NewHandler(h.Handle)},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	invoker.SetTimeout("campaigns", time.Minute)
	srv := httptest.NewServer(&localaws.LambdaAPI{Invoker: invoker})
	defer srv.Close()
	defer invoker.Wait()
	w.Starter = &invoke.Lambda{Endpoint: srv.URL, Region: localconnect.DefaultRegion, Function: "campaigns",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}

	job, err := w.Start(ctx, "family-plan", "maria.marketing", campaignjob.WhatIfContact{})
	if err != nil || job.Status != campaignjob.WhatIfRunning {
		t.Fatalf("start: %+v %v", job, err)
	}
	deadline := time.Now().Add(time.Minute)
	var seen []float64
	for job.Status == campaignjob.WhatIfRunning && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		if job, err = w.Job(ctx, "family-plan", job.ID); err != nil {
			t.Fatal(err)
		}
		if n := len(seen); n == 0 || seen[n-1] != job.Progress.Percent {
			seen = append(seen, job.Progress.Percent)
		}
	}
	r := job.Result
	if job.Status != campaignjob.WhatIfDone || r.Profiles != seed.DemoProfiles || r.Offered+r.HeldBackTotal() != r.Matched || job.Progress.Chunks < 3 {
		t.Fatalf("job %s after %d chunks: %+v (%s)", job.Status, job.Progress.Chunks, r, job.Error)
	}
	t.Logf("done in %d chunks; progress seen %v; matched %d, offered %d", job.Progress.Chunks, seen, r.Matched, r.Offered)
}

func demoCampaign(t *testing.T, now time.Time, id string) catalog.Campaign {
	t.Helper()
	for _, c := range seed.DemoCampaigns(now) {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no demo campaign %s", id)
	return catalog.Campaign{}
}
