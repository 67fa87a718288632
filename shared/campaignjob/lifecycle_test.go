package campaignjob

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/catalog/catalogtest"
	"github.com/conduit-cx/conduit/shared/load"
	"github.com/conduit-cx/conduit/shared/loadwatch"
	"github.com/conduit-cx/conduit/shared/metrics"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type fixedBoard struct{ w loadwatch.Wallboard }

func (b fixedBoard) Wallboard(context.Context) (loadwatch.Wallboard, error) { return b.w, nil }

func campaign(id string, status catalog.CampaignStatus, launch, end time.Duration, complete bool) catalog.Campaign {
	c := catalog.Campaign{ID: id, Status: status}
	c.Name = "Campaign " + id
	c.LaunchAt, c.EndAt = t0.Add(launch), t0.Add(end)
	c.LoadGate = catalog.LoadGate{Queues: []string{"Sales"}, MaxASASeconds: 60}
	done := catalog.ChecklistItem{Done: complete}
	c.Checklist = catalog.Checklist{AgentBriefingPublished: done, ScriptsApproved: done, FAQPublished: done, StaffingConfirmed: catalog.ChecklistItem{Done: true}}
	return c
}

func salesAt(level load.Level, asa float64, at time.Time) loadwatch.Wallboard {
	return loadwatch.Wallboard{StaleAfterSeconds: 180, Queues: []loadwatch.Queue{{ID: "q", Name: "Sales", State: load.State{
		Queue: "Sales", Level: level, Since: at, UpdatedAt: at,
		Metrics: load.Metrics{Queue: "Sales", At: at, ASA: load.Known(asa), ServiceLevel: load.Known(0.9)},
	}}}}
}

func TestLifecycle(t *testing.T) {
	store := catalogtest.NewCampaigns()
	for _, c := range []catalog.Campaign{
		campaign("launch-now", catalog.CampaignReady, -time.Minute, 30*24*time.Hour, true),
		campaign("not-yet", catalog.CampaignReady, time.Hour, 30*24*time.Hour, true),
		campaign("expired-live", catalog.CampaignLive, -30*24*time.Hour, -time.Minute, true),
		campaign("expired-held", catalog.CampaignHeld, -30*24*time.Hour, -time.Minute, true),
		campaign("expired-planned", catalog.CampaignPlanned, -30*24*time.Hour, -time.Minute, false),
		campaign("due-open", catalog.CampaignPlanned, 20*time.Hour, 30*24*time.Hour, false),
		campaign("due-complete", catalog.CampaignPlanned, 20*time.Hour, 30*24*time.Hour, true),
		campaign("overdue-open", catalog.CampaignPlanned, -2*time.Hour, 30*24*time.Hour, false),
		campaign("far-open", catalog.CampaignPlanned, 72*time.Hour, 30*24*time.Hour, false),
	} {
		store.Put(c)
	}
	emf := &bytes.Buffer{}
	board := &fixedBoard{w: salesAt(load.Normal, 10, t0.Add(-30*time.Second))}
	job := &Lifecycle{Campaigns: store, Board: board, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), EMF: metrics.New(emf, metrics.Namespace)}
	res, err := job.Run(context.Background(), t0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]catalog.CampaignStatus{
		"launch-now": catalog.CampaignLive, "not-yet": catalog.CampaignReady, "expired-live": catalog.CampaignEnded,
		"expired-held": catalog.CampaignEnded, "expired-planned": catalog.CampaignEnded, "due-open": catalog.CampaignPlanned,
	}
	for id, st := range want {
		if got := store.Get(id).Status; got != st {
			t.Errorf("%s: %s, want %s", id, got, st)
		}
	}
	launched := store.Get("launch-now").Transitions
	if len(launched) != 1 || launched[0].By != Actor || launched[0].Reason != "launched at its launch time; load allows: queue Sales within limits (below overloaded, ASA ≤ 60 s)" {
		t.Fatalf("launch transition %+v", launched)
	}
	var warned []string
	for _, w := range res.Warnings {
		warned = append(warned, w.CampaignID)
	}
	if strings.Join(warned, ",") != "due-complete,due-open,overdue-open" {
		t.Fatalf("warnings %v", res.Warnings)
	}
	if w := res.Warnings[1]; !strings.Contains(w.Message, "is due in 20h0m0s and its readiness checklist is open: agentBriefingPublished, scriptsApproved, faqPublished") {
		t.Fatalf("warning %q", w.Message)
	}
	if !strings.Contains(emf.String(), MetricChecklistOpen) || !strings.Contains(emf.String(), MetricLaunched) {
		t.Fatalf("metrics %s", emf.String())
	}

	again, err := job.Run(context.Background(), t0)
	if err != nil || len(again.Moves) != 0 {
		t.Fatalf("second run moved %+v (%v)", again.Moves, err)
	}
}

func TestLaunchWaitsForTheLoadGate(t *testing.T) {
	cases := []struct {
		name  string
		board loadwatch.Wallboard
		why   string
	}{
		{"overloaded queue", salesAt(load.Overloaded, 10, t0.Add(-30*time.Second)), "launch waits: queue Sales overloaded"},
		{"ASA above the gate", salesAt(load.Busy, 94, t0.Add(-30*time.Second)), "launch waits: queue Sales ASA 94 s > 60 s"},
		{"stale load data", salesAt(load.Normal, 10, t0.Add(-10*time.Minute)), "launch waits: queue Sales has no fresh metrics (last 10m0s ago); not released on missing data"},
		{"no load data at all", loadwatch.Wallboard{}, "launch waits: queue Sales has no load state; not released on missing data"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := catalogtest.NewCampaigns(campaign("spring", catalog.CampaignReady, -time.Minute, time.Hour, true))
			job := &Lifecycle{Campaigns: store, Board: fixedBoard{tc.board}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			res, err := job.Run(context.Background(), t0)
			if err != nil {
				t.Fatal(err)
			}
			if store.Get("spring").Status != catalog.CampaignReady || len(res.Waiting) != 1 || res.Waiting[0].Reason != tc.why {
				t.Fatalf("%s %+v", store.Get("spring").Status, res.Waiting)
			}
		})
	}
}
