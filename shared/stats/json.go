package stats

import (
	"encoding/json"
	"math"
)

// JSON cannot carry NaN or infinities, and encoding/json refuses them. An
// undefined figure (a rate of an empty arm, a lift over a zero holdout) is
// written as null instead, so a comparison can always be sent as it is.

func finite(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

type intervalJSON struct {
	Lower *float64 `json:"lower"`
	Upper *float64 `json:"upper"`
}

func (i Interval) json() intervalJSON { return intervalJSON{finite(i.Lower), finite(i.Upper)} }

// MarshalJSON writes undefined bounds as null.
func (i Interval) MarshalJSON() ([]byte, error) { return json.Marshal(i.json()) }

type rateJSON struct {
	Successes int64        `json:"successes"`
	Trials    int64        `json:"trials"`
	Value     *float64     `json:"value"`
	Interval  intervalJSON `json:"interval"`
}

func (r Rate) json() rateJSON {
	return rateJSON{r.Successes, r.Trials, finite(r.Value), r.Interval.json()}
}

// MarshalJSON writes undefined figures as null.
func (r Rate) MarshalJSON() ([]byte, error) { return json.Marshal(r.json()) }

// MarshalJSON writes undefined figures as null.
func (c ProportionComparison) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Treated            rateJSON     `json:"treated"`
		Holdout            rateJSON     `json:"holdout"`
		Difference         *float64     `json:"difference"`
		DifferenceInterval intervalJSON `json:"differenceInterval"`
		Lift               *float64     `json:"lift"`
		LiftInterval       intervalJSON `json:"liftInterval"`
		LiftDefined        bool         `json:"liftDefined"`
		Level              float64      `json:"level"`
		Verdict            Verdict      `json:"verdict"`
		JudgedOn           string       `json:"judgedOn"`
		Method             string       `json:"method"`
	}{
		c.Treated.json(), c.Holdout.json(), finite(c.Difference), c.DifferenceInterval.json(),
		finite(c.Lift), c.LiftInterval.json(), c.LiftDefined, c.Level, c.Verdict, c.JudgedOn, c.Method,
	})
}

type meanSummaryJSON struct {
	N        int64        `json:"n"`
	Mean     *float64     `json:"mean"`
	StdDev   *float64     `json:"stdDev"`
	Interval intervalJSON `json:"interval"`
}

func (m MeanSummary) json() meanSummaryJSON {
	return meanSummaryJSON{m.N, finite(m.Mean), finite(m.StdDev), m.Interval.json()}
}

// MarshalJSON writes undefined figures as null.
func (m MeanSummary) MarshalJSON() ([]byte, error) { return json.Marshal(m.json()) }

// MarshalJSON writes undefined figures as null.
func (c MeanComparison) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Treated            meanSummaryJSON `json:"treated"`
		Holdout            meanSummaryJSON `json:"holdout"`
		Difference         *float64        `json:"difference"`
		DifferenceInterval intervalJSON    `json:"differenceInterval"`
		DegreesOfFreedom   *float64        `json:"degreesOfFreedom"`
		Lift               *float64        `json:"lift"`
		LiftInterval       intervalJSON    `json:"liftInterval"`
		LiftDefined        bool            `json:"liftDefined"`
		Level              float64         `json:"level"`
		Verdict            Verdict         `json:"verdict"`
		JudgedOn           string          `json:"judgedOn"`
		Method             string          `json:"method"`
	}{
		c.Treated.json(), c.Holdout.json(), finite(c.Difference), c.DifferenceInterval.json(),
		finite(c.DegreesOfFreedom), finite(c.Lift), c.LiftInterval.json(), c.LiftDefined,
		c.Level, c.Verdict, c.JudgedOn, c.Method,
	})
}
