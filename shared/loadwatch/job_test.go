package loadwatch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/catalog/catalogtest"
	"github.com/conduit-cx/conduit/shared/load"
	"github.com/conduit-cx/conduit/shared/metrics"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// fakeConnect returns whatever metrics the test set.
type fakeConnect struct {
	err     error
	queues  map[string]QueueMetrics
	names   map[string]string
	readsAt time.Time
}

func (f *fakeConnect) CurrentMetrics(context.Context) (Reading, error) {
	if f.err != nil {
		return Reading{}, f.err
	}
	out := Reading{Queues: map[string]QueueMetrics{}, Names: f.names}
	for id, q := range f.queues {
		q.Metrics.At = f.readsAt
		out.Queues[id] = q
	}
	return out, nil
}

type memBoard struct{ w Wallboard }

func (m *memBoard) Wallboard(context.Context) (Wallboard, error) { return m.w, nil }
func (m *memBoard) SaveWallboard(_ context.Context, w Wallboard) error {
	// Round-trip through JSON as the store does.
	b, _ := json.Marshal(w)
	var back Wallboard
	if err := json.Unmarshal(b, &back); err != nil {
		return err
	}
	m.w = back
	return nil
}

const salesID, billingID = "q-sales", "q-billing"

func metricsFor(waiting, oldest, avail, busy float64) QueueMetrics {
	return QueueMetrics{Metrics: load.Metrics{
		ContactsWaiting: load.Known(waiting), OldestWait: load.Known(oldest),
		AgentsAvailable: load.Known(avail), AgentsOnContact: load.Known(busy),
	}}
}

func calm() QueueMetrics     { return metricsFor(0, 0, 6, 6) }
func overload() QueueMetrics { return metricsFor(20, 240, 0, 12) }

type fixture struct {
	connect   *fakeConnect
	service   map[string]ServiceStats
	board     *memBoard
	campaigns *catalogtest.Campaigns
	job       *Job
	emf       *bytes.Buffer
}

type fixedService struct{ f *fixture }

func (s fixedService) RecentService(context.Context, time.Time, time.Time, time.Duration) (map[string]ServiceStats, error) {
	if s.f.service == nil {
		return nil, errors.New("contacts table unreachable")
	}
	return s.f.service, nil
}

func live(id string, gate catalog.LoadGate) catalog.Campaign {
	c := catalog.Campaign{ID: id, Status: catalog.CampaignLive, Version: 1}
	c.Name = "Campaign " + id
	c.LaunchAt, c.EndAt = t0.Add(-24*time.Hour), t0.Add(30*24*time.Hour)
	c.LoadGate = gate
	c.Checklist = catalog.Checklist{
		AgentBriefingPublished: catalog.ChecklistItem{Done: true}, ScriptsApproved: catalog.ChecklistItem{Done: true},
		FAQPublished: catalog.ChecklistItem{Done: true}, StaffingConfirmed: catalog.ChecklistItem{Done: true},
	}
	return c
}

func newFixture(campaigns ...catalog.Campaign) *fixture {
	f := &fixture{
		connect:   &fakeConnect{queues: map[string]QueueMetrics{salesID: calm(), billingID: calm()}, names: map[string]string{salesID: "Sales", billingID: "Billing"}},
		service:   map[string]ServiceStats{},
		board:     &memBoard{},
		campaigns: catalogtest.NewCampaigns(),
		emf:       &bytes.Buffer{},
	}
	for _, c := range campaigns {
		f.campaigns.Put(c)
	}
	f.job = &Job{
		Metrics: f.connect, Service: fixedService{f}, Board: f.board, Campaigns: f.campaigns,
		Settings: Settings{QueueIDs: []string{salesID, billingID}, MinHold: time.Minute},
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		EMF:      metrics.New(f.emf, metrics.Namespace),
	}
	return f
}

