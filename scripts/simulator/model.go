package simulator

import (
	"crypto/rand"
	"fmt"
	"hash/fnv"
	"math"
	mrand "math/rand/v2"
	"slices"
	"time"

	"github.com/conduit-cx/conduit/scripts/seed"
	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/connect"
)

// Queue names of the local Amazon Connect instance (scripts/localconnect).
const (
	QueueBilling   = "Billing"
	QueueSales     = "Sales"
	QueueSupport   = "Support"
	QueueRetention = "Retention"
)

// Intent is why a customer gets in touch, and what that means for the
// contact.
type Intent struct {
	Name string
	// Share is the intent's share of all contacts.
	Share float64
	// Queue is where the contact flow routes it.
	Queue string
	// UpsetWeight is how much likelier than the average caller this one is
	// to be upset.
	UpsetWeight float64
	// KnownWeight is how likely the caller is an existing customer,
	// relative to the other intents (new accounts come mostly from people
	// the business does not know yet).
	KnownWeight float64
	// Talk is the mean talk time of a call about it.
	Talk time.Duration
	// SelfService: callers may have tried the app or the IVR first.
	SelfService bool
}

// Intents are a telco's reasons for contact, with typical shares: bills and
// faults lead, cancellations and complaints are few but heated.
var Intents = []Intent{
	{Name: "high_bill", Share: 0.24, Queue: QueueBilling, UpsetWeight: 1.6, KnownWeight: 1, Talk: 270 * time.Second, SelfService: true},
	{Name: "payment", Share: 0.07, Queue: QueueBilling, UpsetWeight: 0.6, KnownWeight: 1, Talk: 180 * time.Second, SelfService: true},
	{Name: "general_enquiry", Share: 0.07, Queue: QueueBilling, UpsetWeight: 0.4, KnownWeight: 0.9, Talk: 200 * time.Second},
	{Name: "technical_issue", Share: 0.16, Queue: QueueSupport, UpsetWeight: 1.3, KnownWeight: 1, Talk: 390 * time.Second, SelfService: true},
	{Name: "outage", Share: 0.06, Queue: QueueSupport, UpsetWeight: 1.8, KnownWeight: 1, Talk: 240 * time.Second, SelfService: true},
	{Name: "complaint", Share: 0.05, Queue: QueueSupport, UpsetWeight: 5, KnownWeight: 1, Talk: 480 * time.Second},
	{Name: "upgrade", Share: 0.10, Queue: QueueSales, UpsetWeight: 0.2, KnownWeight: 1, Talk: 330 * time.Second},
	{Name: "move", Share: 0.10, Queue: QueueSales, UpsetWeight: 0.3, KnownWeight: 1, Talk: 360 * time.Second},
	{Name: "new_account", Share: 0.08, Queue: QueueSales, UpsetWeight: 0.1, KnownWeight: 0.2, Talk: 450 * time.Second},
	{Name: "cancel", Share: 0.07, Queue: QueueRetention, UpsetWeight: 2.5, KnownWeight: 1, Talk: 360 * time.Second},
}

// Mix is the traffic's make-up.
type Mix struct {
	// ChatShare is the share of contacts that are chats (the rest are calls).
	ChatShare float64
	// UpsetShare is the share of contacts whose customer is upset.
	UpsetShare float64
	// KnownShare is the share of contacts from known (demo) customers.
	KnownShare float64
	// RepeatShare is the share of known customers' contacts that repeat a
	// recent contact about the same thing (first-contact resolution failed).
	RepeatShare float64
}

// DefaultMix is a typical inbound day.
func DefaultMix() Mix {
	return Mix{ChatShare: 0.3, UpsetShare: 0.15, KnownShare: 0.75, RepeatShare: 0.06}
}

