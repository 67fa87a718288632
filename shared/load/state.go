// Package load decides how loaded each queue is and what that means for
// marketing: a queue's load level (normal, busy, overloaded) from its live
// metrics, with hysteresis so it does not flap; each campaign's load gate
// (hold or release, with the reason in words); and staffing with Erlang C,
// including the extra contacts and agents a campaign brings.
//
// Everything here is pure: plain values in, plain values out. The load
// watcher reads Amazon Connect, calls Next and Gate.Decide, and stores what
// they return.
package load

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// Level is a queue's load level.
type Level string

// Levels, from best to worst. Unknown is a queue never measured.
const (
	Unknown    Level = "unknown"
	Normal     Level = "normal"
	Busy       Level = "busy"
	Overloaded Level = "overloaded"
)

// severity orders levels; Unknown sits below Normal so any measurement
// replaces it at once.
func (l Level) severity() int {
	switch l {
	case Normal:
		return 1
	case Busy:
		return 2
	case Overloaded:
		return 3
	}
	return 0
}

// AtLeast reports whether l is as bad as o or worse.
func (l Level) AtLeast(o Level) bool { return l.severity() >= o.severity() }

// Reading is one live metric that may be missing: Connect can return
// partial data, or none.
type Reading struct {
	Value float64
	OK    bool
}

// Known is a reading that was measured.
func Known(v float64) Reading { return Reading{Value: v, OK: true} }

// MarshalJSON writes a missing reading as null.
func (r Reading) MarshalJSON() ([]byte, error) {
	if !r.OK || math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(r.Value)
}

// UnmarshalJSON reads null as missing.
func (r *Reading) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*r = Reading{}
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Known(v)
	return nil
}

// Metrics are one queue's live metrics at one moment.
type Metrics struct {
	Queue string    `json:"queue"`
	At    time.Time `json:"at"` // when measured; zero means no measurement
	// ContactsWaiting in queue now.
	ContactsWaiting Reading `json:"contactsWaiting"`
	// OldestWait of a contact in queue now, in seconds.
	OldestWait Reading `json:"oldestWait"`
	// AgentsAvailable to take a contact, and AgentsOnContact busy with one.
	AgentsAvailable Reading `json:"agentsAvailable"`
	AgentsOnContact Reading `json:"agentsOnContact"`
	// ASA (seconds) and ServiceLevel (0–1) over a recent window, e.g. the
	// last 15 minutes.
	ASA          Reading `json:"asa"`
	ServiceLevel Reading `json:"serviceLevel"`
}

// Occupancy is agents on contact ÷ (available + on contact): how busy the
// staffed agents are. Missing when either count is, or nobody is staffed.
func (m Metrics) Occupancy() Reading {
	if !m.AgentsAvailable.OK || !m.AgentsOnContact.OK {
		return Reading{}
	}
	staffed := m.AgentsAvailable.Value + m.AgentsOnContact.Value
	if staffed <= 0 {
		return Reading{}
	}
	return Known(m.AgentsOnContact.Value / staffed)
}

// sanitized drops readings that cannot be true (negative, not a number, a
// service level outside 0–1); they count as missing.
func (m Metrics) sanitized() Metrics {
	clean := func(r Reading, max float64) Reading {
		if !r.OK || math.IsNaN(r.Value) || math.IsInf(r.Value, 0) || r.Value < 0 || r.Value > max {
			return Reading{}
		}
		return r
	}
	inf := math.Inf(1)
	m.ContactsWaiting = clean(m.ContactsWaiting, inf)
	m.OldestWait = clean(m.OldestWait, inf)
	m.AgentsAvailable = clean(m.AgentsAvailable, inf)
	m.AgentsOnContact = clean(m.AgentsOnContact, inf)
	m.ASA = clean(m.ASA, inf)
	m.ServiceLevel = clean(m.ServiceLevel, 1)
	return m
}

func (m Metrics) empty() bool {
	return !m.ContactsWaiting.OK && !m.OldestWait.OK && !m.AgentsAvailable.OK &&
		!m.AgentsOnContact.OK && !m.ASA.OK && !m.ServiceLevel.OK
}