// at runs the job at t0+d with Connect's snapshot taken at that moment.
func (f *fixture) at(t *testing.T, d time.Duration) Result {
	t.Helper()
	now := t0.Add(d)
	f.connect.readsAt = now
	res, err := f.job.Run(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *fixture) queue(id string) Queue {
	q, _ := f.board.w.Queue(id)
	return q
}

func TestOverloadHoldsAndRecoveryReleases(t *testing.T) {
	f := newFixture(live("spring", catalog.LoadGate{Queues: []string{"Sales"}}), live("billing-only", catalog.LoadGate{Queues: []string{"Billing"}}))
	steps := []struct {
		name    string
		after   time.Duration
		sales   QueueMetrics
		level   load.Level
		status  catalog.CampaignStatus
		heldFor []string // campaigns HeldByQueue lists under "Sales"
	}{
		{"calm", 0, calm(), load.Normal, catalog.CampaignLive, nil},
		{"overload holds at once", time.Minute, overload(), load.Overloaded, catalog.CampaignHeld, []string{"spring"}},
		{"still overloaded", 2 * time.Minute, overload(), load.Overloaded, catalog.CampaignHeld, []string{"spring"}},
		{"calm within the queue's dwell keeps the hold", 3 * time.Minute, calm(), load.Overloaded, catalog.CampaignHeld, []string{"spring"}},
		{"after the dwell the queue eases; the campaign is released", 9 * time.Minute, calm(), load.Normal, catalog.CampaignLive, nil},
	}
	for _, st := range steps {
		f.connect.queues[salesID] = st.sales
		res := f.at(t, st.after)
		q := f.queue(salesID)
		if q.State.Level != st.level || q.Name != "Sales" {
			t.Fatalf("%s: sales %s (%s)", st.name, q.State.Level, q.State.Reason)
		}
		if got := f.campaigns.Get("spring").Status; got != st.status {
			t.Fatalf("%s: spring %s, want %s; transitions %+v", st.name, got, st.status, res.Transitions)
		}
		if f.campaigns.Get("billing-only").Status != catalog.CampaignLive {
			t.Fatalf("%s: a campaign gated on Billing moved", st.name)
		}
		held := f.board.w.HeldByQueue()["Sales"]
		if len(held) != len(st.heldFor) {
			t.Fatalf("%s: held in Sales %v, want %v", st.name, held, st.heldFor)
		}
		for _, id := range st.heldFor {
			if !strings.HasPrefix(held[id], "held: queue Sales overloaded") || f.board.w.HeldByQueue()[""][id] == "" {
				t.Fatalf("%s: reason %q", st.name, held[id])
			}
		}
	}
	tr := f.campaigns.Get("spring").Transitions
	if len(tr) != 2 || tr[0].To != "held" || tr[0].By != Actor || !strings.HasPrefix(tr[0].Reason, "held: queue Sales overloaded") ||
		tr[1].To != "live" || !strings.HasPrefix(tr[1].Reason, "released: queue Sales within limits") {
		t.Fatalf("transitions %+v", tr)
	}
}

func TestASAGateSaysWhy(t *testing.T) {
	// ASA 94 s crosses the queue's own overload line (60 s) and the
	// campaign's ceiling: both are named.
	f := newFixture(live("spring", catalog.LoadGate{MaxASASeconds: 60, Queues: []string{"Sales"}}))
	f.at(t, 0)
	f.service = map[string]ServiceStats{salesID: {Answered: 10, AnsweredWithin: 2, WaitSeconds: 940}}
	f.at(t, time.Minute)
	c := f.campaigns.Get("spring")
	if c.Status != catalog.CampaignHeld || c.Transitions[0].Reason != "held: queue Sales overloaded; queue Sales ASA 94 s > 60 s" {
		t.Fatalf("%s %+v", c.Status, c.Transitions)
	}
	q := f.queue(salesID)
	if q.State.Metrics.ASA.Value != 94 || q.State.Metrics.ServiceLevel.Value != 0.2 {
		t.Fatalf("metrics %+v", q.State.Metrics)
	}
}

func TestMissingMetricsNeverRelease(t *testing.T) {
	cases := []struct {
		name    string
		break_  func(f *fixture)
		problem string
		reason  string
	}{
		{"API error", func(f *fixture) { f.connect.err = errors.New("InternalServiceException") }, "Connect metrics not read", MissingAPIError},
		{"throttling", func(f *fixture) { f.connect.err = fmt.Errorf("GetCurrentMetricData: %w", ErrMetricsThrottled) }, "Connect metrics not read", MissingThrottled},
		{"queue has no row", func(f *fixture) { delete(f.connect.queues, salesID) }, "Connect returned no metrics", MissingNoMetrics},
		{"queue vanished", func(f *fixture) { delete(f.connect.queues, salesID); delete(f.connect.names, salesID) }, "not in the Connect instance", MissingQueueNotFound},
		{"partial metrics", func(f *fixture) {
			m := calm()
			m.Metrics.AgentsAvailable = load.Reading{}
			f.connect.queues[salesID] = m
		}, "no agents available", MissingPartial},
		{"recent contacts unreadable with an ASA gate", func(f *fixture) { f.service = nil }, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(live("spring", catalog.LoadGate{MaxASASeconds: 60, Queues: []string{"Sales"}}))
			f.connect.queues[salesID] = overload()
			f.at(t, 0)
			if f.campaigns.Get("spring").Status != catalog.CampaignHeld {
				t.Fatal("not held on overload")
			}
			f.connect.queues[salesID] = calm()
			tc.break_(f)
			for m := 1; m <= 30; m++ {
				f.at(t, time.Duration(m)*time.Minute)
				if c := f.campaigns.Get("spring"); c.Status != catalog.CampaignHeld {
					t.Fatalf("minute %d: released on missing data: %+v", m, c.Transitions)
				}
			}
			q := f.queue(salesID)
			if !strings.Contains(q.Problem, tc.problem) {
				t.Fatalf("problem %q", q.Problem)
			}
			if tc.problem != "" && tc.reason != MissingPartial {
				if q.State.Level != load.Overloaded || !q.State.Stale(t0.Add(30*time.Minute), load.DefaultThresholds().StaleAfter) ||
					!strings.Contains(q.State.Reason, "no fresh metrics (last 30m0s ago)") {
					t.Fatalf("state %+v", q.State)
				}
			}
			hold, _ := f.board.w.HoldOf("spring")
			if !strings.HasPrefix(hold.Reason, "held: ") || hold.Since != t0 || hold.Queues == nil {
				t.Fatalf("hold %+v", hold)
			}
			if tc.reason != "" && !strings.Contains(f.emf.String(), `"Reason":"`+tc.reason+`"`) {
				t.Fatalf("no metric with reason %s in %s", tc.reason, f.emf.String())
			}
		})
	}
}

