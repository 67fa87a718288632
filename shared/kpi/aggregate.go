package kpi

import (
	"time"

	"github.com/conduit-cx/conduit/shared/stats"
)

// Aggregate is the additive summary of a set of contacts: every field is a
// count or a sum, so aggregates merge with Add in any order and grouping.
// Counts and durations (whole milliseconds) are integers, so every metric
// of the catalog is exactly the same however a bucket is recomputed. The
// float64 fields (sums of squares in seconds², kept for confidence
// intervals, and accepted value) can differ in their last bits when facts
// are folded in another order: fold in a stable order (by contact id) for
// bit-identical reruns.
//
// Every metric of the catalog is one function of an Aggregate.
type Aggregate struct {
	// ServiceLevelThresholdMs is the T (in milliseconds) that AnsweredWithin
	// and AbandonedAfter were counted with. Zero in an empty aggregate;
	// MixedThreshold when aggregates counted with different T were added,
	// which makes ServiceLevel unavailable rather than wrong.
	ServiceLevelThresholdMs int64 `json:"serviceLevelThresholdMs"`

	// Queue: contacts that reached a queue and what became of them.
	Offered   int64 `json:"offered"`
	Answered  int64 `json:"answered"`
	Abandoned int64 `json:"abandoned"`
	// AnsweredTimed are answered contacts whose queue wait is known; ASA's
	// denominator.
	AnsweredTimed int64 `json:"answeredTimed"`
	// QueueWaitMs is the total queue wait of AnsweredTimed contacts.
	QueueWaitMs int64 `json:"queueWaitMs"`
	// QueueWaitSquares is the sum of squared waits (s²) of AnsweredTimed.
	QueueWaitSquares float64 `json:"queueWaitSquares"`
	// AnsweredWithin are answered within T; AbandonedAfter abandoned after
	// waiting longer than T (abandons within T are not in service level).
	AnsweredWithin int64 `json:"answeredWithin"`
	AbandonedAfter int64 `json:"abandonedAfter"`

	// Handling by agents.
	Handled int64 `json:"handled"`
	// HandledTimed are handled contacts with known talk, hold and ACW; AHT's
	// denominator.
	HandledTimed         int64   `json:"handledTimed"`
	TalkMs               int64   `json:"talkMs"`
	HoldMs               int64   `json:"holdMs"`
	AfterContactWorkMs   int64   `json:"afterContactWorkMs"`
	HandleTimeSquares    float64 `json:"handleTimeSquares"`
	FCRContacts          int64   `json:"fcrContacts"` // handled, 7-day repeat outcome known
	FCRResolved          int64   `json:"fcrResolved"` // ... and no repeat within 7 days
	SurveyAnswers        int64   `json:"surveyAnswers"`
	SurveySatisfied      int64   `json:"surveySatisfied"` // answers of 4 or 5
	SurveyScoreSum       int64   `json:"surveyScoreSum"`
	SurveyScoreSquareSum int64   `json:"surveyScoreSquareSum"`

	// Decisions and their outcomes.
	Decisions       int64 `json:"decisions"`       // contacts with a decision
	OffersShown     int64 `json:"offersShown"`     // decisions that showed an offer
	Accepted        int64 `json:"accepted"`        // accepted outcomes, shown or organic (holdout)
	AcceptedOfShown int64 `json:"acceptedOfShown"` // accepted outcomes of offers shown
	// AcceptedValue is the total value of accepted outcomes, in the
	// currency of the offers; AcceptedValueSquares its sum of squares.
	AcceptedValue        float64 `json:"acceptedValue"`
	AcceptedValueSquares float64 `json:"acceptedValueSquares"`

	// Excluded counts what could not be counted, by reason.
	Excluded Exclusions `json:"excluded"`
}

// MixedThreshold marks an aggregate that merged different service-level
// thresholds.
const MixedThreshold int64 = -1

