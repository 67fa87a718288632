// Package campaignjob is the campaigns function's work: the campaign
// lifecycle every five minutes (launch ready campaigns at their launch
// time when load allows, end expired ones, warn about campaigns due soon
// with open readiness items), and the what-if that runs the real decision
// engine over the whole profile base before a launch.
package campaignjob

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/load"
	"github.com/conduit-cx/conduit/shared/loadwatch"
	"github.com/conduit-cx/conduit/shared/metrics"
)

// Actor is who the lifecycle job's transitions are recorded by.
const Actor = "campaigns"

// DueSoon is how far ahead the job warns about open readiness items.
const DueSoon = 48 * time.Hour

// Metric names of the lifecycle job (CloudWatch, EMF).
const (
	MetricLaunched = "CampaignsLaunched"
	MetricEnded    = "CampaignsEnded"
	// MetricLaunchWaiting counts ready campaigns past their launch time
	// that the load gate keeps waiting.
	MetricLaunchWaiting = "CampaignLaunchWaiting"
	// MetricChecklistOpen counts campaigns due within DueSoon (or past
	// due) whose readiness checklist is still open, or that nobody marked
	// ready.
	MetricChecklistOpen = "CampaignChecklistOpen"
)

// CampaignStore lists and moves campaigns (catalogstore.Catalog).
type CampaignStore interface {
	ListCampaigns(ctx context.Context, f catalog.CampaignFilter, limit int, cursor string) ([]catalog.Campaign, string, error)
	UpdateCampaign(ctx context.Context, id string, version int, change func(*catalog.Campaign) error) (catalog.Campaign, error)
}

// WallboardReader reads the load watcher's queue states (loadstore.LoadBoard).
type WallboardReader interface {
	Wallboard(ctx context.Context) (loadwatch.Wallboard, error)
}

// Lifecycle is the scheduled campaign job.
type Lifecycle struct {
	Campaigns CampaignStore
	Board     WallboardReader
	Log       *slog.Logger
	EMF       *metrics.Writer // optional
}

// Move is one campaign the run moved, or tried to.
type Move struct {
	CampaignID string `json:"campaignId"`
	From       string `json:"from"`
	To         string `json:"to"`
	Reason     string `json:"reason"`
	Refused    string `json:"refused,omitempty"`
}

// Warning is a campaign that needs a person's attention.
type Warning struct {
	CampaignID string    `json:"campaignId"`
	LaunchAt   time.Time `json:"launchAt"`
	// Open lists the readiness items still open; empty when the checklist
	// is complete but nobody marked the campaign ready.
	Open    []string `json:"open"`
	Message string   `json:"message"`
}

// LifecycleResult is what one run did and saw.
type LifecycleResult struct {
	Moves    []Move    `json:"moves"`
	Waiting  []Move    `json:"waiting"` // ready campaigns the load gate keeps from launching
	Warnings []Warning `json:"warnings"`
}

