package stats

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol || math.IsNaN(got) != math.IsNaN(want) {
		t.Errorf("%s = %.10g, want %.10g (±%g)", what, got, want, tol)
	}
}

// Wichura prints a "hash sum" under each block of AS 241: the sum of the
// mantissas of its coefficients (the denominator's leading 1 left out).
// A single mistyped digit changes it.
func TestNormalQuantileCoefficientsMatchPublishedHashSums(t *testing.T) {
	mantissa := func(x float64) float64 { return x / math.Pow(10, math.Floor(math.Log10(x))) }
	hash := func(num, den *[8]float64) float64 {
		s := 0.0
		for i := range 8 {
			s += mantissa(num[i])
			if i > 0 {
				s += mantissa(den[i])
			}
		}
		return s
	}
	near(t, "hash A,B", hash(&as241A, &as241B), 55.8831928806149014439, 1e-12)
	near(t, "hash C,D", hash(&as241C, &as241D), 49.33206503301610289036, 1e-12)
	near(t, "hash E,F", hash(&as241E, &as241F), 47.52583317549289671629, 1e-12)
}

func TestNormalQuantileTableValues(t *testing.T) {
	cases := []struct{ p, z float64 }{
		{0.5, 0},
		{0.9, 1.2815515655446004},
		{0.95, 1.6448536269514722},
		{0.975, 1.959963984540054},
		{0.995, 2.5758293035489004},
		{0.999, 3.090232306167813},
		{0.025, -1.959963984540054},
	}
	for _, c := range cases {
		near(t, "NormalQuantile", NormalQuantile(c.p), c.z, 1e-13)
	}
	if !math.IsInf(NormalQuantile(0), -1) || !math.IsInf(NormalQuantile(1), 1) || !math.IsNaN(NormalQuantile(math.NaN())) {
		t.Error("edges: want -Inf at 0, +Inf at 1, NaN at NaN")
	}
}

// The quantile must invert the distribution function across all three
// regions of AS 241, down to the far tail where erfinv loses precision.
func TestNormalQuantileInvertsCDF(t *testing.T) {
	for _, p := range []float64{1e-300, 1e-100, 1e-20, 1e-10, 1e-5, 0.001, 0.02, 0.07, 0.074, 0.0751, 0.2, 0.4, 0.5} {
		z := NormalQuantile(p)
		got := NormalCDF(z)
		if math.Abs(got-p)/p > 1e-12 {
			t.Errorf("NormalCDF(NormalQuantile(%g)) = %g (rel err %.2g)", p, got, math.Abs(got-p)/p)
		}
		// 1−p is rounded; compare against the exact complement of that rounding.
		if q := 1 - p; q < 1 {
			if zz, zc := NormalQuantile(q), NormalQuantile(1-q); math.Abs(zz+zc) > 1e-12*math.Max(1, math.Abs(zc)) {
				t.Errorf("symmetry at %g: %g vs %g", q, zz, -zc)
			}
		}
	}
	// In the central region it agrees with the standard library's erfinv.
	for p := 0.1; p < 0.9; p += 0.01 {
		near(t, "vs erfinv", NormalQuantile(p), math.Sqrt2*math.Erfinv(2*p-1), 1e-14)
	}
}

