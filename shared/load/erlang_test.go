package load

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// erlangCDirect is Erlang C by its textbook sum, in log space so it does
// not overflow: an independent check of the recursion.
func erlangCDirect(a float64, n int) float64 {
	logTerm := func(k int) float64 { lg, _ := math.Lgamma(float64(k) + 1); return float64(k)*math.Log(a) - lg }
	nf := float64(n)
	top := logTerm(n) + math.Log(nf/(nf-a))
	m := top
	for k := 0; k < n; k++ {
		m = math.Max(m, logTerm(k))
	}
	sum := math.Exp(top - m)
	for k := 0; k < n; k++ {
		sum += math.Exp(logTerm(k) - m)
	}
	return math.Exp(top-m) / sum
}

func TestErlangBPublishedValues(t *testing.T) {
	// Westbay's Erlang B calculator manual ("How much traffic can a trunk
	// group handle?", erlang.com): 15 lines at 1 % blocking carry 8.108 E.
	if b := ErlangB(8.108, 15); math.Abs(b-0.01) > 5e-5 {
		t.Errorf("B(8.108 E, 15) = %.5f, want 0.0100", b)
	}
	// Reference values computed with Mathematica, as printed in a public
	// Erlang test suite (Python module capacity_planning.queueing.erlang_queues,
	// natural log of B): above 100 Erlangs, up to 12,000 Erlangs.
	cases := []struct {
		traffic float64
		agents  int
		logB    float64
	}{
		{120, 100, -1.62826407041},
		{12000, 10000, -1.78927734649},
		{20, 100, -84.1661482002},
	}
	for _, c := range cases {
		if got := math.Log(ErlangB(c.traffic, c.agents)); math.Abs(got-c.logB) > 1e-9*math.Abs(c.logB) {
			t.Errorf("ln B(%g E, %d) = %.11f, want %.11f", c.traffic, c.agents, got, c.logB)
		}
	}
	if ErlangB(5, 0) != 1 || ErlangB(0, 5) != 0 {
		t.Error("edges: no agents blocks everything, no traffic blocks nothing")
	}
}

func TestErlangCPublishedValues(t *testing.T) {
	// Mathematica reference values of ln C from the same suite.
	cases := []struct {
		traffic float64
		agents  int
		logC    float64
	}{
		{90, 100, -1.52813224460},
		{9000, 10000, -56.8266885378},
		{10, 100, -143.375505741},
	}
	for _, c := range cases {
		if got := math.Log(ErlangC(c.traffic, c.agents)); math.Abs(got-c.logC) > 1e-9*math.Abs(c.logC) {
			t.Errorf("ln C(%g E, %d) = %.11f, want %.11f", c.traffic, c.agents, got, c.logC)
		}
	}
	// Wait probabilities to four places from a public Python staffing test
	// suite (calc_wait_probability): 123 E on 132 agents, and 12,345 E on
	// 12,421 agents.
	if c := ErlangC(123, 132); math.Abs(c-0.3211) > 5e-5 {
		t.Errorf("C(123, 132) = %.5f, want 0.3211", c)
	}
	if b := ErlangB(123, 132); math.Abs(b-0.0312) > 5e-5 {
		t.Errorf("B(123, 132) = %.5f, want 0.0312", b)
	}
	if c := ErlangC(12345, 12421); math.Abs(c-0.3812) > 5e-5 {
		t.Errorf("C(12345, 12421) = %.5f, want 0.3812", c)
	}
	if ErlangC(50, 50) != 1 || ErlangC(50, 40) != 1 || ErlangC(0, 3) != 0 {
		t.Error("edges: agents ≤ traffic means everyone waits; no traffic means nobody does")
	}
}

// The recursion must agree with the textbook sum everywhere, from a
// fraction of an Erlang to hundreds.
func TestErlangCAgreesWithDirectSum(t *testing.T) {
	for _, a := range []float64{0.5, 2, 10, 48, 100, 250, 500, 800} {
		for _, extra := range []int{1, 2, 5, 10, 30} {
			n := int(math.Floor(a)) + extra
			want := erlangCDirect(a, n)
			if got := ErlangC(a, n); math.Abs(got-want) > 1e-10*math.Max(want, 1e-300) && math.Abs(got-want) > 1e-13 {
				t.Errorf("C(%g, %d) = %.15g, direct sum %.15g", a, n, got, want)
			}
		}
	}
}