// Validate checks every share is a number from 0 to 1.
func (m Mix) Validate() error {
	var p apperr.Problems
	for _, s := range []struct {
		name string
		v    float64
	}{{"chat-share", m.ChatShare}, {"upset-share", m.UpsetShare}, {"known-share", m.KnownShare}, {"repeat-share", m.RepeatShare}} {
		if !(s.v >= 0 && s.v <= 1) {
			p.Add(s.name, "must be from 0 to 1, got %g", s.v)
		}
	}
	return p.Err()
}

// Customer is a caller the stack knows: a demo customer as scripts/seed
// made them.
type Customer struct {
	ProfileID  string
	Phone      string
	CustomerID string
	Language   string
	Segments   []string
	LifeEvents []string
}

// DemoCustomers returns the demo customers of scripts/seed with the
// identities the seed gave them, so contacts reach their profiles.
func DemoCustomers(now time.Time) []Customer {
	inputs, _ := seed.DemoProfileInputs(now)
	out := make([]Customer, len(inputs))
	for i, in := range inputs {
		id, phone, _, customerID := seed.DemoIdentity(i + 1)
		c := Customer{ProfileID: id, Phone: phone, CustomerID: customerID, Language: in.Language, Segments: in.Segments}
		for _, e := range in.LifeEvents {
			c.LifeEvents = append(c.LifeEvents, e.Kind)
		}
		out[i] = c
	}
	return out
}

// Agent is an agent of the local instance.
type Agent struct {
	Username string
	ARN      string
	Queue    string
	// RoutingProfile and Team name the agent's routing profile and team.
	RoutingProfile connect.RoutingProfile
	Team           string
	// Skill scales the chance a customer takes an offer this agent makes
	// (0.7 to 1.3): some agents sell better than others.
	Skill float64
}

var agentNames = map[string][]string{
	QueueBilling:   {"amelia.hart", "noah.patel", "olivia.kowalski", "liam.osei", "isla.murphy", "arjun.shah", "grace.evans", "tomas.novak", "chloe.baker", "yusuf.demir"},
	QueueSales:     {"emily.clarke", "oscar.lindqvist", "mia.rossi", "jacob.nowak", "sofia.garcia", "ethan.wright", "zara.khan", "lucas.martin", "ava.thompson", "ben.okafor"},
	QueueSupport:   {"harry.jones", "lily.chen", "jack.wilson", "freya.walsh", "leo.fischer", "ella.morgan", "max.dubois", "ruby.singh", "sam.taylor", "nina.petrova"},
	QueueRetention: {"daniel.reid", "hannah.vogel", "omar.haddad", "laura.bianchi", "kai.larsen", "priya.nair"},
}

// Agents returns the local instance's agents by queue.
func Agents(in Instance) map[string][]Agent {
	out := map[string][]Agent{}
	for _, q := range []string{QueueBilling, QueueSales, QueueSupport, QueueRetention} {
		profile := connect.RoutingProfile{ARN: in.ARN("routing-profile", q), Name: q + " agents"}
		for _, name := range agentNames[q] {
			out[q] = append(out[q], Agent{
				Username: name, ARN: in.ARN("agent", name), Queue: q, RoutingProfile: profile, Team: q,
				Skill: 0.7 + 0.6*unit(name),
			})
		}
	}
	return out
}