func TestStudentT(t *testing.T) {
	// Closed forms: df = 1 is the Cauchy distribution, df = 2 has
	// F(t) = 1/2 + t / (2·sqrt(2 + t²)).
	for _, x := range []float64{-30, -3, -0.5, 0, 0.25, 1, 4, 100} {
		near(t, "t1 CDF", StudentTCDF(x, 1), 0.5+math.Atan(x)/math.Pi, 1e-13)
		near(t, "t2 CDF", StudentTCDF(x, 2), 0.5+x/(2*math.Sqrt(2+x*x)), 1e-13)
	}
	// Two-sided 95 % and 99 % critical values as printed in t tables.
	cases := []struct{ p, df, want float64 }{
		{0.975, 1, 12.706}, {0.975, 2, 4.303}, {0.975, 5, 2.571}, {0.975, 10, 2.228},
		{0.975, 29, 2.045}, {0.975, 30, 2.042}, {0.975, 120, 1.980}, {0.995, 5, 4.032}, {0.995, 20, 2.845},
	}
	for _, c := range cases {
		got := StudentTQuantile(c.p, c.df)
		near(t, "t quantile", got, c.want, 5e-4)
		near(t, "t round trip", StudentTCDF(got, c.df), c.p, 1e-12)
		near(t, "t symmetry", StudentTQuantile(1-c.p, c.df), -got, 1e-9)
	}
	near(t, "fractional df round trip", StudentTCDF(StudentTQuantile(0.975, 17.776), 17.776), 0.975, 1e-12)
	near(t, "huge df is normal", StudentTQuantile(0.975, 1e9), 1.959963984540054, 1e-12)
}

// Newcombe, "Two-sided confidence intervals for the single proportion:
// comparison of seven methods", Statist. Med. 17:857–872 (1998), Table II,
// method 3 (score interval without continuity correction).
func TestWilsonNewcombe1998Examples(t *testing.T) {
	cases := []struct {
		k, n   int64
		lo, hi float64
	}{
		{81, 263, 0.2553, 0.3662},
		{15, 148, 0.0624, 0.1605},
		{0, 20, 0, 0.1611},
		{1, 29, 0.0061, 0.1718},
	}
	for _, c := range cases {
		iv := Wilson(c.k, c.n, 0.95)
		near(t, "Wilson lower", iv.Lower, c.lo, 5e-5)
		near(t, "Wilson upper", iv.Upper, c.hi, 5e-5)
	}
	if iv := Wilson(0, 0, 0.95); iv != (Interval{0, 1}) {
		t.Errorf("no trials: %v, want [0,1]", iv)
	}
	if iv := Wilson(5, 4, 0.95); !math.IsNaN(iv.Lower) {
		t.Errorf("impossible counts: %v, want NaN", iv)
	}
	if iv := Wilson(7, 7, 0.95); iv.Upper != 1 {
		t.Errorf("all successes: upper %v, want exactly 1", iv.Upper)
	}
}

// Newcombe, "Interval estimation for the difference between independent
// proportions: comparison of eleven methods", Statist. Med. 17:873–890
// (1998), Table II, method 10 (hybrid score interval), all eight examples.
func TestNewcombeHybridScorePublishedExamples(t *testing.T) {
	cases := []struct {
		k1, n1, k2, n2 int64
		lo, hi         float64
	}{
		{56, 70, 48, 80, 0.0524, 0.3339},
		{9, 10, 3, 10, 0.1705, 0.8090},
		{6, 7, 2, 7, 0.0582, 0.8062},
		{5, 56, 0, 29, -0.0381, 0.1926},
		{0, 10, 0, 20, -0.1611, 0.2775},
		{0, 10, 0, 10, -0.2775, 0.2775},
		{10, 10, 0, 20, 0.6791, 1.0000},
		{10, 10, 0, 10, 0.6075, 1.0000},
	}
	for _, c := range cases {
		iv := Newcombe(c.k1, c.n1, c.k2, c.n2, 0.95)
		near(t, "Newcombe lower", iv.Lower, c.lo, 5e-5)
		near(t, "Newcombe upper", iv.Upper, c.hi, 5e-5)
	}
}