func TestRunningTwiceChangesNothing(t *testing.T) {
	f := newFixture(live("spring", catalog.LoadGate{Queues: []string{catalog.AllQueues}}))
	f.connect.queues[billingID] = overload()
	first := f.at(t, 0)
	before := f.campaigns.Get("spring")
	second := f.at(t, 0)
	after := f.campaigns.Get("spring")
	if len(first.Transitions) != 1 || len(second.Transitions) != 0 || before.Version != after.Version {
		t.Fatalf("first %+v second %+v versions %d %d", first.Transitions, second.Transitions, before.Version, after.Version)
	}
	a, _ := json.Marshal(first.Wallboard)
	b, _ := json.Marshal(second.Wallboard)
	if string(a) != string(b) {
		t.Fatalf("wallboard changed:\n%s\n%s", a, b)
	}
}

func TestAPersonsHoldIsNotReleased(t *testing.T) {
	c := live("spring", catalog.LoadGate{Queues: []string{"Sales"}})
	c.Status = catalog.CampaignHeld
	c.Transitions = []catalog.Transition{{From: "live", To: "held", By: "maria@example.com", At: t0.Add(-time.Hour), Reason: "agents not briefed"}}
	f := newFixture(c)
	res := f.at(t, 0)
	if len(res.Transitions) != 0 || f.campaigns.Get("spring").Status != catalog.CampaignHeld || len(f.board.w.Holds) != 0 {
		t.Fatalf("a person's hold was touched: %+v", res)
	}
}

