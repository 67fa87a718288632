package localconnect_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"

	"github.com/conduit-cx/conduit/scripts/localconnect"
	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/decide"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/load"
	"github.com/conduit-cx/conduit/shared/loadwatch"
	"github.com/conduit-cx/conduit/shared/loadwatch/connectmetrics"
	"github.com/conduit-cx/conduit/shared/offer"
	"github.com/conduit-cx/conduit/shared/offer/decision"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/catalogstore"
	"github.com/conduit-cx/conduit/shared/store/loadstore"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

const campaignID = "spring"

// stage is the load path end to end: the local Connect endpoint (over
// HTTP, through the SDK's connect client), the load watcher, DynamoDB
// Local, and the offer function with its real cache reading the load
// holds.
type stage struct {
	t        *testing.T
	connect  *localconnect.Server
	url      string
	job      *loadwatch.Job
	board    *loadstore.LoadBoard
	catalog  *catalogstore.Catalog
	cache    *decision.Cache
	handler  *decision.Handler
	profiles *store.Profiles
	hasher   identity.Hasher

	mu     sync.Mutex
	now    time.Time
	start  time.Time
	asked  int
	offers int
}

func (s *stage) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

func newStage(t *testing.T) *stage {
	t.Helper()
	env := storetest.New(t)
	ctx := context.Background()
	start := time.Now().UTC().Truncate(time.Minute)
	s := &stage{t: t, now: start, start: start}
	contactStore := store.NewContacts(env.Clients.Dynamo, env.Tables)
	s.connect = &localconnect.Server{Counters: contactStore, Clock: s.clock}
	srv := httptest.NewServer(s.connect)
	t.Cleanup(srv.Close)
	s.url = srv.URL

	client := connect.New(connect.Options{
		Region: localconnect.DefaultRegion, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts, o.MaxBackoff = 2, 5*time.Millisecond
		}),
	})
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	s.board = loadstore.NewLoadBoard(env.Clients.Dynamo, env.Tables)
	s.catalog = catalogstore.NewCatalog(env.Clients.Dynamo, env.Tables)
	s.job = &loadwatch.Job{
		Metrics:   connectmetrics.New(client, localconnect.DefaultInstanceID, localconnect.QueueIDs(localconnect.DefaultQueues), s.clock),
		Counters:  contactStore,
		Service:   loadstore.NewQueueService(env.Clients.Dynamo, env.Tables),
		Board:     s.board,
		Campaigns: s.catalog,
		Settings:  loadwatch.Settings{QueueIDs: localconnect.QueueIDs(localconnect.DefaultQueues)},
		Log:       quiet,
	}

	c := catalog.Campaign{ID: campaignID, Status: catalog.CampaignLive}
	c.Name, c.Goal, c.Owner = "Spring", "Family bundles", "maria.marketing"
	c.LaunchAt, c.EndAt = start.Add(-24*time.Hour), start.Add(30*24*time.Hour)
	c.LoadGate = catalog.LoadGate{Queues: []string{"Sales"}, MaxASASeconds: 60}
	done := catalog.ChecklistItem{Done: true, By: "maria.marketing", At: start.Add(-48 * time.Hour)}
	c.Checklist = catalog.Checklist{AgentBriefingPublished: done, ScriptsApproved: done, FAQPublished: done, StaffingConfirmed: done}
	if _, err := s.catalog.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	o := catalog.Offer{ID: "spring-bundle", Status: catalog.OfferActive}
	o.Name, o.CampaignID, o.Channels = "Family bundle", campaignID, []string{profiles.ChannelVoice}
	o.ValidFrom, o.Value, o.BusinessLever, o.PriorityWeight = start.Add(-time.Hour), catalog.Money{Amount: "10.00", Currency: "USD"}, 1, 1
	o.Content.Pitch = "A bundle for the whole family."
	if _, err := s.catalog.CreateOffer(ctx, o); err != nil {
		t.Fatal(err)
	}

	s.profiles = store.NewProfiles(env.Clients.Dynamo, env.Tables)
	s.hasher = identity.NewHasher(env.Config.IdentityKey)
	decisions := store.NewDecisions(env.Clients.Dynamo, env.Tables)
	// The cache's own refresh interval is long: the test refreshes it
	// after each load watch run, as a warm instance would within 15 s.
	s.cache = decision.NewCache(s.catalog, decisions, s.board, time.Hour, s.clock, quiet)
	s.handler = decision.NewHandler(decision.Deps{Store: decisions, Referencer: s.catalog, Catalog: s.cache, Hasher: s.hasher,
		Policy: decide.DefaultPolicy(), Deadline: 10 * time.Second, Clock: s.clock, Log: quiet})
	return s
}

