package decision_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/decide"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/offer"
	"github.com/conduit-cx/conduit/shared/offer/decision"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/catalogstore"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

// fixture is a stage with a live campaign, two offers and a few customers.
type fixture struct {
	env       storetest.Env
	catalog   *catalogstore.Catalog
	profiles  *store.Profiles
	decisions *store.Decisions
	hasher    identity.Hasher
	handler   *decision.Handler
	outcomes  *offer.OutcomeHandler
	cache     *decision.Cache
	now       time.Time
}

const (
	phoneLoyal   = "+14155550101"
	phoneOptOut  = "+14155550102"
	phoneErased  = "+14155550103"
	campaignID   = "fibre-upgrade"
	offerFibre   = "fibre-500"
	offerCapped  = "router-upgrade"
	globalCapped = 50
)

func newFixture(t testing.TB) *fixture {
	t.Helper()
	env := storetest.New(t)
	ctx := context.Background()
	f := &fixture{
		env:      env,
		catalog:  catalogstore.NewCatalog(env.Clients.Dynamo, env.Tables),
		profiles: store.NewProfiles(env.Clients.Dynamo, env.Tables),
		hasher:   identity.NewHasher(env.Config.IdentityKey),
		now:      time.Now().UTC(),
	}
	f.decisions = store.NewDecisions(env.Clients.Dynamo, env.Tables)
	c := catalog.Campaign{ID: campaignID, Status: catalog.CampaignLive}
	c.Name, c.Goal, c.Owner = "Fibre upgrade", "Move copper customers to fibre", "marketing@example.com"
	c.LaunchAt, c.EndAt = f.now.Add(-24*time.Hour), f.now.Add(30*24*time.Hour)
	if _, err := f.catalog.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	for _, o := range []catalog.Offer{
		newOffer(offerFibre, f.now, 0, 1.0),
		newOffer(offerCapped, f.now, globalCapped, 3.0),
	} {
		if _, err := f.catalog.CreateOffer(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	for _, phone := range []string{phoneLoyal, phoneOptOut, phoneErased} {
		p, err := profiles.Input{Phone: phone, Segments: []string{"broadband"}, ValueTier: "gold"}.Build(f.hasher, f.now)
		if err != nil {
			t.Fatal(err)
		}
		if phone == phoneOptOut {
			p.Consent = map[string]profiles.Consent{profiles.ChannelAll: {Status: profiles.ConsentOptOut, UpdatedAt: f.now}}
		}
		created, err := f.profiles.Create(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if phone == phoneErased {
			if err := f.profiles.Erase(ctx, created.ID, f.now); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.reload(t)
	return f
}

func (f *fixture) reload(t testing.TB) { f.reloadWith(t, 5*time.Second) }

// reloadWith rebuilds the handlers with a deadline; tests that load the
// shared local DynamoDB with hundreds of calls at once give it room.
func (f *fixture) reloadWith(t testing.TB, deadline time.Duration) {
	t.Helper()
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	f.cache = decision.NewCache(f.catalog, f.decisions, nil, time.Minute, nil, log)
	f.handler = decision.NewHandler(decision.Deps{
		Store: f.decisions, Referencer: f.catalog, Catalog: f.cache, Hasher: f.hasher, Policy: decide.DefaultPolicy(),
		Deadline: deadline, Log: log,
	})
	f.outcomes = offer.NewOutcomeHandler(offer.OutcomeDeps{Store: f.decisions, Profiles: f.profiles, Log: log})
}

func newOffer(id string, now time.Time, globalCap int64, lever float64) catalog.Offer {
	o := catalog.Offer{ID: id, Status: catalog.OfferActive}
	o.Name, o.CampaignID = "Offer "+id, campaignID
	o.Channels = []string{profiles.ChannelVoice, profiles.ChannelChat}
	o.ValidFrom = now.Add(-time.Hour)
	o.Value = catalog.Money{Amount: "10.00", Currency: "USD"}
	o.BusinessLever, o.PriorityWeight = lever, 1
	o.Caps.Global = globalCap
	o.SuppressionDaysAfterDecline = 30
	o.Content = catalog.Content{
		Pitch:  "Faster internet for the same monthly price.",
		Script: "Ask whether the customer streams or works from home.",
		FAQ:    []catalog.FAQ{{Question: "Is there a fee?", Answer: "No installation fee."}},
	}
	return o
}

// flowEvent is a voice contact flow invocation.
func flowEvent(contactID, phone string, params map[string]string) json.RawMessage {
	endpoint := "null"
	if phone != "" {
		endpoint = fmt.Sprintf(`{"Address":%q,"Type":"TELEPHONE_NUMBER"}`, phone)
	}
	ps, _ := json.Marshal(params)
	return json.RawMessage(fmt.Sprintf(`{"Name":"ContactFlowEvent","Details":{"ContactData":{"Attributes":{},
		"Channel":"VOICE","ContactId":%q,"InitialContactId":%q,"CustomerEndpoint":%s,
		"Queue":{"ARN":"arn:aws:connect:us-east-1:111111111111:instance/i/queue/q","Name":"Billing"}},"Parameters":%s}}`,
		contactID, contactID, endpoint, ps))
}

func (f *fixture) ask(t *testing.T, payload json.RawMessage) connect.Response {
	t.Helper()
	ans, err := f.handler.Handle(context.Background(), payload)
	if err != nil {
		t.Fatalf("the offer function returned an error to Connect: %v", err)
	}
	checkFlat(t, ans)
	if ans[offer.KeyOffer] == "" || ans[offer.KeyOffer] == offer.NoOffer && ans[offer.KeyReason] == "" {
		t.Fatalf("answer lacks offer or reason: %v", ans)
	}
	return ans
}

// checkFlat asserts what Connect requires of every answer.
func checkFlat(t *testing.T, ans connect.Response) {
	t.Helper()
	b, _ := json.Marshal(ans)
	if len(b) >= 32*1024 {
		t.Fatalf("answer is %d bytes", len(b))
	}
	for k := range ans {
		if !connect.ValidKey(k) {
			t.Fatalf("invalid key %q", k)
		}
	}
}

func TestPublishedExampleGetsAValidAnswer(t *testing.T) {
	f := newFixture(t)
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "events", "connect", "flow-event-voice.json"))
	if err != nil {
		t.Fatal(err)
	}
	ans := f.ask(t, raw)
	if ans[offer.KeyDecisionID] == "" {
		t.Fatalf("no decision id: %v", ans)
	}
}

func TestGatesSuppressBeforeRanking(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name       string
		phone      string
		params     map[string]string
		wantOffer  bool
		wantReason string
	}{
		{"known customer gets an offer", phoneLoyal, nil, true, ""},
		{"opted out customer gets none", phoneOptOut, nil, false, string(decide.ReasonOptedOut)},
		{"erased customer gets none", phoneErased, nil, false, string(decide.ReasonSuppressed)},
		{"upset caller gets none", phoneLoyal, map[string]string{"sentiment": "NEGATIVE"}, false, string(decide.ReasonUpset)},
		{"complaint gets none", phoneLoyal, map[string]string{"intent": "complaint"}, false, string(decide.ReasonComplaint)},
		{"failed self-service gets none", phoneLoyal, map[string]string{"selfServiceFailed": "true"}, false, string(decide.ReasonSelfServiceFailed)},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ans := f.ask(t, flowEvent(fmt.Sprintf("gate-%d", i), tc.phone, tc.params))
			if got := ans[offer.KeyOffer] != offer.NoOffer; got != tc.wantOffer {
				t.Fatalf("offered=%v, want %v: %v", got, tc.wantOffer, ans)
			}
			if tc.wantReason != "" && ans[offer.KeyReason] != tc.wantReason {
				t.Fatalf("reason %q, want %q", ans[offer.KeyReason], tc.wantReason)
			}
			if tc.wantOffer && (ans[offer.KeyPitch] == "" || ans[offer.KeyScript] == "" || ans[offer.KeyFAQ] == "") {
				t.Fatalf("offer without agent content: %v", ans)
			}
		})
	}
}

