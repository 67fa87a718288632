package stats

import "math"

// StudentTCDF is P(T ≤ t) for Student's t distribution with df degrees of
// freedom (df may be fractional, as Welch's df is). It goes through the
// regularized incomplete beta function: P(|T| > |t|) = I_{df/(df+t²)}(df/2, 1/2).
func StudentTCDF(t, df float64) float64 {
	if math.IsNaN(t) || math.IsNaN(df) || df <= 0 {
		return math.NaN()
	}
	if math.IsInf(df, 1) {
		return NormalCDF(t)
	}
	tail := 0.5 * regIncBeta(df/2, 0.5, df/(df+t*t))
	if t > 0 {
		return 1 - tail
	}
	return tail
}

// StudentTQuantile is the t with P(T ≤ t) = p for df degrees of freedom.
// It starts from the Cornish–Fisher expansion around the normal quantile
// and polishes with Newton steps kept inside a bracket (bisection when a
// step would leave it), so it converges for every df > 0 including the
// heavy-tailed df = 1.
func StudentTQuantile(p, df float64) float64 {
	switch {
	case math.IsNaN(p) || math.IsNaN(df) || df <= 0:
		return math.NaN()
	case p <= 0:
		return math.Inf(-1)
	case p >= 1:
		return math.Inf(1)
	case p == 0.5:
		return 0
	case math.IsInf(df, 1) || df > 1e7:
		return NormalQuantile(p)
	case p < 0.5:
		return -StudentTQuantile(1-p, df)
	}
	z := NormalQuantile(p)
	z3, z5 := z*z*z, z*z*z*z*z
	t := z + (z3+z)/(4*df) + (5*z5+16*z3+3*z)/(96*df*df)
	lo, hi := 0.0, math.Max(2*t, 1)
	for StudentTCDF(hi, df) < p {
		lo, hi = hi, hi*2
	}
	if t <= lo || t >= hi {
		t = (lo + hi) / 2
	}
	logNorm := lgamma((df+1)/2) - lgamma(df/2) - 0.5*math.Log(df*math.Pi)
	for range 200 {
		f := StudentTCDF(t, df) - p
		if f < 0 {
			lo = t
		} else {
			hi = t
		}
		pdf := math.Exp(logNorm - (df+1)/2*math.Log1p(t*t/df))
		next := t - f/pdf
		if !(next > lo && next < hi) {
			next = (lo + hi) / 2
		}
		if math.Abs(next-t) <= 1e-14*math.Max(1, math.Abs(t)) {
			return next
		}
		t = next
	}
	return t
}

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// regIncBeta is the regularized incomplete beta function I_x(a, b), by the
// continued fraction of Numerical Recipes §6.4 (modified Lentz), using the
// symmetry I_x(a,b) = 1 − I_{1−x}(b,a) where the fraction converges slowly.
func regIncBeta(a, b, x float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	front := math.Exp(lgamma(a+b) - lgamma(a) - lgamma(b) + a*math.Log(x) + b*math.Log1p(-x))
	if x < (a+1)/(a+b+2) {
		return front * betaFraction(a, b, x) / a
	}
	return 1 - front*betaFraction(b, a, 1-x)/b
}

func betaFraction(a, b, x float64) float64 {
	const tiny = 1e-300
	qab, qap, qam := a+b, a+1, a-1
	c, d := 1.0, 1-qab*x/qap
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	for m := 1; m <= 300; m++ {
		fm := float64(m)
		m2 := 2 * fm
		aa := fm * (b - fm) * x / ((qam + m2) * (a + m2))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		h *= d * c
		aa = -(a + fm) * (qab + fm) * x / ((a + m2) * (qap + m2))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 1e-15 {
			break
		}
	}
	return h
}