// Limits are the lines of one band. A zero field is not used. Ceilings
// (waiting, oldest wait, ASA, occupancy) are crossed by going above them;
// the service-level floor by going below it.
type Limits struct {
	ContactsWaiting float64       `json:"contactsWaiting"`
	OldestWait      time.Duration `json:"oldestWait"`
	ASA             time.Duration `json:"asa"`
	Occupancy       float64       `json:"occupancy"`
	ServiceLevel    float64       `json:"serviceLevel"`
}

// Band is a level's entry and exit lines. A queue enters the level when any
// Enter line is crossed, and may leave it only when every used Exit line is
// cleared (strictly on the good side) with its reading present, after the
// minimum dwell. Exit lines sit on the good side of Enter lines: that gap
// is the hysteresis.
type Band struct {
	Enter Limits `json:"enter"`
	Exit  Limits `json:"exit"`
}

// Thresholds configure load levels.
type Thresholds struct {
	Busy       Band `json:"busy"`
	Overloaded Band `json:"overloaded"`
	// MinDwell is the least time a queue stays in a level before it may ease
	// to a better one. Getting worse is immediate.
	MinDwell time.Duration `json:"minDwell"`
	// StaleAfter is the age past which metrics (and a state built from
	// them) are stale: they never ease a level or release a hold.
	StaleAfter time.Duration `json:"staleAfter"`
}

// DefaultThresholds are sensible for a voice queue promising 80 % in 20 s.
func DefaultThresholds() Thresholds {
	return Thresholds{
		Busy: Band{
			Enter: Limits{ContactsWaiting: 5, OldestWait: 60 * time.Second, ASA: 30 * time.Second, Occupancy: 0.90, ServiceLevel: 0.80},
			Exit:  Limits{ContactsWaiting: 3, OldestWait: 40 * time.Second, ASA: 20 * time.Second, Occupancy: 0.85, ServiceLevel: 0.85},
		},
		Overloaded: Band{
			Enter: Limits{ContactsWaiting: 15, OldestWait: 180 * time.Second, ASA: 60 * time.Second, Occupancy: 0.97, ServiceLevel: 0.60},
			Exit:  Limits{ContactsWaiting: 10, OldestWait: 120 * time.Second, ASA: 45 * time.Second, Occupancy: 0.93, ServiceLevel: 0.70},
		},
		MinDwell:   5 * time.Minute,
		StaleAfter: 3 * time.Minute,
	}
}

// Validate checks thresholds from configuration: no negative lines, service
// levels within 0–1, exit lines on the good side of entry lines, and the
// overloaded entry beyond the busy entry.
func (t Thresholds) Validate() error {
	var p apperr.Problems
	lim := func(field string, l Limits) {
		if l.ContactsWaiting < 0 || math.IsNaN(l.ContactsWaiting) {
			p.Add(field+".contactsWaiting", "must not be negative")
		}
		if l.OldestWait < 0 {
			p.Add(field+".oldestWait", "must not be negative")
		}
		if l.ASA < 0 {
			p.Add(field+".asa", "must not be negative")
		}
		if !(l.Occupancy >= 0 && l.Occupancy <= 1) {
			p.Add(field+".occupancy", "must be between 0 and 1")
		}
		if !(l.ServiceLevel >= 0 && l.ServiceLevel <= 1) {
			p.Add(field+".serviceLevel", "must be between 0 and 1")
		}
	}
	hyst := func(field string, b Band) {
		ceil := func(name string, enter, exit float64) {
			if enter > 0 && (exit <= 0 || exit > enter) {
				p.Add(field+".exit."+name, "must be set and not above the entry line %g", enter)
			}
		}
		ceil("contactsWaiting", b.Enter.ContactsWaiting, b.Exit.ContactsWaiting)
		ceil("oldestWait", b.Enter.OldestWait.Seconds(), b.Exit.OldestWait.Seconds())
		ceil("asa", b.Enter.ASA.Seconds(), b.Exit.ASA.Seconds())
		ceil("occupancy", b.Enter.Occupancy, b.Exit.Occupancy)
		if b.Enter.ServiceLevel > 0 && b.Exit.ServiceLevel < b.Enter.ServiceLevel {
			p.Add(field+".exit.serviceLevel", "must not be below the entry line %g", b.Enter.ServiceLevel)
		}
	}
	lim("busy.enter", t.Busy.Enter)
	lim("busy.exit", t.Busy.Exit)
	lim("overloaded.enter", t.Overloaded.Enter)
	lim("overloaded.exit", t.Overloaded.Exit)
	hyst("busy", t.Busy)
	hyst("overloaded", t.Overloaded)
	if t.MinDwell < 0 {
		p.Add("minDwell", "must not be negative")
	}
	if t.StaleAfter <= 0 {
		p.Add("staleAfter", "must be positive")
	}
	return p.Err()
}