// Jones the Net's "Erlang uplift" example: 250 calls in an hour with an
// AHT of 330 s need 28 advisors to answer 80 % within 30 s (22.9 Erlangs).
func TestStaffPublishedExample(t *testing.T) {
	r := StaffingRequest{Contacts: 250, Interval: time.Hour, AHT: 330 * time.Second, ServiceLevel: 0.80, Threshold: 30 * time.Second}
	p, err := Staff(r)
	if err != nil {
		t.Fatal(err)
	}
	if p.Agents != 28 || math.Abs(p.TrafficErlangs-22.9167) > 1e-4 {
		t.Errorf("agents %d traffic %.4f, want 28 and 22.9167", p.Agents, p.TrafficErlangs)
	}
	if math.Abs(p.Occupancy-22.9167/28) > 1e-4 || p.ServiceLevel < 0.80 || p.ASA <= 0 {
		t.Errorf("performance %+v", p)
	}
	one, _ := Evaluate(r, 27)
	if one.ServiceLevel >= 0.80 {
		t.Errorf("27 agents already give %.3f", one.ServiceLevel)
	}
	// The formulas of SL and ASA at 28 agents, from the direct sum.
	c := erlangCDirect(p.TrafficErlangs, 28)
	if math.Abs(p.ServiceLevel-(1-c*math.Exp(-(28-p.TrafficErlangs)*30.0/330))) > 1e-12 || math.Abs(p.ASA-c*330/(28-p.TrafficErlangs)) > 1e-9 {
		t.Errorf("SL/ASA %+v disagree with C = %.6f", p, c)
	}
}

// Staff returns the fewest agents meeting the target, at small and large
// traffic alike.
func TestStaffIsMinimal(t *testing.T) {
	for _, erlangs := range []float64{0.3, 10, 100, 500, 2000} {
		r := StaffingRequest{Contacts: erlangs * 10, Interval: 30 * time.Minute, AHT: 180 * time.Second, ServiceLevel: 0.8, Threshold: 20 * time.Second}
		p, err := Staff(r)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(p.TrafficErlangs-erlangs) > 1e-9 || float64(p.Agents) <= erlangs || p.ServiceLevel < 0.8 {
			t.Errorf("%g E: %+v", erlangs, p)
		}
		if fewer, _ := Evaluate(r, p.Agents-1); fewer.ServiceLevel >= 0.8 {
			t.Errorf("%g E: %d agents suffice, Staff said %d", erlangs, p.Agents-1, p.Agents)
		}
		t.Logf("%6g Erlangs: %d agents, SL %.3f, ASA %.1f s, occupancy %.3f", erlangs, p.Agents, p.ServiceLevel, p.ASA, p.Occupancy)
	}
}