// Hand computation: 60/500 treated vs 40/500 holdout. RR = 1.5,
// se(log RR) = sqrt(1/60 − 1/500 + 1/40 − 1/500) = 0.1940790,
// RR·exp(±1.959964·se) = [1.025394, 2.194278], so lift [0.025394, 1.194278].
func TestRatioLiftHandComputed(t *testing.T) {
	lift, iv, ok := RatioLift(60, 500, 40, 500, 0.95)
	if !ok {
		t.Fatal("lift undefined")
	}
	near(t, "lift", lift, 0.5, 1e-12)
	near(t, "lift lower", iv.Lower, 0.025394, 1e-6)
	near(t, "lift upper", iv.Upper, 1.194278, 1e-6)

	if _, _, ok := RatioLift(3, 100, 0, 100, 0.95); ok {
		t.Error("zero holdout successes: lift must be undefined")
	}
	lift, iv, ok = RatioLift(0, 100, 5, 100, 0.95)
	if !ok || lift != -1 || !(iv.Lower > -1 && iv.Lower < iv.Upper) || math.IsInf(iv.Upper, 0) {
		t.Errorf("zero treated successes: lift %v %v %v, want -1 with a finite interval", lift, iv, ok)
	}
}

func moments(xs ...float64) Moments {
	var m Moments
	for _, x := range xs {
		m.Observe(x)
	}
	return m
}

// R's t.test help page example on Student's sleep data (Welch two-sample):
// t = -1.8608, df = 17.776, 95 % CI -3.3654832 0.2054832.
func TestWelchMatchesRSleepExample(t *testing.T) {
	g1 := moments(0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0)
	g2 := moments(1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4)
	diff, iv, df := Welch(g1, g2, 0.95)
	near(t, "diff", diff, -1.58, 1e-12)
	near(t, "df", df, 17.7764735161785, 1e-9)
	near(t, "lower", iv.Lower, -3.36548323071171, 1e-9)
	near(t, "upper", iv.Upper, 0.20548323071171, 1e-9)

	// Moments are additive: splitting a sample and adding back changes nothing.
	a, b := moments(0.7, -1.6, -0.2), moments(-1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0)
	if got := a.Add(b); math.Abs(got.Variance()-g1.Variance()) > 1e-12 || got.N != g1.N {
		t.Errorf("added moments %+v, want %+v", got, g1)
	}
	if _, iv, df := Welch(moments(5, 5, 5), moments(3, 3), 0.95); iv != (Interval{2, 2}) || !math.IsInf(df, 1) {
		t.Errorf("constant samples: %v df %v, want [2,2] and +Inf", iv, df)
	}
}

func TestCompareProportionsVerdicts(t *testing.T) {
	cases := []struct {
		name             string
		treated, holdout Count
		want             Verdict
		judged           string
	}{
		{"clear lift", Count{150, 1000}, Count{100, 1000}, Significant, "lift"},
		{"no difference", Count{104, 1000}, Count{100, 1000}, NotSignificant, "lift"},
		{"too few in holdout", Count{15, 100}, Count{2, 29}, InsufficientData, "lift"},
		{"zero holdout rate judged on difference", Count{30, 400}, Count{0, 400}, Significant, "difference"},
		{"impossible counts", Count{11, 10}, Count{1, 10}, InvalidData, "difference"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := CompareProportions(c.treated, c.holdout, Options{})
			if got.Verdict != c.want || got.JudgedOn != c.judged {
				t.Errorf("verdict %q on %q, want %q on %q (%+v)", got.Verdict, got.JudgedOn, c.want, c.judged, got)
			}
			if _, err := json.Marshal(got); err != nil {
				t.Errorf("marshal: %v", err)
			}
		})
	}
	if got := CompareProportions(Count{15, 100}, Count{2, 29}, Options{MinSample: 20}); got.Verdict == InsufficientData {
		t.Error("MinSample 20 must accept 29 holdout contacts")
	}
}

