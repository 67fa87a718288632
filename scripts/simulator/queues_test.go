package simulator

import (
	mrand "math/rand/v2"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/load"
)

var t0 = time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)

func testQueues(t *testing.T, o Overload) *Queues {
	t.Helper()
	q, err := NewQueues(DefaultQueueSpecs(), t0, o)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// wait is one contact's queue wait, for the recent ASA and service level.
type wait struct {
	at        time.Time
	wait      time.Duration
	abandoned bool
}

// recentService is ASA and SL(20 s) over the last 15 minutes, as the load
// watcher reads them from recent contacts.
func recentService(ws []wait, now time.Time) (asa, sl load.Reading) {
	answered, within, abandonedAfter := 0, 0, 0
	var sum time.Duration
	for _, w := range ws {
		if w.at.Before(now.Add(-15*time.Minute)) || w.at.After(now) {
			continue
		}
		switch {
		case w.abandoned && w.wait > 20*time.Second:
			abandonedAfter++
		case !w.abandoned:
			answered++
			sum += w.wait
			if w.wait <= 20*time.Second {
				within++
			}
		}
	}
	if answered > 0 {
		asa = load.Known((sum / time.Duration(answered)).Seconds())
	}
	if answered+abandonedAfter > 0 {
		sl = load.Known(float64(within) / float64(answered+abandonedAfter))
	}
	return asa, sl
}

// TestOverloadDrivesLoadStates runs the queue model minute by minute with
// arrivals at the model's own demand, feeds its metrics and the recent
// service figures to the load watcher's state machine, and checks the
// incident takes the hit queue from normal to overloaded and back, and
// leaves the other queue normal.
func TestOverloadDrivesLoadStates(t *testing.T) {
	o := Overload{After: 10 * time.Minute, For: 10 * time.Minute, Queues: []string{QueueBilling}, Utilisation: 2.5}
	q := testQueues(t, o)
	r := mrand.New(mrand.NewPCG(1, 2))
	th := load.DefaultThresholds()
	waits := map[string][]wait{}
	states := map[string]load.State{}
	levels := map[string]map[int]load.Level{QueueBilling: {}, QueueSupport: {}}
	for s := 0; s <= 70*60; s++ {
		now := t0.Add(time.Duration(s) * time.Second)
		for _, name := range []string{QueueBilling, QueueSupport} {
			spec := q.specs[name]
			rate := q.Utilisation(name, now) * float64(spec.Agents) / spec.AHT.Seconds()
			if r.Float64() < rate {
				w, ab := q.Arrive(name, false, now, r)
				waits[name] = append(waits[name], wait{now, w, ab})
			}
			if s%60 != 0 {
				continue
			}
			v := q.View(name, now)
			asa, sl := recentService(waits[name], now)
			m := load.Metrics{
				Queue: name, At: now, ContactsWaiting: load.Known(v.ContactsInQueue), OldestWait: load.Known(v.OldestContactAge),
				AgentsAvailable: load.Known(v.AgentsAvailable), AgentsOnContact: load.Known(v.AgentsOnContact), ASA: asa, ServiceLevel: sl,
			}
			states[name] = load.Next(states[name], m, now, th)
			levels[name][s/60] = states[name].Level
		}
	}
	for _, c := range []struct {
		queue  string
		minute int
		want   load.Level
	}{
		{QueueBilling, 8, load.Normal},
		{QueueBilling, 14, load.Overloaded},
		{QueueBilling, 20, load.Overloaded},
		{QueueBilling, 70, load.Normal},
		{QueueSupport, 14, load.Normal},
		{QueueSupport, 70, load.Normal},
	} {
		if got := levels[c.queue][c.minute]; got != c.want {
			t.Errorf("%s at minute %d is %s, want %s (%s)", c.queue, c.minute, got, c.want, states[c.queue].Reason)
		}
	}
	back := -1
	for m := 21; m <= 70; m++ {
		if levels[QueueBilling][m] == load.Normal {
			back = m
			break
		}
	}
	t.Logf("Billing overloaded from minute 10 to 20 (+1 min ramp each way); normal again at minute %d", back)
}

// TestNormalTimesServiceLevel checks the staffing of the default queues
// answers most contacts within 20 seconds in normal times.
func TestNormalTimesServiceLevel(t *testing.T) {
	q := testQueues(t, Overload{})
	r := mrand.New(mrand.NewPCG(3, 4))
	for _, name := range q.Names() {
		var answered, within, abandoned int
		var sum time.Duration
		for i := range 5000 {
			w, ab := q.Arrive(name, false, t0.Add(time.Duration(i)*time.Second), r)
			switch {
			case ab:
				abandoned++
			default:
				answered++
				sum += w
				if w <= 20*time.Second {
					within++
				}
			}
		}
		asa := sum / time.Duration(answered)
		sl := float64(within) / float64(answered)
		ab := float64(abandoned) / 5000
		t.Logf("%s: ASA %s, SL(20 s) %.1f %%, abandoned %.1f %%", name, asa.Round(time.Second), 100*sl, 100*ab)
		if asa > 20*time.Second || sl < 0.8 || ab > 0.05 {
			t.Errorf("%s in normal times: ASA %s, SL %.2f, abandoned %.3f; want ASA ≤ 20 s, SL ≥ 0.8, abandoned ≤ 5 %%", name, asa, sl, ab)
		}
		if v := q.View(name, t0.Add(time.Hour)); v.AgentsAvailable <= 0 || v.ContactsInQueue > 3 {
			t.Errorf("%s in normal times shows %+v", name, v)
		}
	}
}

func TestNewQueuesRefusesBadOverload(t *testing.T) {
	for _, o := range []Overload{
		{For: time.Minute, Queues: []string{"Nowhere"}, Utilisation: 2},
		{For: time.Minute, Queues: []string{QueueSales}, Utilisation: 0.9},
	} {
		if _, err := NewQueues(DefaultQueueSpecs(), t0, o); err == nil {
			t.Errorf("overload %+v accepted", o)
		}
	}
}
