package kpi

import (
	"github.com/conduit-cx/conduit/shared/stats"
)

// Value is a metric computed from an aggregate.
type Value struct {
	// Value is in the metric's unit (seconds, ratio 0–1, currency, count).
	Value float64 `json:"value"`
	// Count is the sample size: the denominator of a rate or mean, or the
	// count itself for a volume.
	Count int64 `json:"count"`
	// OK is false when there is nothing to compute from (a zero
	// denominator, or mixed service-level thresholds); Value is then 0 and
	// means nothing.
	OK bool `json:"ok"`
}

func count(n int64) Value { return Value{Value: float64(n), Count: n, OK: true} }

func ratio(num, den int64) Value {
	if den <= 0 {
		return Value{}
	}
	return Value{Value: float64(num) / float64(den), Count: den, OK: true}
}

func mean(sum float64, n int64) Value {
	if n <= 0 {
		return Value{}
	}
	return Value{Value: sum / float64(n), Count: n, OK: true}
}

// ContactsOffered is the number of contacts that reached a queue.
func ContactsOffered(a Aggregate) Value { return count(a.Offered) }

// Answered is the number of queued contacts an agent answered.
func Answered(a Aggregate) Value { return count(a.Answered) }

// Abandoned is the number of queued contacts abandoned before an answer.
func Abandoned(a Aggregate) Value { return count(a.Abandoned) }

// Handled is the number of contacts an agent handled.
func Handled(a Aggregate) Value { return count(a.Handled) }

// Decisions is the number of contacts with a decision.
func Decisions(a Aggregate) Value { return count(a.Decisions) }

// ASA is the mean queue wait of answered contacts, in seconds. Answered
// contacts with no known wait are excluded (Excluded.MissingQueueWait).
func ASA(a Aggregate) Value { return mean(msToS(a.QueueWaitMs), a.AnsweredTimed) }

// ServiceLevel is answered within T ÷ (answered + abandoned after T), over
// contacts with a known wait. Not OK when the aggregate mixes thresholds.
func ServiceLevel(a Aggregate) Value {
	if a.ServiceLevelThresholdMs == MixedThreshold {
		return Value{}
	}
	return ratio(a.AnsweredWithin, a.AnsweredTimed+a.AbandonedAfter)
}

// AbandonRate is abandoned in queue ÷ contacts offered.
func AbandonRate(a Aggregate) Value { return ratio(a.Abandoned, a.Offered) }

// AHT is (talk + hold + after-contact work) ÷ handled contacts with known
// durations, in seconds.
func AHT(a Aggregate) Value {
	return mean(msToS(a.TalkMs+a.HoldMs+a.AfterContactWorkMs), a.HandledTimed)
}

// FCR is handled contacts with no repeat within 7 days ÷ handled contacts
// whose 7-day window has closed.
func FCR(a Aggregate) Value { return ratio(a.FCRResolved, a.FCRContacts) }

// CSAT is survey answers of 4–5 ÷ survey answers.
func CSAT(a Aggregate) Value { return ratio(a.SurveySatisfied, a.SurveyAnswers) }

// CSATScore is the mean survey score (1–5).
func CSATScore(a Aggregate) Value { return mean(float64(a.SurveyScoreSum), a.SurveyAnswers) }

// OfferRate is decisions that showed an offer ÷ contacts with a decision.
func OfferRate(a Aggregate) Value { return ratio(a.OffersShown, a.Decisions) }

// Acceptance is accepted offers ÷ offers shown.
func Acceptance(a Aggregate) Value { return ratio(a.AcceptedOfShown, a.OffersShown) }

// Conversion is accepted (offered or not) ÷ contacts with a decision.
func Conversion(a Aggregate) Value { return ratio(a.Accepted, a.Decisions) }

// RevenuePerContact is accepted value ÷ contacts with a decision.
func RevenuePerContact(a Aggregate) Value { return mean(a.AcceptedValue, a.Decisions) }

// Lift compares conversion of a treated group with its holdout: relative
// lift (treated − holdout) ÷ holdout with a log-ratio interval, the
// difference with Newcombe's interval, and a verdict ("significant", "not
// significant", "insufficient data").
//
// Conversion rather than acceptance is compared because holdout contacts are
// never shown the offer: an accepted outcome in the holdout means the
// customer took the product without being offered it.
func Lift(treated, holdout Aggregate, o stats.Options) stats.ProportionComparison {
	return stats.CompareProportions(
		stats.Count{Successes: treated.Accepted, Trials: treated.Decisions},
		stats.Count{Successes: holdout.Accepted, Trials: holdout.Decisions}, o)
}

// LiftValue is the lift as a catalog Value (for KPI points): the relative
// lift, with the smaller arm as sample size. Not OK when the lift is
// undefined (no holdout conversions).
func LiftValue(treated, holdout Aggregate, o stats.Options) Value {
	c := Lift(treated, holdout, o)
	if !c.LiftDefined {
		return Value{}
	}
	return Value{Value: c.Lift, Count: min(treated.Decisions, holdout.Decisions), OK: true}
}

// Impact is what a campaign or offer did to sales and to service: each
// figure compared between the treated group and its holdout.
type Impact struct {
	// Conversion (accepted ÷ contacts with a decision): the lift headline.
	Conversion stats.ProportionComparison `json:"conversion"`
	// RevenuePerContact in the offers' currency.
	RevenuePerContact stats.MeanComparison `json:"revenuePerContact"`
	// AHT in seconds: did offers lengthen calls?
	AHT stats.MeanComparison `json:"aht"`
	// FCR and CSAT: did offers hurt resolution or satisfaction?
	FCR  stats.ProportionComparison `json:"fcr"`
	CSAT stats.ProportionComparison `json:"csat"`
}

// CompareGroups compares a treated aggregate with its holdout on every
// figure of Impact.
func CompareGroups(treated, holdout Aggregate, o stats.Options) Impact {
	return Impact{
		Conversion:        Lift(treated, holdout, o),
		RevenuePerContact: stats.CompareMeans(treated.RevenueMoments(), holdout.RevenueMoments(), o),
		AHT:               stats.CompareMeans(treated.HandleTimeMoments(), holdout.HandleTimeMoments(), o),
		FCR: stats.CompareProportions(
			stats.Count{Successes: treated.FCRResolved, Trials: treated.FCRContacts},
			stats.Count{Successes: holdout.FCRResolved, Trials: holdout.FCRContacts}, o),
		CSAT: stats.CompareProportions(
			stats.Count{Successes: treated.SurveySatisfied, Trials: treated.SurveyAnswers},
			stats.Count{Successes: holdout.SurveySatisfied, Trials: holdout.SurveyAnswers}, o),
	}
}