// State is a queue's load level as the load watcher stores it.
type State struct {
	Queue string `json:"queue"`
	Level Level  `json:"level"`
	// Since is when the queue entered Level.
	Since time.Time `json:"since"`
	// UpdatedAt is the time of the last fresh metrics the state was built
	// from; its age says how stale the state is.
	UpdatedAt time.Time `json:"updatedAt"`
	// Reason says in words why the queue is at this level.
	Reason string `json:"reason"`
	// Metrics are the last fresh metrics.
	Metrics Metrics `json:"metrics"`
}

// Age is how old the state's metrics are at now.
func (s State) Age(now time.Time) time.Duration {
	if s.UpdatedAt.IsZero() {
		return time.Duration(math.MaxInt64)
	}
	return now.Sub(s.UpdatedAt)
}

// Stale reports a state whose metrics are older than limit (or that was
// never measured). A stale state is shown with its age and never releases
// a hold.
func (s State) Stale(now time.Time, limit time.Duration) bool {
	return s.UpdatedAt.IsZero() || s.Age(now) > limit
}

// check is one line tested against one reading.
type check struct {
	name    string
	reading Reading
	limit   float64
	floor   bool // service level: crossed by going below
	format  func(float64) string
}

func secs(v float64) string  { return fmt.Sprintf("%.0f s", v) }
func pct(v float64) string   { return fmt.Sprintf("%.0f %%", 100*v) }
func plain(v float64) string { return fmt.Sprintf("%.0f", v) }

func checks(m Metrics, l Limits) []check {
	all := []check{
		{"ASA", m.ASA, l.ASA.Seconds(), false, secs},
		{"service level", m.ServiceLevel, l.ServiceLevel, true, pct},
		{"contacts waiting", m.ContactsWaiting, l.ContactsWaiting, false, plain},
		{"oldest wait", m.OldestWait, l.OldestWait.Seconds(), false, secs},
		{"occupancy", m.Occupancy(), l.Occupancy, false, pct},
	}
	used := all[:0]
	for _, c := range all {
		if c.limit > 0 {
			used = append(used, c)
		}
	}
	return used
}

// crossed lists the entry lines m crosses, in words ("ASA 94 s > 60 s").
// A missing reading crosses nothing.
func crossed(m Metrics, l Limits) []string {
	var out []string
	for _, c := range checks(m, l) {
		if !c.reading.OK {
			continue
		}
		if c.floor && c.reading.Value < c.limit {
			out = append(out, fmt.Sprintf("%s %s < %s", c.name, c.format(c.reading.Value), c.format(c.limit)))
		}
		if !c.floor && c.reading.Value > c.limit {
			out = append(out, fmt.Sprintf("%s %s > %s", c.name, c.format(c.reading.Value), c.format(c.limit)))
		}
	}
	return out
}

