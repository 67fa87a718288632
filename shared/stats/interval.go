package stats

import "math"

// Interval is a two-sided confidence interval.
type Interval struct {
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper"`
}

// Contains reports whether x lies inside the interval, bounds included.
func (i Interval) Contains(x float64) bool { return i.Lower <= x && x <= i.Upper }

// ContainsZero reports whether the interval holds zero: "no effect" is
// still plausible, so the result is not significant.
func (i Interval) ContainsZero() bool { return i.Contains(0) }

func nanInterval() Interval { return Interval{math.NaN(), math.NaN()} }

func validCount(successes, trials int64) bool {
	return trials >= 0 && successes >= 0 && successes <= trials
}

// Wilson is the Wilson score interval for a proportion of successes out of
// trials at the given confidence level (Wilson 1927; method 3 of Newcombe,
// Statist. Med. 17:857–872, 1998). Unlike the textbook p ± z·se it never
// leaves [0, 1] and keeps its coverage near 0 and 1.
//
// No trials gives [0, 1] (nothing is known); counts that cannot be (negative,
// or more successes than trials) give NaN bounds.
func Wilson(successes, trials int64, level float64) Interval {
	if !validCount(successes, trials) {
		return nanInterval()
	}
	if trials == 0 {
		return Interval{0, 1}
	}
	z := TwoSidedZ(level)
	n := float64(trials)
	p := float64(successes) / n
	z2 := z * z
	den := 1 + z2/n
	centre := (p + z2/(2*n)) / den
	half := z * math.Sqrt(p*(1-p)/n+z2/(4*n*n)) / den
	lo, hi := centre-half, centre+half
	// At 0 and n successes the exact bound is 0 (or 1); rounding must not
	// move it.
	if successes == 0 {
		lo = 0
	}
	if successes == trials {
		hi = 1
	}
	return Interval{math.Max(0, lo), math.Min(1, hi)}
}

// Newcombe is the hybrid score interval for the difference of two
// independent proportions p1 − p2 (method 10 of Newcombe, "Interval
// estimation for the difference between independent proportions: comparison
// of eleven methods", Statist. Med. 17:873–890, 1998). It combines the two
// Wilson intervals, so it needs no iteration and stays inside [−1, 1].
func Newcombe(successes1, trials1, successes2, trials2 int64, level float64) Interval {
	if !validCount(successes1, trials1) || !validCount(successes2, trials2) {
		return nanInterval()
	}
	if trials1 == 0 || trials2 == 0 {
		return Interval{-1, 1}
	}
	p1 := float64(successes1) / float64(trials1)
	p2 := float64(successes2) / float64(trials2)
	w1 := Wilson(successes1, trials1, level)
	w2 := Wilson(successes2, trials2, level)
	d := p1 - p2
	lo := d - math.Sqrt(sq(p1-w1.Lower)+sq(w2.Upper-p2))
	hi := d + math.Sqrt(sq(w1.Upper-p1)+sq(p2-w2.Lower))
	return Interval{math.Max(-1, lo), math.Min(1, hi)}
}

// RatioLift is the relative lift p1/p2 − 1 of a treated proportion p1 over
// a holdout proportion p2, with its interval by the delta method on the log
// of the ratio (the Katz log interval for a risk ratio):
//
//	se(log RR) = sqrt(1/x1 − 1/n1 + 1/x2 − 1/n2),  RR · exp(±z·se) − 1.
//
// When the treated arm has no successes, 0.5 is added to each success count
// and 1 to each trial count for the interval only (Haldane–Anscombe), so it
// stays finite; the lift itself is then −100 %. ok is false when the lift itself is undefined: no holdout
// successes (division by zero) or an empty arm.
func RatioLift(successes1, trials1, successes2, trials2 int64, level float64) (lift float64, iv Interval, ok bool) {
	if !validCount(successes1, trials1) || !validCount(successes2, trials2) ||
		trials1 == 0 || trials2 == 0 || successes2 == 0 {
		return math.NaN(), nanInterval(), false
	}
	p1 := float64(successes1) / float64(trials1)
	p2 := float64(successes2) / float64(trials2)
	lift = p1/p2 - 1
	x1, n1 := float64(successes1), float64(trials1)
	x2, n2 := float64(successes2), float64(trials2)
	if successes1 == 0 {
		x1, n1, x2, n2 = x1+0.5, n1+1, x2+0.5, n2+1
	}
	logRR := math.Log((x1 / n1) / (x2 / n2))
	se := math.Sqrt(1/x1 - 1/n1 + 1/x2 - 1/n2)
	z := TwoSidedZ(level)
	return lift, Interval{math.Exp(logRR-z*se) - 1, math.Exp(logRR+z*se) - 1}, true
}

