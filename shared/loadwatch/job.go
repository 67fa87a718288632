package loadwatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/load"
	"github.com/conduit-cx/conduit/shared/metrics"
)

// Reading is one read of the contact center's current metrics.
type Reading struct {
	// Queues holds the metrics of each queue Connect returned, by queue
	// id. A watched queue missing here had no metrics this time.
	Queues map[string]QueueMetrics
	// Names are the instance's queue names by id, when they could be
	// read; a watched id missing from a non-nil Names is a queue that
	// no longer exists.
	Names map[string]string
}

// QueueMetrics are one queue's current metrics. Metrics.At is the time of
// the snapshot; a reading Connect did not return is missing (not OK).
type QueueMetrics struct {
	Name    string
	Metrics load.Metrics
}

// MetricsSource reads the current metrics of the watched queues (Amazon
// Connect's GetCurrentMetricData).
type MetricsSource interface {
	CurrentMetrics(ctx context.Context) (Reading, error)
}

// CounterSource reads a queue's live waiting list from the contact events.
type CounterSource interface {
	QueueCounters(ctx context.Context, queueID string) (waiting int, oldestWait time.Duration, err error)
}

// ServiceSource counts, by queue id, the contacts that left a queue (were
// answered or abandoned) in (since, until], with SL threshold T.
type ServiceSource interface {
	RecentService(ctx context.Context, since, until time.Time, threshold time.Duration) (map[string]ServiceStats, error)
}

// WallboardStore keeps the wallboard between runs.
type WallboardStore interface {
	Wallboard(ctx context.Context) (Wallboard, error)
	SaveWallboard(ctx context.Context, w Wallboard) error
}

// CampaignStore lists and moves campaigns (catalogstore.Catalog).
type CampaignStore interface {
	ListCampaigns(ctx context.Context, f catalog.CampaignFilter, limit int, cursor string) ([]catalog.Campaign, string, error)
	UpdateCampaign(ctx context.Context, id string, version int, change func(*catalog.Campaign) error) (catalog.Campaign, error)
}

// Settings tune the job.
type Settings struct {
	// QueueIDs are the watched Connect queue ids.
	QueueIDs   []string
	Thresholds load.Thresholds
	// ServiceWindow is how far back recent ASA and service level look
	// (default 15 minutes); ServiceThreshold is T of SL(T) (default 20 s).
	ServiceWindow    time.Duration
	ServiceThreshold time.Duration
	// MinHold keeps a held campaign held at least this long (default 10
	// minutes), so it is not switched on and off at the edge of a line.
	MinHold time.Duration
}

// Defaults of Settings.
const (
	DefaultServiceWindow    = 15 * time.Minute
	DefaultServiceThreshold = 20 * time.Second
	DefaultMinHold          = 10 * time.Minute
)

func (s Settings) withDefaults() Settings {
	if s.Thresholds == (load.Thresholds{}) {
		s.Thresholds = load.DefaultThresholds()
	}
	if s.ServiceWindow <= 0 {
		s.ServiceWindow = DefaultServiceWindow
	}
	if s.ServiceThreshold <= 0 {
		s.ServiceThreshold = DefaultServiceThreshold
	}
	if s.MinHold < 0 {
		s.MinHold = 0
	} else if s.MinHold == 0 {
		s.MinHold = DefaultMinHold
	}
	return s
}

// Metric names of the load watcher (CloudWatch, EMF).
const (
	// MetricQueueMetricsMissing counts watched queues a run had no fresh
	// or no complete metrics for, by Reason (throttled, api_error,
	// no_metrics, queue_not_found, partial).
	MetricQueueMetricsMissing = "QueueMetricsMissing"
	// MetricQueueLoadLevel is each queue's level: 0 unknown, 1 normal, 2
	// busy, 3 overloaded, by Queue.
	MetricQueueLoadLevel = "QueueLoadLevel"
	// MetricQueueStateAge is the age of each queue's state, by Queue.
	MetricQueueStateAge = "QueueStateAgeSeconds"
	// MetricQueueStateStale counts queues whose state is stale, by Queue.
	MetricQueueStateStale = "QueueStateStale"
	// MetricCampaignsHeld is how many campaigns the load gate holds.
	MetricCampaignsHeld = "CampaignsHeldByLoad"
	// MetricCampaignTransitions counts holds and releases, by Reason
	// (held, released, refused).
	MetricCampaignTransitions = "CampaignLoadTransitions"
	// DimQueue is the queue-name dimension.
	DimQueue = "Queue"
)