// Run does one pass at now. It is idempotent: what it moved is no longer
// in the status it moves from, so a second run moves nothing.
func (l *Lifecycle) Run(ctx context.Context, now time.Time) (LifecycleResult, error) {
	log := l.Log
	if log == nil {
		log = slog.Default()
	}
	var res LifecycleResult
	all, err := catalog.AllCampaigns(ctx, l.Campaigns, catalog.CampaignPlanned, catalog.CampaignReady, catalog.CampaignLive, catalog.CampaignHeld)
	if err != nil {
		return res, err
	}
	var board loadwatch.Wallboard
	boardRead := false
	for _, c := range all {
		switch {
		case !now.Before(c.EndAt):
			reason := fmt.Sprintf("ended: the end date %s has passed", c.EndAt.UTC().Format(time.RFC3339))
			res.Moves = append(res.Moves, l.move(ctx, log, c, catalog.CampaignEnded, reason, now))
		case c.Status == catalog.CampaignReady && !now.Before(c.LaunchAt):
			if !boardRead {
				if board, err = l.Board.Wallboard(ctx); err != nil {
					return res, fmt.Errorf("read the queue load states: %w", err)
				}
				boardRead = true
			}
			// Launching is like releasing a hold: only on fresh data
			// within the gate's limits.
			states := board.States()
			d := loadwatch.GateOf(c.LoadGate, 0, states).Decide(load.Hold{Held: true}, states, now, board.StaleAfter())
			if d.Hold {
				m := Move{CampaignID: c.ID, From: string(c.Status), To: string(catalog.CampaignLive),
					Reason: "launch waits: " + strings.TrimPrefix(d.Reason, "held: ")}
				res.Waiting = append(res.Waiting, m)
				log.WarnContext(ctx, "campaign launch waits for the load gate", "campaign", c.ID, "reason", m.Reason)
				l.count(MetricLaunchWaiting)
				continue
			}
			reason := "launched at its launch time; load allows: " + strings.TrimPrefix(d.Reason, "released: ")
			res.Moves = append(res.Moves, l.move(ctx, log, c, catalog.CampaignLive, reason, now))
		case c.Status == catalog.CampaignPlanned && c.LaunchAt.Sub(now) <= DueSoon:
			w := Warning{CampaignID: c.ID, LaunchAt: c.LaunchAt, Open: c.Checklist.Open()}
			due := "is due in " + c.LaunchAt.Sub(now).Round(time.Minute).String()
			if !now.Before(c.LaunchAt) {
				due = "was due " + now.Sub(c.LaunchAt).Round(time.Minute).String() + " ago"
			}
			if len(w.Open) > 0 {
				w.Message = fmt.Sprintf("campaign %s %s and its readiness checklist is open: %s", c.ID, due, strings.Join(w.Open, ", "))
			} else {
				w.Open = []string{}
				w.Message = fmt.Sprintf("campaign %s %s; its checklist is complete but nobody marked it ready", c.ID, due)
			}
			res.Warnings = append(res.Warnings, w)
			log.WarnContext(ctx, "campaign due with open readiness", "campaign", c.ID, "launch_at", c.LaunchAt.UTC().Format(time.RFC3339),
				"open", strings.Join(w.Open, ","), "message", w.Message)
			l.count(MetricChecklistOpen)
		}
	}
	if l.EMF != nil {
		_ = l.EMF.Flush()
	}
	log.InfoContext(ctx, "campaign lifecycle run", "campaigns", len(all), "moved", len(res.Moves), "waiting", len(res.Waiting), "warnings", len(res.Warnings))
	return res, nil
}

var errSkip = errors.New("skipped")

// move records one transition on the latest campaign, unless it changed
// status meanwhile.
func (l *Lifecycle) move(ctx context.Context, log *slog.Logger, c catalog.Campaign, to catalog.CampaignStatus, reason string, now time.Time) Move {
	m := Move{CampaignID: c.ID, From: string(c.Status), To: string(to), Reason: reason}
	_, err := l.Campaigns.UpdateCampaign(ctx, c.ID, 0, func(cur *catalog.Campaign) error {
		if cur.Status != c.Status {
			return fmt.Errorf("%w: the campaign went %s meanwhile", errSkip, cur.Status)
		}
		cur.UpdatedAt, cur.UpdatedBy = now, Actor
		return cur.Transition(to, Actor, reason, now)
	})
	if err != nil {
		m.Refused = err.Error()
		_, input := apperr.AsProblems(err)
		level := slog.LevelWarn
		if !input && !errors.Is(err, errSkip) && !errors.Is(err, apperr.ErrConflict) && !errors.Is(err, apperr.ErrNotFound) {
			level = slog.LevelError
		}
		log.Log(ctx, level, "campaign not moved", "campaign", c.ID, "to", string(to), "refused", m.Refused)
		return m
	}
	log.InfoContext(ctx, "campaign moved", "campaign", c.ID, "from", m.From, "to", m.To, "reason", reason)
	if to == catalog.CampaignLive {
		l.count(MetricLaunched)
	} else {
		l.count(MetricEnded)
	}
	return m
}

func (l *Lifecycle) count(name string) {
	if l.EMF != nil {
		l.EMF.Count(name, 1)
	}
}