// Moments are the additive sums of one sample: count, sum and sum of
// squares. Aggregates keep these per bucket so means, variances and Welch
// intervals can be computed after adding buckets together.
type Moments struct {
	N          int64   `json:"n"`
	Sum        float64 `json:"sum"`
	SumSquares float64 `json:"sumSquares"`
}

// Observe adds one observation.
func (m *Moments) Observe(x float64) {
	m.N++
	m.Sum += x
	m.SumSquares += x * x
}

// Add merges another sample.
func (m Moments) Add(o Moments) Moments {
	return Moments{m.N + o.N, m.Sum + o.Sum, m.SumSquares + o.SumSquares}
}

// Mean is the sample mean (NaN when empty).
func (m Moments) Mean() float64 {
	if m.N == 0 {
		return math.NaN()
	}
	return m.Sum / float64(m.N)
}

// Variance is the unbiased sample variance (n − 1 denominator); NaN below
// two observations. Rounding can make Σx² − (Σx)²/n a hair negative for a
// constant sample, so it is floored at zero.
func (m Moments) Variance() float64 {
	if m.N < 2 {
		return math.NaN()
	}
	n := float64(m.N)
	return math.Max(0, (m.SumSquares-m.Sum*m.Sum/n)/(n-1))
}

// StdDev is the sample standard deviation.
func (m Moments) StdDev() float64 { return math.Sqrt(m.Variance()) }

// MeanInterval is the t interval for the mean of one sample.
func MeanInterval(m Moments, level float64) Interval {
	if m.N < 2 {
		return nanInterval()
	}
	half := StudentTQuantile(1-(1-level)/2, float64(m.N-1)) * math.Sqrt(m.Variance()/float64(m.N))
	mean := m.Mean()
	return Interval{mean - half, mean + half}
}

// Welch is the interval for the difference of means mean1 − mean2 of two
// independent samples with unequal variances, with the Welch–Satterthwaite
// degrees of freedom:
//
//	se = sqrt(v1/n1 + v2/n2),  df = se⁴ / ((v1/n1)²/(n1−1) + (v2/n2)²/(n2−1)).
//
// Each sample needs at least two observations. When both samples are
// constant the interval collapses to the observed difference (df is +Inf).
func Welch(a, b Moments, level float64) (diff float64, iv Interval, df float64) {
	if a.N < 2 || b.N < 2 {
		return math.NaN(), nanInterval(), math.NaN()
	}
	va, vb := a.Variance()/float64(a.N), b.Variance()/float64(b.N)
	diff = a.Mean() - b.Mean()
	se2 := va + vb
	if se2 == 0 {
		return diff, Interval{diff, diff}, math.Inf(1)
	}
	df = se2 * se2 / (va*va/float64(a.N-1) + vb*vb/float64(b.N-1))
	half := StudentTQuantile(1-(1-level)/2, df) * math.Sqrt(se2)
	return diff, Interval{diff - half, diff + half}, df
}

// MeanRatioLift is the relative change mean1/mean2 − 1 with an interval by
// the delta method on the log ratio of means:
//
//	se(log R) = sqrt(v1/(n1·m1²) + v2/(n2·m2²)),  R · exp(±z·se) − 1.
//
// ok is false when either mean is not positive (a log ratio needs both) or a
// sample has fewer than two observations.
func MeanRatioLift(a, b Moments, level float64) (lift float64, iv Interval, ok bool) {
	if a.N < 2 || b.N < 2 {
		return math.NaN(), nanInterval(), false
	}
	ma, mb := a.Mean(), b.Mean()
	if !(ma > 0) || !(mb > 0) {
		return math.NaN(), nanInterval(), false
	}
	r := ma / mb
	se := math.Sqrt(a.Variance()/(float64(a.N)*ma*ma) + b.Variance()/(float64(b.N)*mb*mb))
	z := TwoSidedZ(level)
	return r - 1, Interval{r*math.Exp(-z*se) - 1, r*math.Exp(z*se) - 1}, true
}

func sq(x float64) float64 { return x * x }
