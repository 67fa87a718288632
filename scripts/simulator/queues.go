package simulator

import (
	"fmt"
	"math"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/conduit-cx/conduit/scripts/localconnect"
	"github.com/conduit-cx/conduit/shared/load"
)

// Instance names the local Amazon Connect instance in ARNs.
type Instance struct {
	ID, Region, Account string
}

// LocalInstance is the instance scripts/localconnect serves.
func LocalInstance() Instance {
	return Instance{ID: localconnect.DefaultInstanceID, Region: localconnect.DefaultRegion, Account: localconnect.DefaultAccountID}
}

// InstanceARN is the instance's ARN.
func (in Instance) InstanceARN() string {
	return fmt.Sprintf("arn:aws:connect:%s:%s:instance/%s", in.Region, in.Account, in.ID)
}

// ARN names a resource of the instance (agent, routing-profile, ...) with
// an id that stays the same between runs.
func (in Instance) ARN(kind, name string) string {
	return in.InstanceARN() + "/" + kind + "/" + stableUUID(kind+"/"+name)
}

// QueueRef is a queue as contacts name it.
type QueueRef struct {
	ID, Name, ARN string
}

// QueueSpec is one queue of the model: its agents and how busy it
// normally is.
type QueueSpec struct {
	Queue  localconnect.Queue
	Agents int
	// AHT is the queue's average handle time, for the queueing formulas.
	AHT time.Duration
	// Utilisation is the share of the agents' time demand takes in normal
	// times; it drifts a little around this.
	Utilisation float64
	// Patience is how long callers wait on average before they hang up;
	// chat customers wait three times longer.
	Patience time.Duration
}

// DefaultQueueSpecs staff the local instance's queues so that in normal
// times about 90 % of contacts are answered within 20 s.
func DefaultQueueSpecs() []QueueSpec {
	spec := func(name string, agents int, aht time.Duration, utilisation float64) QueueSpec {
		i := slices.IndexFunc(localconnect.DefaultQueues, func(q localconnect.Queue) bool { return q.Name == name })
		return QueueSpec{Queue: localconnect.DefaultQueues[i], Agents: agents, AHT: aht, Utilisation: utilisation, Patience: 4 * time.Minute}
	}
	// A small team needs more slack than a large one for the same service.
	return []QueueSpec{
		spec(QueueBilling, 14, 6*time.Minute+30*time.Second, 0.66),
		spec(QueueSales, 14, 8*time.Minute, 0.66),
		spec(QueueSupport, 14, 8*time.Minute, 0.66),
		spec(QueueRetention, 8, 9*time.Minute, 0.55),
	}
}

// Overload is an incident: demand on some queues jumps far beyond what
// their agents can take (an outage, a billing error, a campaign gone
// viral), then falls back.
type Overload struct {
	// After is when it starts, counted from the start of the run; For is
	// how long demand stays high (0: no incident).
	After, For time.Duration
	// Queues hit by it.
	Queues []string
	// Utilisation is demand during the incident as a multiple of the
	// agents' capacity (2.5: two and a half times what they can take).
	Utilisation float64
}

// minPatience is how long nearly every customer waits before giving up.
const minPatience = 15.0

// backlogMemory is how far back advance integrates: callers give up
// within minutes, so an older backlog has no effect on now.
const backlogMemory = time.Hour

// overloadRamp is how long demand takes to rise to the incident's level
// and to fall back.
const overloadRamp = time.Minute

// Queues is the queue model. Each queue has a backlog of waiting contacts
// that grows while demand outruns the agents and drains, helped by callers
// hanging up, when it falls back. Safe for concurrent use.
type Queues struct {
	mu       sync.Mutex
	specs    map[string]QueueSpec
	order    []string
	backlog  map[string]float64
	at       map[string]time.Time
	start    time.Time
	overload Overload
}

// NewQueues starts the model at start.
func NewQueues(specs []QueueSpec, start time.Time, o Overload) (*Queues, error) {
	q := &Queues{specs: map[string]QueueSpec{}, backlog: map[string]float64{}, at: map[string]time.Time{}, start: start, overload: o}
	for _, s := range specs {
		if s.Agents <= 0 || s.AHT <= 0 || s.Patience <= 0 || !(s.Utilisation > 0 && s.Utilisation < 1) {
			return nil, fmt.Errorf("queue %s: agents, AHT and patience must be positive and utilisation between 0 and 1", s.Queue.Name)
		}
		q.specs[s.Queue.Name] = s
		q.order = append(q.order, s.Queue.Name)
		q.at[s.Queue.Name] = start
	}
	for _, name := range o.Queues {
		if _, ok := q.specs[name]; !ok {
			return nil, fmt.Errorf("overload: no queue %q; the queues are %s", name, strings.Join(q.order, ", "))
		}
	}
	if o.For > 0 && !(o.Utilisation > 1) {
		return nil, fmt.Errorf("overload: demand must be above the agents' capacity (utilisation > 1), got %g", o.Utilisation)
	}
	return q, nil
}

// Names lists the queues in their order.
func (q *Queues) Names() []string { return slices.Clone(q.order) }

// Ref names a queue as contacts do.
func (q *Queues) Ref(name string) QueueRef {
	s := q.specs[name]
	return QueueRef{ID: s.Queue.ID, Name: s.Queue.Name, ARN: (&localconnect.Server{}).QueueARN(s.Queue.ID)}
}

