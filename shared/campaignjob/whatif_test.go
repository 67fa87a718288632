package campaignjob_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/campaignjob"
	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/decide"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/rules"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/catalogstore"
	"github.com/conduit-cx/conduit/shared/store/storetest"
	"github.com/conduit-cx/conduit/shared/store/whatifstore"
)

const (
	spring    = "spring-families"
	loyalty   = "gold-loyalty"
	baseSize  = 240
	springCap = 10
)

// base is a seeded profile base with every kind of customer the engine
// holds back, and a catalog: a planned campaign for families (two offers,
// one globally capped, 10 % holdout) beside a live loyalty campaign whose
// offer wins for gold customers.
type base struct {
	env      storetest.Env
	catalog  *catalogstore.Catalog
	profiles *store.Profiles
	jobs     *whatifstore.WhatIfJobs
	launch   time.Time
	built    []profiles.Profile
}

func seedBase(t *testing.T) *base {
	t.Helper()
	env := storetest.New(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	b := &base{env: env, catalog: catalogstore.NewCatalog(env.Clients.Dynamo, env.Tables), profiles: store.NewProfiles(env.Clients.Dynamo, env.Tables),
		jobs: whatifstore.NewWhatIfJobs(env.Clients.Dynamo, env.Tables), launch: now.Add(48 * time.Hour)}

	c := catalog.Campaign{ID: spring, Status: catalog.CampaignPlanned}
	c.Name, c.Goal, c.Owner = "Spring for families", "Family bundles", "marketing@example.com"
	c.LaunchAt, c.EndAt = b.launch, b.launch.Add(30*24*time.Hour)
	c.Audience, c.HoldoutShare, c.ExpectedResponseRate = `"families" in profile.segments`, 0.1, 0.05
	l := catalog.Campaign{ID: loyalty, Status: catalog.CampaignLive}
	l.Name, l.Goal, l.Owner = "Gold loyalty", "Keep gold customers", "marketing@example.com"
	l.LaunchAt, l.EndAt = now.Add(-24*time.Hour), now.Add(90*24*time.Hour)
	for _, x := range []catalog.Campaign{c, l} {
		if _, err := b.catalog.CreateCampaign(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	offers := []catalog.Offer{
		offer("spring-gift", spring, catalog.OfferDraft, 3, springCap, ""),
		offer("spring-bundle", spring, catalog.OfferDraft, 1, 0, ""),
		offer("spring-retired", spring, catalog.OfferRetired, 9, 0, ""),
		offer("gold-thanks", loyalty, catalog.OfferActive, 50, 0, `profile.value_tier == "gold"`),
	}
	for _, o := range offers {
		o.ValidFrom = now.Add(-time.Hour)
		if _, err := b.catalog.CreateOffer(ctx, o); err != nil {
			t.Fatal(err)
		}
	}

	hasher := identity.NewHasher(env.Config.IdentityKey)
	recent := b.launch.Add(-time.Hour)
	var all []profiles.Profile
	for i := range baseSize {
		p, err := profiles.Input{CustomerID: fmt.Sprintf("C-%04d", i)}.Build(hasher, now)
		if err != nil {
			t.Fatal(err)
		}
		p.ID = fmt.Sprintf("p-%04d", i)
		p.Segments = []string{[]string{"families", "students", "seniors"}[i%3]}
		p.ValueTier = []string{"bronze", "silver", "gold", "silver"}[i%4]
		switch {
		case i%7 == 0:
			p.Consent = map[string]profiles.Consent{profiles.ChannelAll: {Status: profiles.ConsentOptOut, UpdatedAt: now}}
		case i%11 == 0:
			p.LastSentiment, p.LastSentimentAt = profiles.SentimentNegative, recent
		case i%13 == 0:
			for k := range 3 {
				p.RecentOffers = append(p.RecentOffers, profiles.Exposure{DecisionID: fmt.Sprintf("d%d-%d", i, k),
					OfferID: "gold-thanks", CampaignID: loyalty, At: b.launch.Add(-time.Duration(k+1) * 24 * time.Hour)})
			}
		case i%17 == 0:
			p.RecentOffers = []profiles.Exposure{{DecisionID: fmt.Sprintf("d%d", i), OfferID: "spring-gift", CampaignID: spring,
				At: b.launch.Add(-48 * time.Hour), Outcome: "declined", OutcomeAt: b.launch.Add(-48 * time.Hour)},
				{DecisionID: fmt.Sprintf("e%d", i), OfferID: "spring-bundle", CampaignID: spring,
					At: b.launch.Add(-47 * time.Hour), Outcome: "declined", OutcomeAt: b.launch.Add(-47 * time.Hour)}}
		}
		all = append(all, p)
	}
	b.built = make([]profiles.Profile, len(all))
	var wg sync.WaitGroup
	errs := make(chan error, len(all))
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < len(all); i += 4 {
				created, err := b.profiles.Create(ctx, all[i])
				if err != nil {
					errs <- err
					return
				}
				b.built[i] = created
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	// An erased customer leaves a tombstone the scan must read past.
	if err := b.profiles.Erase(ctx, b.built[1].ID, now); err != nil {
		t.Fatal(err)
	}
	b.built = slices.Delete(b.built, 1, 2)
	return b
}

func offer(id, campaign string, status catalog.OfferStatus, lever float64, globalCap int64, rule string) catalog.Offer {
	o := catalog.Offer{ID: id, Status: status}
	o.Name, o.CampaignID, o.Eligibility = "Offer "+id, campaign, rule
	o.Channels = []string{profiles.ChannelVoice}
	o.Value = catalog.Money{Amount: "10.00", Currency: "USD"}
	o.BusinessLever, o.PriorityWeight = lever, 1
	o.Caps.Global = globalCap
	o.SuppressionDaysAfterDecline = 30
	o.Content = catalog.Content{Pitch: "A bundle for the whole family."}
	return o
}

func (b *base) whatIf(starter campaignjob.Starter) *campaignjob.WhatIf {
	decisions := store.NewDecisions(b.env.Clients.Dynamo, b.env.Tables)
	return &campaignjob.WhatIf{
		Catalog: b.catalog, Profiles: b.profiles, Propensity: decisions, Caps: decisions, Jobs: b.jobs,
		Starter: starter, Policy: decide.DefaultPolicy(), PageSize: 60,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// directAudience counts the profiles the audience rule selects, without
// the engine.
func (b *base) directAudience(t *testing.T) int64 {
	rule, err := rules.Compile(`"families" in profile.segments`)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, p := range b.built {
		ok, err := rules.NewActivation(rules.VarsFrom(p, rules.ContactFacts{Channel: "voice", At: b.launch}, b.launch)).
			Eval(rule, rules.Campaign{ID: spring})
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			n++
		}
	}
	return n
}

func checkCounts(t *testing.T, b *base, job campaignjob.WhatIfJob) {
	t.Helper()
	r := job.Result
	if job.Status != campaignjob.WhatIfDone || job.Progress.Percent != 100 {
		t.Fatalf("job %s at %.0f %%: %s", job.Status, job.Progress.Percent, job.Error)
	}
	if r.Profiles != int64(len(b.built)) {
		t.Fatalf("evaluated %d profiles, the base has %d", r.Profiles, len(b.built))
	}
	if want := b.directAudience(t); r.Matched != want {
		t.Fatalf("matched %d, the audience rule selects %d", r.Matched, want)
	}
	if r.Offered+r.HeldBackTotal() != r.Matched {
		t.Fatalf("offered %d + held back %d (%v) != matched %d", r.Offered, r.HeldBackTotal(), r.HeldBack, r.Matched)
	}
	var byStep, byOffer int64
	for _, n := range r.HeldBackByStep {
		byStep += n
	}
	for _, n := range r.OfferedByOffer {
		byOffer += n
	}
	if byStep != r.HeldBackTotal() || byOffer != r.Offered {
		t.Fatalf("by step %d, by offer %d: %+v", byStep, byOffer, r)
	}
	for _, reason := range []string{string(decide.ReasonOptedOut), string(decide.ReasonRecentNegativeContact),
		string(decide.ReasonFrequencyCap), string(decide.ReasonHoldout), string(campaignjob.ReasonOutranked), string(decide.ReasonDeclinedRecently)} {
		if r.HeldBack[reason] == 0 {
			t.Errorf("no customer held back by %s: %v", reason, r.HeldBack)
		}
	}
	if r.OfferedByOffer["spring-gift"] != springCap || r.OfferedByOffer["spring-bundle"] == 0 || r.OfferedByOffer["spring-retired"] != 0 {
		t.Fatalf("offers %v: the capped offer stops at its cap and the rest go to the next offer", r.OfferedByOffer)
	}
	if r.ExpectedExtraContacts != float64(r.Offered)*0.05 || len(r.ExtraContactsPerDay) != 7 ||
		r.ExtraContactsPerDay[0].Day != b.launch.Format("2006-01-02") {
		t.Fatalf("forecast %+v", r)
	}
	var sum float64
	for _, d := range r.ExtraContactsPerDay {
		sum += d.Contacts
	}
	if d := sum - r.ExpectedExtraContacts; d > 1e-9 || d < -1e-9 {
		t.Fatalf("days add to %g, not %g", sum, r.ExpectedExtraContacts)
	}
}

// TestWhatIf runs every what-if scenario over one seeded base (seeding is
// the slow part).
func TestWhatIf(t *testing.T) {
	b := seedBase(t)
	t.Run("counts add up inline", func(t *testing.T) { countsAddUpInline(t, b) })
	t.Run("chunks with duplicate deliveries", func(t *testing.T) { inChunksWithDuplicateDeliveries(t, b) })
	t.Run("refusals", func(t *testing.T) { refusals(t, b) })
}

func countsAddUpInline(t *testing.T, b *base) {
	job, err := b.whatIf(nil).Start(context.Background(), spring, "maria@example.com", campaignjob.WhatIfContact{})
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, b, job)
	t.Logf("profiles %d, matched %d, offered %d %v, held back %v", job.Result.Profiles, job.Result.Matched,
		job.Result.Offered, job.Result.OfferedByOffer, job.Result.HeldBack)
	if job.Progress.Chunks != 1 || !job.DecidedAt.Equal(b.launch) {
		t.Fatalf("progress %+v decided at %v", job.Progress, job.DecidedAt)
	}
	stored, err := b.jobs.LatestWhatIf(context.Background(), spring)
	if err != nil || stored.ID != job.ID || stored.Result.Matched != job.Result.Matched {
		t.Fatalf("latest %+v %v", stored, err)
	}
	// Nothing of the catalog changed: the campaign is still planned, its offers drafts.
	c, _ := b.catalog.GetCampaign(context.Background(), spring)
	o, _ := b.catalog.GetOffer(context.Background(), "spring-gift")
	if c.Status != catalog.CampaignPlanned || o.Status != catalog.OfferDraft {
		t.Fatalf("the what-if changed the catalog: %s %s", c.Status, o.Status)
	}
}

// queueStarter keeps background runs for the test to deliver.
type queueStarter struct {
	mu   sync.Mutex
	runs []campaignjob.WhatIfRun
}

func (q *queueStarter) StartWhatIf(_ context.Context, run campaignjob.WhatIfRun) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.runs = append(q.runs, run)
	return nil
}

func (q *queueStarter) next() (campaignjob.WhatIfRun, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.runs) == 0 {
		return campaignjob.WhatIfRun{}, false
	}
	r := q.runs[0]
	q.runs = q.runs[1:]
	return r, true
}

func inChunksWithDuplicateDeliveries(t *testing.T, b *base) {
	starter := &queueStarter{}
	w := b.whatIf(starter)
	w.InlineBudget, w.ChunkPages = time.Nanosecond, 1
	ctx := context.Background()
	job, err := w.Start(ctx, spring, "maria@example.com", campaignjob.WhatIfContact{})
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != campaignjob.WhatIfRunning || job.Progress.ProfilesEvaluated == 0 || job.Progress.ProfilesEvaluated >= int64(len(b.built)) {
		t.Fatalf("after the inline chunk: %+v", job)
	}
	delivered := 0
	for run, ok := starter.next(); ok; run, ok = starter.next() {
		// Every background run is delivered twice, as an asynchronous
		// invocation may be.
		for range 2 {
			if err := w.Continue(ctx, run); err != nil {
				t.Fatal(err)
			}
		}
		if delivered++; delivered > 50 {
			t.Fatal("the job does not finish")
		}
		mid, err := w.Job(ctx, spring, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if mid.Status == campaignjob.WhatIfRunning && !(mid.Progress.Percent >= 0 && mid.Progress.Percent < 100) {
			t.Fatalf("progress %+v", mid.Progress)
		}
	}
	done, err := w.Job(ctx, spring, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, b, done)
	if done.Progress.Chunks < 3 {
		t.Fatalf("ran in %d chunks", done.Progress.Chunks)
	}
	// The same counts as one inline run.
	inline, err := b.whatIf(nil).Start(ctx, spring, "maria@example.com", campaignjob.WhatIfContact{})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(inline.Result.HeldBack) != fmt.Sprint(done.Result.HeldBack) || inline.Result.Offered != done.Result.Offered {
		t.Fatalf("chunked %v/%d, inline %v/%d", done.Result.HeldBack, done.Result.Offered, inline.Result.HeldBack, inline.Result.Offered)
	}
	if _, err := w.Job(ctx, loyalty, job.ID); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("a job read under another campaign: %v", err)
	}
}

func refusals(t *testing.T, b *base) {
	ctx := context.Background()
	w := b.whatIf(nil)
	if _, err := w.Start(ctx, "nope", "x", campaignjob.WhatIfContact{}); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("unknown campaign: %v", err)
	}
	c := catalog.Campaign{ID: "old", Status: catalog.CampaignEnded}
	c.Name, c.Goal, c.Owner = "Old", "Old", "x"
	c.LaunchAt, c.EndAt = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	if _, err := b.catalog.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Start(ctx, "old", "x", campaignjob.WhatIfContact{}); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("ended campaign: %v", err)
	}
	e := catalog.Campaign{ID: "empty", Status: catalog.CampaignPlanned}
	e.Name, e.Goal, e.Owner = "Empty", "Empty", "x"
	e.LaunchAt, e.EndAt = time.Now().Add(24*time.Hour), time.Now().Add(48*time.Hour)
	if _, err := b.catalog.CreateCampaign(ctx, e); err != nil {
		t.Fatal(err)
	}
	job, err := w.Start(ctx, "empty", "x", campaignjob.WhatIfContact{})
	if _, ok := apperr.AsProblems(err); !ok || job.Status != campaignjob.WhatIfFailed {
		t.Fatalf("campaign without offers: %v %+v", err, job)
	}
}
