// Package loadwatch is the load watcher's job: every minute it reads each
// watched queue's live metrics (Amazon Connect's current metrics, the
// contact-events waiting lists, the recent ASA and service level of the
// contacts), works out each queue's load level with package load, stores
// it with its age on the wallboard, and holds or releases live campaigns
// by their load gates.
//
// The job works over plain values and small interfaces; the Connect
// client, DynamoDB and the Lambda runtime are wired around it.
package loadwatch

import (
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/load"
)

// Actor is who the load watcher's campaign transitions are recorded by. A
// campaign held by anyone else (a marketer) is never released here.
const Actor = "loadwatch"

// Queue is one watched queue as the wallboard shows it.
type Queue struct {
	// ID is the Amazon Connect queue id; Name is its name, the word load
	// gates and contact flows use.
	ID   string `json:"id"`
	Name string `json:"name"`
	// State is the load level with its reason, the last fresh metrics it
	// was built from and their time (UpdatedAt: the age of the state).
	State load.State `json:"state"`
	// Counters are the contact-events waiting list as the last run read it.
	Counters *Counters `json:"counters,omitempty"`
	// Problem says why the last run had no fresh or no complete metrics
	// for the queue; empty when it had them.
	Problem string `json:"problem,omitempty"`
	// CheckedAt is when the load watcher last looked at the queue.
	CheckedAt time.Time `json:"checkedAt"`
}

// Counters are a queue's live counters from the contact-events consumer.
type Counters struct {
	Waiting           int       `json:"waiting"`
	OldestWaitSeconds float64   `json:"oldestWaitSeconds"`
	At                time.Time `json:"at"`
}

// Hold is a campaign the load gate holds now.
type Hold struct {
	CampaignID string `json:"campaignId"`
	Name       string `json:"name"`
	// Reason in words: "held: queue Sales ASA 94 s > 60 s".
	Reason string `json:"reason"`
	// Since is when the load watcher held the campaign.
	Since time.Time `json:"since"`
	// Queues are the queues whose load holds it on their own; empty when
	// it is kept held only because fresh data is missing.
	Queues []string `json:"queues"`
}

// Wallboard is what the load watcher stores after each run.
type Wallboard struct {
	RunAt  time.Time `json:"runAt"`
	Queues []Queue   `json:"queues"`
	Holds  []Hold    `json:"holds"`
	// StaleAfterSeconds is the age past which a queue's state is stale.
	StaleAfterSeconds float64 `json:"staleAfterSeconds"`
}

// StaleAfter is the wallboard's staleness limit.
func (w Wallboard) StaleAfter() time.Duration {
	if w.StaleAfterSeconds <= 0 {
		return load.DefaultThresholds().StaleAfter
	}
	return time.Duration(w.StaleAfterSeconds * float64(time.Second))
}

// States are the queues' load states, for a campaign's load gate.
func (w Wallboard) States() []load.State {
	out := make([]load.State, 0, len(w.Queues))
	for _, q := range w.Queues {
		s := q.State
		if s.Queue == "" {
			s.Queue = q.Name
		}
		out = append(out, s)
	}
	return out
}

// Queue finds a queue by id.
func (w Wallboard) Queue(id string) (Queue, bool) {
	for _, q := range w.Queues {
		if q.ID == id {
			return q, true
		}
	}
	return Queue{}, false
}

// HoldOf finds the hold of a campaign.
func (w Wallboard) HoldOf(campaignID string) (Hold, bool) {
	for _, h := range w.Holds {
		if h.CampaignID == campaignID {
			return h, true
		}
	}
	return Hold{}, false
}

// HeldByQueue is what the offer function's load gate reads: queue name →
// campaign id → reason. Every held campaign is under the key "" (held on
// every queue, as its campaign is held); it is also under each queue that
// holds it, so a contact in that queue reads that queue's reason.
func (w Wallboard) HeldByQueue() map[string]map[string]string {
	out := map[string]map[string]string{}
	put := func(queue, campaign, reason string) {
		if out[queue] == nil {
			out[queue] = map[string]string{}
		}
		out[queue][campaign] = reason
	}
	for _, h := range w.Holds {
		put("", h.CampaignID, h.Reason)
		for _, q := range h.Queues {
			put(q, h.CampaignID, h.Reason)
		}
	}
	return out
}

