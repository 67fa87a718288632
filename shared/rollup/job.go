package rollup

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/kpi"
	"github.com/conduit-cx/conduit/shared/metrics"
)

// ContactSource reads the contact items that began in [from, to). each may
// be called from one goroutine at a time only.
type ContactSource interface {
	ContactsInitiated(ctx context.Context, from, to time.Time, each func(contacts.Contact)) error
}

// BucketStore replaces stored buckets with recomputed ones.
type BucketStore interface {
	ReplaceBuckets(ctx context.Context, buckets []BucketAggregates) (WriteStats, error)
}

// WatermarkStore keeps how far the last complete scheduled run got.
type WatermarkStore interface {
	// Watermark is the stored watermark; ok is false before the first run.
	Watermark(ctx context.Context) (t time.Time, ok bool, err error)
	// AdvanceWatermark moves the watermark forward to t (never back).
	AdvanceWatermark(ctx context.Context, t time.Time) error
}

// Metrics is the EMF writer's part the job uses.
type Metrics interface {
	Put(name string, value float64, unit metrics.Unit, dims ...metrics.Dimension)
	Property(key string, value any)
	Flush() error
}

// Job is the rollup: scheduled runs and backfills.
type Job struct {
	Contacts   ContactSource
	Buckets    BucketStore
	Watermarks WatermarkStore
	Options    Options
	Clock      func() time.Time
	// Metrics receives RollupLagSeconds; nil writes none.
	Metrics Metrics
	Log     *slog.Logger
}

// Report is what one invocation did; it is the function's answer.
type Report struct {
	Mode string    `json:"mode"` // scheduled or backfill
	AsOf time.Time `json:"asOf"`
	// From and To are the range the watermark moved over (scheduled) or the
	// backfill range.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Complete is false when a catch-up stopped early; the next run goes on.
	Complete bool        `json:"complete"`
	Days     []DayReport `json:"days"`
	// Watermark is where the next scheduled run starts.
	Watermark  time.Time `json:"watermark,omitzero"`
	LagSeconds float64   `json:"lagSeconds"`
	Contacts   int       `json:"contacts"`
	WriteStats
	// Excluded counts contacts left out of a metric, by reason, over every
	// day recomputed.
	Excluded map[string]int64 `json:"excluded,omitempty"`
}

// DayReport is one day recomputed.
type DayReport struct {
	Work
	Contacts int `json:"contacts"`
	// Unplaced are contact items with no time at all (left out).
	Unplaced int `json:"unplaced,omitempty"`
	// Excluded counts the day's contacts left out of a metric, by reason.
	Excluded map[string]int64 `json:"excluded,omitempty"`
	WriteStats
	Duration time.Duration `json:"-"`
	Millis   int64         `json:"ms"`
}

// Scheduled and backfill modes of Report.
const (
	ModeScheduled = "scheduled"
	ModeBackfill  = "backfill"
)

// Handle is the Lambda handler: it reads the payload (ParseRequest) and
// runs the job. A payload it cannot take is an error naming each problem;
// nothing is recomputed then.
func (j *Job) Handle(ctx context.Context, payload json.RawMessage) (Report, error) {
	req, err := j.Options.ParseRequest(payload, j.now())
	if err != nil {
		j.log().ErrorContext(ctx, "rollup payload refused", "error", err.Error())
		return Report{}, fmt.Errorf("rollup: %w", err)
	}
	return j.Run(ctx, req)
}