// Contact is one planned contact: everything about it that does not depend
// on what Conduit answers, and the dice for what does.
type Contact struct {
	ID      string
	Channel connect.Channel
	Intent  string
	// Customer is the known customer calling, nil for an unknown caller.
	Customer *Customer
	// Phone is the caller's number (calls only).
	Phone string
	// Authenticated: the flow knows the customer id (IVR account check,
	// logged-in chat) and passes it to Conduit.
	Authenticated bool
	Language      string
	Upset         bool
	// BotHeardUpset: the IVR or chat bot already read the customer as
	// upset, so the flow passes sentiment=negative.
	BotHeardUpset bool
	// SelfServiceFailed: the customer tried self-service first and failed.
	SelfServiceFailed bool
	// Repeat: a known customer contacting again about the same thing
	// (first-contact resolution failed). With only the demo customers,
	// others happen to call about the same thing again too.
	Repeat bool
	Queue  QueueRef
	// Agent is who answered; zero when the customer abandoned.
	Agent     Agent
	Abandoned bool
	// DuringOverload: the contact arrived while an overload incident hit
	// its queue.
	DuringOverload bool

	// Initiated is when the contact began; the rest of its timeline follows
	// from the durations (see Timeline). Whole seconds, as Connect's
	// records carry.
	Initiated time.Time
	// IVR is the time in the flow (menus, bot) before the queue.
	IVR  time.Duration
	Wait time.Duration
	Talk time.Duration
	// Hold is the total hold time over Holds holds.
	Hold  time.Duration
	Holds int
	ACW   time.Duration
	// PitchTalk is added to the talk when an offer is shown; AcceptTalk and
	// AcceptACW when it is taken (the order is placed).
	PitchTalk, AcceptTalk, AcceptACW time.Duration

	// Categories are the Contact Lens categories the conversation matches.
	Categories []string
	// Dice for what happens once Conduit has answered.
	AcceptDraw, LaterDraw, OrganicDraw float64
	SurveyAnswered                     bool
	SurveyNoise                        float64
	// EarlyRecord: Connect first streams the record at disconnect, then an
	// updated one after wrap-up. DuplicateRecord: the final record is
	// delivered twice.
	EarlyRecord, DuplicateRecord bool
	// TextSeed seeds the words of the Contact Lens transcript.
	TextSeed uint64
}

// Known reports whether a demo customer is calling.
func (c *Contact) Known() bool { return c.Customer != nil }

// Model plans contacts. It is not safe for concurrent use: one goroutine
// plans, others send.
type Model struct {
	mix       Mix
	rng       *mrand.Rand
	customers []Customer
	movers    []int // customers with a move life event
	agents    map[string][]Agent
	queues    *Queues
	instance  Instance
	upset     []float64 // P(upset | intent), by index of Intents
	known     []float64 // P(known customer | intent)
	recent    []recentContact
	deck      []int // customers yet to call in this round
	// NewID makes contact ids; random UUIDs unless set (contact ids must
	// differ between runs with the same seed).
	NewID func() string
}

type recentContact struct {
	customer int
	intent   string
}

// recentKept bounds the contacts remembered for repeats.
const recentKept = 200

// NewModel returns a model drawing from seed.
func NewModel(seed uint64, mix Mix, customers []Customer, queues *Queues, in Instance) (*Model, error) {
	if err := mix.Validate(); err != nil {
		return nil, err
	}
	if queues == nil {
		return nil, fmt.Errorf("the model needs queues")
	}
	m := &Model{
		mix: mix, rng: mrand.New(mrand.NewPCG(seed, seed^0x5eed)), customers: customers,
		agents: Agents(in), queues: queues, instance: in, NewID: NewUUID,
	}
	for i, c := range customers {
		if slices.Contains(c.LifeEvents, "move") {
			m.movers = append(m.movers, i)
		}
	}
	if len(customers) == 0 {
		mix.KnownShare = 0
	}
	m.upset = calibrate(mix.UpsetShare, func(it Intent) float64 { return it.UpsetWeight })
	m.known = calibrate(mix.KnownShare, func(it Intent) float64 { return it.KnownWeight })
	return m, nil
}

// calibrate turns relative weights per intent into probabilities whose
// average over the intent mix is share, so --upset-share 0.2 means one
// contact in five whatever the intents.
func calibrate(share float64, weight func(Intent) float64) []float64 {
	avg := 0.0
	for _, it := range Intents {
		avg += it.Share * weight(it)
	}
	out := make([]float64, len(Intents))
	for i, it := range Intents {
		if avg > 0 {
			out[i] = min(1, share*weight(it)/avg)
		}
	}
	return out
}