// Missing-metrics reasons.
const (
	MissingThrottled     = "throttled"
	MissingAPIError      = "api_error"
	MissingNoMetrics     = "no_metrics"
	MissingQueueNotFound = "queue_not_found"
	MissingPartial       = "partial"
)

// Job is the load watcher.
type Job struct {
	Metrics   MetricsSource
	Counters  CounterSource // optional
	Service   ServiceSource // optional
	Board     WallboardStore
	Campaigns CampaignStore
	Settings  Settings
	Log       *slog.Logger
	EMF       *metrics.Writer // optional
	Clock     func() time.Time
}

// Transition is one campaign the run held or released.
type Transition struct {
	CampaignID string `json:"campaignId"`
	From       string `json:"from"`
	To         string `json:"to"`
	Reason     string `json:"reason"`
	// Refused says why the move could not be recorded (the campaign
	// changed meanwhile, or cannot go live).
	Refused string `json:"refused,omitempty"`
}

// Result is what one run did.
type Result struct {
	Wallboard   Wallboard    `json:"wallboard"`
	Transitions []Transition `json:"transitions"`
}

// ErrMetricsThrottled wraps a throttled metrics read, so the job can tell
// throttling from other failures.
var ErrMetricsThrottled = errors.New("throttled")

// Run does one pass at now. It is idempotent: a second run on the same
// metrics at the same time moves no campaign and stores the same
// wallboard. A failed metrics read is not an error of the run: the queues
// keep their last state, which ages into stale and never releases a hold.
func (j *Job) Run(ctx context.Context, now time.Time) (Result, error) {
	set := j.Settings.withDefaults()
	log := j.Log
	if log == nil {
		log = slog.Default()
	}
	prev, err := j.Board.Wallboard(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("read the wallboard: %w", err)
	}
	board := Wallboard{RunAt: now, StaleAfterSeconds: set.Thresholds.StaleAfter.Seconds()}

	reading, readErr := j.Metrics.CurrentMetrics(ctx)
	readWhy := ""
	if readErr != nil {
		readWhy = MissingAPIError
		if errors.Is(readErr, ErrMetricsThrottled) {
			readWhy = MissingThrottled
		}
		log.WarnContext(ctx, "queue metrics not read; queues keep their last state", "reason", readWhy, "error", readErr.Error())
	}
	var service map[string]ServiceStats
	if j.Service != nil && readErr == nil {
		service, err = j.Service.RecentService(ctx, now.Add(-set.ServiceWindow), now, set.ServiceThreshold)
		if err != nil {
			service = nil
			log.WarnContext(ctx, "recent ASA and service level not read; gates that need them see them as unknown", "error", err.Error())
		}
	}

	for _, id := range set.QueueIDs {
		q := j.queue(ctx, log, id, prev, reading, readErr, readWhy, service, now, set)
		board.Queues = append(board.Queues, q)
	}

	res := Result{}
	board.Holds, res.Transitions, err = j.gate(ctx, log, prev, board, now, set)
	if err != nil {
		return Result{}, err
	}
	if err := j.Board.SaveWallboard(ctx, board); err != nil {
		return Result{}, fmt.Errorf("save the wallboard: %w", err)
	}
	res.Wallboard = board
	if j.EMF != nil {
		j.EMF.Count(MetricCampaignsHeld, float64(len(board.Holds)))
		_ = j.EMF.Flush()
	}
	log.InfoContext(ctx, "load watch run", "queues", len(board.Queues), "held", len(board.Holds), "transitions", len(res.Transitions))
	return res, nil
}

