package kpi

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/stats"
)

func s(n float64) time.Duration { return time.Duration(n * float64(time.Second)) }

// A small day of contacts whose KPIs are computed by hand below.
func handDay() []Fact {
	return []Fact{
		{ContactID: "c1", Queued: true, Answered: true, QueueWait: s(10), QueueWaitKnown: true,
			Handled: true, Talk: s(200), Hold: s(30), AfterContactWork: s(70), DurationsKnown: true,
			SurveyScore: 5, Repeat: NoRepeat, Decided: true, OfferShown: true, Outcome: OutcomeAccepted, Value: 50},
		{ContactID: "c2", Queued: true, Answered: true, QueueWait: s(20), QueueWaitKnown: true, // exactly T
			Handled: true, Talk: s(100), AfterContactWork: s(20), DurationsKnown: true,
			SurveyScore: 4, Repeat: Repeated, Decided: true, OfferShown: true, Outcome: OutcomeDeclined},
		{ContactID: "c3", Queued: true, Answered: true, QueueWait: s(45), QueueWaitKnown: true,
			Handled:     true, // durations missing
			SurveyScore: 2, Repeat: NoRepeat, Decided: true, Group: GroupHoldout},
		{ContactID: "c4", Queued: true, Abandoned: true, QueueWait: s(5), QueueWaitKnown: true},  // abandoned within T
		{ContactID: "c5", Queued: true, Abandoned: true, QueueWait: s(60), QueueWaitKnown: true}, // abandoned after T
		{ContactID: "c6", Queued: true, Answered: true, // wait missing
			Handled: true, Talk: s(240), Hold: s(60), DurationsKnown: true},
		{ContactID: "c7", Handled: true, Talk: s(180), DurationsKnown: true, // outbound, no queue
			SurveyScore: 9, Repeat: NoRepeat, OfferShown: true, Outcome: OutcomeAccepted, Value: -3},
		{ContactID: "c8", Queued: true}, // still waiting, or a callback
	}
}

func sumFacts(r Rules, facts []Fact) Aggregate {
	var a Aggregate
	for _, f := range facts {
		a = a.Add(r.Contribute(f))
	}
	return a
}

func TestHandComputedKPIs(t *testing.T) {
	a := sumFacts(Rules{}, handDay())
	cases := []struct {
		metric string
		value  float64
		count  int64
	}{
		{MetricContactsOffered, 7, 7},
		{MetricAnswered, 4, 4},
		{MetricAbandoned, 2, 2},
		{MetricHandled, 5, 5},
		{MetricDecisions, 4, 4},
		{MetricASA, (10 + 20 + 45) / 3.0, 3},          // c6 has no wait
		{MetricServiceLevel, 2.0 / (3 + 1), 4},        // c1, c2 within 20 s; c5 abandoned after; c4 left out
		{MetricAbandonRate, 2.0 / 7, 7},               //
		{MetricAHT, (300 + 120 + 300 + 180) / 4.0, 4}, // c3 has no durations
		{MetricFCR, 3.0 / 4, 4},                       // c6's window still open
		{MetricCSAT, 2.0 / 3, 3},                      // c7's 9 is not a score
		{MetricCSATScore, (5 + 4 + 2) / 3.0, 3},       //
		{MetricOfferRate, 3.0 / 4, 4},                 // c7's offer implies a decision
		{MetricAcceptance, 2.0 / 3, 3},                //
		{MetricConversion, 2.0 / 4, 4},                //
		{MetricRevenuePerContact, 50.0 / 4, 4},        // c7's negative value is left out
	}
	for _, c := range cases {
		d, ok := Lookup(c.metric)
		if !ok {
			t.Fatalf("%s not in catalog", c.metric)
		}
		v, err := d.Compute(a)
		if err != nil || !v.OK || math.Abs(v.Value-c.value) > 1e-12 || v.Count != c.count {
			t.Errorf("%s = %+v (%v), want %.6g over %d", c.metric, v, err, c.value, c.count)
		}
	}
	want := Exclusions{MissingQueueWait: 1, MissingDurations: 1, InvalidSurveyScore: 1, RepeatUnknown: 1, InvalidValue: 1}
	if a.Excluded != want {
		t.Errorf("excluded %+v, want %+v", a.Excluded, want)
	}
	if r := a.Excluded.Reasons(); len(r) != 5 || r[ReasonMissingDurations] != 1 {
		t.Errorf("reasons %v", r)
	}
	if a.ServiceLevelThreshold() != 20*time.Second {
		t.Errorf("threshold %v", a.ServiceLevelThreshold())
	}
}

