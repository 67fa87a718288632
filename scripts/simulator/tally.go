package simulator

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/decide"
	"github.com/conduit-cx/conduit/shared/offer"
)

// Gates group the reasons Conduit gives for not making an offer, in the
// order the decision path runs them (DESIGN section 4).
const (
	GateConsent  = "consent"
	GateEmpathy  = "empathy"
	GateLoad     = "load"
	GateChannel  = "channel"
	GatePolicy   = "contact policy"
	GateNoFit    = "no fitting offer"
	GateErrors   = "decision errors"
	GateUnlisted = "other"
)

// GateOrder lists the gates in the order the summary shows them.
var GateOrder = []string{GateConsent, GateEmpathy, GateLoad, GateChannel, GatePolicy, GateNoFit, GateErrors, GateUnlisted}

var reasonGates = map[string]string{}

func init() {
	add := func(gate string, reasons ...string) {
		for _, r := range reasons {
			reasonGates[r] = gate
		}
	}
	s := func(rs ...decide.Reason) []string {
		out := make([]string, len(rs))
		for i, r := range rs {
			out[i] = string(r)
		}
		return out
	}
	add(GateConsent, s(decide.ReasonSuppressed, decide.ReasonOptedOut, decide.ReasonNoOptIn)...)
	add(GateEmpathy, s(decide.ReasonUpset, decide.ReasonComplaint, decide.ReasonCancellation, decide.ReasonSelfServiceFailed,
		decide.ReasonRepeatContact, decide.ReasonRecentNegativeContact, decide.ReasonLowSurveyScore, decide.ReasonOpenComplaint)...)
	add(GateLoad, s(decide.ReasonLoadHeld, decide.ReasonCampaignHeld)...)
	add(GateChannel, s(decide.ReasonChannelNotOffered, decide.ReasonOfferChannel)...)
	add(GatePolicy, s(decide.ReasonFrequencyCap, decide.ReasonDeclinedRecently, decide.ReasonCustomerCap,
		decide.ReasonAlreadyAccepted, decide.ReasonGlobalCap)...)
	add(GateNoFit, s(decide.ReasonNoEligibleOffer, decide.ReasonNoOffers, decide.ReasonAudienceRule, decide.ReasonOfferRule,
		decide.ReasonOfferInactive, decide.ReasonOfferNotStarted, decide.ReasonOfferEnded, decide.ReasonCampaignMissing,
		decide.ReasonCampaignNotLive, decide.ReasonCampaignNotStarted, decide.ReasonCampaignEnded, decide.ReasonZeroPriority,
		decide.ReasonRuleError)...)
	add(GateErrors, offer.ReasonInvalidEvent, offer.ReasonTimeout, offer.ReasonInternalError, offer.ReasonStorage, offer.ReasonBusy,
		"offer_withdrawn", string(decide.ReasonInvalidInput), string(decide.ReasonSubjectMissing), string(decide.ReasonCatalogNotLoaded))
}

// GateOf is the gate a no-offer reason belongs to.
func GateOf(reason string) string {
	if g, ok := reasonGates[reason]; ok {
		return g
	}
	return GateUnlisted
}

// Steps of a contact that can fail, for the error count.
const (
	StepOfferCall   = "offer invocation"
	StepOutcomeCall = "outcome invocation"
	StepEvents      = "contact events"
	StepLens        = "Contact Lens stream"
	StepRecords     = "contact-record stream"
	StepQueues      = "queue metrics"
)

// QueueTally is what the contacts of one queue went through.
type QueueTally struct {
	Offered, Answered, Abandoned int
	// AnsweredWithin: answered within ServiceLevelThreshold;
	// AbandonedAfter: abandoned after waiting longer than it.
	AnsweredWithin, AbandonedAfter int
	WaitAnswered                   time.Duration
}

// ServiceLevelThreshold is T of SL(T) in the summary.
const ServiceLevelThreshold = 20 * time.Second

// ASA is the mean wait of answered contacts.
func (q QueueTally) ASA() time.Duration {
	if q.Answered == 0 {
		return 0
	}
	return (q.WaitAnswered / time.Duration(q.Answered)).Round(time.Second)
}