// queue works out one queue's new state.
func (j *Job) queue(ctx context.Context, log *slog.Logger, id string, prev Wallboard, reading Reading, readErr error,
	readWhy string, service map[string]ServiceStats, now time.Time, set Settings) Queue {
	old, _ := prev.Queue(id)
	q := Queue{ID: id, Name: old.Name, State: old.State, CheckedAt: now}
	if name := reading.Names[id]; name != "" {
		q.Name = name
	}
	qm, got := reading.Queues[id]
	if got && qm.Name != "" {
		q.Name = qm.Name
	}
	if q.Name == "" {
		q.Name = id // never named by Connect: the id stands in
	}
	if j.Counters != nil {
		waiting, oldest, err := j.Counters.QueueCounters(ctx, id)
		if err != nil {
			log.WarnContext(ctx, "queue counters not read", "queue", q.Name, "error", err.Error())
		} else {
			q.Counters = &Counters{Waiting: waiting, OldestWaitSeconds: oldest.Seconds(), At: now}
		}
	}

	var m load.Metrics
	why := ""
	switch {
	case readErr != nil:
		why = readWhy
		q.Problem = "Connect metrics not read: " + readErr.Error()
	case !got && reading.Names != nil && reading.Names[id] == "":
		why = MissingQueueNotFound
		q.Problem = "the queue is not in the Connect instance (deleted?)"
	case !got:
		why = MissingNoMetrics
		q.Problem = "Connect returned no metrics for the queue"
	default:
		m = qm.Metrics
		if m.At.IsZero() {
			m.At = now
		}
		// A nil map: the recent contacts could not be read. A queue absent
		// from a read map had no contact leave it in the window.
		fill(&m, q.Counters, service[id], service != nil)
		if gaps := missingReadings(m); len(gaps) > 0 {
			why = MissingPartial
			q.Problem = "no " + strings.Join(gaps, ", ") + " in Connect's metrics"
		}
	}
	m.Queue = q.Name
	if why == "" && old.State.Level != "" && m.At.Equal(old.State.UpdatedAt) {
		q.State = old.State // the same snapshot again (a retried run): applied once already
	} else {
		q.State = load.Next(old.State, m, now, set.Thresholds)
	}
	if why != "" {
		log.WarnContext(ctx, "queue metrics missing", "queue", q.Name, "reason", why, "problem", q.Problem,
			"level", string(q.State.Level), "age_s", ageSeconds(q.State, now))
	}
	if j.EMF != nil {
		dim := metrics.Dim(DimQueue, q.Name)
		if why != "" {
			j.EMF.Count(MetricQueueMetricsMissing, 1, metrics.Dim(metrics.DimReason, why))
		}
		j.EMF.Put(MetricQueueLoadLevel, float64(levelNumber(q.State.Level)), metrics.None, dim)
		if age := ageSeconds(q.State, now); age >= 0 {
			j.EMF.Put(MetricQueueStateAge, age, metrics.Seconds, dim)
		}
		if q.State.Stale(now, set.Thresholds.StaleAfter) {
			j.EMF.Count(MetricQueueStateStale, 1, dim)
		}
	}
	return q
}

// fill completes Connect's metrics: the contact-events counters stand in
// for a missing waiting count or oldest wait, and the recent contacts give
// ASA and service level (Connect's current metrics have neither). A queue
// where nobody waited in the window and nobody waits now is idle: ASA 0 s
// and service level 100 %.
//
// haveService is false when the recent contacts could not be read: ASA and
// service level then stay unknown.
func fill(m *load.Metrics, c *Counters, s ServiceStats, haveService bool) {
	if c != nil {
		if !m.ContactsWaiting.OK {
			m.ContactsWaiting = load.Known(float64(c.Waiting))
		}
		if !m.OldestWait.OK {
			m.OldestWait = load.Known(c.OldestWaitSeconds)
		}
	}
	if !haveService {
		return
	}
	m.ASA, m.ServiceLevel = s.ASA(), s.ServiceLevel()
	idle := s.Answered == 0 && s.Abandoned == 0 && m.ContactsWaiting.OK && m.ContactsWaiting.Value == 0
	if idle {
		m.ASA, m.ServiceLevel = load.Known(0), load.Known(1)
	}
}