// Run does one request.
func (j *Job) Run(ctx context.Context, req Request) (Report, error) {
	now := j.now()
	if req.Backfill {
		rep := Report{Mode: ModeBackfill, AsOf: now, From: req.From, To: req.To}
		plan := j.Options.PlanRange(req.From, req.To)
		err := j.runWork(ctx, &rep, plan, now, len(plan), nil)
		rep.Complete = err == nil
		j.log().InfoContext(ctx, "rollup backfill", "from", req.From, "to", req.To, "days", len(rep.Days),
			"contacts", rep.Contacts, "written", rep.Written, "deleted", rep.Deleted, "unchanged", rep.Unchanged)
		return rep, err
	}

	wm, ok, err := j.Watermarks.Watermark(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("rollup: read watermark: %w", err)
	}
	o := j.Options.withDefaults()
	if !ok {
		wm = now.Add(-o.LookBack)
	}
	rep := Report{Mode: ModeScheduled, AsOf: now, From: wm, Watermark: wm}
	plan := o.Plan(wm, now)
	advanced := wm
	err = j.runWork(ctx, &rep, plan, now, o.MaxDaysPerRun, func(w Work) error {
		if !w.Due.After(advanced) {
			return nil
		}
		if err := j.Watermarks.AdvanceWatermark(ctx, w.Due); err != nil {
			return fmt.Errorf("advance watermark: %w", err)
		}
		advanced = w.Due
		return nil
	})
	rep.Watermark, rep.To = advanced, advanced
	rep.Complete = err == nil && len(rep.Days) == len(plan)
	rep.LagSeconds = max(now.Sub(advanced), 0).Seconds()
	if j.Metrics != nil {
		// Lag is measured even when the run failed: a stuck rollup shows.
		j.Metrics.Put(metrics.RollupLagSeconds, rep.LagSeconds, metrics.Seconds)
		j.Metrics.Property("rollupMode", rep.Mode)
		j.Metrics.Property("rollupDays", len(rep.Days))
		j.Metrics.Property("rollupContacts", rep.Contacts)
		j.Metrics.Property("rollupItemsWritten", rep.Written)
		if ferr := j.Metrics.Flush(); ferr != nil {
			j.log().WarnContext(ctx, "rollup metrics not written", "error", ferr.Error())
		}
	}
	level := slog.LevelInfo
	if !rep.Complete {
		level = slog.LevelWarn
	}
	j.log().Log(ctx, level, "rollup run", "watermark", advanced, "lagSeconds", rep.LagSeconds, "complete", rep.Complete,
		"days", len(rep.Days), "planned", len(plan), "contacts", rep.Contacts, "written", rep.Written,
		"deleted", rep.Deleted, "unchanged", rep.Unchanged, "excluded", rep.Excluded)
	return rep, err
}

// runWork does the work in order, at most maxDays days and within the
// context's deadline, calling done after each day.
func (j *Job) runWork(ctx context.Context, rep *Report, work []Work, asOf time.Time, maxDays int, done func(Work) error) error {
	var longest time.Duration
	for i, w := range work {
		if i >= maxDays {
			return nil
		}
		if dl, ok := ctx.Deadline(); ok && longest > 0 && time.Until(dl) < 2*longest {
			j.log().WarnContext(ctx, "rollup stops early to finish before its deadline", "done", i, "planned", len(work))
			return nil
		}
		start := time.Now()
		d, err := j.day(ctx, w, asOf)
		d.Duration = time.Since(start)
		d.Millis = d.Duration.Milliseconds()
		longest = max(longest, d.Duration)
		if err != nil {
			return fmt.Errorf("rollup of %s: %w", w.Day.Format(contacts.DayLayout), err)
		}
		rep.Days = append(rep.Days, d)
		rep.Contacts += d.Contacts
		rep.WriteStats = rep.WriteStats.Add(d.WriteStats)
		for reason, n := range d.Excluded {
			if rep.Excluded == nil {
				rep.Excluded = map[string]int64{}
			}
			rep.Excluded[reason] += n
		}
		if done != nil {
			if err := done(w); err != nil {
				return err
			}
		}
	}
	return nil
}

// day recomputes one day's work.
func (j *Job) day(ctx context.Context, w Work, asOf time.Time) (DayReport, error) {
	o := j.Options.withDefaults()
	rep := DayReport{Work: w}
	var facts []kpi.Fact
	end := w.Day.Add(day)
	err := j.Contacts.ContactsInitiated(ctx, w.Day.Add(-o.QueueLead), end, func(c contacts.Contact) {
		f, ok := o.FactOf(c, asOf)
		if !ok {
			rep.Unplaced++
			return
		}
		if f.At.Before(w.Day) || !f.At.Before(end) {
			return
		}
		facts = append(facts, f)
	})
	if err != nil {
		return rep, fmt.Errorf("read contacts: %w", err)
	}
	rep.Contacts = len(facts)
	buckets := o.Compute(w, facts)
	if last := buckets[len(buckets)-1]; last.Grain == kpi.GrainDay {
		rep.Excluded = last.Aggregates[kpi.Total].Excluded.Reasons()
	}
	stats, err := j.Buckets.ReplaceBuckets(ctx, buckets)
	rep.WriteStats = stats
	if err != nil {
		return rep, fmt.Errorf("write buckets: %w", err)
	}
	return rep, nil
}

func (j *Job) now() time.Time {
	if j.Clock == nil {
		return time.Now().UTC()
	}
	return j.Clock().UTC()
}

func (j *Job) log() *slog.Logger {
	if j.Log == nil {
		return slog.Default()
	}
	return j.Log
}
