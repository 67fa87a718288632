package load

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// Gate is a campaign's load gate: when the contact center is too loaded to
// take the contacts a campaign brings, the campaign is held.
type Gate struct {
	// Queues whose load gates the campaign (queue names). Empty means every
	// queue in the states given.
	Queues []string `json:"queues"`
	// HoldAt holds the campaign while any of its queues is at this level or
	// worse. Empty means Overloaded.
	HoldAt Level `json:"holdAt"`
	// MaxASA holds while a queue's recent ASA is above it (0: not used).
	MaxASA time.Duration `json:"maxAsa"`
	// MinServiceLevel holds while a queue's recent service level is below it
	// (0: not used).
	MinServiceLevel float64 `json:"minServiceLevel"`
	// MinHold keeps a held campaign held at least this long, so a campaign
	// is not switched on and off every minute at the edge of a line.
	MinHold time.Duration `json:"minHold"`
}

// Validate checks a campaign's gate as a marketer saves it.
func (g Gate) Validate() error {
	var p apperr.Problems
	switch g.HoldAt {
	case "", Busy, Overloaded:
	default:
		p.Add("holdAt", "must be busy or overloaded, got %q", string(g.HoldAt))
	}
	if g.MaxASA < 0 {
		p.Add("maxAsa", "must not be negative")
	}
	if !(g.MinServiceLevel >= 0 && g.MinServiceLevel <= 1) {
		p.Add("minServiceLevel", "must be between 0 and 1 (0.8 means 80 %%)")
	}
	if g.MinHold < 0 {
		p.Add("minHold", "must not be negative")
	}
	for i, q := range g.Queues {
		if strings.TrimSpace(q) == "" {
			p.Add(fmt.Sprintf("queues[%d]", i), "must not be empty")
		}
	}
	return p.Err()
}

// Hold is a campaign's current gate state.
type Hold struct {
	Held   bool      `json:"held"`
	Since  time.Time `json:"since"` // when it was last held or released
	Reason string    `json:"reason"`
}

// GateDecision is what the gate decided for now.
type GateDecision struct {
	Hold bool `json:"hold"`
	// Changed reports a transition (held → released or released → held),
	// to be recorded with its reason.
	Changed bool `json:"changed"`
	// Reason in words: "held: queue Sales ASA 94 s > 60 s".
	Reason string `json:"reason"`
}

// Decide holds or releases a campaign from its queues' states:
//
//   - Any fresh queue at HoldAt or worse, above MaxASA or below
//     MinServiceLevel holds the campaign.
//   - A queue with no state, a stale state, or a missing reading the gate
//     needs is blind: blindness never releases a held campaign (it stays
//     held, saying why) and does not hold a running one on its own.
//   - A held campaign is released only when every queue is fresh and
//     within limits and MinHold has passed.
//
// staleAfter is the age past which a state is stale (Thresholds.StaleAfter).
func (g Gate) Decide(current Hold, states []State, now time.Time, staleAfter time.Duration) GateDecision {
	holdAt := g.HoldAt
	if holdAt == "" {
		holdAt = Overloaded
	}
	byQueue := make(map[string]State, len(states))
	for _, s := range states {
		byQueue[s.Queue] = s
	}
	queues := g.Queues
	if len(queues) == 0 {
		for q := range byQueue {
			queues = append(queues, q)
		}
		sort.Strings(queues)
	}

	var holds, blind, fine []string
	for _, q := range queues {
		s, ok := byQueue[q]
		switch {
		case !ok:
			blind = append(blind, fmt.Sprintf("queue %s has no load state", q))
			continue
		case s.Level == Unknown || s.Level == "" || s.Stale(now, staleAfter):
			age := "never measured"
			if !s.UpdatedAt.IsZero() {
				age = "last " + s.Age(now).Round(time.Second).String() + " ago"
			}
			blind = append(blind, fmt.Sprintf("queue %s has no fresh metrics (%s)", q, age))
			continue
		}
		before := len(holds)
		if s.Level.AtLeast(holdAt) {
			holds = append(holds, fmt.Sprintf("queue %s %s", q, s.Level))
		}
		m := s.Metrics
		if g.MaxASA > 0 {
			switch {
			case !m.ASA.OK || math.IsNaN(m.ASA.Value):
				blind = append(blind, fmt.Sprintf("queue %s ASA unknown", q))
			case m.ASA.Value > g.MaxASA.Seconds():
				holds = append(holds, fmt.Sprintf("queue %s ASA %s > %s", q, secs(m.ASA.Value), secs(g.MaxASA.Seconds())))
			}
		}
		if g.MinServiceLevel > 0 {
			switch {
			case !m.ServiceLevel.OK || math.IsNaN(m.ServiceLevel.Value):
				blind = append(blind, fmt.Sprintf("queue %s service level unknown", q))
			case m.ServiceLevel.Value < g.MinServiceLevel:
				holds = append(holds, fmt.Sprintf("queue %s service level %s < %s", q, pct(m.ServiceLevel.Value), pct(g.MinServiceLevel)))
			}
		}
		if len(holds) == before {
			fine = append(fine, q)
		}
	}
	if len(queues) == 0 {
		blind = append(blind, "no queue load states")
	}

	d := GateDecision{}
	switch {
	case len(holds) > 0:
		d.Hold = true
		d.Reason = "held: " + strings.Join(append(holds, blind...), "; ")
	case len(blind) > 0 && current.Held:
		d.Hold = true
		d.Reason = "held: " + strings.Join(blind, "; ") + "; not released on missing data"
	case len(blind) > 0:
		d.Reason = "not held: " + strings.Join(blind, "; ") + "; no fresh data to hold on"
	case current.Held && now.Sub(current.Since) < g.MinHold:
		d.Hold = true
		d.Reason = fmt.Sprintf("held: %s within limits; held for the minimum hold (%s of %s)",
			queueList(fine), now.Sub(current.Since).Round(time.Second), g.MinHold)
	default:
		d.Reason = "released: " + g.within(fine, holdAt)
	}
	d.Changed = d.Hold != current.Held
	return d
}

func (g Gate) within(queues []string, holdAt Level) string {
	lines := []string{"below " + string(holdAt)}
	if g.MaxASA > 0 {
		lines = append(lines, "ASA ≤ "+secs(g.MaxASA.Seconds()))
	}
	if g.MinServiceLevel > 0 {
		lines = append(lines, "service level ≥ "+pct(g.MinServiceLevel))
	}
	return fmt.Sprintf("%s within limits (%s)", queueList(queues), strings.Join(lines, ", "))
}

func queueList(qs []string) string {
	if len(qs) == 1 {
		return "queue " + qs[0]
	}
	return "queues " + strings.Join(qs, ", ")
}