// set posts a queue setting as the simulator does.
func (s *stage) set(queue, body string) {
	s.t.Helper()
	resp, err := http.Post(s.url+"/local/queues/"+queue, "application/json", strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("set %s: %d", queue, resp.StatusCode)
	}
}

func (s *stage) fail(body string) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.url+"/local/fail", strings.NewReader(body))
	if body == "" {
		req.Method = http.MethodDelete
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
}

// minute moves the clock to start+m minutes, runs the load watcher, and
// refreshes the offer cache.
func (s *stage) minute(m int) loadwatch.Result {
	s.t.Helper()
	s.mu.Lock()
	s.now = s.start.Add(time.Duration(m) * time.Minute)
	s.mu.Unlock()
	res, err := s.job.Run(context.Background(), s.clock())
	if err != nil {
		s.t.Fatalf("minute %d: %v", m, err)
	}
	if err := s.cache.Refresh(context.Background()); err != nil {
		s.t.Fatal(err)
	}
	return res
}

func (s *stage) status() catalog.CampaignStatus {
	s.t.Helper()
	c, err := s.catalog.GetCampaign(context.Background(), campaignID)
	if err != nil {
		s.t.Fatal(err)
	}
	return c.Status
}

// ask is a new customer calling into queue Sales; it reports whether the
// offer function made the campaign's offer.
func (s *stage) ask() (bool, string) {
	s.t.Helper()
	s.asked++
	phone := fmt.Sprintf("+1415555%04d", s.asked)
	p, err := profiles.Input{Phone: phone, Segments: []string{"families"}}.Build(s.hasher, s.clock())
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.profiles.Create(context.Background(), p); err != nil {
		s.t.Fatal(err)
	}
	ev := fmt.Sprintf(`{"Name":"ContactFlowEvent","Details":{"ContactData":{"Attributes":{},"Channel":"VOICE",
		"ContactId":"c-%d","InitialContactId":"c-%d","CustomerEndpoint":{"Address":%q,"Type":"TELEPHONE_NUMBER"},
		"Queue":{"ARN":"arn:aws:connect:us-east-1:000000000000:instance/i/queue/q","Name":"Sales"}},"Parameters":{}}}`,
		s.asked, s.asked, phone)
	ans, err := s.handler.Handle(context.Background(), json.RawMessage(ev))
	if err != nil {
		s.t.Fatal(err)
	}
	made := ans[offer.KeyOffer] == "spring-bundle"
	if made {
		s.offers++
	}
	return made, ans[offer.KeyReason]
}

