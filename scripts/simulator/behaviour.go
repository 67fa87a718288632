package simulator

import (
	"math"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/decide"
	"github.com/conduit-cx/conduit/shared/offer"
)

// Answer is the offer function's answer, as the flow reads it
// ($.External.<key>).
type Answer map[string]string

// Offer is the offer shown, "" when none.
func (a Answer) Offer() string {
	if o := strings.TrimSpace(a[offer.KeyOffer]); o != offer.NoOffer {
		return o
	}
	return ""
}

// Shown reports whether the agent was given an offer to make.
func (a Answer) Shown() bool { return a.Offer() != "" }

// Holdout reports a customer held back on purpose (nothing shown).
func (a Answer) Holdout() bool { return a[offer.KeyHoldout] == "true" }

// Reason is the answer's reason code.
func (a Answer) Reason() string { return a[offer.KeyReason] }

// DecisionID is the decision's id.
func (a Answer) DecisionID() string { return a[offer.KeyDecisionID] }

// Result is what happened on a contact once Conduit answered.
type Result struct {
	// Answer is nil when the offer invocation failed (the flow takes its
	// error branch and queues the contact with no offer).
	Answer Answer
	// Outcome is the customer's answer to the offer shown: accepted,
	// declined or later; "" when nothing was shown or the customer hung up
	// before the agent could make it.
	Outcome string
	// Organic: a held-back customer asked for the product themselves
	// (recorded by the agent as the contact's outcome).
	Organic bool
}

// offerAcceptance is how often customers take each demo offer when an
// agent makes it to someone it fits; unknown offers take the default.
var offerAcceptance = map[string]float64{
	"fibre-1000-switch":   0.22,
	"fibre-500-value":     0.25,
	"wifi-booster":        0.15,
	"fibre-gaming":        0.18,
	"move-day-one":        0.35,
	"move-tv-bundle":      0.20,
	"move-business-line":  0.30,
	"family-mobile-plan":  0.20,
	"family-tv":           0.15,
	"family-device-cover": 0.12,
}

const defaultAcceptance = 0.15

// organicConversion is how often a customer held back from an offer
// takes the product anyway, unprompted.
const organicConversion = 0.03

// laterShare is the share of customers not taking an offer who ask to
// think about it rather than say no.
const laterShare = 0.18

// AcceptProbability is the chance this customer takes the offer in the
// answer: the offer's own appeal, more when it answers why they called
// or what is going on in their life, less on chat (no voice to persuade),
// less still when they are upset, and the agent's touch.
func (c *Contact) AcceptProbability(a Answer) float64 {
	p, ok := offerAcceptance[a.Offer()]
	if !ok {
		p = defaultAcceptance
	}
	switch decide.Reason(a.Reason()) {
	case decide.ReasonIntentMatch, decide.ReasonLifeEventMatch:
		p *= 1.3
	}
	if c.Channel != "VOICE" {
		p *= 0.8
	}
	if c.Upset {
		p *= 0.5
	}
	if c.Agent.Skill > 0 {
		p *= c.Agent.Skill
	}
	return math.Min(p, 0.8)
}

// Respond is what the customer does with Conduit's answer.
func (c *Contact) Respond(a Answer) Result {
	res := Result{Answer: a}
	switch {
	case a == nil || c.Abandoned:
		// No answer, or the customer hung up before an agent could speak.
	case a.Shown():
		switch {
		case c.AcceptDraw < c.AcceptProbability(a):
			res.Outcome = contacts.OutcomeAccepted
		case c.LaterDraw < laterShare:
			res.Outcome = contacts.OutcomeLater
		default:
			res.Outcome = contacts.OutcomeDeclined
		}
	case a.Holdout():
		res.Organic = c.OrganicDraw < organicConversion
	}
	return res
}

// SurveyScore is the post-contact survey answer (1 to 5), 0 when the
// customer did not answer or never reached an agent. Upset customers,
// long waits and repeat contacts score lower; a welcome offer a little
// higher, a declined one a little lower.
func (c *Contact) SurveyScore(res Result) int {
	if !c.SurveyAnswered || c.Abandoned {
		return 0
	}
	s := 4.35 + 0.75*c.SurveyNoise
	if c.Upset {
		s = 2.3 + 0.9*c.SurveyNoise
	}
	switch {
	case c.Wait > 2*time.Minute:
		s -= 0.9
	case c.Wait > time.Minute:
		s -= 0.4
	}
	if c.Repeat {
		s -= 0.4
	}
	switch res.Outcome {
	case contacts.OutcomeAccepted:
		s += 0.25
	case contacts.OutcomeDeclined:
		s -= 0.15
	}
	return int(math.Max(contacts.MinSurveyScore, math.Min(contacts.MaxSurveyScore, math.Round(s))))
}

// Timeline is when each state of the contact began, given what happened.
type Timeline struct {
	Initiated    time.Time
	Enqueued     time.Time
	Answered     time.Time // zero when abandoned
	Disconnected time.Time
	ACWEnd       time.Time // zero when abandoned
	// Talk and ACW include the time the offer took.
	Talk, ACW time.Duration
}

// LastUpdate is when Connect last updated the contact record: after the
// agent's wrap-up, or at disconnect when no agent took the contact.
func (t Timeline) LastUpdate() time.Time {
	if t.ACWEnd.IsZero() {
		return t.Disconnected
	}
	return t.ACWEnd
}

// Timeline lays out the contact given what happened: an offer shown adds
// the pitch to the talk; an accepted one the order, and its wrap-up.
func (c *Contact) Timeline(res Result) Timeline {
	t := Timeline{Initiated: c.Initiated, Talk: c.Talk, ACW: c.ACW}
	t.Enqueued = c.Initiated.Add(c.IVR)
	if c.Abandoned {
		t.Disconnected = t.Enqueued.Add(c.Wait)
		t.Talk, t.ACW = 0, 0
		return t
	}
	if res.Answer.Shown() {
		t.Talk += c.PitchTalk
	}
	if res.Outcome == contacts.OutcomeAccepted {
		t.Talk += c.AcceptTalk
		t.ACW += c.AcceptACW
	}
	t.Answered = t.Enqueued.Add(c.Wait)
	t.Disconnected = t.Answered.Add(t.Talk + c.Hold)
	t.ACWEnd = t.Disconnected.Add(t.ACW)
	return t
}
