// Package kpi is Conduit's one catalog of contact-center and marketing
// metrics (DESIGN section 6) as code: what each metric means, how it is
// computed, its unit, which direction is good and its default benchmark.
//
// Metrics are computed from an Aggregate: a plain struct of additive counts
// and sums. A contact's Fact contributes an Aggregate of its own (Contribute);
// aggregates of contacts, buckets or dimensions merge with Add; and each
// metric is one function of an Aggregate. Because every field is a sum,
// a bucket recomputed from its facts always gives the same aggregate, and
// an hour is exactly the sum of its four quarter hours.
package kpi

import (
	"errors"
	"sort"
	"strings"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// Unit is how a metric's value is measured.
type Unit string

// Units.
const (
	UnitCount    Unit = "count"
	UnitSeconds  Unit = "seconds"
	UnitRatio    Unit = "ratio" // 0.8 means 80 %
	UnitCurrency Unit = "currency"
)

// Direction says which way a metric is good.
type Direction string

// Directions.
const (
	HigherIsBetter Direction = "higher"
	LowerIsBetter  Direction = "lower"
	// Neutral metrics (volumes) have no good direction and no benchmark.
	Neutral Direction = "neutral"
)

// Metric names, in snake case as the API takes them.
const (
	MetricContactsOffered   = "contacts_offered"
	MetricAnswered          = "answered"
	MetricAbandoned         = "abandoned"
	MetricHandled           = "handled"
	MetricDecisions         = "decisions"
	MetricASA               = "asa"
	MetricServiceLevel      = "service_level"
	MetricAbandonRate       = "abandon_rate"
	MetricAHT               = "aht"
	MetricFCR               = "fcr"
	MetricCSAT              = "csat"
	MetricCSATScore         = "csat_score"
	MetricOfferRate         = "offer_rate"
	MetricAcceptance        = "acceptance"
	MetricConversion        = "conversion"
	MetricRevenuePerContact = "revenue_per_contact"
	MetricLift              = "lift"
)

// Definition is one metric of the catalog, as GET /v1/metrics lists it.
type Definition struct {
	Name       string    `json:"name"`
	Title      string    `json:"title"`
	Definition string    `json:"definition"`
	Formula    string    `json:"formula"`
	Unit       Unit      `json:"unit"`
	Direction  Direction `json:"direction"`
	// Benchmark is the default target; nil when the metric has none.
	Benchmark *Benchmark `json:"benchmark"`
	// Comparative metrics (lift) compare a treated group with its holdout
	// and are not computed from a single aggregate.
	Comparative bool `json:"comparative"`

	compute func(Aggregate) Value
	// rate metrics are bounded to [0, 1]; lift to (−1, ∞).
	bounds bounds
}

type bounds int

const (
	nonNegative bounds = iota
	unitInterval
	aboveMinusOne
)

// ErrComparative is returned when a comparative metric (lift) is asked of a
// single aggregate.
var ErrComparative = errors.New("metric compares a treated group with its holdout: use Lift or CompareGroups")

// Compute is the metric's value for an aggregate.
func (d Definition) Compute(a Aggregate) (Value, error) {
	if d.compute == nil {
		return Value{}, ErrComparative
	}
	return d.compute(a), nil
}

var catalog = []Definition{
	{
		Name: MetricContactsOffered, Title: "Contacts offered",
		Definition: "Contacts that reached a queue, whether answered, abandoned or still waiting.",
		Formula:    "count of contacts entering a queue",
		Unit:       UnitCount, Direction: Neutral, compute: ContactsOffered,
	},
	{
		Name: MetricAnswered, Title: "Answered",
		Definition: "Contacts taken from a queue by an agent.",
		Formula:    "count of queued contacts connected to an agent",
		Unit:       UnitCount, Direction: Neutral, compute: Answered,
	},
	{
		Name: MetricAbandoned, Title: "Abandoned",
		Definition: "Contacts whose customer left the queue before an agent answered.",
		Formula:    "count of queued contacts that disconnected while waiting",
		Unit:       UnitCount, Direction: Neutral, compute: Abandoned,
	},
	{
		Name: MetricHandled, Title: "Handled",
		Definition: "Contacts an agent handled, from a queue, a transfer or an outbound call.",
		Formula:    "count of contacts with agent interaction",
		Unit:       UnitCount, Direction: Neutral, compute: Handled,
	},
	{
		Name: MetricDecisions, Title: "Contacts with a decision",
		Definition: "Contacts for which Conduit decided whether to make an offer (treated and holdout).",
		Formula:    "count of contacts with a recorded decision",
		Unit:       UnitCount, Direction: Neutral, compute: Decisions,
	},
	{
		Name: MetricASA, Title: "Average speed of answer",
		Definition: "Mean time answered contacts waited in queue before an agent answered.",
		Formula:    "sum of queue wait of answered contacts ÷ answered contacts",
		Unit:       UnitSeconds, Direction: LowerIsBetter, compute: ASA,
		Benchmark: &Benchmark{Target: 30, Warning: 60},
	},
	{
		Name: MetricServiceLevel, Title: "Service level",
		Definition: "Share of contacts answered within the threshold T (20 s unless configured). " +
			"Contacts abandoned within T are left out: they gave up before the promise was due.",
		Formula: "answered within T ÷ (answered + abandoned after T)",
		Unit:    UnitRatio, Direction: HigherIsBetter, compute: ServiceLevel, bounds: unitInterval,
		Benchmark: &Benchmark{Target: 0.80, Warning: 0.70},
	},
	{
		Name: MetricAbandonRate, Title: "Abandon rate",
		Definition: "Share of contacts offered to a queue whose customer left before being answered.",
		Formula:    "abandoned in queue ÷ contacts offered",
		Unit:       UnitRatio, Direction: LowerIsBetter, compute: AbandonRate, bounds: unitInterval,
		Benchmark: &Benchmark{Target: 0.05, Warning: 0.08},
	},
	{
		Name: MetricAHT, Title: "Average handle time",
		Definition: "Mean agent time per handled contact: talk, hold and after-contact work.",
		Formula:    "(talk + hold + after-contact work) ÷ handled contacts",
		Unit:       UnitSeconds, Direction: LowerIsBetter, compute: AHT,
		Benchmark: &Benchmark{Target: 360, Warning: 450},
	},
	{
		Name: MetricFCR, Title: "First contact resolution",
		Definition: "Share of handled contacts after which the same customer did not contact again within 7 days. " +
			"Contacts whose 7-day window is still open are not counted yet.",
		Formula: "handled contacts with no repeat within 7 days ÷ handled contacts",
		Unit:    UnitRatio, Direction: HigherIsBetter, compute: FCR, bounds: unitInterval,
		Benchmark: &Benchmark{Target: 0.75, Warning: 0.65},
	},
	{
		Name: MetricCSAT, Title: "Customer satisfaction",
		Definition: "Share of post-contact survey answers of 4 or 5 on a 1–5 scale.",
		Formula:    "survey answers of 4–5 ÷ survey answers",
		Unit:       UnitRatio, Direction: HigherIsBetter, compute: CSAT, bounds: unitInterval,
		Benchmark: &Benchmark{Target: 0.85, Warning: 0.75},
	},
	{
		Name: MetricCSATScore, Title: "Average survey score",
		Definition: "Mean post-contact survey score on a 1–5 scale.",
		Formula:    "sum of survey scores ÷ survey answers",
		Unit:       UnitCount, Direction: HigherIsBetter, compute: CSATScore,
		Benchmark: &Benchmark{Target: 4.2, Warning: 3.8},
	},
	{
		Name: MetricOfferRate, Title: "Offer rate",
		Definition: "Share of contacts with a decision where an offer was shown to the agent and customer.",
		Formula:    "decisions that showed an offer ÷ contacts with a decision",
		Unit:       UnitRatio, Direction: HigherIsBetter, compute: OfferRate, bounds: unitInterval,
		Benchmark: &Benchmark{Target: 0.30, Warning: 0.15},
	},
	{
		Name: MetricAcceptance, Title: "Acceptance",
		Definition: "Share of offers shown that the customer accepted.",
		Formula:    "accepted offers ÷ offers shown",
		Unit:       UnitRatio, Direction: HigherIsBetter, compute: Acceptance, bounds: unitInterval,
		Benchmark: &Benchmark{Target: 0.15, Warning: 0.08},
	},
	{
		Name: MetricConversion, Title: "Conversion",
		Definition: "Share of contacts with a decision that ended with the customer taking the product, " +
			"offered or not. Defined for holdout contacts too, so lift compares it.",
		Formula: "accepted ÷ contacts with a decision",
		Unit:    UnitRatio, Direction: HigherIsBetter, compute: Conversion, bounds: unitInterval,
		Benchmark: &Benchmark{Target: 0.05, Warning: 0.02},
	},
	{
		Name: MetricRevenuePerContact, Title: "Revenue per contact",
		Definition: "Accepted value per contact with a decision. No default benchmark: set one in your currency.",
		Formula:    "accepted value ÷ contacts with a decision",
		Unit:       UnitCurrency, Direction: HigherIsBetter, compute: RevenuePerContact,
	},
	{
		Name: MetricLift, Title: "Lift",
		Definition: "Relative change in conversion of contacts in the treated group over the holdout group of the same " +
			"campaign or offer, with a 95 % confidence interval (delta method on the log ratio); " +
			"\"not significant\" when the interval holds zero.",
		Formula: "(treated conversion − holdout conversion) ÷ holdout conversion",
		Unit:    UnitRatio, Direction: HigherIsBetter, Comparative: true, bounds: aboveMinusOne,
		Benchmark: &Benchmark{Target: 0.05, Warning: 0},
	},
}

// Catalog lists every metric, in a stable order (volumes, service, then
// marketing). The slice and its benchmarks are copies.
func Catalog() []Definition {
	out := make([]Definition, len(catalog))
	for i, d := range catalog {
		out[i] = d.clone()
	}
	return out
}

func (d Definition) clone() Definition {
	if d.Benchmark != nil {
		b := *d.Benchmark
		d.Benchmark = &b
	}
	return d
}

// Lookup finds a metric by its snake-case name.
func Lookup(name string) (Definition, bool) {
	for _, d := range catalog {
		if d.Name == name {
			return d.clone(), true
		}
	}
	return Definition{}, false
}

// Names lists every metric name, sorted.
func Names() []string {
	names := make([]string, len(catalog))
	for i, d := range catalog {
		names[i] = d.Name
	}
	sort.Strings(names)
	return names
}

// ParseMetric is Lookup for outside input: an unknown name is a problem on
// field "metric" that lists the known ones.
func ParseMetric(name string) (Definition, error) {
	if d, ok := Lookup(name); ok {
		return d, nil
	}
	return Definition{}, apperr.Invalid("metric", "unknown metric %q; known: %s", name, strings.Join(Names(), ", "))
}

// WithBenchmark is the definition with an administrator's benchmark in place
// of the default (nil removes it).
func (d Definition) WithBenchmark(b *Benchmark) Definition {
	d = d.clone()
	if b != nil {
		c := *b
		d.Benchmark = &c
	} else {
		d.Benchmark = nil
	}
	return d
}
