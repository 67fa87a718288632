package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/kpi"
	"github.com/conduit-cx/conduit/shared/rollup"
	"github.com/conduit-cx/conduit/shared/stats"
)

// scorecardResponse is the answer of GET /v1/agents/{username}/scorecard.
type scorecardResponse struct {
	Agent string    `json:"agent"`
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	rollup.Scorecard
	Level     float64       `json:"level"`
	MinSample int64         `json:"minSample"`
	Methods   impactMethods `json:"methods"`
	Notes     []string      `json:"notes"`
}

var scorecardNotes = []string{
	"offers presented are offers shown on this agent's contacts; acceptance is accepted ÷ presented",
	"the team is every agent's contacts in the range; vsRestOfTeam compares this agent with all the others",
	"withOffer and withoutOffer split the agent's contacts by whether an offer was shown, so handle time and satisfaction can be compared fairly",
}

// maxUsernameChars bounds an agent username in a path.
const maxUsernameChars = 128

// getAgentScorecard reports an agent's offers and service over whole UTC
// days (?from=&to=, default the last 30 days).
func (s *Server) getAgentScorecard() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		agent := r.PathValue("username")
		var p apperr.Problems
		if strings.TrimSpace(agent) == "" || len(agent) > maxUsernameChars {
			p.Add("username", "must be an agent username of 1 to %d characters", maxUsernameChars)
		}
		q := r.URL.Query()
		dimensionFilter(q, kpi.ByTotal, &p, "from", "to")
		now := s.deps.Clock().UTC()
		from, to := reportRange(q, now.Add(-30*24*time.Hour), now, &p)
		if len(p) > 0 {
			writeError(w, r, p)
			return
		}
		if s.deps.KPIs == nil {
			writeError(w, r, errors.New("no KPI store configured"))
			return
		}
		read := func(k kpi.Key) (kpi.Aggregate, error) {
			bs, err := s.deps.KPIs.Series(ctx, kpi.GrainDay, k, from, to)
			return rollup.Sum(bs), err
		}
		with, err := read(kpi.NewKey(kpi.ByAgentOffered, agent, kpi.OfferedYes))
		if err != nil {
			writeError(w, r, err)
			return
		}
		without, err := read(kpi.NewKey(kpi.ByAgentOffered, agent, kpi.OfferedNo))
		if err != nil {
			writeError(w, r, err)
			return
		}
		team, err := read(kpi.Total)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, scorecardResponse{
			Agent: agent, From: from, To: to,
			Scorecard: rollup.ScorecardOf(with, without, team, stats.Options{}),
			Level:     stats.DefaultLevel, MinSample: stats.DefaultMinSample,
			Methods: impactMethods{Proportions: stats.MethodProportions, Means: stats.MethodMeans},
			Notes:   scorecardNotes,
		})
	})
}
