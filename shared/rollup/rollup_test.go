package rollup

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/kpi"
)

var day0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// handled is a contact answered from the Sales queue at 09:00:30 after a
// 30-second wait, 300 s talk, 20 s hold, 40 s after-contact work.
func handled(id string) contacts.Contact {
	init := day0.Add(9 * time.Hour)
	return contacts.Contact{
		ContactID: id, ProfileID: "p-" + id, Channel: "voice", Queue: "Sales", AgentUsername: "jane",
		InitiatedAt: contacts.FormatTime(init),
		Facts: &contacts.Facts{
			Channel: "voice", InitiatedAt: init, Queue: "Sales", QueueID: "q1",
			EnqueuedAt: init.Add(30 * time.Second), AnsweredAt: init.Add(time.Minute), QueueWaitSeconds: 30,
			AgentUsername: "jane", TalkSeconds: 300, HoldSeconds: 20, AfterContactWorkSeconds: 40, HandleSeconds: 360,
			Status: contacts.StatusHandled, Handled: true, SurveyScore: 4,
		},
	}
}

func TestFactOf(t *testing.T) {
	settled := Options{}.SettledAt(day0)
	cases := []struct {
		name   string
		c      func() contacts.Contact
		asOf   time.Time
		check  func(t *testing.T, f kpi.Fact)
		placed bool
	}{
		{"handled contact counts at its queue time with its durations", func() contacts.Contact { return handled("a") }, day0.Add(10 * time.Hour),
			func(t *testing.T, f kpi.Fact) {
				want := kpi.Fact{ContactID: "a", At: day0.Add(9*time.Hour + 30*time.Second), Channel: "voice", Queue: "Sales", Agent: "jane",
					Queued: true, Answered: true, QueueWait: 30 * time.Second, QueueWaitKnown: true, Handled: true,
					Talk: 300 * time.Second, Hold: 20 * time.Second, AfterContactWork: 40 * time.Second, DurationsKnown: true,
					SurveyScore: 4, Repeat: kpi.RepeatUnknown}
				if !reflect.DeepEqual(f, want) {
					t.Errorf("got  %+v\nwant %+v", f, want)
				}
			}, true},
		{"a settled day without a repeat mark is resolved", func() contacts.Contact { return handled("a") }, settled,
			func(t *testing.T, f kpi.Fact) { expect(t, "repeat", f.Repeat, kpi.NoRepeat) }, true},
		{"a repeat mark counts once the day is settled", func() contacts.Contact { c := handled("a"); c.RepeatWithin7d = true; return c }, settled,
			func(t *testing.T, f kpi.Fact) { expect(t, "repeat", f.Repeat, kpi.Repeated) }, true},
		{"a repeat mark before the day settles waits", func() contacts.Contact { c := handled("a"); c.RepeatWithin7d = true; return c }, settled.Add(-time.Minute),
			func(t *testing.T, f kpi.Fact) { expect(t, "repeat", f.Repeat, kpi.RepeatUnknown) }, true},
		{"an unknown customer never has a known repeat outcome", func() contacts.Contact { c := handled("a"); c.ProfileID = ""; return c }, settled,
			func(t *testing.T, f kpi.Fact) { expect(t, "repeat", f.Repeat, kpi.RepeatUnknown) }, true},
		{"a handled contact with no durations is handled without them", func() contacts.Contact {
			c := handled("a")
			c.Facts.TalkSeconds, c.Facts.HoldSeconds, c.Facts.AfterContactWorkSeconds = 0, 0, 0
			return c
		}, day0, func(t *testing.T, f kpi.Fact) {
			expect(t, "handled", f.Handled, true)
			expect(t, "durations known", f.DurationsKnown, false)
		}, true},
		{"an abandoned contact keeps its wait", func() contacts.Contact {
			c := handled("a")
			c.Facts.Handled, c.Facts.Abandoned, c.Facts.AnsweredAt, c.Facts.QueueWaitSeconds = false, true, time.Time{}, 75
			return c
		}, day0, func(t *testing.T, f kpi.Fact) {
			expect(t, "abandoned", f.Abandoned, true)
			expect(t, "answered", f.Answered, false)
			expect(t, "wait", f.QueueWait, 75*time.Second)
		}, true},
		{"a holdout decision places the contact in the campaign's holdout", func() contacts.Contact {
			c := handled("a")
			c.Decision = &contacts.Decision{DecisionID: "d", OfferID: "fibre", CampaignID: "spring", Holdout: true}
			return c
		}, day0, func(t *testing.T, f kpi.Fact) {
			expect(t, "group", f.Group, kpi.GroupHoldout)
			expect(t, "shown", f.OfferShown, false)
			expect(t, "campaign", f.Campaign, "spring")
		}, true},
		{"an accepted offer with no value takes the offer's expected value", func() contacts.Contact {
			c := handled("a")
			c.Decision = &contacts.Decision{DecisionID: "d", OfferID: "fibre", CampaignID: "spring", Shown: true, Value: 25}
			c.Outcome = &contacts.Outcome{DecisionID: "d", Outcome: contacts.OutcomeAccepted}
			return c
		}, day0, func(t *testing.T, f kpi.Fact) {
			expect(t, "group", f.Group, kpi.GroupTreated)
			expect(t, "outcome", f.Outcome, kpi.OutcomeAccepted)
			expect(t, "value", f.Value, 25.0)
		}, true},
		{"the flow's outcome attribute counts when no outcome was recorded", func() contacts.Contact {
			c := handled("a")
			c.Decision = &contacts.Decision{DecisionID: "d", OfferID: "fibre", Shown: true}
			c.Facts.Outcome = "Declined"
			return c
		}, day0, func(t *testing.T, f kpi.Fact) { expect(t, "outcome", f.Outcome, kpi.OutcomeDeclined) }, true},
		{"a contact known only from its events counts at its queue time", func() contacts.Contact {
			return contacts.Contact{ContactID: "e", Events: &contacts.Events{States: map[string]time.Time{
				connect.EventInitiated: day0.Add(time.Hour), connect.EventQueued: day0.Add(time.Hour + time.Minute)}}}
		}, day0, func(t *testing.T, f kpi.Fact) {
			expect(t, "at", f.At, day0.Add(time.Hour+time.Minute))
			expect(t, "queued", f.Queued, false)
		}, true},
		{"a contact with no time at all is not placed", func() contacts.Contact { return contacts.Contact{ContactID: "x"} }, day0, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, ok := Options{}.FactOf(c.c(), c.asOf)
			if ok != c.placed {
				t.Fatalf("placed = %v, want %v", ok, c.placed)
			}
			if c.check != nil {
				c.check(t, f)
			}
		})
	}
}

