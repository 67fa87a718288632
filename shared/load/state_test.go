package load

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// sales is a full set of readings for queue Sales measured at `at`.
func sales(at time.Time, asa, sl, waiting, oldest float64) Metrics {
	return Metrics{
		Queue: "Sales", At: at,
		ContactsWaiting: Known(waiting), OldestWait: Known(oldest),
		AgentsAvailable: Known(4), AgentsOnContact: Known(16),
		ASA: Known(asa), ServiceLevel: Known(sl),
	}
}

func calm(at time.Time) Metrics { return sales(at, 8, 0.95, 0, 5) }

func TestNextWalksThroughLevelsWithHysteresis(t *testing.T) {
	th := DefaultThresholds()
	steps := []struct {
		name   string
		after  time.Duration
		m      func(time.Time) Metrics
		level  Level
		reason string
	}{
		{"first measurement", 0, calm, Normal, "queue Sales normal: within busy limits"},
		{"ASA over busy line", time.Minute, func(at time.Time) Metrics { return sales(at, 35, 0.85, 2, 30) }, Busy, "queue Sales ASA 35 s > 30 s"},
		{"overload is immediate", 2 * time.Minute, func(at time.Time) Metrics { return sales(at, 94, 0.55, 18, 200) }, Overloaded,
			"queue Sales ASA 94 s > 60 s, service level 55 % < 60 %, contacts waiting 18 > 15, oldest wait 200 s > 180 s"},
		{"between the lines stays overloaded", 3 * time.Minute, func(at time.Time) Metrics { return sales(at, 50, 0.75, 8, 100) }, Overloaded,
			"queue Sales still overloaded: ASA 50 s not below 45 s"},
		{"calm but within dwell", 4 * time.Minute, calm, Overloaded,
			"queue Sales within overloaded exit limits; held overloaded for the minimum dwell (2m0s of 5m0s)"},
		{"calm after dwell eases two levels", 8 * time.Minute, calm, Normal,
			"queue Sales eased from overloaded to normal: within overloaded exit limits"},
		{"stays normal", 9 * time.Minute, calm, Normal, "queue Sales normal: within busy limits"},
	}
	var s State
	for _, st := range steps {
		now := t0.Add(st.after)
		s = Next(s, st.m(now), now, th)
		if s.Level != st.level || s.Reason != st.reason {
			t.Fatalf("%s: %s %q, want %s %q", st.name, s.Level, s.Reason, st.level, st.reason)
		}
		if !s.UpdatedAt.Equal(now) || s.Queue != "Sales" {
			t.Fatalf("%s: updated %v queue %q", st.name, s.UpdatedAt, s.Queue)
		}
	}
}

func TestNextEasesOneLevelWhenOnlyOverloadedExitIsCleared(t *testing.T) {
	s := State{Queue: "Sales", Level: Overloaded, Since: t0, UpdatedAt: t0}
	now := t0.Add(10 * time.Minute)
	// Below the overloaded exit lines, still above busy's exit lines.
	s = Next(s, sales(now, 25, 0.82, 4, 50), now, Thresholds{})
	if s.Level != Busy || !s.Since.Equal(now) {
		t.Fatalf("%s since %v: %s", s.Level, s.Since, s.Reason)
	}
}

func TestMissingMetricsNeverEaseALevel(t *testing.T) {
	th := DefaultThresholds()
	over := State{Queue: "Sales", Level: Overloaded, Since: t0, UpdatedAt: t0, Reason: "queue Sales ASA 94 s > 60 s"}
	later := t0.Add(20 * time.Minute)
	cases := []struct {
		name   string
		m      Metrics
		reason string
	}{
		{"no metrics at all", Metrics{Queue: "Sales"}, "queue Sales: no fresh metrics (last 20m0s ago); keeping overloaded"},
		{"metrics older than the stale limit", calm(later.Add(-10 * time.Minute)), "queue Sales: no fresh metrics (last 20m0s ago); keeping overloaded"},
		{"metrics from the future", calm(later.Add(time.Hour)), "queue Sales: no fresh metrics (last 20m0s ago); keeping overloaded"},
		{"every reading missing", Metrics{Queue: "Sales", At: later}, "queue Sales: no fresh metrics (last 20m0s ago); keeping overloaded"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := Next(over, c.m, later, th)
			if s.Level != Overloaded || s.Reason != c.reason || !s.UpdatedAt.Equal(t0) || !s.Since.Equal(t0) {
				t.Errorf("%s %q updated %v", s.Level, s.Reason, s.UpdatedAt)
			}
			if !s.Stale(later, th.StaleAfter) {
				t.Error("a state kept on missing metrics must age into stale")
			}
		})
	}
	// Partial metrics: everything calm but the service level is missing.
	partial := calm(later)
	partial.ServiceLevel = Reading{}
	s := Next(over, partial, later, th)
	if s.Level != Overloaded || s.Reason != "queue Sales still overloaded: service level unknown" {
		t.Errorf("partial metrics: %s %q", s.Level, s.Reason)
	}
	// Impossible readings count as missing.
	bad := calm(later)
	bad.ServiceLevel = Known(1.7)
	bad.ASA = Known(math.NaN())
	s = Next(over, bad, later, th)
	if s.Level != Overloaded || !strings.Contains(s.Reason, "ASA unknown, service level unknown") {
		t.Errorf("bad readings: %s %q", s.Level, s.Reason)
	}
	// But partial metrics can still make a queue worse.
	worse := Metrics{Queue: "Sales", At: later, ASA: Known(75)}
	if s := Next(State{Queue: "Sales", Level: Normal, Since: t0, UpdatedAt: t0}, worse, later, th); s.Level != Overloaded {
		t.Errorf("ASA alone above the overloaded line: %s", s.Level)
	}
	// A queue never measured is unknown and says so.
	s = Next(State{}, Metrics{Queue: "Service"}, later, th)
	if s.Level != Unknown || s.Reason != "queue Service: no fresh metrics (never measured); keeping unknown" {
		t.Errorf("never measured: %s %q", s.Level, s.Reason)
	}
}

