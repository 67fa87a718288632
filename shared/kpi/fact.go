package kpi

import (
	"math"
	"time"
)

// Group is a contact's experiment arm for a campaign or offer.
type Group string

// Groups.
const (
	GroupNone    Group = ""
	GroupTreated Group = "treated" // eligible and given the decision's offer
	GroupHoldout Group = "holdout" // eligible but held back on purpose; nothing shown
)

// Outcome is what the customer said to an offer.
type Outcome string

// Outcomes.
const (
	OutcomeNone     Outcome = ""
	OutcomeAccepted Outcome = "accepted"
	OutcomeDeclined Outcome = "declined"
	OutcomeLater    Outcome = "later"
)

// Repeat is whether the customer contacted again within 7 days of a
// handled contact (the FCR test).
type Repeat int

// Repeat outcomes.
const (
	// RepeatUnknown: the 7-day window is still open or the customer is
	// unknown; the contact waits outside FCR until it is known.
	RepeatUnknown Repeat = iota
	// NoRepeat: resolved at first contact.
	NoRepeat
	// Repeated: the same customer came back within 7 days.
	Repeated
)

// Fact is what one contact contributes to the KPIs, assembled from its
// contact record, contact events, decision and outcome. Fields that are not
// known stay at their zero value (and the "Known" flags false).
type Fact struct {
	ContactID string
	// At is when the contact counts: when it entered the queue, else when it
	// began. Buckets are chosen by it.
	At time.Time

	Channel  string // VOICE, CHAT, TASK ...
	Queue    string // queue name as Connect reports it
	Agent    string // agent username
	Campaign string // campaign of the decision's offer (or held-back offer)
	Offer    string
	Group    Group

	// Queue: the contact reached a queue, then was answered or abandoned
	// (or neither: still waiting, transferred out, callback).
	Queued    bool
	Answered  bool
	Abandoned bool
	// QueueWait is enqueue to answer (or to abandon), when QueueWaitKnown.
	QueueWait      time.Duration
	QueueWaitKnown bool

	// Handling: an agent handled the contact. Talk, hold and after-contact
	// work count toward AHT when DurationsKnown.
	Handled          bool
	Talk             time.Duration
	Hold             time.Duration
	AfterContactWork time.Duration
	DurationsKnown   bool

	// SurveyScore is the post-contact survey answer, 1–5; 0 when none.
	SurveyScore int
	// Repeat is the 7-day repeat outcome of a handled contact.
	Repeat Repeat

	// Decision: Conduit decided for this contact (treated or holdout);
	// OfferShown when an offer was shown; Outcome the customer's answer and
	// Value the accepted value in the offer's currency.
	Decided    bool
	OfferShown bool
	Outcome    Outcome
	Value      float64
}

// DefaultServiceLevelThreshold is the T of SL(T) unless configured: the
// industry's "80/20" promise is 80 % answered within 20 seconds.
const DefaultServiceLevelThreshold = 20 * time.Second

// Rules fix how facts are counted. The zero Rules are the defaults.
type Rules struct {
	// ServiceLevelThreshold is T in "answered within T"; zero means 20 s.
	// Every aggregate that is added together must be counted with one T.
	ServiceLevelThreshold time.Duration
}

func (r Rules) threshold() time.Duration {
	if r.ServiceLevelThreshold <= 0 {
		return DefaultServiceLevelThreshold
	}
	return r.ServiceLevelThreshold
}

// Contribute is Rules{}.Contribute: the fact counted with T = 20 s.
func Contribute(f Fact) Aggregate { return Rules{}.Contribute(f) }

// Contribute counts one contact. What it can count it counts; what it
// cannot (a missing wait, missing durations, a survey score outside 1–5...)
// it leaves out of that metric alone and records in Excluded with the
// reason, so nothing is lost silently.
//
// A wait exactly equal to T counts as answered within T.
func (r Rules) Contribute(f Fact) Aggregate {
	t := r.threshold()
	a := Aggregate{ServiceLevelThresholdMs: t.Milliseconds()}

	if f.Queued {
		a.Offered = 1
		waitOK := f.QueueWaitKnown && f.QueueWait >= 0
		badWait := f.QueueWaitKnown && f.QueueWait < 0
		switch {
		case f.Answered && f.Abandoned:
			a.Excluded.ConflictingQueueOutcome = 1
		case f.Answered:
			a.Answered = 1
			if waitOK {
				a.AnsweredTimed = 1
				a.QueueWaitMs = f.QueueWait.Milliseconds()
				a.QueueWaitSquares = square(f.QueueWait.Seconds())
				if f.QueueWait <= t {
					a.AnsweredWithin = 1
				}
			}
		case f.Abandoned:
			a.Abandoned = 1
			if waitOK && f.QueueWait > t {
				a.AbandonedAfter = 1
			}
		}
		if (f.Answered != f.Abandoned) && !waitOK {
			if badWait {
				a.Excluded.InvalidDuration++
			} else {
				a.Excluded.MissingQueueWait++
			}
		}
	}

	if f.Handled {
		a.Handled = 1
		switch {
		case !f.DurationsKnown:
			a.Excluded.MissingDurations = 1
		case f.Talk < 0 || f.Hold < 0 || f.AfterContactWork < 0:
			a.Excluded.InvalidDuration++
		default:
			a.HandledTimed = 1
			a.TalkMs = f.Talk.Milliseconds()
			a.HoldMs = f.Hold.Milliseconds()
			a.AfterContactWorkMs = f.AfterContactWork.Milliseconds()
			a.HandleTimeSquares = square((f.Talk + f.Hold + f.AfterContactWork).Seconds())
		}
		switch f.Repeat {
		case NoRepeat:
			a.FCRContacts, a.FCRResolved = 1, 1
		case Repeated:
			a.FCRContacts = 1
		default:
			a.Excluded.RepeatUnknown = 1
		}
	}

	switch s := f.SurveyScore; {
	case s == 0:
	case s >= 1 && s <= 5:
		a.SurveyAnswers = 1
		a.SurveyScoreSum = int64(s)
		a.SurveyScoreSquareSum = int64(s * s)
		if s >= 4 {
			a.SurveySatisfied = 1
		}
	default:
		a.Excluded.InvalidSurveyScore = 1
	}

	// An offer shown or an outcome implies a decision was recorded.
	if f.Decided || f.OfferShown || f.Outcome != OutcomeNone {
		a.Decisions = 1
		if f.OfferShown {
			a.OffersShown = 1
		}
		switch f.Outcome {
		case OutcomeAccepted:
			a.Accepted = 1
			if f.OfferShown {
				a.AcceptedOfShown = 1
			}
			if f.Value >= 0 && !math.IsInf(f.Value, 0) {
				a.AcceptedValue = f.Value
				a.AcceptedValueSquares = f.Value * f.Value
			} else {
				a.Excluded.InvalidValue = 1
			}
		case OutcomeNone, OutcomeDeclined, OutcomeLater:
		default:
			a.Excluded.InvalidOutcome = 1
		}
	}
	return a
}

func square(x float64) float64 { return x * x }