func TestCompareMeans(t *testing.T) {
	// Treated handle time 20 s longer with sd 60 s, 400 contacts each.
	treated := Moments{N: 400, Sum: 400 * 320, SumSquares: 400*320*320 + 399*3600}
	holdout := Moments{N: 400, Sum: 400 * 300, SumSquares: 400*300*300 + 399*3600}
	c := CompareMeans(treated, holdout, Options{})
	near(t, "sd", c.Treated.StdDev, 60, 1e-9)
	near(t, "diff", c.Difference, 20, 1e-9)
	// se = sqrt(2·3600/400) = 4.2426; t(0.975, 798) = 1.96293
	near(t, "lower", c.DifferenceInterval.Lower, 20-1.962941*4.242641, 1e-4)
	if c.Verdict != Significant || !c.LiftDefined {
		t.Errorf("verdict %q lift %v", c.Verdict, c.LiftDefined)
	}
	small := CompareMeans(moments(1, 2, 3), moments(1, 2), Options{})
	if small.Verdict != InsufficientData {
		t.Errorf("small samples: %q", small.Verdict)
	}
	b, err := json.Marshal(CompareMeans(Moments{}, Moments{}, Options{}))
	if err != nil || !strings.Contains(string(b), `"mean":null`) {
		t.Errorf("empty arms must marshal with nulls: %s %v", b, err)
	}
}

func binomial(r *rand.Rand, n int, p float64) int64 {
	var k int64
	for range n {
		if r.Float64() < p {
			k++
		}
	}
	return k
}

// With no true effect, a 95 % interval must hold zero in about 95 % of
// campaigns. Over 2,000 simulated campaigns the share covering zero has a
// standard error of sqrt(0.95·0.05/2000) = 0.49 points, so 93–97 % is a
// band of about ±4 standard errors: a correct method fails it with
// probability well under 1e-4, while a method with 90 % or 99 % true coverage
// fails it almost surely. The seed is fixed, so the run is reproducible.
func TestLiftIntervalCoverageWithNoTrueEffect(t *testing.T) {
	const campaigns, perArm, rate = 2000, 1000, 0.10
	r := rand.New(rand.NewPCG(7, 2026))
	var liftHolds, diffHolds, undefined int
	for range campaigns {
		treated := Count{binomial(r, perArm, rate), perArm}
		holdout := Count{binomial(r, perArm, rate), perArm}
		c := CompareProportions(treated, holdout, Options{})
		if !c.LiftDefined {
			undefined++
			continue
		}
		if c.LiftInterval.ContainsZero() {
			liftHolds++
		}
		if c.DifferenceInterval.ContainsZero() {
			diffHolds++
		}
	}
	liftCover := float64(liftHolds) / float64(campaigns-undefined)
	diffCover := float64(diffHolds) / float64(campaigns-undefined)
	t.Logf("lift interval holds zero in %.2f %% of %d campaigns; difference interval %.2f %%", 100*liftCover, campaigns, 100*diffCover)
	for name, cover := range map[string]float64{"lift": liftCover, "difference": diffCover} {
		if cover < 0.93 || cover > 0.97 {
			t.Errorf("%s interval coverage %.4f outside [0.93, 0.97]", name, cover)
		}
	}
}

// The same check for Welch's interval on skewed handle times (exponential,
// mean 300 s), 200 contacts per arm.
func TestWelchCoverageWithNoTrueEffect(t *testing.T) {
	const campaigns, perArm = 2000, 200
	r := rand.New(rand.NewPCG(11, 2026))
	holds := 0
	for range campaigns {
		var a, b Moments
		for range perArm {
			a.Observe(300 * r.ExpFloat64())
			b.Observe(300 * r.ExpFloat64())
		}
		if _, iv, _ := Welch(a, b, 0.95); iv.ContainsZero() {
			holds++
		}
	}
	cover := float64(holds) / campaigns
	t.Logf("Welch interval holds zero in %.2f %% of %d campaigns", 100*cover, campaigns)
	if cover < 0.93 || cover > 0.97 {
		t.Errorf("coverage %.4f outside [0.93, 0.97]", cover)
	}
}

func BenchmarkCompareProportions(b *testing.B) {
	for b.Loop() {
		CompareProportions(Count{150, 1000}, Count{100, 1000}, Options{})
	}
}

func BenchmarkCompareMeans(b *testing.B) {
	t := Moments{N: 400, Sum: 128000, SumSquares: 4.1e7}
	h := Moments{N: 380, Sum: 114000, SumSquares: 3.55e7}
	for b.Loop() {
		CompareMeans(t, h, Options{})
	}
}