func TestThresholdsValidate(t *testing.T) {
	if err := DefaultThresholds().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	th := DefaultThresholds()
	th.Overloaded.Exit.ASA = 90 * time.Second // above the entry line: no hysteresis
	th.Busy.Exit.ServiceLevel = 0.7           // below the entry line 0.8
	th.Busy.Enter.Occupancy = 1.5
	th.StaleAfter = 0
	err := th.Validate()
	p, ok := apperr.AsProblems(err)
	var fields []string
	for _, pr := range p {
		fields = append(fields, pr.Field)
	}
	if !ok || strings.Join(fields, ",") != "busy.enter.occupancy,busy.exit.serviceLevel,overloaded.exit.asa,staleAfter" {
		t.Errorf("problems %v", err)
	}
}

func TestStateJSONRoundTrip(t *testing.T) {
	m := calm(t0)
	m.OldestWait = Reading{}
	s := Next(State{}, m, t0, Thresholds{})
	b, err := json.Marshal(s)
	if err != nil || !strings.Contains(string(b), `"oldestWait":null`) || !strings.Contains(string(b), `"asa":8`) {
		t.Fatalf("%s %v", b, err)
	}
	var back State
	if err := json.Unmarshal(b, &back); err != nil || back.Metrics != s.Metrics || back.Level != s.Level || !back.Since.Equal(s.Since) {
		t.Errorf("round trip %+v\nwant %+v (%v)", back, s, err)
	}
}

func gateStates(now time.Time, level Level, asa, sl float64) []State {
	return []State{{Queue: "Sales", Level: level, Since: now.Add(-time.Hour), UpdatedAt: now, Metrics: sales(now, asa, sl, 0, 0)}}
}