// blocking lists the exit lines m has not cleared, in words; a missing
// reading blocks ("ASA unknown"), so missing data never eases a level.
func blocking(m Metrics, l Limits) []string {
	var out []string
	for _, c := range checks(m, l) {
		switch {
		case !c.reading.OK:
			out = append(out, c.name+" unknown")
		case c.floor && c.reading.Value <= c.limit:
			out = append(out, fmt.Sprintf("%s %s not above %s", c.name, c.format(c.reading.Value), c.format(c.limit)))
		case !c.floor && c.reading.Value >= c.limit:
			out = append(out, fmt.Sprintf("%s %s not below %s", c.name, c.format(c.reading.Value), c.format(c.limit)))
		}
	}
	return out
}

func (t Thresholds) band(l Level) Band {
	if l == Overloaded {
		return t.Overloaded
	}
	return t.Busy
}

func better(l Level) Level {
	switch l {
	case Overloaded:
		return Busy
	case Busy:
		return Normal
	}
	return l
}

// Next is a queue's new state from its previous state and fresh metrics.
//
//   - Getting worse is immediate: any entry line of a worse level crossed.
//   - Getting better needs every exit line of the current level cleared,
//     with every reading those lines use present, and the minimum dwell in
//     the current level served; a queue may ease by one or two levels at once.
//   - Metrics that are missing entirely, older than StaleAfter, or from the
//     future change nothing: the previous level is kept with its Since and
//     UpdatedAt, so the state ages into stale and says why.
//
// The zero Thresholds mean DefaultThresholds.
func Next(prev State, m Metrics, now time.Time, t Thresholds) State {
	if t == (Thresholds{}) {
		t = DefaultThresholds()
	}
	name := m.Queue
	if name == "" {
		name = prev.Queue
	}
	m = m.sanitized()
	m.Queue = name
	cur := prev.Level
	if cur == "" {
		cur = Unknown
	}

	fresh := !m.At.IsZero() && !m.empty() && now.Sub(m.At) <= t.StaleAfter && !m.At.After(now.Add(t.StaleAfter))
	if !fresh {
		s := prev
		s.Queue, s.Level = name, cur
		age := "never measured"
		if !prev.UpdatedAt.IsZero() {
			age = "last " + prev.Age(now).Round(time.Second).String() + " ago"
		}
		s.Reason = fmt.Sprintf("queue %s: no fresh metrics (%s); keeping %s", name, age, cur)
		return s
	}

	next := State{Queue: name, Level: cur, Since: prev.Since, UpdatedAt: m.At, Metrics: m}
	if cur == Unknown || next.Since.IsZero() {
		next.Since = now
	}

	target, why := Normal, []string(nil)
	if c := crossed(m, t.Overloaded.Enter); len(c) > 0 {
		target, why = Overloaded, c
	} else if c := crossed(m, t.Busy.Enter); len(c) > 0 {
		target, why = Busy, c
	}

	switch {
	case cur == Unknown || target.severity() > cur.severity():
		next.Level, next.Since = target, now
		if target == Normal {
			next.Reason = fmt.Sprintf("queue %s normal: within busy limits", name)
		} else {
			next.Reason = fmt.Sprintf("queue %s %s", name, strings.Join(why, ", "))
		}
		return next
	case cur == Normal:
		next.Reason = fmt.Sprintf("queue %s normal: within busy limits", name)
		return next
	}

	// At or above target: ease only as far as exit lines allow.
	eased := cur
	for eased != Normal && len(blocking(m, t.band(eased).Exit)) == 0 {
		eased = better(eased)
	}
	switch {
	case eased == cur:
		block := blocking(m, t.band(cur).Exit)
		next.Reason = fmt.Sprintf("queue %s still %s: %s", name, cur, strings.Join(block, ", "))
	case now.Sub(prev.Since) < t.MinDwell:
		next.Reason = fmt.Sprintf("queue %s within %s exit limits; held %s for the minimum dwell (%s of %s)",
			name, cur, cur, now.Sub(prev.Since).Round(time.Second), t.MinDwell)
	default:
		next.Level, next.Since = eased, now
		next.Reason = fmt.Sprintf("queue %s eased from %s to %s: within %s exit limits", name, cur, eased, cur)
	}
	return next
}
