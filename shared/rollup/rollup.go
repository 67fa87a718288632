// Package rollup turns contacts into KPI buckets and reads them back.
//
// The scheduled job recomputes buckets of 15 minutes, an hour and a day, for
// every dimension (total, queue, channel, campaign, offer, agent, treated vs
// holdout...), from the contact items in those buckets: it never adds to a
// stored number, it replaces it. Running it twice, late, or after a record
// was delivered again therefore gives the same numbers, and facts are folded
// in contact-id order so even the floating-point sums are bit-identical.
//
// # What is recomputed, and when (the recompute horizon)
//
// A bucket can change after it ends: contact records arrive when a contact
// ends (after-contact work, a survey score and an outcome come later still),
// and first-contact resolution waits seven days for a repeat contact. Each
// scheduled run, with the watermark W left by the last complete run:
//
//   - live: the quarter-hours and hours overlapping [W − LateWindow, now),
//     and the day buckets they fall in, are recomputed. LateWindow (3 h by
//     default) is how late a contact's facts may still arrive after it began.
//   - settle: a contact's 7-day repeat window is closed for good once its
//     whole day's windows have closed and a late window has passed:
//     SettledAt(day) = day + 24 h + 7 d + LateWindow. Until then the contact
//     is left out of FCR (counted as repeat_unknown); the run during which a
//     day settles recomputes that whole day (every grain), so FCR appears,
//     and any record that came later than LateWindow is picked up too.
//   - catch-up: after downtime W is old, so the live range is long; a run
//     does at most MaxDaysPerRun days (oldest first) and advances W as far
//     as it got, and the next runs continue. With no watermark (first run)
//     W is now − LookBack (2 days); older history is a backfill.
//
// Backfills name a range ({"from","to"}); every bucket overlapping it is
// recomputed and the watermark is left alone.
//
// # Cost
//
// Each day recomputed costs one read of that day's contacts (the byDay index
// of the contacts table, plus the last QueueLead of the day before, for
// contacts that began before midnight and queued after) and writes only the
// KPI items whose numbers changed: each bucket's directory item holds a hash
// of every key's aggregate. A normal run reads one day (two around midnight
// and on the run when a day settles); nothing depends on older history.
package rollup

import (
	"time"

	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/kpi"
)

// Defaults of Options.
const (
	DefaultLateWindow    = 3 * time.Hour
	DefaultLookBack      = 48 * time.Hour
	DefaultQueueLead     = 2 * time.Hour
	DefaultMaxDaysPerRun = 6
	// DefaultMaxBackfill bounds the range one backfill request names: the
	// days of a repeat window and one more.
	DefaultMaxBackfill = 8 * 24 * time.Hour
)

// Options tune the job. The zero Options are the defaults.
type Options struct {
	// LateWindow is how long after a contact began its facts may still
	// change (see the package comment).
	LateWindow time.Duration
	// LookBack is how far back the first run (no watermark) starts.
	LookBack time.Duration
	// QueueLead is how long before entering a queue a contact may have
	// begun (IVR, self-service): buckets go by queue time, the index by
	// initiation time.
	QueueLead time.Duration
	// MaxDaysPerRun bounds the days one scheduled run recomputes.
	MaxDaysPerRun int
	// MaxBackfill bounds the range of one backfill request.
	MaxBackfill time.Duration
	// Rules fix how facts are counted (service-level threshold).
	Rules kpi.Rules
}

func (o Options) withDefaults() Options {
	if o.LateWindow <= 0 {
		o.LateWindow = DefaultLateWindow
	}
	if o.LookBack <= 0 {
		o.LookBack = DefaultLookBack
	}
	if o.QueueLead <= 0 {
		o.QueueLead = DefaultQueueLead
	}
	if o.MaxDaysPerRun <= 0 {
		o.MaxDaysPerRun = DefaultMaxDaysPerRun
	}
	if o.MaxBackfill <= 0 {
		o.MaxBackfill = DefaultMaxBackfill
	}
	return o
}

// SettledAt is when the FCR of the contacts of a day is known for good:
// every repeat window of the day has closed and a late window has passed.
func (o Options) SettledAt(day time.Time) time.Time {
	o = o.withDefaults()
	return kpi.GrainDay.Start(day).Add(24*time.Hour + contacts.RepeatWindow + o.LateWindow)
}

// BucketAggregates is one bucket as the job computed it: every key with
// contacts in it and its aggregate. A key absent here has no contacts in
// the bucket (its stored item, if any, is removed).
type BucketAggregates struct {
	Grain      kpi.Grain
	Start      time.Time
	Aggregates map[kpi.Key]kpi.Aggregate
}

// WriteStats says what replacing buckets changed.
type WriteStats struct {
	Buckets   int `json:"buckets"`
	Written   int `json:"written"`
	Deleted   int `json:"deleted"`
	Unchanged int `json:"unchanged"`
}

// Add sums two stats.
func (s WriteStats) Add(o WriteStats) WriteStats {
	return WriteStats{s.Buckets + o.Buckets, s.Written + o.Written, s.Deleted + o.Deleted, s.Unchanged + o.Unchanged}
}

// Bucket is one stored aggregate: a key's contacts in one bucket.
type Bucket struct {
	Grain     kpi.Grain
	Start     time.Time
	Key       kpi.Key
	Aggregate kpi.Aggregate
}

// BenchmarkSetting is an administrator's benchmark of a metric, with its
// optimistic-locking version.
type BenchmarkSetting struct {
	Metric    string        `json:"metric"`
	Benchmark kpi.Benchmark `json:"benchmark"`
	Version   int           `json:"version"`
	UpdatedAt time.Time     `json:"updatedAt"`
	UpdatedBy string        `json:"updatedBy"`
}