func TestContributeLeavesOutWhatItCannotCount(t *testing.T) {
	cases := []struct {
		name string
		fact Fact
		want Aggregate
	}{
		{"negative wait is invalid, still answered and offered",
			Fact{Queued: true, Answered: true, QueueWait: -s(3), QueueWaitKnown: true},
			Aggregate{Offered: 1, Answered: 1, Excluded: Exclusions{InvalidDuration: 1}}},
		{"abandoned with unknown wait counts in abandon rate only",
			Fact{Queued: true, Abandoned: true},
			Aggregate{Offered: 1, Abandoned: 1, Excluded: Exclusions{MissingQueueWait: 1}}},
		{"answered and abandoned at once counts as offered only",
			Fact{Queued: true, Answered: true, Abandoned: true, QueueWait: s(4), QueueWaitKnown: true},
			Aggregate{Offered: 1, Excluded: Exclusions{ConflictingQueueOutcome: 1}}},
		{"negative hold is invalid",
			Fact{Handled: true, Talk: s(10), Hold: -s(1), DurationsKnown: true, Repeat: Repeated},
			Aggregate{Handled: 1, FCRContacts: 1, Excluded: Exclusions{InvalidDuration: 1}}},
		{"unknown outcome is a decision, not a sale",
			Fact{Decided: true, Outcome: "maybe"},
			Aggregate{Decisions: 1, Excluded: Exclusions{InvalidOutcome: 1}}},
		{"holdout organic purchase converts but is no accepted offer",
			Fact{Decided: true, Group: GroupHoldout, Outcome: OutcomeAccepted, Value: 20},
			Aggregate{Decisions: 1, Accepted: 1, AcceptedValue: 20, AcceptedValueSquares: 400}},
		{"NaN value is invalid",
			Fact{OfferShown: true, Outcome: OutcomeAccepted, Value: math.NaN()},
			Aggregate{Decisions: 1, OffersShown: 1, Accepted: 1, AcceptedOfShown: 1, Excluded: Exclusions{InvalidValue: 1}}},
		{"survey score zero means no answer",
			Fact{SurveyScore: 0},
			Aggregate{}},
		{"survey score -1 is invalid",
			Fact{SurveyScore: -1},
			Aggregate{Excluded: Exclusions{InvalidSurveyScore: 1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Contribute(c.fact)
			c.want.ServiceLevelThresholdMs = 20000
			if got != c.want {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestServiceLevelThresholdIsConfigurable(t *testing.T) {
	a := sumFacts(Rules{ServiceLevelThreshold: 50 * time.Second}, handDay())
	// T = 50 s: c1, c2, c3 within; c5 (60 s) abandoned after.
	if v := ServiceLevel(a); !v.OK || v.Value != 3.0/4 {
		t.Errorf("SL(50) = %+v, want 0.75", v)
	}
	mixed := a.Add(Contribute(handDay()[0]))
	if v := ServiceLevel(mixed); v.OK || mixed.ServiceLevelThresholdMs != MixedThreshold {
		t.Errorf("mixed thresholds must not give a service level: %+v", v)
	}
	if v := ASA(mixed); !v.OK {
		t.Error("ASA does not depend on T and stays available")
	}
}

// Buckets are recomputed from facts in whatever order the store returns
// them, and hours are sums of quarter hours: any order and grouping must
// give the same aggregate.
func TestAddIsOrderAndGroupingFree(t *testing.T) {
	facts := handDay()
	want := sumFacts(Rules{}, facts)
	r := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		r.Shuffle(len(facts), func(i, j int) { facts[i], facts[j] = facts[j], facts[i] })
		cut := r.IntN(len(facts))
		got := sumFacts(Rules{}, facts[:cut]).Add(sumFacts(Rules{}, facts[cut:]))
		if got != want {
			t.Fatalf("order changed the aggregate:\n%+v\n%+v", got, want)
		}
	}
	if (Aggregate{}).Add(want) != want || !(Aggregate{}).IsZero() {
		t.Error("the zero aggregate must be the identity")
	}
	if Sum(Contribute(facts[0]), Contribute(facts[1])) != Contribute(facts[0]).Add(Contribute(facts[1])) {
		t.Error("Sum differs from Add")
	}
}

func TestEmptyAggregateHasNoRates(t *testing.T) {
	var a Aggregate
	for _, d := range Catalog() {
		v, err := d.Compute(a)
		if d.Comparative {
			if err == nil {
				t.Errorf("%s: want ErrComparative", d.Name)
			}
			continue
		}
		if d.Unit == UnitCount && d.Direction == Neutral {
			if !v.OK || v.Value != 0 {
				t.Errorf("%s: a volume of zero is a value: %+v", d.Name, v)
			}
		} else if v.OK {
			t.Errorf("%s: no data must not be OK: %+v", d.Name, v)
		}
	}
}

func TestCatalog(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range Catalog() {
		if seen[d.Name] || d.Name != strings.ToLower(d.Name) || strings.Contains(d.Name, " ") {
			t.Errorf("bad or duplicate name %q", d.Name)
		}
		seen[d.Name] = true
		if d.Title == "" || d.Definition == "" || d.Formula == "" || d.Unit == "" || d.Direction == "" {
			t.Errorf("%s: incomplete definition", d.Name)
		}
		if (d.compute == nil) != d.Comparative {
			t.Errorf("%s: compute function and Comparative disagree", d.Name)
		}
		if d.Direction == Neutral && d.Benchmark != nil {
			t.Errorf("%s: neutral metric with a benchmark", d.Name)
		}
		if d.Benchmark != nil {
			if err := d.ValidateBenchmark(*d.Benchmark); err != nil {
				t.Errorf("%s: default benchmark invalid: %v", d.Name, err)
			}
		}
	}
	for _, name := range []string{"contacts_offered", "asa", "service_level", "abandon_rate", "aht", "fcr", "csat",
		"offer_rate", "acceptance", "revenue_per_contact", "lift"} {
		if !seen[name] {
			t.Errorf("DESIGN section 6 metric %q missing", name)
		}
	}
	if _, err := json.Marshal(Catalog()); err != nil {
		t.Fatal(err)
	}
	// Catalog hands out copies: editing one cannot change the next.
	c := Catalog()
	for i := range c {
		if c[i].Benchmark != nil {
			c[i].Benchmark.Target = -99
		}
	}
	if d, _ := Lookup(MetricASA); d.Benchmark.Target != 30 {
		t.Error("catalog benchmark was changed through a copy")
	}
	_, err := ParseMetric("speed")
	if p, ok := apperr.AsProblems(err); !ok || p[0].Field != "metric" || !strings.Contains(p[0].Problem, "service_level") {
		t.Errorf("unknown metric: %v", err)
	}
}

func TestJudge(t *testing.T) {
	sl := &Benchmark{Target: 0.80, Warning: 0.70}
	asa := &Benchmark{Target: 30, Warning: 60}
	cases := []struct {
		name string
		v    Value
		b    *Benchmark
		dir  Direction
		want Status
	}{
		{"SL at target is good", Value{Value: 0.80, OK: true}, sl, HigherIsBetter, StatusGood},
		{"SL between lines is warning", Value{Value: 0.75, OK: true}, sl, HigherIsBetter, StatusWarning},
		{"SL at warning line is warning", Value{Value: 0.70, OK: true}, sl, HigherIsBetter, StatusWarning},
		{"SL below warning is bad", Value{Value: 0.69, OK: true}, sl, HigherIsBetter, StatusBad},
		{"ASA at target is good", Value{Value: 30, OK: true}, asa, LowerIsBetter, StatusGood},
		{"ASA between lines is warning", Value{Value: 45, OK: true}, asa, LowerIsBetter, StatusWarning},
		{"ASA above warning is bad", Value{Value: 94, OK: true}, asa, LowerIsBetter, StatusBad},
		{"no data is unknown", Value{}, asa, LowerIsBetter, StatusUnknown},
		{"no benchmark is unknown", Value{Value: 3, OK: true}, nil, LowerIsBetter, StatusUnknown},
		{"neutral is unknown", Value{Value: 3, OK: true}, asa, Neutral, StatusUnknown},
	}
	for _, c := range cases {
		if got := Judge(c.v, c.b, c.dir); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestValidateBenchmark(t *testing.T) {
	sl, _ := Lookup(MetricServiceLevel)
	asa, _ := Lookup(MetricASA)
	lift, _ := Lookup(MetricLift)
	offered, _ := Lookup(MetricContactsOffered)
	cases := []struct {
		name   string
		d      Definition
		b      Benchmark
		fields []string
	}{
		{"valid SL", sl, Benchmark{0.9, 0.8}, nil},
		{"SL in percent", sl, Benchmark{80, 70}, []string{"target", "warning"}},
		{"SL warning above target", sl, Benchmark{0.8, 0.9}, []string{"warning"}},
		{"ASA warning below target", asa, Benchmark{60, 30}, []string{"warning"}},
		{"negative ASA", asa, Benchmark{-1, 30}, []string{"target"}},
		{"NaN", asa, Benchmark{math.NaN(), 30}, []string{"target"}},
		{"lift may be negative above -1", lift, Benchmark{0, -0.5}, nil},
		{"lift of -1", lift, Benchmark{-1, -2}, []string{"target", "warning"}},
		{"volume takes none", offered, Benchmark{1, 1}, []string{"benchmark"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.d.ValidateBenchmark(c.b)
			p, _ := apperr.AsProblems(err)
			var got []string
			for _, pr := range p {
				got = append(got, pr.Field)
			}
			if strings.Join(got, ",") != strings.Join(c.fields, ",") {
				t.Errorf("problems %v, want fields %v", err, c.fields)
			}
		})
	}
	custom := asa.WithBenchmark(&Benchmark{Target: 20, Warning: 40})
	if custom.Status(Value{Value: 25, OK: true}) != StatusWarning || asa.Benchmark.Target != 30 {
		t.Error("WithBenchmark must judge with the new benchmark and leave the original alone")
	}
}

func TestGrainsAndBuckets(t *testing.T) {
	paris := time.FixedZone("CEST", 2*3600)
	at := time.Date(2026, 3, 29, 1, 37, 12, 0, paris) // 23:37:12 UTC the day before
	cases := []struct {
		g    Grain
		want time.Time
	}{
		{Grain15m, time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC)},
		{GrainHour, time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC)},
		{GrainDay, time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		if got := c.g.Start(at); !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("%s start of %v = %v, want %v", c.g, at, got, c.want)
		}
	}
	from := time.Date(2026, 3, 1, 10, 7, 0, 0, time.UTC)
	to := time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)
	b := Grain15m.Buckets(from, to)
	if len(b) != 4 || !b[0].Equal(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)) || Grain15m.CountBuckets(from, to) != 4 {
		t.Errorf("buckets %v", b)
	}
	if n := GrainDay.CountBuckets(from, from.Add(72*time.Hour)); n != 4 || len(GrainDay.Buckets(from, from.Add(72*time.Hour))) != 4 {
		t.Errorf("3 days from mid-morning overlap 4 day buckets, got %d", n)
	}
	if Grain("week").Buckets(from, to) != nil || GrainHour.Buckets(to, from) != nil {
		t.Error("unknown grain or reversed range must give no buckets")
	}
	if _, err := ParseGrain("minute"); err == nil {
		t.Error("unknown grain accepted")
	}
	if g, err := ParseGrain("hour"); err != nil || g != GrainHour {
		t.Error("hour rejected")
	}
	k := BucketKey(at)
	if back, err := ParseBucketKey(k); err != nil || !back.Equal(at.Truncate(time.Second)) || k != "2026-03-28T23:37:12Z" {
		t.Errorf("bucket key %q -> %v %v", k, back, err)
	}
}

func TestRangeProblems(t *testing.T) {
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		g        Grain
		from, to time.Time
		max      int64
		fields   []string
	}{
		{"ok", GrainHour, from, from.Add(24 * time.Hour), 100, nil},
		{"from after to", GrainHour, from.Add(time.Hour), from, 100, []string{"from"}},
		{"equal", GrainHour, from, from, 100, []string{"from"}},
		{"too many buckets", Grain15m, from, from.Add(48 * time.Hour), 100, []string{"to"}},
		{"missing both and bad grain", "week", time.Time{}, time.Time{}, 100, []string{"grain", "from", "to"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Range(c.g, c.from, c.to, c.max)
			p, _ := apperr.AsProblems(err)
			var got []string
			for _, pr := range p {
				got = append(got, pr.Field)
			}
			if strings.Join(got, ",") != strings.Join(c.fields, ",") {
				t.Errorf("problems %v, want %v", err, c.fields)
			}
			if err == nil && len(b) != 24 {
				t.Errorf("%d buckets", len(b))
			}
		})
	}
}

func TestKeysAndSeries(t *testing.T) {
	f := Fact{Queue: "Sales #1/EU", Channel: "VOICE", Agent: "jdoe", Campaign: "100% spring", Group: GroupTreated, OfferShown: true}
	keys := KeysFor(f)
	// total, queue, channel, campaign, agent, group, campaign_group, agent_offered (no offer id)
	if len(keys) != 8 || keys[0] != Total {
		t.Fatalf("keys %v", keys)
	}
	for _, k := range keys {
		series := k.Series(GrainHour)
		g, back, err := ParseSeries(series)
		if err != nil || g != GrainHour || back != k {
			t.Errorf("series %q -> %v %v %v, want %v", series, g, back, err, k)
		}
	}
	cg := NewKey(ByCampaignGroup, "100% spring", "treated")
	if cg.Series(GrainDay) != "day#campaign_group#100%25 spring/treated" {
		t.Errorf("series %q", cg.Series(GrainDay))
	}
	if d := cg.Dims(); d[AttrCampaign] != "100% spring" || d[AttrGroup] != "treated" || len(d) != 2 {
		t.Errorf("dims %v", d)
	}
	if d := NewKey(ByQueue, "Sales #1/EU").Dims(); d[AttrQueue] != "Sales #1/EU" {
		t.Errorf("dims %v", d)
	}
	if len(Total.Dims()) != 0 || Total.Series(Grain15m) != "15m#total#" {
		t.Errorf("total %v %q", Total.Dims(), Total.Series(Grain15m))
	}
	for _, bad := range []string{"", "hour", "hour#queue", "week#queue#Sales", "hour#colour#red", "hour#total#x",
		"hour#campaign_group#only-one", "hour#queue#a%2", "hour#queue#a%41", "hour#queue#", "hour#queue#a#b"} {
		if _, _, err := ParseSeries(bad); err == nil {
			t.Errorf("ParseSeries(%q) accepted", bad)
		}
	}
	if _, err := ParseDimension("colour"); err == nil {
		t.Error("unknown dimension accepted")
	}
	if d, err := ParseDimension(""); err != nil || d != ByTotal {
		t.Error("empty dimension must mean total")
	}
}

func TestLiftAndImpactFromFacts(t *testing.T) {
	var treated, holdout Aggregate
	for i := range 1000 {
		tf := Fact{Decided: true, OfferShown: true, Group: GroupTreated, Handled: true, Talk: s(300), DurationsKnown: true}
		if i < 150 {
			tf.Outcome, tf.Value = OutcomeAccepted, 40
		}
		if i%2 == 0 {
			tf.Talk = s(340)
		}
		hf := Fact{Decided: true, Group: GroupHoldout, Handled: true, Talk: s(300), DurationsKnown: true}
		if i < 100 {
			hf.Outcome, hf.Value = OutcomeAccepted, 40
		}
		if i%2 == 0 {
			hf.Talk = s(320)
		}
		treated = treated.Add(Contribute(tf))
		holdout = holdout.Add(Contribute(hf))
	}
	imp := CompareGroups(treated, holdout, stats.Options{})
	if math.Abs(imp.Conversion.Lift-0.5) > 1e-12 || imp.Conversion.Verdict != stats.Significant {
		t.Errorf("conversion %+v", imp.Conversion)
	}
	if math.Abs(imp.AHT.Difference-10) > 1e-9 || imp.AHT.Verdict != stats.Significant {
		t.Errorf("AHT difference %v %s", imp.AHT.Difference, imp.AHT.Verdict)
	}
	if math.Abs(imp.RevenuePerContact.Treated.Mean-6) > 1e-9 || math.Abs(imp.RevenuePerContact.Lift-0.5) > 1e-9 {
		t.Errorf("revenue %+v", imp.RevenuePerContact)
	}
	if imp.FCR.Verdict != stats.InsufficientData || imp.CSAT.Verdict != stats.InsufficientData {
		t.Errorf("no FCR/CSAT data must be insufficient: %s %s", imp.FCR.Verdict, imp.CSAT.Verdict)
	}
	if _, err := json.Marshal(imp); err != nil {
		t.Fatal(err)
	}
	lift, _ := Lookup(MetricLift)
	p := lift.LiftPoint(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), NewKey(ByCampaign, "spring"), treated, holdout, stats.Options{})
	if p.Value == nil || math.Abs(*p.Value-0.5) > 1e-12 || p.Count != 1000 || p.Status != StatusGood || p.Dims[AttrCampaign] != "spring" {
		t.Errorf("lift point %+v", p)
	}
}

func TestPointJSON(t *testing.T) {
	asa, _ := Lookup(MetricASA)
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	p, err := asa.Point(start, NewKey(ByQueue, "Sales"), Aggregate{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(p)
	want := `{"start":"2026-03-01T10:00:00Z","value":null,"count":0,"benchmark":{"target":30,"warning":60},"status":"unknown","dims":{"queue":"Sales"}}`
	if string(b) != want {
		t.Errorf("point\n%s\nwant\n%s", b, want)
	}
	a := sumFacts(Rules{}, handDay())
	p, _ = asa.Point(start, Total, a)
	if *p.Value != 25 || p.Status != StatusGood || p.Count != 3 {
		t.Errorf("point %+v", p)
	}
	lift, _ := Lookup(MetricLift)
	if _, err := lift.Point(start, Total, a); err == nil {
		t.Error("lift of one aggregate must fail")
	}
}

func FuzzParseSeries(f *testing.F) {
	for _, s := range []string{"hour#queue#Sales", "15m#total#", "day#campaign_group#a%2Fb/treated", "x#y#z", "#", "hour#queue#%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, k, err := ParseSeries(s)
		if err != nil {
			return
		}
		if back := k.Series(g); back != s {
			t.Errorf("ParseSeries(%q) is not canonical: writes back %q", s, back)
		}
		if len(k.Dims()) != len(k.Dimension.Parts()) {
			t.Errorf("dims %v for %s", k.Dims(), k.Dimension)
		}
	})
}

func FuzzKeyRoundTrip(f *testing.F) {
	f.Add("Sales", "treated")
	f.Add("a/b#c%d", "holdout")
	f.Fuzz(func(t *testing.T, campaign, group string) {
		if campaign == "" || group == "" {
			return
		}
		k := NewKey(ByCampaignGroup, campaign, group)
		g, back, err := ParseSeries(k.Series(Grain15m))
		if err != nil || g != Grain15m || back != k {
			t.Fatalf("round trip of %q/%q: %v %v", campaign, group, back, err)
		}
		if d := back.Dims(); d[AttrCampaign] != campaign || d[AttrGroup] != group {
			t.Fatalf("dims %v", d)
		}
	})
}

func FuzzParseGrainAndDimension(f *testing.F) {
	for _, s := range []string{"15m", "hour", "day", "", "queue", "campaign_group", " day "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if g, err := ParseGrain(s); err == nil && !g.Valid() {
			t.Errorf("ParseGrain(%q) gave invalid %q", s, g)
		}
		if d, err := ParseDimension(s); err == nil && !d.Valid() {
			t.Errorf("ParseDimension(%q) gave invalid %q", s, d)
		}
	})
}

// One contact through Contribute and Add: the rollup's inner loop.
func BenchmarkContributeAdd(b *testing.B) {
	facts := handDay()
	var a Aggregate
	i := 0
	for b.Loop() {
		a = a.Add(Contribute(facts[i%len(facts)]))
		i++
	}
	_ = a
}

// The rollup also finds the keys of each contact (10 dimensions).
func BenchmarkContributeAddAllKeys(b *testing.B) {
	facts := handDay()
	for i := range facts {
		facts[i].Queue, facts[i].Channel, facts[i].Agent = "Sales", "VOICE", "jdoe"
		facts[i].Campaign, facts[i].Offer, facts[i].Group = "spring", "card", GroupTreated
	}
	aggs := map[Key]Aggregate{}
	i := 0
	for b.Loop() {
		f := facts[i%len(facts)]
		c := Contribute(f)
		for _, k := range KeysFor(f) {
			aggs[k] = aggs[k].Add(c)
		}
		i++
	}
}

func TestRangeRefusesCenturiesWithoutOverflow(t *testing.T) {
	from := time.Date(81, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	if n := Grain15m.CountBuckets(from, to); n <= 0 {
		t.Fatalf("CountBuckets over 9,900 years = %d", n)
	}
	if _, err := Range(Grain15m, from, to, 1000); err == nil {
		t.Fatal("a range of 9,900 years in 15-minute buckets was accepted")
	}
}