// Next plans the contact arriving at now.
func (m *Model) Next(now time.Time) *Contact {
	r := m.rng
	now = now.UTC().Truncate(time.Second)
	c := &Contact{ID: m.NewID(), TextSeed: r.Uint64()}
	ii := pickIntent(r.Float64())
	it := Intents[ii]
	c.Intent = it.Name
	c.Channel = connect.Voice
	if r.Float64() < m.mix.ChatShare {
		c.Channel = connect.Chat
	}
	chat := c.Channel == connect.Chat

	if r.Float64() < m.known[ii] {
		idx, repeat := m.pickCustomer(r, it.Name)
		c.Customer, c.Repeat = &m.customers[idx], repeat
		m.remember(recentContact{idx, it.Name})
		c.Language = c.Customer.Language
		if chat {
			c.Authenticated = true // customers chat from the app or the logged-in website
		} else {
			c.Phone = c.Customer.Phone
			c.Authenticated = r.Float64() < 0.35 // account number keyed in the IVR
		}
	} else {
		c.Language = "en-GB"
		if !chat {
			// The UK's range for drama beyond the 300 demo customers.
			c.Phone = fmt.Sprintf("+447700%06d", 900301+r.IntN(699))
		}
	}
	c.Upset = r.Float64() < m.upset[ii]
	c.BotHeardUpset = c.Upset && r.Float64() < 0.5
	c.SelfServiceFailed = it.SelfService && r.Float64() < 0.12

	q := m.queues.Ref(it.Queue)
	c.Queue = q
	c.IVR = seconds(lognormal(r, 45, 0.5), 8)
	if chat {
		c.IVR = seconds(lognormal(r, 15, 0.5), 3)
	}
	wait, abandoned := m.queues.Arrive(it.Queue, chat, now, r)
	c.Wait, c.Abandoned = wait, abandoned
	c.DuringOverload = m.queues.Overloaded(it.Queue, now)

	talk := it.Talk.Seconds()
	if chat {
		talk *= 1.3 // agents hold several chats at once
	}
	if c.Upset {
		talk *= 1.25
	}
	c.Talk = seconds(lognormal(r, talk, 0.45), 45)
	if !chat && r.Float64() < 0.35 {
		c.Holds = 1
		if r.Float64() < 0.3 {
			c.Holds = 2
		}
		for range c.Holds {
			c.Hold += seconds(lognormal(r, 45, 0.6), 5)
		}
	}
	c.ACW = seconds(lognormal(r, 55, 0.5), 5)
	c.PitchTalk = time.Duration(20+r.IntN(26)) * time.Second
	c.AcceptTalk = time.Duration(60+r.IntN(91)) * time.Second
	c.AcceptACW = time.Duration(20+r.IntN(21)) * time.Second
	if !c.Abandoned {
		agents := m.agents[it.Queue]
		c.Agent = agents[r.IntN(len(agents))]
	}
	c.Categories = categories(r, c)
	c.AcceptDraw, c.LaterDraw, c.OrganicDraw = r.Float64(), r.Float64(), r.Float64()
	answerRate := 0.45
	if chat {
		answerRate = 0.35
	}
	if c.Upset {
		answerRate += 0.1 // unhappy customers answer surveys more
	}
	c.SurveyAnswered = r.Float64() < answerRate
	c.SurveyNoise = r.NormFloat64()
	c.EarlyRecord = r.Float64() < 0.10
	c.DuplicateRecord = r.Float64() < 0.03

	// Contacts are "now": the timeline ends at most at now, so the rollup's
	// live window and the load watcher's recent window see them.
	span := c.IVR + c.Wait
	if !c.Abandoned {
		span += c.Talk + c.Hold + c.ACW + c.PitchTalk + c.AcceptTalk + c.AcceptACW
	}
	c.Initiated = now.Add(-span)
	return c
}

