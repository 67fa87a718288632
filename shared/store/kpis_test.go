package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/kpi"
	"github.com/conduit-cx/conduit/shared/rollup"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

var kpiT0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newKPIs(t testing.TB) (*store.KPIs, storetest.Env) {
	env := storetest.New(t)
	return store.NewKPIs(env.Clients.Dynamo, env.Tables), env
}

func agg(offered int64) kpi.Aggregate {
	return kpi.Aggregate{ServiceLevelThresholdMs: 20000, Offered: offered, Answered: offered, AnsweredTimed: offered, QueueWaitMs: 1500 * offered}
}

func TestReplaceBucketsWritesOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	s, _ := newKPIs(t)
	ctx := context.Background()
	sales, billing := kpi.NewKey(kpi.ByQueue, "Sales"), kpi.NewKey(kpi.ByQueue, "Billing/East #2")
	bucket := func(m map[kpi.Key]kpi.Aggregate) []rollup.BucketAggregates {
		return []rollup.BucketAggregates{{Grain: kpi.GrainHour, Start: kpiT0, Aggregates: m}}
	}
	st, err := s.ReplaceBuckets(ctx, bucket(map[kpi.Key]kpi.Aggregate{kpi.Total: agg(3), sales: agg(2), billing: agg(1)}))
	if err != nil || st.Written != 3 || st.Deleted != 0 {
		t.Fatalf("first write %+v %v", st, err)
	}
	// The same numbers again: nothing written.
	st, err = s.ReplaceBuckets(ctx, bucket(map[kpi.Key]kpi.Aggregate{kpi.Total: agg(3), sales: agg(2), billing: agg(1)}))
	if err != nil || st.Written != 0 || st.Unchanged != 3 {
		t.Fatalf("unchanged write %+v %v", st, err)
	}
	// Billing's contact moved to Sales: Sales rewritten, Billing removed.
	st, err = s.ReplaceBuckets(ctx, bucket(map[kpi.Key]kpi.Aggregate{kpi.Total: agg(3), sales: agg(3)}))
	if err != nil || st.Written != 1 || st.Deleted != 1 || st.Unchanged != 1 {
		t.Fatalf("moved contact %+v %v", st, err)
	}
	got, err := s.Dimension(ctx, kpi.GrainHour, kpi.ByQueue, kpiT0, kpiT0.Add(time.Hour), nil, 0)
	if err != nil || len(got) != 1 || got[0].Key != sales || got[0].Aggregate != agg(3) || !got[0].Start.Equal(kpiT0) {
		t.Fatalf("by queue: %+v %v", got, err)
	}
	total, err := s.Series(ctx, kpi.GrainHour, kpi.Total, kpiT0.Add(-time.Hour), kpiT0.Add(90*time.Minute))
	if err != nil || len(total) != 1 || total[0].Aggregate != agg(3) {
		t.Fatalf("total: %+v %v", total, err)
	}
	// An emptied bucket keeps nothing.
	if _, err := s.ReplaceBuckets(ctx, bucket(map[kpi.Key]kpi.Aggregate{})); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Series(ctx, kpi.GrainHour, kpi.Total, kpiT0, kpiT0.Add(time.Hour)); len(got) != 0 {
		t.Errorf("emptied bucket still holds %+v", got)
	}
	if got, _ := s.Dimension(ctx, kpi.GrainHour, kpi.ByQueue, kpiT0, kpiT0.Add(time.Hour), nil, 0); len(got) != 0 {
		t.Errorf("emptied bucket still lists %+v", got)
	}
}

func TestDimensionReadsRangeFiltersAndLimits(t *testing.T) {
	t.Parallel()
	s, _ := newKPIs(t)
	ctx := context.Background()
	var bs []rollup.BucketAggregates
	for h := range 5 {
		m := map[kpi.Key]kpi.Aggregate{kpi.Total: agg(int64(10 * (h + 1)))}
		for a := range 30 {
			m[kpi.NewKey(kpi.ByAgent, fmt.Sprintf("agent%02d", a))] = agg(int64(h + a + 1))
		}
		bs = append(bs, rollup.BucketAggregates{Grain: kpi.GrainHour, Start: kpiT0.Add(time.Duration(h) * time.Hour), Aggregates: m})
	}
	if _, err := s.ReplaceBuckets(ctx, bs); err != nil {
		t.Fatal(err)
	}
	// Hours 1 to 3 (a range starting inside hour 1 still includes it).
	got, err := s.Dimension(ctx, kpi.GrainHour, kpi.ByAgent, kpiT0.Add(61*time.Minute), kpiT0.Add(4*time.Hour), nil, 0)
	if err != nil || len(got) != 90 {
		t.Fatalf("%d buckets %v, want 90", len(got), err)
	}
	if !got[0].Start.Equal(kpiT0.Add(time.Hour)) || got[0].Key.Parts()[0] != "agent00" || got[0].Aggregate.Offered != 2 {
		t.Errorf("first bucket %+v", got[0])
	}
	one, err := s.Dimension(ctx, kpi.GrainHour, kpi.ByAgent, kpiT0, kpiT0.Add(5*time.Hour),
		func(k kpi.Key) bool { return k == kpi.NewKey(kpi.ByAgent, "agent07") }, 0)
	if err != nil || len(one) != 5 {
		t.Fatalf("filtered: %d %v", len(one), err)
	}
	_, err = s.Dimension(ctx, kpi.GrainHour, kpi.ByAgent, kpiT0, kpiT0.Add(5*time.Hour), nil, 100)
	if p, ok := apperr.AsProblems(err); !ok || p[0].Field != "by" {
		t.Errorf("150 points over a limit of 100: %v", err)
	}
}