// ServiceLevel is SL(T) as DESIGN section 6 defines it.
func (q QueueTally) ServiceLevel() float64 {
	if d := q.Answered + q.AbandonedAfter; d > 0 {
		return float64(q.AnsweredWithin) / float64(d)
	}
	return 0
}

// Tally counts what the simulated contacts did and what Conduit answered.
// Safe for concurrent use.
type Tally struct {
	mu                                           sync.Mutex
	Contacts, Calls, Chats, Known, Authenticated int
	Upset, Repeats, Abandoned                    int
	Decisions, Shown, Accepted, Declined, Later  int
	Holdouts, Organic                            int
	ShownAbandoned                               int
	// OverloadContacts arrived during an overload incident on their queue;
	// OverloadShown of them were shown an offer.
	OverloadContacts, OverloadShown         int
	NoOffer                                 map[string]int // by reason
	Errors                                  map[string]int // by step
	FirstError                              map[string]string
	Queues                                  map[string]*QueueTally
	Surveys, SurveySum, Handled             int
	HandleTime                              time.Duration
	LastContact, LastOffered, LastAbandoned string
	consecutiveFailures                     int
}

// NewTally returns an empty tally.
func NewTally() *Tally {
	return &Tally{NoOffer: map[string]int{}, Errors: map[string]int{}, FirstError: map[string]string{}, Queues: map[string]*QueueTally{}}
}

// Error counts a failed step.
func (t *Tally) Error(step string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.Errors[step]++
	if _, ok := t.FirstError[step]; !ok {
		t.FirstError[step] = err.Error()
	}
}

// ErrorCount is the number of failed steps.
func (t *Tally) ErrorCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, v := range t.Errors {
		n += v
	}
	return n
}

// Failed records a contact none of whose steps reached the stack; it
// returns how many contacts in a row did so.
func (t *Tally) Failed() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.consecutiveFailures++
	return t.consecutiveFailures
}

// Contact counts one finished contact.
func (t *Tally) Contact(c *Contact, res Result, tl Timeline) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.consecutiveFailures = 0
	t.Contacts++
	t.LastContact = c.ID
	if c.voice() {
		t.Calls++
	} else {
		t.Chats++
	}
	if c.Known() {
		t.Known++
	}
	if c.Known() && c.Authenticated {
		t.Authenticated++
	}
	if c.Upset {
		t.Upset++
	}
	if c.Repeat {
		t.Repeats++
	}
	q := t.Queues[c.Queue.Name]
	if q == nil {
		q = &QueueTally{}
		t.Queues[c.Queue.Name] = q
	}
	q.Offered++
	if c.DuringOverload {
		t.OverloadContacts++
		if res.Answer.Shown() {
			t.OverloadShown++
		}
	}
	if c.Abandoned {
		t.Abandoned++
		t.LastAbandoned = c.ID
		q.Abandoned++
		if c.Wait > ServiceLevelThreshold {
			q.AbandonedAfter++
		}
	} else {
		q.Answered++
		q.WaitAnswered += c.Wait
		if c.Wait <= ServiceLevelThreshold {
			q.AnsweredWithin++
		}
		t.Handled++
		t.HandleTime += tl.Talk + c.Hold + tl.ACW
		if s := c.SurveyScore(res); s > 0 {
			t.Surveys++
			t.SurveySum += s
		}
	}
	a := res.Answer
	if a == nil {
		return
	}
	t.Decisions++
	switch {
	case a.Shown():
		t.Shown++
		if c.Abandoned {
			t.ShownAbandoned++
		}
		if res.Outcome != "" {
			t.LastOffered = c.ID // a contact with a decision and an outcome
		}
		switch res.Outcome {
		case contacts.OutcomeAccepted:
			t.Accepted++
		case contacts.OutcomeDeclined:
			t.Declined++
		case contacts.OutcomeLater:
			t.Later++
		}
	case a.Holdout():
		t.Holdouts++
		if res.Organic {
			t.Organic++
		}
	default:
		t.NoOffer[a.Reason()]++
	}
}

// Snapshot is a copy of the headline counts, for progress lines.
type Snapshot struct {
	Contacts, Shown, Accepted, Holdouts, Errors int
}