// Add merges two aggregates. It is commutative and associative, and the
// zero Aggregate is its identity.
func (a Aggregate) Add(b Aggregate) Aggregate {
	out := Aggregate{
		ServiceLevelThresholdMs: mergeThreshold(a.ServiceLevelThresholdMs, b.ServiceLevelThresholdMs),

		Offered:          a.Offered + b.Offered,
		Answered:         a.Answered + b.Answered,
		Abandoned:        a.Abandoned + b.Abandoned,
		AnsweredTimed:    a.AnsweredTimed + b.AnsweredTimed,
		QueueWaitMs:      a.QueueWaitMs + b.QueueWaitMs,
		QueueWaitSquares: a.QueueWaitSquares + b.QueueWaitSquares,
		AnsweredWithin:   a.AnsweredWithin + b.AnsweredWithin,
		AbandonedAfter:   a.AbandonedAfter + b.AbandonedAfter,

		Handled:              a.Handled + b.Handled,
		HandledTimed:         a.HandledTimed + b.HandledTimed,
		TalkMs:               a.TalkMs + b.TalkMs,
		HoldMs:               a.HoldMs + b.HoldMs,
		AfterContactWorkMs:   a.AfterContactWorkMs + b.AfterContactWorkMs,
		HandleTimeSquares:    a.HandleTimeSquares + b.HandleTimeSquares,
		FCRContacts:          a.FCRContacts + b.FCRContacts,
		FCRResolved:          a.FCRResolved + b.FCRResolved,
		SurveyAnswers:        a.SurveyAnswers + b.SurveyAnswers,
		SurveySatisfied:      a.SurveySatisfied + b.SurveySatisfied,
		SurveyScoreSum:       a.SurveyScoreSum + b.SurveyScoreSum,
		SurveyScoreSquareSum: a.SurveyScoreSquareSum + b.SurveyScoreSquareSum,

		Decisions:            a.Decisions + b.Decisions,
		OffersShown:          a.OffersShown + b.OffersShown,
		Accepted:             a.Accepted + b.Accepted,
		AcceptedOfShown:      a.AcceptedOfShown + b.AcceptedOfShown,
		AcceptedValue:        a.AcceptedValue + b.AcceptedValue,
		AcceptedValueSquares: a.AcceptedValueSquares + b.AcceptedValueSquares,

		Excluded: a.Excluded.Add(b.Excluded),
	}
	return out
}

// Sum adds many aggregates.
func Sum(as ...Aggregate) Aggregate {
	var s Aggregate
	for _, a := range as {
		s = s.Add(a)
	}
	return s
}

func mergeThreshold(a, b int64) int64 {
	switch {
	case a == 0:
		return b
	case b == 0 || a == b:
		return a
	default:
		return MixedThreshold
	}
}

// IsZero reports an aggregate with nothing counted.
func (a Aggregate) IsZero() bool { return a == Aggregate{} }

// ServiceLevelThreshold is the T this aggregate was counted with (0 when
// empty or mixed).
func (a Aggregate) ServiceLevelThreshold() time.Duration {
	if a.ServiceLevelThresholdMs <= 0 {
		return 0
	}
	return time.Duration(a.ServiceLevelThresholdMs) * time.Millisecond
}

// Reasons for leaving a contact out of a metric, as the exclusion counters
// and logs name them.
const (
	ReasonMissingQueueWait        = "missing_queue_wait"
	ReasonMissingDurations        = "missing_durations"
	ReasonInvalidDuration         = "invalid_duration"
	ReasonInvalidSurveyScore      = "invalid_survey_score"
	ReasonRepeatUnknown           = "repeat_unknown"
	ReasonConflictingQueueOutcome = "conflicting_queue_outcome"
	ReasonInvalidOutcome          = "invalid_outcome"
	ReasonInvalidValue            = "invalid_value"
)

