package stats

import "math"

// Defaults of Options.
const (
	DefaultLevel     = 0.95
	DefaultMinSample = 30
)

// Options set how a treated group is compared with its holdout.
type Options struct {
	// Level is the confidence level of every interval; 0 means 0.95.
	Level float64
	// MinSample is the smallest sample per arm worth judging (contacts with
	// a decision, handled contacts, survey answers...); below it the verdict
	// is "insufficient data". 0 means 30.
	MinSample int64
}

func (o Options) withDefaults() Options {
	if !(o.Level > 0 && o.Level < 1) {
		o.Level = DefaultLevel
	}
	if o.MinSample <= 0 {
		o.MinSample = DefaultMinSample
	}
	return o
}

// Verdict is the plain-language reading of a comparison.
type Verdict string

// Verdicts, as the API and the report print them.
const (
	// Significant: the interval excludes zero.
	Significant Verdict = "significant"
	// NotSignificant: the interval holds zero; no effect is still plausible.
	NotSignificant Verdict = "not significant"
	// InsufficientData: an arm is below the minimum sample.
	InsufficientData Verdict = "insufficient data"
	// InvalidData: counts that cannot occur (more successes than trials,
	// negative counts). Seen only when stored aggregates are damaged.
	InvalidData Verdict = "invalid data"
)

// Method names reported with each comparison, so a reader knows how the
// interval was made.
const (
	MethodProportions = "difference: Newcombe hybrid score (Wilson) interval; lift: delta method on the log ratio (Katz)"
	MethodMeans       = "difference: Welch t interval (Welch–Satterthwaite df); lift: delta method on the log ratio of means"
)

// Count is the successes out of trials of one arm.
type Count struct {
	Successes int64 `json:"successes"`
	Trials    int64 `json:"trials"`
}

// Rate is one arm's proportion with its Wilson interval.
type Rate struct {
	Successes int64    `json:"successes"`
	Trials    int64    `json:"trials"`
	Value     float64  `json:"value"`
	Interval  Interval `json:"interval"`
}

// ProportionComparison compares a rate (conversion, FCR, CSAT...) between a
// treated group and its holdout.
type ProportionComparison struct {
	Treated Rate `json:"treated"`
	Holdout Rate `json:"holdout"`
	// Difference is treated − holdout, in rate points, with Newcombe's interval.
	Difference         float64  `json:"difference"`
	DifferenceInterval Interval `json:"differenceInterval"`
	// Lift is (treated − holdout) ÷ holdout with its log-ratio interval;
	// LiftDefined is false when the holdout rate is zero.
	Lift         float64  `json:"lift"`
	LiftInterval Interval `json:"liftInterval"`
	LiftDefined  bool     `json:"liftDefined"`
	Level        float64  `json:"level"`
	Verdict      Verdict  `json:"verdict"`
	// JudgedOn names the interval the verdict was read from: "lift", or
	// "difference" when the lift is undefined.
	JudgedOn string `json:"judgedOn"`
	Method   string `json:"method"`
}

// CompareProportions compares treated against holdout. The verdict is read
// from the lift interval (the headline figure), or from the difference
// interval when the lift is undefined; both test the same "no effect" and
// agree except at the edge of significance.
func CompareProportions(treated, holdout Count, o Options) ProportionComparison {
	o = o.withDefaults()
	c := ProportionComparison{
		Treated: rate(treated, o.Level),
		Holdout: rate(holdout, o.Level),
		Level:   o.Level,
		Method:  MethodProportions,
	}
	if !validCount(treated.Successes, treated.Trials) || !validCount(holdout.Successes, holdout.Trials) {
		c.Difference, c.DifferenceInterval = math.NaN(), nanInterval()
		c.Lift, c.LiftInterval = math.NaN(), nanInterval()
		c.Verdict, c.JudgedOn = InvalidData, "difference"
		return c
	}
	c.Difference = c.Treated.Value - c.Holdout.Value
	c.DifferenceInterval = Newcombe(treated.Successes, treated.Trials, holdout.Successes, holdout.Trials, o.Level)
	c.Lift, c.LiftInterval, c.LiftDefined = RatioLift(treated.Successes, treated.Trials, holdout.Successes, holdout.Trials, o.Level)
	judged := c.DifferenceInterval
	c.JudgedOn = "difference"
	if c.LiftDefined {
		judged, c.JudgedOn = c.LiftInterval, "lift"
	}
	switch {
	case treated.Trials < o.MinSample || holdout.Trials < o.MinSample:
		c.Verdict = InsufficientData
	case judged.ContainsZero():
		c.Verdict = NotSignificant
	default:
		c.Verdict = Significant
	}
	return c
}