// pickCustomer picks who calls about intent: at RepeatShare someone who
// recently called about the same thing (a repeat contact), movers for
// moves more often than others.
func (m *Model) pickCustomer(r *mrand.Rand, intent string) (idx int, repeat bool) {
	if r.Float64() < m.mix.RepeatShare {
		var same []int
		for _, rc := range m.recent {
			if rc.intent == intent {
				same = append(same, rc.customer)
			}
		}
		if len(same) > 0 {
			return same[r.IntN(len(same))], true
		}
	}
	if intent == "move" && len(m.movers) > 0 && r.Float64() < 0.5 {
		return m.movers[r.IntN(len(m.movers))], false
	}
	// Customers take turns: few call twice in an hour, and with a few
	// hundred demo customers a random pick would make them.
	if len(m.deck) == 0 {
		m.deck = r.Perm(len(m.customers))
	}
	idx = m.deck[0]
	m.deck = m.deck[1:]
	return idx, false
}

func (m *Model) remember(rc recentContact) {
	m.recent = append(m.recent, rc)
	if len(m.recent) > recentKept {
		m.recent = m.recent[len(m.recent)-recentKept:]
	}
}

// pickIntent maps a uniform draw to an intent by share.
func pickIntent(u float64) int {
	for i, it := range Intents {
		if u < it.Share {
			return i
		}
		u -= it.Share
	}
	return len(Intents) - 1
}

// Contact Lens categories, as named in the speech function's default table.
const (
	CategoryMove              = "life_event_move"
	CategoryMarriage          = "life_event_marriage"
	CategoryNewBaby           = "life_event_new_baby"
	CategoryNewJob            = "life_event_new_job"
	CategoryChurnRisk         = "churn_risk"
	CategoryComplaint         = "complaint"
	CategoryCompetitorMention = "competitor_mention"
)

// categories are what Contact Lens will hear in the conversation.
func categories(r *mrand.Rand, c *Contact) []string {
	var out []string
	add := func(p float64, name string) {
		if r.Float64() < p && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	switch c.Intent {
	case "move":
		add(0.85, CategoryMove)
	case "cancel":
		add(0.7, CategoryChurnRisk)
		add(0.35, CategoryCompetitorMention)
	case "complaint":
		add(0.9, CategoryComplaint)
	case "high_bill":
		if c.Upset {
			add(0.25, CategoryChurnRisk)
			add(0.2, CategoryComplaint)
		}
	case "technical_issue", "outage":
		if c.Upset {
			add(0.25, CategoryComplaint)
		}
	}
	// Life comes up in conversation whatever the reason for the call.
	add(0.01, CategoryMarriage)
	add(0.015, CategoryNewBaby)
	add(0.01, CategoryNewJob)
	add(0.03, CategoryCompetitorMention)
	if c.Abandoned {
		return nil // Contact Lens analyses the conversation with the agent
	}
	return out
}

// lognormal draws with the given mean and coefficient of variation: handle
// times are skewed, with a long tail of difficult contacts.
func lognormal(r *mrand.Rand, mean, cv float64) float64 {
	s2 := math.Log(1 + cv*cv)
	return math.Exp(math.Log(mean) - s2/2 + math.Sqrt(s2)*r.NormFloat64())
}

// seconds rounds to whole seconds, at least floor.
func seconds(v, floor float64) time.Duration {
	return time.Duration(math.Round(max(v, floor))) * time.Second
}

// unit maps a name to a stable number in [0, 1).
func unit(name string) float64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return float64(h.Sum64()>>11) / (1 << 53)
}

// NewUUID returns a random version 4 UUID, the form of Connect's contact ids.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return formatUUID(b)
}

// stableUUID is a UUID-shaped id derived from a name, for ARNs that must
// stay the same between runs.
func stableUUID(name string) string {
	var b [16]byte
	h := fnv.New128a()
	h.Write([]byte(name))
	copy(b[:], h.Sum(nil))
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