func TestStaffingValidation(t *testing.T) {
	cases := []struct {
		name   string
		r      StaffingRequest
		fields string
	}{
		{"all wrong at once", StaffingRequest{Contacts: 0, Interval: 0, AHT: -time.Second, ServiceLevel: 1, Threshold: -time.Second}, "contacts,interval,aht,sl,t"},
		{"negative volume", StaffingRequest{Contacts: -5, Interval: time.Hour, AHT: time.Minute, ServiceLevel: 0.8}, "contacts"},
		{"SL zero", StaffingRequest{Contacts: 5, Interval: time.Hour, AHT: time.Minute, ServiceLevel: 0}, "sl"},
		{"SL in percent", StaffingRequest{Contacts: 5, Interval: time.Hour, AHT: time.Minute, ServiceLevel: 80}, "sl"},
		{"NaN volume", StaffingRequest{Contacts: math.NaN(), Interval: time.Hour, AHT: time.Minute, ServiceLevel: 0.8}, "contacts"},
		{"absurd traffic", StaffingRequest{Contacts: 1e9, Interval: time.Hour, AHT: time.Hour, ServiceLevel: 0.8}, "contacts"},
		{"T of zero is fine", StaffingRequest{Contacts: 5, Interval: time.Hour, AHT: time.Minute, ServiceLevel: 0.8}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Staff(c.r)
			p, _ := apperr.AsProblems(err)
			var got []string
			for _, pr := range p {
				got = append(got, pr.Field)
			}
			if strings.Join(got, ",") != c.fields {
				t.Errorf("problems %v, want fields %q", err, c.fields)
			}
		})
	}
	capped, err := Staff(StaffingRequest{Contacts: 5000, Interval: 30 * time.Minute, AHT: 180 * time.Second, ServiceLevel: 0.8, Threshold: 20 * time.Second, MaxOccupancy: 0.85})
	if err != nil || capped.Agents != 589 || capped.Occupancy > 0.85 {
		t.Errorf("500 E capped at 85 %% occupancy: %+v %v, want 589 agents", capped, err)
	}
	if _, err := Staff(StaffingRequest{Contacts: 5, Interval: time.Hour, AHT: time.Minute, ServiceLevel: 0.8, MaxOccupancy: 1.2}); err == nil {
		t.Error("occupancy cap above 1 accepted")
	}
	if _, err := Evaluate(StaffingRequest{Contacts: 5, Interval: time.Hour, AHT: time.Minute}, -1); err == nil {
		t.Error("negative agents accepted")
	}
}

func TestPerformanceJSON(t *testing.T) {
	p, err := Evaluate(StaffingRequest{Contacts: 100, Interval: 30 * time.Minute, AHT: 180 * time.Second}, 10)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil || !strings.Contains(string(b), `"asa":null`) || !strings.Contains(string(b), `"agents":10`) {
		t.Errorf("understaffed queue: %s %v", b, err)
	}
	p, _ = Staff(StaffingRequest{Contacts: 100, Interval: 30 * time.Minute, AHT: 180 * time.Second, ServiceLevel: 0.8, Threshold: 20 * time.Second})
	b, _ = json.Marshal(p)
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil || back["agents"] == nil || back["serviceLevel"] == nil || back["asa"] == nil || back["occupancy"] == nil {
		t.Errorf("staffing answer %s", b)
	}
}

func FuzzStaff(f *testing.F) {
	f.Add(100.0, 1800.0, 180.0, 0.8, 20.0)
	f.Add(0.0, 0.0, 0.0, 0.0, -1.0)
	f.Add(1e6, 60.0, 3600.0, 0.999999, 0.0)
	f.Fuzz(func(t *testing.T, contacts, intervalS, ahtS, sl, tS float64) {
		dur := func(s float64) time.Duration {
			if math.IsNaN(s) || math.Abs(s) > 1e6 {
				return 0
			}
			return time.Duration(s * float64(time.Second))
		}
		r := StaffingRequest{Contacts: contacts, Interval: dur(intervalS), AHT: dur(ahtS), ServiceLevel: sl, Threshold: dur(tS)}
		p, err := Staff(r)
		if err != nil {
			if _, ok := apperr.AsProblems(err); !ok {
				t.Fatalf("error is not apperr.Problems: %v", err)
			}
			return
		}
		if p.ServiceLevel < sl || float64(p.Agents) <= p.TrafficErlangs || p.Occupancy >= 1 {
			t.Fatalf("%+v for %+v", p, r)
		}
	})
}

func BenchmarkStaff(b *testing.B) {
	for _, c := range []struct {
		name    string
		erlangs float64
	}{{"10E", 10}, {"100E", 100}, {"500E", 500}} {
		r := StaffingRequest{Contacts: c.erlangs * 10, Interval: 30 * time.Minute, AHT: 180 * time.Second, ServiceLevel: 0.8, Threshold: 20 * time.Second}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Staff(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkErlangC(b *testing.B) {
	for _, c := range []struct {
		name    string
		erlangs float64
		agents  int
	}{{"10E", 10, 14}, {"100E", 100, 110}, {"500E", 500, 519}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				ErlangC(c.erlangs, c.agents)
			}
		})
	}
}