// Exclusions count contacts left out of a metric, by reason. A contact
// still counts wherever it can: a handled contact with no durations counts
// as handled (and for FCR and CSAT) but not in AHT.
type Exclusions struct {
	// MissingQueueWait: answered or abandoned with no known wait; out of ASA
	// and service level.
	MissingQueueWait int64 `json:"missingQueueWait"`
	// MissingDurations: handled with talk, hold or ACW unknown; out of AHT.
	MissingDurations int64 `json:"missingDurations"`
	// InvalidDuration: a negative wait or duration; out of the metric it
	// feeds (ASA/service level or AHT).
	InvalidDuration int64 `json:"invalidDuration"`
	// InvalidSurveyScore: a score outside 1–5; out of CSAT.
	InvalidSurveyScore int64 `json:"invalidSurveyScore"`
	// RepeatUnknown: handled but the 7-day repeat window is still open (or
	// unknown); out of FCR until known.
	RepeatUnknown int64 `json:"repeatUnknown"`
	// ConflictingQueueOutcome: marked both answered and abandoned; counted
	// as offered only.
	ConflictingQueueOutcome int64 `json:"conflictingQueueOutcome"`
	// InvalidOutcome: an outcome that is none of accepted, declined, later;
	// counted as a decision, not as accepted.
	InvalidOutcome int64 `json:"invalidOutcome"`
	// InvalidValue: an accepted value that is negative or not a number;
	// counted as accepted with no value.
	InvalidValue int64 `json:"invalidValue"`
}

// Add merges two sets of counters.
func (e Exclusions) Add(o Exclusions) Exclusions {
	return Exclusions{
		MissingQueueWait:        e.MissingQueueWait + o.MissingQueueWait,
		MissingDurations:        e.MissingDurations + o.MissingDurations,
		InvalidDuration:         e.InvalidDuration + o.InvalidDuration,
		InvalidSurveyScore:      e.InvalidSurveyScore + o.InvalidSurveyScore,
		RepeatUnknown:           e.RepeatUnknown + o.RepeatUnknown,
		ConflictingQueueOutcome: e.ConflictingQueueOutcome + o.ConflictingQueueOutcome,
		InvalidOutcome:          e.InvalidOutcome + o.InvalidOutcome,
		InvalidValue:            e.InvalidValue + o.InvalidValue,
	}
}

// Reasons lists the non-zero counters by reason code, for logs and metrics.
func (e Exclusions) Reasons() map[string]int64 {
	all := map[string]int64{
		ReasonMissingQueueWait:        e.MissingQueueWait,
		ReasonMissingDurations:        e.MissingDurations,
		ReasonInvalidDuration:         e.InvalidDuration,
		ReasonInvalidSurveyScore:      e.InvalidSurveyScore,
		ReasonRepeatUnknown:           e.RepeatUnknown,
		ReasonConflictingQueueOutcome: e.ConflictingQueueOutcome,
		ReasonInvalidOutcome:          e.InvalidOutcome,
		ReasonInvalidValue:            e.InvalidValue,
	}
	for k, v := range all {
		if v == 0 {
			delete(all, k)
		}
	}
	return all
}

// Moments for confidence intervals. Each is the additive (n, Σx, Σx²) of one
// per-contact quantity, so treated and holdout aggregates can be compared
// with Welch's interval.

// HandleTimeMoments is handle time per timed handled contact, in seconds.
func (a Aggregate) HandleTimeMoments() stats.Moments {
	return stats.Moments{N: a.HandledTimed, Sum: msToS(a.TalkMs + a.HoldMs + a.AfterContactWorkMs), SumSquares: a.HandleTimeSquares}
}

// QueueWaitMoments is queue wait per timed answered contact, in seconds.
func (a Aggregate) QueueWaitMoments() stats.Moments {
	return stats.Moments{N: a.AnsweredTimed, Sum: msToS(a.QueueWaitMs), SumSquares: a.QueueWaitSquares}
}

// SurveyScoreMoments is the 1–5 score per survey answer.
func (a Aggregate) SurveyScoreMoments() stats.Moments {
	return stats.Moments{N: a.SurveyAnswers, Sum: float64(a.SurveyScoreSum), SumSquares: float64(a.SurveyScoreSquareSum)}
}

// RevenueMoments is accepted value per contact with a decision (zero for
// contacts that did not accept).
func (a Aggregate) RevenueMoments() stats.Moments {
	return stats.Moments{N: a.Decisions, Sum: a.AcceptedValue, SumSquares: a.AcceptedValueSquares}
}

func msToS(ms int64) float64 { return float64(ms) / 1000 }