func TestHeldCampaignMakesNoOffer(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c, err := f.catalog.GetCampaign(ctx, campaignID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.catalog.UpdateCampaign(ctx, campaignID, c.Version, func(c *catalog.Campaign) error {
		c.Status = catalog.CampaignHeld
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	f.reload(t)
	ans := f.ask(t, flowEvent("held-1", phoneLoyal, nil))
	if ans[offer.KeyOffer] != offer.NoOffer {
		t.Fatalf("held campaign's offer made: %v", ans)
	}
}

func TestRepeatedInvocationGivesTheSameDecision(t *testing.T) {
	f := newFixture(t)
	first := f.ask(t, flowEvent("retry-1", phoneLoyal, nil))
	second := f.ask(t, flowEvent("retry-1", phoneLoyal, nil))
	if first[offer.KeyDecisionID] == "" || first[offer.KeyDecisionID] != second[offer.KeyDecisionID] || first[offer.KeyOffer] != second[offer.KeyOffer] {
		t.Fatalf("retry answered differently:\n%v\n%v", first, second)
	}
	o, err := f.catalog.GetOffer(context.Background(), first[offer.KeyOffer])
	if err != nil || !o.Referenced {
		t.Fatalf("offer %s not marked referenced after a decision (err %v)", first[offer.KeyOffer], err)
	}
	// The exposure reaches the profile with the outcome, once, however
	// often the flow asked and reported.
	for range 2 {
		r, _ := f.outcomes.Handle(context.Background(), flowEvent("retry-1", phoneLoyal,
			map[string]string{"decisionId": first[offer.KeyDecisionID], "outcome": "later"}))
		if r[offer.KeyStatus] != offer.StatusRecorded && r[offer.KeyStatus] != offer.StatusDuplicate {
			t.Fatalf("outcome answered %v", r)
		}
	}
	p, err := f.profiles.LookupByIdentity(context.Background(), mustPhone(t, f.hasher, phoneLoyal))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.RecentOffers) != 1 || p.RecentOffers[0].DecisionID != first[offer.KeyDecisionID] || p.RecentOffers[0].Outcome != "later" {
		t.Fatalf("profile exposures %+v, want the one decision with its outcome", p.RecentOffers)
	}
}

func TestGlobalCapHoldsUnderConcurrency(t *testing.T) {
	f := newFixture(t)
	f.reloadWith(t, time.Minute)
	const callers = 200
	var wg sync.WaitGroup
	answers := make([]connect.Response, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i], _ = f.handler.Handle(context.Background(), flowEvent(fmt.Sprintf("cap-%03d", i), "", nil))
		}()
	}
	wg.Wait()
	capped, other := 0, 0
	for _, a := range answers {
		if a[offer.KeyOffer] == offer.NoOffer {
			t.Fatalf("a caller got no offer: %v", a)
		}
		switch a[offer.KeyOffer] {
		case offerCapped:
			capped++
		case offerFibre:
			other++
		}
	}
	if capped > globalCapped {
		t.Fatalf("%d offers of %s made, cap is %d", capped, offerCapped, globalCapped)
	}
	if capped == 0 || other == 0 {
		t.Fatalf("capped=%d other=%d: want the capped offer first and the next offer after it ran out", capped, other)
	}
	used, err := f.decisions.CapUsed(context.Background(), offerCapped)
	if err != nil {
		t.Fatal(err)
	}
	if used != int64(capped) {
		t.Fatalf("cap counter %d, offers made %d", used, capped)
	}
}