// Snapshot copies the headline counts.
func (t *Tally) Snapshot() Snapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, v := range t.Errors {
		n += v
	}
	return Snapshot{Contacts: t.Contacts, Shown: t.Shown, Accepted: t.Accepted, Holdouts: t.Holdouts, Errors: n}
}

// Line is the snapshot in one line.
func (s Snapshot) Line() string {
	return fmt.Sprintf("%d contacts · %d offers · %d accepted · %d holdouts · %d errors", s.Contacts, s.Shown, s.Accepted, s.Holdouts, s.Errors)
}

func pct(n, d int) string {
	if d == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f %%", 100*float64(n)/float64(d))
}

// Write prints the closing summary.
func (t *Tally) Write(w io.Writer, elapsed time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	rate := 0.0
	if elapsed > 0 {
		rate = float64(t.Contacts) / elapsed.Seconds()
	}
	p("")
	p("Contacts   %d in %s (%.1f a second): %d calls, %d chats", t.Contacts, elapsed.Round(100*time.Millisecond), rate, t.Calls, t.Chats)
	p("           %d from known customers (calls by their number; %d also passed their customer id), %d unknown", t.Known, t.Authenticated, t.Contacts-t.Known)
	p("           %d upset, %d repeat contacts, %d abandoned in the queue", t.Upset, t.Repeats, t.Abandoned)
	p("Decisions  %d answers from the offer function", t.Decisions)
	p("Offers     %d made (%s of decisions): %d accepted (%s of offers), %d declined, %d later, %d not heard (caller hung up in the queue)",
		t.Shown, pct(t.Shown, t.Decisions), t.Accepted, pct(t.Accepted, t.Shown), t.Declined, t.Later, t.ShownAbandoned)
	p("Holdouts   %d held back on purpose (control group), %d of them took the product unprompted", t.Holdouts, t.Organic)
	noOffer := 0
	byGate := map[string][]string{}
	gateTotal := map[string]int{}
	for _, r := range slices.Sorted(maps.Keys(t.NoOffer)) {
		g := GateOf(r)
		byGate[g] = append(byGate[g], r)
		gateTotal[g] += t.NoOffer[r]
		noOffer += t.NoOffer[r]
	}
	p("No offer   %d (%s of decisions), by gate:", noOffer, pct(noOffer, t.Decisions))
	for _, g := range GateOrder {
		rs := byGate[g]
		if len(rs) == 0 {
			continue
		}
		sort.SliceStable(rs, func(i, j int) bool { return t.NoOffer[rs[i]] > t.NoOffer[rs[j]] })
		parts := make([]string, len(rs))
		for i, r := range rs {
			parts[i] = fmt.Sprintf("%s %d", r, t.NoOffer[r])
		}
		p("  %-17s %4d  %s", g, gateTotal[g], strings.Join(parts, ", "))
	}
	if t.OverloadContacts > 0 {
		p("Overload   %d contacts came in during the incident, %d were shown an offer (load holds take up to a minute to start)",
			t.OverloadContacts, t.OverloadShown)
	}
	if t.Handled > 0 {
		aht := (t.HandleTime / time.Duration(t.Handled)).Round(time.Second)
		csat := "–"
		if t.Surveys > 0 {
			csat = fmt.Sprintf("%.2f of 5 (%d answers)", float64(t.SurveySum)/float64(t.Surveys), t.Surveys)
		}
		p("Service    AHT %s, survey %s", aht, csat)
	}
	for _, name := range slices.Sorted(maps.Keys(t.Queues)) {
		q := t.Queues[name]
		p("  %-8s %4d contacts, ASA %s, service level %s in %s, %d abandoned", name, q.Offered, q.ASA(),
			pct(q.AnsweredWithin, q.Answered+q.AbandonedAfter), ServiceLevelThreshold, q.Abandoned)
	}
	total := 0
	for _, v := range t.Errors {
		total += v
	}
	p("Errors     %d", total)
	for _, step := range slices.Sorted(maps.Keys(t.Errors)) {
		p("  %-22s %4d  first: %s", step, t.Errors[step], t.FirstError[step])
	}
}