func (s *stage) sales() loadwatch.Queue {
	s.t.Helper()
	w, err := s.board.Wallboard(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	q, _ := w.Queue(localconnect.DefaultQueues[0].ID)
	return q
}

const (
	overload = `{"contactsInQueue":20,"oldestContactAge":240,"agentsAvailable":0,"agentsOnContact":12}`
	calm     = `{"contactsInQueue":0,"oldestContactAge":0,"agentsAvailable":6,"agentsOnContact":6}`
)

// TestOverloadHoldsTheCampaignAndItsOffers drives the local Sales queue
// into overload and back, minute by minute.
func TestOverloadHoldsTheCampaignAndItsOffers(t *testing.T) {
	s := newStage(t)
	s.set("Sales", calm)
	s.minute(0)
	if s.status() != catalog.CampaignLive || s.sales().State.Level != load.Normal {
		t.Fatalf("calm start: %s, %+v", s.status(), s.sales().State)
	}
	if made, why := s.ask(); !made {
		t.Fatalf("no offer while calm: %s", why)
	}

	s.set("Sales", overload)
	res := s.minute(1)
	if s.status() != catalog.CampaignHeld || len(res.Transitions) != 1 ||
		!strings.HasPrefix(res.Transitions[0].Reason, "held: queue Sales overloaded") {
		t.Fatalf("overload: %s %+v", s.status(), res.Transitions)
	}
	before := s.offers
	releasedAt := -1
	for m := 2; m <= 20; m++ {
		if m == 4 {
			s.set("Sales", calm) // recovery: the queue eases after its dwell, the campaign after its minimum hold
		}
		s.minute(m)
		held := s.status() == catalog.CampaignHeld
		made, why := s.ask()
		if m == 2 {
			t.Logf("minute 2, campaign %s: the offer function answers %q", s.status(), why)
		}
		switch {
		case held && made:
			t.Fatalf("minute %d: the offer was made while the campaign is held", m)
		case held && why == "":
			t.Fatalf("minute %d: no reason for no offer", m)
		case !held && releasedAt < 0:
			releasedAt = m
		}
		if !held && !made {
			t.Fatalf("minute %d: released but no offer: %s", m, why)
		}
	}
	if releasedAt < 0 {
		w := mustBoard(t, s)
		t.Fatalf("never released after recovery: sales %+v holds %+v", s.sales().State, w.Holds)
	}
	t.Logf("held at minute 1, calm from minute 4, released at minute %d; %d offers before, %d after release", releasedAt, before, s.offers-before)
	// Released only after the queue's dwell (5 min in overloaded) and the
	// campaign's minimum hold (10 min): minute 11 at the earliest.
	if releasedAt < 11 {
		t.Fatalf("released at minute %d, before the minimum hold", releasedAt)
	}
	c, _ := s.catalog.GetCampaign(context.Background(), campaignID)
	last := c.Transitions[len(c.Transitions)-1]
	if last.To != "live" || last.By != loadwatch.Actor || !strings.HasPrefix(last.Reason, "released: queue Sales within limits") {
		t.Fatalf("release transition %+v", last)
	}
}

// TestMissingMetricsKeepTheHold: throttling, an API error, partial data
// and a queue Connect stops returning never release the held campaign,
// and it makes no offers; the queue's state ages into stale and says why.
func TestMissingMetricsKeepTheHold(t *testing.T) {
	s := newStage(t)
	s.set("Sales", overload)
	s.minute(0)
	if s.status() != catalog.CampaignHeld {
		t.Fatal("not held on overload")
	}
	s.set("Sales", calm) // the queue recovers, but the load watcher cannot see it
	steps := []struct {
		name    string
		breakIt func()
		problem string
		minutes int
	}{
		{"throttling", func() { s.fail(`{"code":"ThrottlingException"}`) }, "ThrottlingException", 8},
		{"internal error", func() { s.fail(`{"code":"InternalServiceException"}`) }, "InternalServiceException", 8},
		{"partial metrics", func() {
			s.fail("")
			s.set("Sales", `{"contactsInQueue":0,"oldestContactAge":0,"agentsOnContact":6,"missing":["AGENTS_AVAILABLE"]}`)
		}, "no agents available", 8},
		{"queue absent from the results", func() { s.set("Sales", `{"absent":true}`) }, "Connect returned no metrics", 8},
		// Queue names are reread every 15 minutes: by then the queue is gone.
		{"queue deleted", func() { s.set("Sales", `{"deleted":true}`) }, "not in the Connect instance", 16},
	}
	m := 0
	for _, st := range steps {
		st.breakIt()
		for range st.minutes {
			m++
			s.minute(m)
			if s.status() != catalog.CampaignHeld {
				t.Fatalf("%s, minute %d: released on missing data", st.name, m)
			}
			if made, _ := s.ask(); made {
				t.Fatalf("%s, minute %d: offer made while held", st.name, m)
			}
		}
		q := s.sales()
		if !strings.Contains(q.Problem, st.problem) || q.State.Level != load.Overloaded {
			t.Fatalf("%s: %+v", st.name, q)
		}
		hold, _ := mustBoard(t, s).HoldOf(campaignID)
		if !strings.HasPrefix(hold.Reason, "held: ") {
			t.Fatalf("%s: hold %+v", st.name, hold)
		}
	}
	q := s.sales()
	if !q.State.Stale(s.clock(), load.DefaultThresholds().StaleAfter) {
		t.Fatalf("not stale after %d minutes without metrics: %+v", m, q.State)
	}
	t.Logf("after %d minutes of missing data: %s", m, q.State.Reason)
	// Metrics come back: the queue eases and the campaign is released.
	s.connect.Clear("Sales")
	s.set("Sales", calm)
	for range 20 {
		m++
		s.minute(m)
		if s.status() == catalog.CampaignLive {
			if made, why := s.ask(); !made {
				t.Fatalf("released but no offer: %s", why)
			}
			return
		}
	}
	t.Fatal("not released once metrics came back")
}

func mustBoard(t *testing.T, s *stage) loadwatch.Wallboard {
	t.Helper()
	w, err := s.board.Wallboard(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return w
}