func TestASAAboveTheCampaignsCeilingAlone(t *testing.T) {
	f := newFixture(live("spring", catalog.LoadGate{MaxASASeconds: 20, Queues: []string{"Sales"}}))
	f.service = map[string]ServiceStats{salesID: {Answered: 4, AnsweredWithin: 4, WaitSeconds: 100}}
	f.at(t, 0)
	c := f.campaigns.Get("spring")
	if c.Status != catalog.CampaignHeld || c.Transitions[0].Reason != "held: queue Sales ASA 25 s > 20 s" {
		t.Fatalf("%s %+v", c.Status, c.Transitions)
	}
}

func TestMinHoldKeepsAFreshHold(t *testing.T) {
	f := newFixture(live("spring", catalog.LoadGate{MaxASASeconds: 60, Queues: []string{"Sales"}}))
	f.job.Settings.MinHold = 10 * time.Minute
	f.service = map[string]ServiceStats{salesID: {Answered: 10, WaitSeconds: 940}}
	f.at(t, 0)
	f.service = map[string]ServiceStats{salesID: {Answered: 10, AnsweredWithin: 10, WaitSeconds: 50}}
	f.at(t, 5*time.Minute)
	if f.campaigns.Get("spring").Status != catalog.CampaignHeld {
		t.Fatal("released within the minimum hold")
	}
	f.at(t, 11*time.Minute)
	if c := f.campaigns.Get("spring"); c.Status != catalog.CampaignLive {
		t.Fatalf("not released after the minimum hold: %+v", c.Transitions)
	}
}

func TestIdleQueueHasZeroASA(t *testing.T) {
	f := newFixture(live("spring", catalog.LoadGate{MaxASASeconds: 60, MinServiceLevel: 0.8, Queues: []string{"Sales"}}))
	f.at(t, 0)
	q := f.queue(salesID)
	if q.State.Metrics.ASA.Value != 0 || q.State.Metrics.ServiceLevel.Value != 1 || f.campaigns.Get("spring").Status != catalog.CampaignLive {
		t.Fatalf("idle queue: %+v", q.State)
	}
}

func TestCountersFillConnectGaps(t *testing.T) {
	f := newFixture()
	f.job.Counters = countersFunc(func(id string) (int, time.Duration, error) { return 7, 90 * time.Second, nil })
	m := calm()
	m.Metrics.ContactsWaiting, m.Metrics.OldestWait = load.Reading{}, load.Reading{}
	f.connect.queues[salesID] = m
	f.at(t, 0)
	q := f.queue(salesID)
	if q.State.Metrics.ContactsWaiting.Value != 7 || q.State.Metrics.OldestWait.Value != 90 || q.Counters.Waiting != 7 || q.Problem != "" {
		t.Fatalf("queue %+v", q)
	}
	if q.State.Level != load.Busy {
		t.Fatalf("7 waiting is busy: %s", q.State.Reason)
	}
}

func TestLongReasonsAreClipped(t *testing.T) {
	s := strings.Repeat("é", 400)
	c := clip(s)
	if len(c) > catalog.MaxReasonChars || !strings.HasSuffix(c, "…") || !json.Valid([]byte(`"`+c+`"`)) {
		t.Fatalf("clip: %d bytes", len(c))
	}
}

type countersFunc func(string) (int, time.Duration, error)

func (f countersFunc) QueueCounters(_ context.Context, id string) (int, time.Duration, error) {
	return f(id)
}

func TestGateQueuesMatchWhateverTheLetters(t *testing.T) {
	f := newFixture(live("spring", catalog.LoadGate{Queues: []string{"sales"}}))
	f.connect.queues[salesID] = overload()
	f.at(t, 0)
	c := f.campaigns.Get("spring")
	if c.Status != catalog.CampaignHeld || !strings.HasPrefix(c.Transitions[0].Reason, "held: queue Sales overloaded") {
		t.Fatalf("%s %+v", c.Status, c.Transitions)
	}
	if held := f.board.w.HeldByQueue()["Sales"]; held["spring"] == "" {
		t.Fatalf("holds %v", f.board.w.HeldByQueue())
	}
}
