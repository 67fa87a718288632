package contacts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// Signal kinds: what a matched Contact Lens category means to Conduit.
const (
	// SignalLifeEvent: the customer spoke of a life event (a marriage, a
	// move, a new baby); it goes onto the profile with a time to live.
	SignalLifeEvent = "life_event"
	// SignalChurnRisk: the customer may leave (cancel, switch).
	SignalChurnRisk = "churn_risk"
	// SignalComplaint: the customer is complaining.
	SignalComplaint = "complaint"
	// SignalCompetitorMention: the customer named a competitor.
	SignalCompetitorMention = "competitor_mention"
)

// EnvCategorySignals names the environment variable that replaces the
// default category table with JSON of the form
//
//	{"<category>": {"signal": "life_event", "lifeEvent": "marriage", "ttlDays": 180},
//	 "<category>": {"signal": "churn_risk"}}
//
// Category names match case-insensitively. A category that is not listed
// but starts with "life_event_" is the life event named by the rest of its
// name, kept DefaultLifeEventTTLDays.
const EnvCategorySignals = "CONDUIT_CATEGORY_SIGNALS"

// DefaultLifeEventTTLDays is how long a life event stays on the profile when
// the table does not say.
const DefaultLifeEventTTLDays = 180

// lifeEventPrefix marks categories named after a life event.
const lifeEventPrefix = "life_event_"

// Mapping is what one Contact Lens category stands for.
type Mapping struct {
	Signal    string `json:"signal"`
	LifeEvent string `json:"lifeEvent,omitempty"`
	// TTLDays is how long a life event stays relevant; life events only.
	TTLDays int `json:"ttlDays,omitempty"`
}

// SignalTable maps Contact Lens category names (lower case) to signals.
type SignalTable map[string]Mapping

// DefaultSignalTable is the table used when EnvCategorySignals is not set.
func DefaultSignalTable() SignalTable {
	return SignalTable{
		"life_event_marriage":   {Signal: SignalLifeEvent, LifeEvent: "marriage", TTLDays: 180},
		"life_event_move":       {Signal: SignalLifeEvent, LifeEvent: "move", TTLDays: 180},
		"life_event_new_baby":   {Signal: SignalLifeEvent, LifeEvent: "new_baby", TTLDays: 365},
		"life_event_new_job":    {Signal: SignalLifeEvent, LifeEvent: "new_job", TTLDays: 180},
		"life_event_retirement": {Signal: SignalLifeEvent, LifeEvent: "retirement", TTLDays: 365},
		"churn_risk":            {Signal: SignalChurnRisk},
		"cancellation":          {Signal: SignalChurnRisk},
		"complaint":             {Signal: SignalComplaint},
		"competitor_mention":    {Signal: SignalCompetitorMention},
	}
}

// ParseSignalTable reads a table from JSON (see EnvCategorySignals); blank
// input is the default table. Every problem is reported at once.
func ParseSignalTable(raw string) (SignalTable, error) {
	if strings.TrimSpace(raw) == "" {
		return DefaultSignalTable(), nil
	}
	var in map[string]Mapping
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, apperr.Invalid(EnvCategorySignals, "must be a JSON object of category → {signal, lifeEvent, ttlDays}: %v", err)
	}
	var p apperr.Problems
	t := make(SignalTable, len(in))
	for _, name := range sortedNames(in) {
		m := in[name]
		field := fmt.Sprintf("%s.%s", EnvCategorySignals, name)
		key := strings.ToLower(strings.TrimSpace(name))
		if key == "" {
			p.Add(field, "category name is blank")
			continue
		}
		if _, dup := t[key]; dup {
			p.Add(field, "category is listed twice (names match case-insensitively)")
			continue
		}
		if !token(m.Signal) {
			p.Add(field+".signal", "must be 1-40 lower-case letters, digits or _, such as %s", SignalLifeEvent)
			continue
		}
		if m.Signal == SignalLifeEvent {
			if !token(m.LifeEvent) {
				p.Add(field+".lifeEvent", "a life_event signal needs a life event: 1-40 lower-case letters, digits or _")
			}
			if m.TTLDays < 0 || m.TTLDays > 3650 {
				p.Add(field+".ttlDays", "must be from 0 (the default %d) to 3650", DefaultLifeEventTTLDays)
			}
			if m.TTLDays == 0 {
				m.TTLDays = DefaultLifeEventTTLDays
			}
		} else if m.LifeEvent != "" || m.TTLDays != 0 {
			p.Add(field, "lifeEvent and ttlDays belong to life_event signals only")
		}
		t[key] = m
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

// Lookup is the mapping of a category, if it has one.
func (t SignalTable) Lookup(category string) (Mapping, bool) {
	key := strings.ToLower(strings.TrimSpace(category))
	if m, ok := t[key]; ok {
		return m, true
	}
	if ev, ok := strings.CutPrefix(key, lifeEventPrefix); ok && token(ev) {
		return Mapping{Signal: SignalLifeEvent, LifeEvent: ev, TTLDays: DefaultLifeEventTTLDays}, true
	}
	return Mapping{}, false
}

// TTL is how long a life event of m stays relevant.
func (m Mapping) TTL() time.Duration {
	days := m.TTLDays
	if days == 0 {
		days = DefaultLifeEventTTLDays
	}
	return time.Duration(days) * 24 * time.Hour
}

// token accepts the short machine names used for signals and life events.
func token(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}
