package rollup

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/kpi"
	"github.com/conduit-cx/conduit/shared/metrics"
)

// memory is an in-memory contact source, bucket store and watermark, for
// the job's logic; the DynamoDB store has its own tests.
type memory struct {
	contacts  []contacts.Contact
	buckets   map[string]kpi.Aggregate // grain|start|dimension|value
	watermark time.Time
	reads     int // contacts handed out
}

func newMemory(cs []contacts.Contact) *memory {
	return &memory{contacts: cs, buckets: map[string]kpi.Aggregate{}}
}

func (m *memory) ContactsInitiated(_ context.Context, from, to time.Time, each func(contacts.Contact)) error {
	for _, c := range m.contacts {
		t, err := time.Parse(time.RFC3339, c.InitiatedAt)
		if err == nil && !t.Before(from) && t.Before(to) {
			m.reads++
			each(c)
		}
	}
	return nil
}

func (m *memory) ReplaceBuckets(_ context.Context, bs []BucketAggregates) (WriteStats, error) {
	var s WriteStats
	for _, b := range bs {
		prefix := fmt.Sprintf("%s|%s|", b.Grain, kpi.BucketKey(b.Start))
		for k := range m.buckets {
			if strings.HasPrefix(k, prefix) {
				delete(m.buckets, k)
				s.Deleted++
			}
		}
		for k, a := range b.Aggregates {
			m.buckets[prefix+string(k.Dimension)+"|"+k.Value] = a
			s.Written++
		}
	}
	return s, nil
}

func (m *memory) Watermark(context.Context) (time.Time, bool, error) {
	return m.watermark, !m.watermark.IsZero(), nil
}

func (m *memory) AdvanceWatermark(_ context.Context, t time.Time) error {
	if t.After(m.watermark) {
		m.watermark = t
	}
	return nil
}

// contactsOver makes n handled contacts spread over [from, from+span).
func contactsOver(from time.Time, span time.Duration, n int) []contacts.Contact {
	out := make([]contacts.Contact, n)
	for i := range out {
		c := handled(fmt.Sprintf("c%05d", i))
		at := from.Add(span * time.Duration(i) / time.Duration(n))
		c.InitiatedAt = contacts.FormatTime(at)
		c.Facts.InitiatedAt, c.Facts.EnqueuedAt = at, at.Add(20*time.Second)
		c.Facts.QueueWaitSeconds = 10 + i%50
		c.Facts.TalkSeconds = 100 + i%300
		c.RepeatWithin7d = i%4 == 0
		if i%5 == 0 {
			c.Decision = &contacts.Decision{DecisionID: "d", OfferID: "fibre", CampaignID: "spring", Shown: i%10 != 0, Holdout: i%10 == 0, Value: 12.5}
			if i%15 == 0 {
				c.Outcome = &contacts.Outcome{DecisionID: "d", Outcome: contacts.OutcomeAccepted, Value: 19.99}
			}
		}
		out[i] = c
	}
	return out
}

func job(m *memory, now *time.Time) *Job {
	return &Job{Contacts: m, Buckets: m, Watermarks: m, Clock: func() time.Time { return *now }}
}

func TestScheduledRunsAreIdempotent(t *testing.T) {
	now := day0.Add(2*day + 10*time.Hour)
	m := newMemory(contactsOver(day0, 2*day+10*time.Hour, 2000))
	j := job(m, &now)
	rep, err := j.Handle(context.Background(), json.RawMessage(`{}`))
	if err != nil || !rep.Complete {
		t.Fatalf("first run: %+v %v", rep, err)
	}
	if !m.watermark.Equal(now) {
		t.Errorf("watermark %s, want %s", m.watermark, now)
	}
	first := maps.Clone(m.buckets)
	now = now.Add(15 * time.Minute)
	if _, err := j.Handle(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first, m.buckets) {
		t.Error("a second run with no new contacts changed stored buckets")
	}
	// A run that fails to parse changes nothing.
	if _, err := j.Handle(context.Background(), json.RawMessage(`{"from":"nope"}`)); err == nil {
		t.Error("bad payload accepted")
	}
	if !reflect.DeepEqual(first, m.buckets) {
		t.Error("a refused payload changed stored buckets")
	}
}

// Catching up after downtime, in several runs capped at 2 days each, gives
// exactly what one backfill of the whole range gives.
func TestCatchUpEqualsBackfill(t *testing.T) {
	cs := contactsOver(day0, 6*day, 3000)
	now := day0.Add(6*day + time.Hour)

	down := newMemory(cs)
	down.watermark = day0.Add(time.Hour) // down since 01:00 on day0
	j := job(down, &now)
	j.Options.MaxDaysPerRun = 2
	runs := 0
	for {
		rep, err := j.Run(context.Background(), Request{})
		if err != nil {
			t.Fatal(err)
		}
		runs++
		if rep.Complete {
			break
		}
		if runs > 10 {
			t.Fatal("catch-up never completes")
		}
		if len(rep.Days) != 2 {
			t.Fatalf("run %d did %d days, want 2", runs, len(rep.Days))
		}
	}
	if runs < 3 {
		t.Errorf("caught up 6 days in %d runs of 2 days", runs)
	}

	full := newMemory(cs)
	jb := job(full, &now)
	for d := day0; d.Before(now); d = d.Add(day) {
		to := earlier(d.Add(day), now)
		if _, err := jb.Run(context.Background(), Request{Backfill: true, From: d, To: to}); err != nil {
			t.Fatal(err)
		}
	}
	if len(full.buckets) == 0 || !reflect.DeepEqual(full.buckets, down.buckets) {
		t.Errorf("catch-up stored %d bucket keys, backfill %d, or their numbers differ", len(down.buckets), len(full.buckets))
	}
	if !down.watermark.Equal(now) {
		t.Errorf("watermark %s after catch-up, want %s", down.watermark, now)
	}
}

// The cost of a run grows with the contacts of the days it touches, not
// with history: a 15-minute run reads today's contacts (and the tail of
// yesterday), never the older days.
func TestRunReadsOnlyTouchedDays(t *testing.T) {
	cs := contactsOver(day0, 5*day, 5000) // 1000 a day
	now := day0.Add(4*day + 12*time.Hour)
	m := newMemory(cs)
	m.watermark = now.Add(-15 * time.Minute)
	rep, err := job(m, &now).Run(context.Background(), Request{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Days) != 1 || m.reads > 1000+int(DefaultQueueLead/time.Hour)*1000/24+1 {
		t.Errorf("run read %d contacts over %d days; want about one day's 1000", m.reads, len(rep.Days))
	}
}

func TestRunEmitsRollupLag(t *testing.T) {
	now := day0.Add(3 * day)
	m := newMemory(contactsOver(day0, 3*day, 300))
	var out bytes.Buffer
	j := job(m, &now)
	j.Metrics = metrics.New(&out, metrics.Namespace)
	j.Options.MaxDaysPerRun = 1
	m.watermark = now.Add(-2 * day)
	rep, err := j.Run(context.Background(), Request{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Complete || rep.LagSeconds <= 0 {
		t.Errorf("a capped catch-up must be incomplete and lag: %+v", rep)
	}
	var doc map[string]any
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("EMF line: %v\n%s", err, out.String())
	}
	if lag, _ := doc[metrics.RollupLagSeconds].(float64); lag != rep.LagSeconds {
		t.Errorf("EMF lag %v, want %v (%s)", doc[metrics.RollupLagSeconds], rep.LagSeconds, out.String())
	}
}