func rate(c Count, level float64) Rate {
	r := Rate{Successes: c.Successes, Trials: c.Trials, Value: math.NaN(), Interval: Wilson(c.Successes, c.Trials, level)}
	if c.Trials > 0 && validCount(c.Successes, c.Trials) {
		r.Value = float64(c.Successes) / float64(c.Trials)
	}
	return r
}

// MeanSummary is one arm's mean with its t interval.
type MeanSummary struct {
	N        int64    `json:"n"`
	Mean     float64  `json:"mean"`
	StdDev   float64  `json:"stdDev"`
	Interval Interval `json:"interval"`
}

// MeanComparison compares a mean (AHT, revenue per contact, survey score...)
// between a treated group and its holdout.
type MeanComparison struct {
	Treated MeanSummary `json:"treated"`
	Holdout MeanSummary `json:"holdout"`
	// Difference is treated − holdout in the metric's unit (seconds for
	// AHT), with Welch's interval and degrees of freedom.
	Difference         float64  `json:"difference"`
	DifferenceInterval Interval `json:"differenceInterval"`
	DegreesOfFreedom   float64  `json:"degreesOfFreedom"`
	// Lift is (treated − holdout) ÷ holdout; LiftDefined is false unless
	// both means are positive.
	Lift         float64  `json:"lift"`
	LiftInterval Interval `json:"liftInterval"`
	LiftDefined  bool     `json:"liftDefined"`
	Level        float64  `json:"level"`
	Verdict      Verdict  `json:"verdict"`
	// JudgedOn is always "difference": for handle time and satisfaction the
	// difference in seconds or points is the figure people act on.
	JudgedOn string `json:"judgedOn"`
	Method   string `json:"method"`
}

// CompareMeans compares treated against holdout from their additive moments.
// The verdict is read from Welch's difference interval.
func CompareMeans(treated, holdout Moments, o Options) MeanComparison {
	o = o.withDefaults()
	c := MeanComparison{
		Treated:  summary(treated, o.Level),
		Holdout:  summary(holdout, o.Level),
		Level:    o.Level,
		JudgedOn: "difference",
		Method:   MethodMeans,
	}
	if !validMoments(treated) || !validMoments(holdout) {
		c.Difference, c.DifferenceInterval, c.DegreesOfFreedom = math.NaN(), nanInterval(), math.NaN()
		c.Lift, c.LiftInterval = math.NaN(), nanInterval()
		c.Verdict = InvalidData
		return c
	}
	c.Difference, c.DifferenceInterval, c.DegreesOfFreedom = Welch(treated, holdout, o.Level)
	c.Lift, c.LiftInterval, c.LiftDefined = MeanRatioLift(treated, holdout, o.Level)
	switch {
	case treated.N < o.MinSample || holdout.N < o.MinSample:
		c.Verdict = InsufficientData
	case c.DifferenceInterval.ContainsZero():
		c.Verdict = NotSignificant
	default:
		c.Verdict = Significant
	}
	return c
}

func validMoments(m Moments) bool {
	return m.N >= 0 && m.SumSquares >= 0 && !math.IsNaN(m.Sum) && !math.IsInf(m.Sum, 0) && !math.IsInf(m.SumSquares, 0)
}

func summary(m Moments, level float64) MeanSummary {
	return MeanSummary{N: m.N, Mean: m.Mean(), StdDev: m.StdDev(), Interval: MeanInterval(m, level)}
}