// Overloaded reports whether the incident is under way at t for a queue
// (rising, high or falling).
func (q *Queues) Overloaded(name string, t time.Time) bool {
	return q.incident(name, t) > 0
}

// incident is how far the incident has taken demand at t: 0 (none) to 1.
func (q *Queues) incident(name string, t time.Time) float64 {
	o := q.overload
	if o.For <= 0 || !slices.Contains(o.Queues, name) {
		return 0
	}
	e := t.Sub(q.start)
	switch {
	case e < o.After:
		return 0
	case e < o.After+overloadRamp:
		return float64(e-o.After) / float64(overloadRamp)
	case e < o.After+o.For:
		return 1
	case e < o.After+o.For+overloadRamp:
		return 1 - float64(e-o.After-o.For)/float64(overloadRamp)
	}
	return 0
}

// Utilisation is demand on a queue at t as a share of its agents'
// capacity: a slow drift through the day, and the incident if any.
func (q *Queues) Utilisation(name string, t time.Time) float64 {
	s := q.specs[name]
	phase := float64(len(name)) // queues do not peak together
	drift := 0.04 * math.Sin(2*math.Pi*t.Sub(q.start).Minutes()/30+phase)
	base := s.Utilisation + drift
	f := q.incident(name, t)
	return base + f*(q.overload.Utilisation-base)
}

// advance moves a queue's backlog to t (lock held): in steps of at most a
// second, arrivals beyond the agents' capacity join it, and callers leave
// it as they are answered or give up.
func (q *Queues) advance(name string, t time.Time) float64 {
	s := q.specs[name]
	l, from := q.backlog[name], q.at[name]
	if !t.After(from) {
		return l
	}
	if t.Sub(from) > backlogMemory {
		from = t.Add(-backlogMemory) // what happened before has drained or settled by now
	}
	capacity := float64(s.Agents) / s.AHT.Seconds() // contacts per second
	for from.Before(t) {
		step := min(time.Second, t.Sub(from))
		from = from.Add(step)
		dt := step.Seconds()
		inflow := q.Utilisation(name, from) * capacity
		l += (inflow-capacity)*dt - l/s.Patience.Seconds()*dt
		l = max(l, 0)
	}
	q.backlog[name], q.at[name] = l, t
	return l
}

// Arrive gives the queue wait of a contact arriving at t, and whether the
// customer gave up waiting (the wait is then how long they waited). In
// normal times the wait follows Erlang C; with a backlog, it is the
// backlog's time to clear.
func (q *Queues) Arrive(name string, chat bool, t time.Time, r *mrand.Rand) (time.Duration, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.specs[name]
	l := q.advance(name, t)
	n := float64(s.Agents)
	a := q.Utilisation(name, t) * n
	aht := s.AHT.Seconds()
	u, e := r.Float64(), r.ExpFloat64()
	var wait float64
	switch {
	case l >= 1:
		wait = l * aht / n * (0.6 + 0.8*u)
	case a >= n:
		wait = e * aht / n
	case u < load.ErlangC(a, s.Agents):
		wait = e * aht / (n - a)
	}
	// Hardly anyone hangs up in the first seconds of the queue's message.
	patience := minPatience + r.ExpFloat64()*s.Patience.Seconds()
	if chat {
		patience *= 3
	}
	if wait > patience {
		return time.Duration(math.Round(patience)) * time.Second, true
	}
	wait += 2 + 4*r.Float64() // the agent's phone rings, the chat is accepted
	return time.Duration(math.Round(wait)) * time.Second, false
}

// QueueView is a queue's state at one moment, as the local Connect
// endpoint serves it.
type QueueView struct {
	Name            string
	Utilisation     float64
	ContactsInQueue float64
	// OldestContactAge is in seconds.
	OldestContactAge float64
	AgentsAvailable  float64
	AgentsOnContact  float64
}

// View is a queue's current metrics at t.
func (q *Queues) View(name string, t time.Time) QueueView {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.specs[name]
	l := q.advance(name, t)
	rho := q.Utilisation(name, t)
	n := float64(s.Agents)
	a := rho * n
	aht := s.AHT.Seconds()
	v := QueueView{Name: name, Utilisation: rho}
	switch {
	case l >= 0.5:
		// The oldest caller has waited about as long as the queue ahead
		// of a newcomer takes to clear.
		v.ContactsInQueue = math.Round(l)
		v.OldestContactAge = math.Round(l * aht / n)
		v.AgentsOnContact = n
	case a < n:
		c := load.ErlangC(a, s.Agents)
		v.ContactsInQueue = math.Round(c * a / (n - a))
		if v.ContactsInQueue > 0 {
			v.OldestContactAge = math.Round(aht / (n - a)) // the mean wait of those who wait
		}
		v.AgentsOnContact = math.Min(n, math.Round(a))
	default:
		v.AgentsOnContact = n
	}
	v.AgentsAvailable = n - v.AgentsOnContact
	return v
}

// Setting is a queue's current metrics as the local Connect endpoint's
// setting (POST /local/queues/{name}).
func (v QueueView) Setting() localconnect.Setting {
	p := func(f float64) *float64 { return &f }
	return localconnect.Setting{
		ContactsInQueue: p(v.ContactsInQueue), OldestContactAge: p(v.OldestContactAge),
		AgentsAvailable: p(v.AgentsAvailable), AgentsOnContact: p(v.AgentsOnContact),
	}
}