// HeldIn lists the holds a queue takes part in, by campaign id.
func (w Wallboard) HeldIn(queueName string) []Hold {
	var out []Hold
	for _, h := range w.Holds {
		if slices.Contains(h.Queues, queueName) {
			out = append(out, h)
		}
	}
	return out
}

// ServiceStats are a queue's answered and abandoned contacts over a recent
// window, counted by DESIGN section 6's definitions.
type ServiceStats struct {
	Answered int `json:"answered"`
	// AnsweredWithin: answered within the service-level threshold T.
	AnsweredWithin int `json:"answeredWithin"`
	Abandoned      int `json:"abandoned"`
	// AbandonedAfter: abandoned after waiting longer than T.
	AbandonedAfter int `json:"abandonedAfter"`
	// WaitSeconds is the total queue wait of the answered contacts.
	WaitSeconds float64 `json:"waitSeconds"`
}

// ASA is the mean queue wait of answered contacts, in seconds.
func (s ServiceStats) ASA() load.Reading {
	if s.Answered == 0 {
		return load.Reading{}
	}
	return load.Known(s.WaitSeconds / float64(s.Answered))
}

// ServiceLevel is answered within T ÷ (answered + abandoned after T).
func (s ServiceStats) ServiceLevel() load.Reading {
	d := s.Answered + s.AbandonedAfter
	if d == 0 {
		return load.Reading{}
	}
	return load.Known(float64(s.AnsweredWithin) / float64(d))
}

// Add counts one contact that left the queue after waiting wait: answered
// by an agent, or abandoned.
func (s *ServiceStats) Add(wait time.Duration, answered bool, threshold time.Duration) {
	if wait < 0 {
		wait = 0
	}
	if answered {
		s.Answered++
		s.WaitSeconds += wait.Seconds()
		if wait <= threshold {
			s.AnsweredWithin++
		}
		return
	}
	s.Abandoned++
	if wait > threshold {
		s.AbandonedAfter++
	}
}

// GateOf is the load gate of a campaign as package load evaluates it: the
// campaign's queues (none for every queue), held at overloaded, or above
// its ASA ceiling, or below its service-level floor. A queue the marketer
// named in other letters ("sales") is the watched queue of that name
// ("Sales"), so reasons carry the name Connect uses.
func GateOf(g catalog.LoadGate, minHold time.Duration, states []load.State) load.Gate {
	var queues []string
	for _, q := range g.Queues {
		if q == catalog.AllQueues {
			queues = nil
			break
		}
		for _, s := range states {
			if s.Queue != q && strings.EqualFold(s.Queue, q) {
				q = s.Queue
				break
			}
		}
		queues = append(queues, q)
	}
	gate := load.Gate{Queues: queues, HoldAt: load.Overloaded, MinServiceLevel: g.MinServiceLevel, MinHold: minHold}
	if g.MaxASASeconds > 0 && !math.IsInf(g.MaxASASeconds, 0) {
		gate.MaxASA = time.Duration(g.MaxASASeconds * float64(time.Second))
	}
	return gate
}

// HeldByLoad reports whether the campaign is held and the load watcher
// held it, so the load watcher may release it.
func HeldByLoad(c catalog.Campaign) (since time.Time, ok bool) {
	if c.Status != catalog.CampaignHeld || len(c.Transitions) == 0 {
		return time.Time{}, false
	}
	last := c.Transitions[len(c.Transitions)-1]
	if last.To != string(catalog.CampaignHeld) || last.By != Actor {
		return time.Time{}, false
	}
	return last.At, true
}

// holdingQueues are the queues that hold a campaign on their own.
func holdingQueues(g load.Gate, states []load.State, now time.Time, staleAfter time.Duration) []string {
	out := []string{}
	for _, s := range states {
		if len(g.Queues) > 0 && !slices.Contains(g.Queues, s.Queue) {
			continue
		}
		one := g
		one.Queues, one.MinHold = []string{s.Queue}, 0
		if one.Decide(load.Hold{}, []load.State{s}, now, staleAfter).Hold {
			out = append(out, s.Queue)
		}
	}
	sort.Strings(out)
	return out
}

// clip bounds a reason to what a campaign transition takes.
func clip(s string) string {
	if len(s) <= catalog.MaxReasonChars {
		return s
	}
	cut := catalog.MaxReasonChars - len("…")
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
