package api

import (
	"context"
	"net/http"
	"time"

	"github.com/conduit-cx/conduit/shared/load"
	"github.com/conduit-cx/conduit/shared/loadwatch"
)

// LoadBoardReader reads the load watcher's wallboard (loadstore.LoadBoard).
type LoadBoardReader interface {
	Wallboard(ctx context.Context) (loadwatch.Wallboard, error)
}

// queueView is one queue on GET /v1/queues.
type queueView struct {
	ID    string     `json:"id"`
	Name  string     `json:"name"`
	Level load.Level `json:"level"`
	// Since is when the queue entered its level.
	Since time.Time `json:"since,omitzero"`
	// UpdatedAt is the time of the metrics the state was built from;
	// AgeSeconds how old they are now; Stale when older than the limit
	// (a stale state never releases a held campaign).
	UpdatedAt  time.Time           `json:"updatedAt,omitzero"`
	AgeSeconds *float64            `json:"ageSeconds"`
	Stale      bool                `json:"stale"`
	Reason     string              `json:"reason"`
	Metrics    queueMetrics        `json:"metrics"`
	Counters   *loadwatch.Counters `json:"counters,omitempty"`
	Problem    string              `json:"problem,omitempty"`
	CheckedAt  time.Time           `json:"checkedAt,omitzero"`
	// Holds are the campaigns this queue's load holds.
	Holds []loadwatch.Hold `json:"holds"`
}

// queueMetrics are a queue's last fresh metrics; null when not measured.
type queueMetrics struct {
	ContactsWaiting load.Reading `json:"contactsWaiting"`
	OldestWait      load.Reading `json:"oldestWaitSeconds"`
	AgentsAvailable load.Reading `json:"agentsAvailable"`
	AgentsOnContact load.Reading `json:"agentsOnContact"`
	Occupancy       load.Reading `json:"occupancy"`
	ASA             load.Reading `json:"asaSeconds"`
	ServiceLevel    load.Reading `json:"serviceLevel"`
}

// queuesResponse is GET /v1/queues.
type queuesResponse struct {
	Items []queueView `json:"items"`
	// Holds are every campaign the load gate holds, with the queues that
	// hold it (none when it is kept held only for want of fresh data).
	Holds []loadwatch.Hold `json:"holds"`
	// RunAt is the load watcher's last run; zero when it never ran.
	RunAt             time.Time `json:"runAt,omitzero"`
	StaleAfterSeconds float64   `json:"staleAfterSeconds"`
}

// listQueues shows each watched queue's load level, its metrics, their
// age, and the campaigns it holds.
func (s *Server) listQueues() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		board, err := s.deps.Load.Wallboard(r.Context())
		if err != nil {
			writeError(w, r, err)
			return
		}
		now := s.deps.Clock()
		out := queuesResponse{Items: []queueView{}, Holds: nonNil(board.Holds), RunAt: board.RunAt,
			StaleAfterSeconds: board.StaleAfter().Seconds()}
		for _, q := range board.Queues {
			st := q.State
			v := queueView{ID: q.ID, Name: q.Name, Level: st.Level, Since: st.Since, UpdatedAt: st.UpdatedAt,
				Stale: st.Stale(now, board.StaleAfter()), Reason: st.Reason, Counters: q.Counters, Problem: q.Problem,
				CheckedAt: q.CheckedAt, Holds: nonNil(board.HeldIn(q.Name))}
			if v.Level == "" {
				v.Level = load.Unknown
			}
			if !st.UpdatedAt.IsZero() {
				age := now.Sub(st.UpdatedAt).Seconds()
				v.AgeSeconds = &age
			}
			m := st.Metrics
			v.Metrics = queueMetrics{ContactsWaiting: m.ContactsWaiting, OldestWait: m.OldestWait, AgentsAvailable: m.AgentsAvailable,
				AgentsOnContact: m.AgentsOnContact, Occupancy: m.Occupancy(), ASA: m.ASA, ServiceLevel: m.ServiceLevel}
			out.Items = append(out.Items, v)
		}
		writeJSON(w, http.StatusOK, out)
	})
}