// gate holds and releases campaigns by their load gates.
func (j *Job) gate(ctx context.Context, log *slog.Logger, prev, board Wallboard, now time.Time, set Settings) ([]Hold, []Transition, error) {
	campaigns, err := catalog.AllCampaigns(ctx, j.Campaigns, catalog.CampaignLive, catalog.CampaignHeld)
	if err != nil {
		return nil, nil, err
	}
	states := board.States()
	staleAfter := set.Thresholds.StaleAfter
	holds := []Hold{}
	var moves []Transition
	for _, c := range campaigns {
		since, byLoad := HeldByLoad(c)
		if c.Status == catalog.CampaignHeld && !byLoad {
			continue // held by a person: theirs to release
		}
		g := GateOf(c.LoadGate, set.MinHold, states)
		cur := load.Hold{Held: byLoad, Since: since}
		d := g.Decide(cur, states, now, staleAfter)
		reason := clip(d.Reason)
		if d.Hold {
			h := Hold{CampaignID: c.ID, Name: c.Name, Reason: reason, Since: since,
				Queues: holdingQueues(g, states, now, staleAfter)}
			if old, ok := prev.HoldOf(c.ID); ok && h.Since.IsZero() {
				h.Since = old.Since
			}
			if h.Since.IsZero() {
				h.Since = now
			}
			holds = append(holds, h)
		}
		if !d.Changed {
			continue
		}
		t := Transition{CampaignID: c.ID, From: string(c.Status), Reason: reason}
		want := catalog.CampaignLive
		if d.Hold {
			want = catalog.CampaignHeld
		}
		t.To = string(want)
		_, err := j.Campaigns.UpdateCampaign(ctx, c.ID, 0, func(cur *catalog.Campaign) error {
			if cur.Status != c.Status {
				return fmt.Errorf("%w: the campaign went %s meanwhile", errSkip, cur.Status)
			}
			if want == catalog.CampaignLive {
				if _, ok := HeldByLoad(*cur); !ok {
					return fmt.Errorf("%w: someone else held it meanwhile", errSkip)
				}
			}
			cur.UpdatedAt, cur.UpdatedBy = now, Actor
			return cur.Transition(want, Actor, reason, now)
		})
		if err != nil {
			if !errors.Is(err, errSkip) && !isInput(err) && !errors.Is(err, apperr.ErrNotFound) && !errors.Is(err, apperr.ErrConflict) {
				return nil, nil, fmt.Errorf("move campaign %s to %s: %w", c.ID, want, err)
			}
			t.Refused = err.Error()
			log.WarnContext(ctx, "campaign not moved by its load gate", "campaign", c.ID, "to", string(want), "reason", reason, "refused", t.Refused)
			j.count(MetricCampaignTransitions, "refused")
		} else {
			log.InfoContext(ctx, "campaign moved by its load gate", "campaign", c.ID, "from", t.From, "to", t.To, "reason", reason)
			j.count(MetricCampaignTransitions, map[bool]string{true: "held", false: "released"}[d.Hold])
		}
		moves = append(moves, t)
	}
	return holds, moves, nil
}

var errSkip = errors.New("skipped")

func isInput(err error) bool { _, ok := apperr.AsProblems(err); return ok }

func (j *Job) count(name, reason string) {
	if j.EMF != nil {
		j.EMF.Count(name, 1, metrics.Dim(metrics.DimReason, reason))
	}
}

// missingReadings names the readings Connect did not give.
func missingReadings(m load.Metrics) []string {
	var out []string
	for _, r := range []struct {
		name string
		ok   bool
	}{
		{"contacts in queue", m.ContactsWaiting.OK}, {"oldest contact age", m.OldestWait.OK},
		{"agents available", m.AgentsAvailable.OK}, {"agents on contact", m.AgentsOnContact.OK},
	} {
		if !r.ok {
			out = append(out, r.name)
		}
	}
	return out
}

func levelNumber(l load.Level) int {
	switch l {
	case load.Normal:
		return 1
	case load.Busy:
		return 2
	case load.Overloaded:
		return 3
	}
	return 0
}

// ageSeconds is a state's age, or -1 when never measured.
func ageSeconds(s load.State, now time.Time) float64 {
	if s.UpdatedAt.IsZero() {
		return -1
	}
	return now.Sub(s.UpdatedAt).Seconds()
}

// Handle is the loadwatch function: it checks the scheduled event and
// runs at the clock's now (not the event's time: a retried event must
// not judge today's queues by an old minute).
func (j *Job) Handle(ctx context.Context, payload json.RawMessage) (Result, error) {
	if _, err := ParseScheduledEvent(payload); err != nil {
		return Result{}, fmt.Errorf("loadwatch runs only on its schedule: %w", err)
	}
	clock := j.Clock
	if clock == nil {
		clock = time.Now
	}
	return j.Run(ctx, clock().UTC())
}
