package load

import (
	"encoding/json"
	"math"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// ErlangB is the probability that a contact finds all agents busy when
// traffic Erlangs are offered to agents servers with no queue (blocked
// contacts lost). It uses the recursion
//
//	B(0) = 1,  B(k) = A·B(k−1) / (k + A·B(k−1)),
//
// whose every step is a ratio between 0 and 1: no factorial or power is
// formed, so it is exact to rounding for thousands of Erlangs.
func ErlangB(traffic float64, agents int) float64 {
	if agents <= 0 {
		return 1
	}
	if traffic <= 0 {
		return 0
	}
	b := 1.0
	for k := 1; k <= agents; k++ {
		b = traffic * b / (float64(k) + traffic*b)
	}
	return b
}

// ErlangC is the probability that a contact has to wait (Erlang's delay
// formula) with traffic Erlangs and agents agents, from Erlang B:
//
//	C = n·B / (n − A·(1 − B)).
//
// With agents ≤ traffic the queue grows without end and every contact
// waits: C = 1.
func ErlangC(traffic float64, agents int) float64 {
	if traffic <= 0 {
		return 0
	}
	n := float64(agents)
	if n <= traffic {
		return 1
	}
	b := ErlangB(traffic, agents)
	return erlangCFromB(traffic, n, b)
}

func erlangCFromB(a, n, b float64) float64 { return n * b / (n - a*(1-b)) }

// Performance is what a number of agents achieves for a traffic.
type Performance struct {
	Agents int `json:"agents"`
	// TrafficErlangs is contacts × AHT ÷ interval.
	TrafficErlangs float64 `json:"trafficErlangs"`
	// ServiceLevel is the share answered within the threshold T:
	// 1 − C·exp(−(n − A)·T / AHT).
	ServiceLevel float64 `json:"serviceLevel"`
	// ASA is the mean wait of all contacts in seconds: C·AHT / (n − A).
	ASA float64 `json:"asa"`
	// Occupancy is A ÷ n: the share of agent time spent on contacts.
	Occupancy float64 `json:"occupancy"`
	// ProbabilityOfWaiting is Erlang C.
	ProbabilityOfWaiting float64 `json:"probabilityOfWaiting"`
}

// MarshalJSON writes the ASA of an understaffed queue (unbounded) as null.
func (p Performance) MarshalJSON() ([]byte, error) {
	type plain Performance
	out := struct {
		plain
		ASA *float64 `json:"asa"`
	}{plain: plain(p)}
	if !math.IsInf(p.ASA, 0) && !math.IsNaN(p.ASA) {
		out.ASA = &p.ASA
	}
	return json.Marshal(out)
}

func perform(a float64, n int, b float64, aht, threshold time.Duration) Performance {
	p := Performance{Agents: n, TrafficErlangs: a}
	if a <= 0 {
		p.ServiceLevel = 1
		return p
	}
	nf := float64(n)
	if nf <= a {
		p.ServiceLevel, p.ASA, p.Occupancy, p.ProbabilityOfWaiting = 0, math.Inf(1), 1, 1
		return p
	}
	c := erlangCFromB(a, nf, b)
	p.ProbabilityOfWaiting = c
	p.ServiceLevel = 1 - c*math.Exp(-(nf-a)*threshold.Seconds()/aht.Seconds())
	p.ASA = c * aht.Seconds() / (nf - a)
	p.Occupancy = a / nf
	return p
}

// StaffingRequest is a forecast interval to staff. Field names in problems
// are the API's query parameters (contacts, interval, aht, sl, t).
type StaffingRequest struct {
	// Contacts expected in the interval.
	Contacts float64 `json:"contacts"`
	// Interval is the interval's length (e.g. 30 minutes).
	Interval time.Duration `json:"interval"`
	// AHT is the average handle time (talk + hold + after-contact work).
	AHT time.Duration `json:"aht"`
	// ServiceLevel is the target share answered within Threshold, in (0, 1).
	ServiceLevel float64 `json:"sl"`
	// Threshold is the T of the target ("80 % within 20 s"); 0 is allowed
	// and means answered with no wait at all.
	Threshold time.Duration `json:"t"`
	// MaxOccupancy optionally caps occupancy (e.g. 0.85), as planners do
	// for large queues where Erlang C alone would run agents at 98 %;
	// 0 means no cap.
	MaxOccupancy float64 `json:"maxOccupancy"`
}

// MaxTrafficErlangs bounds one request (a million contacts an hour at a
// six-minute AHT), so a typo cannot make a request spin.
const MaxTrafficErlangs = 100_000

// TrafficErlangs is contacts × AHT ÷ interval.
func (r StaffingRequest) TrafficErlangs() float64 {
	if r.Interval <= 0 {
		return math.NaN()
	}
	return r.Contacts * r.AHT.Seconds() / r.Interval.Seconds()
}

// Validate reports every problem of a staffing request at once.
func (r StaffingRequest) Validate() error { return r.validate(false, true) }

// validate checks the request; a forecast interval may have no contacts,
// and evaluating a given number of agents needs no target.
func (r StaffingRequest) validate(allowNoContacts, needTarget bool) error {
	var p apperr.Problems
	switch {
	case math.IsNaN(r.Contacts) || math.IsInf(r.Contacts, 0):
		p.Add("contacts", "must be a number")
	case allowNoContacts && r.Contacts < 0:
		p.Add("contacts", "must not be negative, got %g", r.Contacts)
	case !allowNoContacts && r.Contacts <= 0:
		p.Add("contacts", "must be greater than 0, got %g", r.Contacts)
	}
	if r.Interval <= 0 {
		p.Add("interval", "must be greater than 0, got %s", r.Interval)
	}
	if r.AHT <= 0 {
		p.Add("aht", "must be greater than 0, got %s", r.AHT)
	}
	if needTarget && !(r.ServiceLevel > 0 && r.ServiceLevel < 1) {
		p.Add("sl", "must be between 0 and 1, exclusive (0.8 means 80 %%), got %g", r.ServiceLevel)
	}
	if r.Threshold < 0 {
		p.Add("t", "must not be negative, got %s", r.Threshold)
	}
	if !(r.MaxOccupancy == 0 || (r.MaxOccupancy > 0 && r.MaxOccupancy <= 1)) {
		p.Add("maxOccupancy", "must be above 0 and at most 1, or 0 for no cap, got %g", r.MaxOccupancy)
	}
	if len(p) == 0 && r.TrafficErlangs() > MaxTrafficErlangs {
		p.Add("contacts", "traffic of %.0f Erlangs is above the %d this calculator takes; split the queue or the interval", r.TrafficErlangs(), MaxTrafficErlangs)
	}
	return p.Err()
}

// Staff is the fewest agents that meet the service-level target (and keep
// occupancy within MaxOccupancy when set), with the service level, ASA and
// occupancy they give (Erlang C: Poisson arrivals,
// exponential handle times, no abandonment, every agent on the queue).
//
// It walks the Erlang B recursion up from one agent and evaluates Erlang C
// at each count above the traffic, so finding n agents costs O(n) steps:
// about half a thousand for 500 Erlangs.
func Staff(r StaffingRequest) (Performance, error) {
	if err := r.Validate(); err != nil {
		return Performance{}, err
	}
	return staff(r)
}

func staff(r StaffingRequest) (Performance, error) {
	a := r.TrafficErlangs()
	if a <= 0 {
		return Performance{ServiceLevel: 1}, nil
	}
	// Far beyond any sensible answer: C falls like exp(−(n−A)²/2A).
	limit := int(math.Ceil(a+40*math.Sqrt(a))) + 100
	if r.MaxOccupancy > 0 {
		limit = max(limit, int(math.Ceil(a/r.MaxOccupancy))+1)
	}
	b := 1.0
	for n := 1; n <= limit; n++ {
		b = a * b / (float64(n) + a*b)
		if float64(n) <= a {
			continue
		}
		p := perform(a, n, b, r.AHT, r.Threshold)
		if p.ServiceLevel >= r.ServiceLevel && (r.MaxOccupancy == 0 || p.Occupancy <= r.MaxOccupancy) {
			return p, nil
		}
	}
	return Performance{}, apperr.Invalid("sl", "a service level of %g is not reachable in floating point; use a lower target", r.ServiceLevel)
}

// Evaluate is what a given number of agents achieves for a request (the
// request's target is not used).
func Evaluate(r StaffingRequest, agents int) (Performance, error) {
	if err := r.validate(true, false); err != nil {
		return Performance{}, err
	}
	if agents < 0 {
		return Performance{}, apperr.Invalid("agents", "must not be negative, got %d", agents)
	}
	a := r.TrafficErlangs()
	return perform(a, agents, ErlangB(a, agents), r.AHT, r.Threshold), nil
}