func TestBenchmarksOptimisticLocking(t *testing.T) {
	t.Parallel()
	s, _ := newKPIs(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	set, err := s.PutBenchmark(ctx, kpi.MetricASA, kpi.Benchmark{Target: 25, Warning: 45.5}, 0, "admin", at)
	if err != nil || set.Version != 1 {
		t.Fatalf("first set: %+v %v", set, err)
	}
	if _, err := s.PutBenchmark(ctx, kpi.MetricASA, kpi.Benchmark{Target: 20, Warning: 40}, 0, "other", at); !errors.Is(err, apperr.ErrConflict) {
		t.Errorf("second first-set: %v, want conflict", err)
	}
	if _, err := s.PutBenchmark(ctx, kpi.MetricASA, kpi.Benchmark{Target: 20, Warning: 40}, 1, "admin", at); err != nil {
		t.Fatal(err)
	}
	_, err = s.PutBenchmark(ctx, kpi.MetricASA, kpi.Benchmark{Target: 21, Warning: 40}, 1, "admin", at)
	if !errors.Is(err, apperr.ErrConflict) || !strings.Contains(err.Error(), "version 2, not 1") {
		t.Errorf("stale version: %v", err)
	}
	all, err := s.Benchmarks(ctx)
	if err != nil || all[kpi.MetricASA].Benchmark != (kpi.Benchmark{Target: 20, Warning: 40}) || all[kpi.MetricASA].Version != 2 ||
		all[kpi.MetricASA].UpdatedBy != "admin" || !all[kpi.MetricASA].UpdatedAt.Equal(at) {
		t.Errorf("benchmarks %+v %v", all, err)
	}
}

func TestWatermarkOnlyMovesForward(t *testing.T) {
	t.Parallel()
	s, _ := newKPIs(t)
	ctx := context.Background()
	if _, ok, err := s.Watermark(ctx); ok || err != nil {
		t.Fatalf("fresh stage has a watermark: %v %v", ok, err)
	}
	for _, ts := range []time.Time{kpiT0, kpiT0.Add(-time.Hour), kpiT0.Add(15 * time.Minute)} {
		if err := s.AdvanceWatermark(ctx, ts); err != nil {
			t.Fatal(err)
		}
	}
	if wm, ok, err := s.Watermark(ctx); !ok || err != nil || !wm.Equal(kpiT0.Add(15*time.Minute)) {
		t.Errorf("watermark %s %v %v", wm, ok, err)
	}
}

func TestContactsInitiatedReadsDaysAcrossMidnight(t *testing.T) {
	t.Parallel()
	s, env := newKPIs(t)
	ctx := context.Background()
	db := env.Clients.Dynamo
	midnight := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	var want []string
	for i, at := range []time.Time{midnight.Add(-3 * time.Hour), midnight.Add(-time.Millisecond), midnight, midnight.Add(5 * time.Hour), midnight.Add(24 * time.Hour)} {
		c := contacts.Contact{
			ContactID: fmt.Sprintf("c%d", i), Day: contacts.Day(at), InitiatedAt: contacts.FormatTime(at), Channel: "voice",
			Facts:  &contacts.Facts{InitiatedAt: at, Handled: true, TalkSeconds: 100 + i},
			Lens:   &contacts.Lens{Version: 1, Sentiment: "positive"},
			Survey: &contacts.Survey{Score: 4},
		}
		if err := db.Table(env.Tables.Contacts).Put(c).Run(ctx); err != nil {
			t.Fatal(err)
		}
		if i >= 1 && i <= 3 {
			want = append(want, c.ContactID)
		}
	}
	var got []string
	err := s.ContactsInitiated(ctx, midnight.Add(-2*time.Hour), midnight.Add(24*time.Hour), func(c contacts.Contact) {
		got = append(got, c.ContactID)
		if c.Facts == nil || c.Facts.TalkSeconds < 100 || c.Survey == nil || c.Survey.Score != 4 || c.Lens != nil {
			t.Errorf("contact %s read as %+v: want facts and survey, no lens", c.ContactID, c)
		}
	})
	slices.Sort(got)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("got %v %v, want %v", got, err, want)
	}
}