func TestGateDecide(t *testing.T) {
	g := Gate{Queues: []string{"Sales"}, MaxASA: 60 * time.Second, MinServiceLevel: 0.8, MinHold: 10 * time.Minute}
	stale := 3 * time.Minute
	now := t0
	cases := []struct {
		name    string
		current Hold
		states  []State
		hold    bool
		changed bool
		reason  string
	}{
		{"ASA over the campaign's line holds", Hold{}, gateStates(now, Busy, 94, 0.85), true, true,
			"held: queue Sales ASA 94 s > 60 s"},
		{"overloaded queue holds", Hold{}, gateStates(now, Overloaded, 40, 0.85), true, true,
			"held: queue Sales overloaded"},
		{"service level under the line holds", Hold{}, gateStates(now, Busy, 40, 0.62), true, true,
			"held: queue Sales service level 62 % < 80 %"},
		{"recovered but within minimum hold", Hold{Held: true, Since: now.Add(-4 * time.Minute)}, gateStates(now, Normal, 12, 0.9), true, false,
			"held: queue Sales within limits; held for the minimum hold (4m0s of 10m0s)"},
		{"recovered after minimum hold releases", Hold{Held: true, Since: now.Add(-11 * time.Minute)}, gateStates(now, Normal, 12, 0.9), false, true,
			"released: queue Sales within limits (below overloaded, ASA ≤ 60 s, service level ≥ 80 %)"},
		{"missing state keeps a held campaign held", Hold{Held: true, Since: now.Add(-time.Hour)}, nil, true, false,
			"held: queue Sales has no load state; not released on missing data"},
		{"stale state keeps a held campaign held", Hold{Held: true, Since: now.Add(-time.Hour)},
			[]State{{Queue: "Sales", Level: Normal, UpdatedAt: now.Add(-6 * time.Minute), Metrics: calm(now.Add(-6 * time.Minute))}}, true, false,
			"held: queue Sales has no fresh metrics (last 6m0s ago); not released on missing data"},
		{"missing ASA keeps a held campaign held", Hold{Held: true, Since: now.Add(-time.Hour)},
			[]State{{Queue: "Sales", Level: Normal, UpdatedAt: now, Metrics: Metrics{Queue: "Sales", At: now, ServiceLevel: Known(0.9)}}}, true, false,
			"held: queue Sales ASA unknown; not released on missing data"},
		{"blindness alone does not hold a running campaign", Hold{}, nil, false, false,
			"not held: queue Sales has no load state; no fresh data to hold on"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := g.Decide(c.current, c.states, now, stale)
			if d.Hold != c.hold || d.Changed != c.changed || d.Reason != c.reason {
				t.Errorf("got %+v\nwant hold %v changed %v %q", d, c.hold, c.changed, c.reason)
			}
		})
	}
	// With no queue list, every queue given counts.
	all := Gate{}.Decide(Hold{}, append(gateStates(now, Normal, 10, 0.9), State{Queue: "Service", Level: Busy, Since: now, UpdatedAt: now, Metrics: calm(now)}), now, stale)
	if all.Hold || all.Reason != "released: queues Sales, Service within limits (below overloaded)" {
		t.Errorf("all queues: %+v", all)
	}
	busyGate := Gate{HoldAt: Busy}.Decide(Hold{}, append(gateStates(now, Normal, 10, 0.9), State{Queue: "Service", Level: Busy, Since: now, UpdatedAt: now, Metrics: calm(now)}), now, stale)
	if !busyGate.Hold || busyGate.Reason != "held: queue Service busy" {
		t.Errorf("hold at busy: %+v", busyGate)
	}
}

// Drive a queue into overload and back, minute by minute, as the load
// watcher does; the campaign is held throughout the overload and a gap in
// the metrics, and released only after recovery.
func TestQueueAndGateTogether(t *testing.T) {
	th := DefaultThresholds()
	g := Gate{Queues: []string{"Sales"}, MaxASA: 60 * time.Second}
	var s State
	var h Hold
	type minute struct {
		m        func(time.Time) Metrics
		wantHeld bool
	}
	overload := func(at time.Time) Metrics { return sales(at, 94, 0.5, 20, 240) }
	missing := func(at time.Time) Metrics { return Metrics{Queue: "Sales"} }
	plan := []minute{
		{calm, false}, {calm, false}, {overload, true}, {overload, true},
		{missing, true}, {missing, true}, {missing, true}, {missing, true}, // stale from minute 7: still held
		{calm, false}, // back, and five minutes since the overload began: eased and released
		{overload, true},
		{calm, true}, {calm, true}, {calm, true}, {calm, true}, // minimum dwell in overloaded
		{calm, false},
	}
	var transitions []string
	for i, p := range plan {
		now := t0.Add(time.Duration(i) * time.Minute)
		s = Next(s, p.m(now), now, th)
		d := g.Decide(h, []State{s}, now, th.StaleAfter)
		if d.Changed {
			h = Hold{Held: d.Hold, Since: now, Reason: d.Reason}
			transitions = append(transitions, d.Reason)
		}
		if h.Held != p.wantHeld {
			t.Fatalf("minute %d: held %v, want %v (%s | %s)", i, h.Held, p.wantHeld, s.Reason, d.Reason)
		}
	}
	held := "held: queue Sales overloaded; queue Sales ASA 94 s > 60 s"
	released := "released: queue Sales within limits (below overloaded, ASA ≤ 60 s)"
	want := []string{held, released, held, released}
	if strings.Join(transitions, "\n") != strings.Join(want, "\n") {
		t.Errorf("transitions\n%s\nwant\n%s", strings.Join(transitions, "\n"), strings.Join(want, "\n"))
	}
}

func TestGateValidate(t *testing.T) {
	if err := (Gate{Queues: []string{"Sales"}, MaxASA: time.Minute, MinServiceLevel: 0.8}).Validate(); err != nil {
		t.Fatal(err)
	}
	err := Gate{Queues: []string{" "}, HoldAt: Normal, MaxASA: -1, MinServiceLevel: 80, MinHold: -1}.Validate()
	p, _ := apperr.AsProblems(err)
	if len(p) != 5 {
		t.Errorf("problems %v", err)
	}
}

func BenchmarkNext(b *testing.B) {
	th := DefaultThresholds()
	s := State{}
	for i := 0; b.Loop(); i++ {
		now := t0.Add(time.Duration(i) * time.Minute)
		s = Next(s, sales(now, float64(i%120), 0.7, 5, 30), now, th)
	}
}