func expect[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestPlanFirstRunLiveAndSettle(t *testing.T) {
	o := Options{}
	now := day0.Add(10*24*time.Hour + 9*time.Hour + 7*time.Minute)
	// A run 15 minutes after the last one, at 09:07.
	plan := o.Plan(now.Add(-15*time.Minute), now)
	if len(plan) != 1 || plan[0].Day != kpi.GrainDay.Start(now) || plan[0].Settling {
		t.Fatalf("plan %+v, want today only", plan)
	}
	if want := now.Add(-15*time.Minute - DefaultLateWindow); !plan[0].From.Equal(want) || !plan[0].To.Equal(now) {
		t.Errorf("live range %s–%s, want %s–%s", plan[0].From, plan[0].To, want, now)
	}
	// The run during which day0 settles (day0 + 8 d + 3 h) recomputes it whole.
	settle := o.SettledAt(day0)
	plan = o.Plan(settle.Add(-10*time.Minute), settle.Add(5*time.Minute))
	var settling []Work
	for _, w := range plan {
		if w.Settling {
			settling = append(settling, w)
		}
	}
	if len(settling) != 1 || settling[0].Day != day0 || settling[0].From != day0 || settling[0].To != day0.Add(day) {
		t.Errorf("settling %+v, want all of %s", settling, day0)
	}
}

// Runs every 15 minutes for 12 days (with a 5-hour outage) must recompute
// every quarter-hour after it ends, settle every day exactly once, and
// end each plan at now (the watermark's next place).
func TestPlanCoversEveryBucketAndSettlesEachDayOnce(t *testing.T) {
	o := Options{}
	start := day0.Add(time.Hour)
	wm := start
	settled := map[time.Time]int{}
	lastLive := map[time.Time]time.Time{} // quarter-hour → when last recomputed
	for now := start.Add(15 * time.Minute); now.Before(day0.Add(12 * day)); now = now.Add(15 * time.Minute) {
		if now.After(day0.Add(5*day)) && now.Before(day0.Add(5*day+5*time.Hour)) {
			continue // outage
		}
		plan := o.Plan(wm, now)
		if last := plan[len(plan)-1]; !last.Due.Equal(now) && !last.Settling {
			t.Fatalf("plan at %s ends at %s", now, last.Due)
		}
		for _, w := range plan {
			if w.Settling {
				settled[w.Day]++
			}
			for _, q := range kpi.Grain15m.Buckets(w.From, w.To) {
				lastLive[q] = now
			}
		}
		wm = now
	}
	for d := day0; d.Before(day0.Add(3 * day)); d = d.Add(day) {
		if settled[d] != 1 {
			t.Errorf("day %s settled %d times, want once", d.Format(contacts.DayLayout), settled[d])
		}
	}
	for q := start; q.Before(day0.Add(11 * day)); q = q.Add(15 * time.Minute) {
		last, ok := lastLive[q]
		if !ok {
			t.Fatalf("quarter-hour %s never recomputed", q)
		}
		// Recomputed at least once after its contacts' late window closed,
		// or by its day's settling run.
		if last.Before(q.Add(15*time.Minute)) && settled[kpi.GrainDay.Start(q)] == 0 {
			t.Errorf("quarter-hour %s last recomputed at %s, before it ended", q, last)
		}
	}
}

func TestPlanRangeCoversBackfill(t *testing.T) {
	plan := Options{}.PlanRange(day0.Add(22*time.Hour), day0.Add(day+2*time.Hour))
	if len(plan) != 2 || plan[0].From != day0.Add(22*time.Hour) || plan[1].To != day0.Add(day+2*time.Hour) {
		t.Errorf("plan %+v", plan)
	}
}

func facts(n int, seed uint64) []kpi.Fact {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]kpi.Fact, n)
	for i := range out {
		c := handled(string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676)))
		c.Facts.EnqueuedAt = day0.Add(time.Duration(r.IntN(86400)) * time.Second)
		c.Facts.QueueWaitSeconds = r.IntN(120)
		c.Facts.TalkSeconds = 60 + r.IntN(600)
		if r.IntN(3) == 0 {
			c.Decision = &contacts.Decision{DecisionID: "d", OfferID: "fibre", CampaignID: "spring", Shown: true, Value: 10.1 + float64(r.IntN(30))/7}
			c.Outcome = &contacts.Outcome{DecisionID: "d", Outcome: contacts.OutcomeAccepted}
		}
		out[i], _ = Options{}.FactOf(c, day0)
	}
	return out
}