func TestBadEventsAnswerNoOfferAndRecordNothing(t *testing.T) {
	f := newFixture(t)
	huge := map[string]string{}
	for i := range 2000 {
		huge[fmt.Sprintf("attr%04d", i)] = strings.Repeat("x", 100)
	}
	hugeAttrs, _ := json.Marshal(huge)
	cases := []struct {
		name    string
		payload string
		reason  string
	}{
		{"not JSON", `hello`, offer.ReasonInvalidEvent},
		{"empty object", `{}`, offer.ReasonInvalidEvent},
		{"null Details", `{"Details":null}`, offer.ReasonInvalidEvent},
		{"null ContactData", `{"Details":{"ContactData":null}}`, offer.ReasonInvalidEvent},
		{"no contact id", `{"Details":{"ContactData":{"Channel":"VOICE"}}}`, offer.ReasonInvalidEvent},
		{"wrong types", `{"Details":{"ContactData":{"ContactId":42}}}`, offer.ReasonInvalidEvent},
		{"null queue and endpoint", `{"Details":{"ContactData":{"ContactId":"bad-1","Channel":"CHAT","Queue":null,"CustomerEndpoint":null},"Parameters":{}}}`, ""},
		{"phone not E.164", string(flowEvent("bad-2", "4155550101", nil)), ""},
		{"unknown parameters", string(flowEvent("bad-3", phoneLoyal, map[string]string{"colour": "blue"})), ""},
		{"huge attributes", `{"Details":{"ContactData":{"ContactId":"bad-4","Channel":"VOICE","Attributes":` + string(hugeAttrs) + `}}}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ans := f.ask(t, json.RawMessage(tc.payload))
			if tc.reason != "" && (ans[offer.KeyOffer] != offer.NoOffer || ans[offer.KeyReason] != tc.reason) {
				t.Fatalf("answer %v, want no offer for %s", ans, tc.reason)
			}
		})
	}
	// The refused events recorded nothing; the anonymous ones one decision each.
	for _, id := range []string{"bad-1", "bad-2", "bad-3", "bad-4"} {
		c, err := f.decisions.ReadContact(context.Background(), id)
		if err != nil || c.Decision == nil {
			t.Fatalf("contact %s: decision not recorded: %v", id, err)
		}
	}
}

// slowStore delays every read past the handler's deadline.
type slowStore struct {
	*store.Decisions
	delay time.Duration
}

func (s slowStore) ReadForDecision(ctx context.Context, k identity.Key, id string) (store.DecisionContext, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return store.DecisionContext{}, ctx.Err()
	}
	return s.Decisions.ReadForDecision(ctx, k, id)
}

func TestDeadlineAnswersNoOffer(t *testing.T) {
	f := newFixture(t)
	h := decision.NewHandler(decision.Deps{
		Store: slowStore{f.decisions, time.Second}, Catalog: f.cache, Hasher: f.hasher,
		Deadline: 50 * time.Millisecond, Log: slog.New(slog.DiscardHandler),
	})
	start := time.Now()
	ans, err := h.Handle(context.Background(), flowEvent("slow-1", phoneLoyal, nil))
	if err != nil || ans[offer.KeyOffer] != offer.NoOffer || ans[offer.KeyReason] != offer.ReasonTimeout {
		t.Fatalf("answer %v, err %v; want a timeout with no offer", ans, err)
	}
	if waited := time.Since(start); waited > 900*time.Millisecond {
		t.Fatalf("the handler waited %s for a slow store", waited)
	}
}

func TestOutcomeIsRecordedOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ans := f.ask(t, flowEvent("outcome-1", phoneLoyal, nil))
	offerID, decisionID := ans[offer.KeyOffer], ans[offer.KeyDecisionID]
	if offerID == offer.NoOffer {
		t.Fatalf("no offer to record an outcome for: %v", ans)
	}
	report := func(decision, outcome string) connect.Response {
		r, err := f.outcomes.Handle(ctx, flowEvent("outcome-1", phoneLoyal, map[string]string{"decisionId": decision, "outcome": outcome}))
		if err != nil {
			t.Fatal(err)
		}
		checkFlat(t, r)
		return r
	}
	steps := []struct {
		decision, outcome, status string
	}{
		{decisionID, "accepted", offer.StatusRecorded},
		{decisionID, "ACCEPTED", offer.StatusDuplicate},
		{decisionID, "declined", offer.StatusRefused},
		{"d-unknown", "accepted", offer.StatusRefused},
		{decisionID, "maybe", offer.StatusRefused},
		{"", "accepted", offer.StatusRefused},
	}
	for _, s := range steps {
		if got := report(s.decision, s.outcome); got[offer.KeyStatus] != s.status {
			t.Fatalf("%s %s: status %q, want %q (%v)", s.decision, s.outcome, got[offer.KeyStatus], s.status, got)
		}
	}
	counts, err := f.decisions.LoadPropensities(ctx, []string{offerID})
	if err != nil {
		t.Fatal(err)
	}
	if counts[offerID].Accepted != 1 || counts[offerID].Shown != 1 {
		t.Fatalf("propensity counts %+v, want 1 shown and 1 accepted", counts[offerID])
	}
	c, err := f.decisions.ReadContact(ctx, "outcome-1")
	if err != nil || c.Outcome == nil || c.Outcome.Outcome != contacts.OutcomeAccepted || c.Outcome.Value != 10 {
		t.Fatalf("contact outcome %+v, err %v", c.Outcome, err)
	}
	p, err := f.profiles.LookupByIdentity(ctx, mustPhone(t, f.hasher, phoneLoyal))
	if err != nil || len(p.RecentOffers) != 1 || p.RecentOffers[0].Outcome != contacts.OutcomeAccepted {
		t.Fatalf("profile exposures %+v, err %v", p.RecentOffers, err)
	}
}

func TestDeclineSuppressesTheOffer(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first := f.ask(t, flowEvent("decline-1", phoneLoyal, nil))
	r, _ := f.outcomes.Handle(ctx, flowEvent("decline-1", phoneLoyal, map[string]string{"decisionId": first[offer.KeyDecisionID], "outcome": "declined"}))
	if r[offer.KeyStatus] != offer.StatusRecorded {
		t.Fatalf("decline not recorded: %v", r)
	}
	second := f.ask(t, flowEvent("decline-2", phoneLoyal, nil))
	if second[offer.KeyOffer] == first[offer.KeyOffer] {
		t.Fatalf("declined offer %s made again the next contact", first[offer.KeyOffer])
	}
}

func mustPhone(t testing.TB, h identity.Hasher, phone string) identity.Key {
	t.Helper()
	k, err := h.Phone(phone)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// lateStore writes decisions only after the handler's deadline has passed,
// as a slow DynamoDB can: the write lands, the answer has gone out.
type lateStore struct {
	*store.Decisions
	delay time.Duration
}

func (s lateStore) RecordDecision(ctx context.Context, rec store.DecisionRecord) error {
	time.Sleep(s.delay)
	return s.Decisions.RecordDecision(context.WithoutCancel(ctx), rec)
}

func TestDecisionRecordedAfterTheDeadlineIsWithdrawn(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	h := decision.NewHandler(decision.Deps{
		Store: lateStore{f.decisions, 300 * time.Millisecond}, Catalog: f.cache, Hasher: f.hasher,
		Deadline: 150 * time.Millisecond, Log: slog.New(slog.DiscardHandler),
	})
	ans, _ := h.Handle(ctx, flowEvent("late-1", phoneLoyal, nil))
	if ans[offer.KeyOffer] != offer.NoOffer || ans[offer.KeyReason] != offer.ReasonTimeout {
		t.Fatalf("answer %v, want no offer for the deadline", ans)
	}
	// The late write and its withdrawal finish in the background.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := f.decisions.ReadContact(ctx, "late-1")
		withdrawn := err == nil && c.Decision != nil && !c.Decision.Shown && c.Decision.Reason == offer.ReasonTimeout
		p, perr := f.profiles.LookupByIdentity(ctx, mustPhone(t, f.hasher, phoneLoyal))
		if withdrawn && perr == nil && len(p.RecentOffers) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("contact decision %+v (err %v), profile exposures %d: want the decision withdrawn (not shown, reason timeout) and no exposure",
				c.Decision, err, len(p.RecentOffers))
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A retry of the same contact now answers what Connect heard.
	again := f.ask(t, flowEvent("late-1", phoneLoyal, nil))
	if again[offer.KeyOffer] != offer.NoOffer {
		t.Fatalf("retry answered %v after the decision was withdrawn", again)
	}
}