func TestComputeIsExactAndOrderFree(t *testing.T) {
	w := Work{Day: day0, From: day0, To: day0.Add(day)}
	fs := facts(500, 7)
	a := Options{}.Compute(w, fs)
	if len(a) != 96+24+1 {
		t.Fatalf("%d buckets, want 121", len(a))
	}
	shuffled := append([]kpi.Fact(nil), fs...)
	rand.New(rand.NewPCG(3, 3)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	if b := (Options{}).Compute(w, shuffled); !reflect.DeepEqual(a, b) {
		t.Error("the same facts in another order gave other aggregates")
	}
	// Every grain holds every contact exactly once.
	var quarters, hours kpi.Aggregate
	for _, b := range a {
		switch b.Grain {
		case kpi.Grain15m:
			quarters = quarters.Add(b.Aggregates[kpi.Total])
		case kpi.GrainHour:
			hours = hours.Add(b.Aggregates[kpi.Total])
		}
	}
	dayTotal := a[len(a)-1].Aggregates[kpi.Total]
	if dayTotal.Offered != 500 || quarters.Offered != 500 || hours.Offered != 500 {
		t.Errorf("offered: day %d hours %d quarters %d, want 500", dayTotal.Offered, hours.Offered, quarters.Offered)
	}
	if quarters.QueueWaitMs != dayTotal.QueueWaitMs || hours.TalkMs != dayTotal.TalkMs {
		t.Error("integer sums differ between grains")
	}
}

func TestComputeKeepsEmptyBucketsAndIgnoresOtherDays(t *testing.T) {
	w := Work{Day: day0, From: day0.Add(9 * time.Hour), To: day0.Add(10 * time.Hour)}
	inside, _ := Options{}.FactOf(handled("a"), day0)
	other := inside
	other.ContactID, other.At = "b", day0.Add(-time.Minute)
	got := Options{}.Compute(w, []kpi.Fact{inside, other, inside})
	if len(got) != 4+1+1 {
		t.Fatalf("%d buckets, want 4 quarters, 1 hour, 1 day", len(got))
	}
	for _, b := range got {
		n := b.Aggregates[kpi.Total].Offered
		switch {
		case b.Grain == kpi.Grain15m && b.Start.Equal(day0.Add(9*time.Hour)):
			expect(t, "09:00 offered", n, int64(1))
		case b.Grain == kpi.Grain15m:
			expect(t, "empty quarter keys", len(b.Aggregates), 0)
		default:
			expect(t, string(b.Grain)+" offered", n, int64(1))
		}
	}
}
