package stack

import (
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/jsii-runtime-go"

	"github.com/conduit-cx/conduit/shared/campaignjob"
	"github.com/conduit-cx/conduit/shared/loadwatch"
	"github.com/conduit-cx/conduit/shared/metrics"
)

// The metrics Conduit's functions write as CloudWatch Embedded Metric Format
// (shared/metrics). The writer records OffersMade, DecisionLatency,
// DecisionErrors and RollupLagSeconds without dimensions, so one stage per
// account and region is assumed; metrics recorded by Reason are graphed with
// SEARCH over every dimension set.
const (
	MetricNamespace       = metrics.Namespace
	MetricOffersMade      = metrics.OffersMade
	MetricOffersSuppress  = metrics.OffersSuppressed
	MetricDecisionLatency = metrics.DecisionLatency
	MetricDecisionErrors  = metrics.DecisionErrors
	MetricRollupLag       = metrics.RollupLagSeconds
	MetricRecordsSkipped  = metrics.StreamRecordsSkipped
	MetricRecordsFailed   = metrics.StreamRecordsFailed

	// The load jobs': QueueMetricsMissing by Reason and QueueStateStale by
	// Queue (alarmed over every dimension value with a Metrics Insights
	// query); the campaign counts carry no dimensions.
	MetricQueueMetricsMissing = loadwatch.MetricQueueMetricsMissing
	MetricQueueStateStale     = loadwatch.MetricQueueStateStale
	MetricChecklistOpen       = campaignjob.MetricChecklistOpen
	MetricLaunchWaiting       = campaignjob.MetricLaunchWaiting
)

// Alarm thresholds.
const (
	// OfferP99Slack is how far above its own decision deadline the offer
	// function's p99 may go (start-up, the answer) before it counts as slow.
	OfferP99Slack = 300 * time.Millisecond
	// RollupLagThreshold is two missed 15-minute runs.
	RollupLagThreshold = 30 * time.Minute
	// LaunchWaitingAlarm is how long ready campaigns may wait for the load
	// gate past their launch time before someone is told.
	LaunchWaitingAlarm = time.Hour
)

func (s *Stack) conduitMetric(name, statistic string) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:  jsii.String(MetricNamespace),
		MetricName: jsii.String(name),
		Statistic:  jsii.String(statistic),
		Period:     awscdk.Duration_Minutes(jsii.Number(5)),
	})
}

// insights sums a Conduit metric over every value of one dimension (a
// Metrics Insights query: alarms cannot use SEARCH).
func (s *Stack) insights(name, dimension, label string, period time.Duration) awscloudwatch.MathExpression {
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String(fmt.Sprintf(`SELECT SUM(%s) FROM SCHEMA("%s", %s)`, name, MetricNamespace, dimension)),
		UsingMetrics: &map[string]awscloudwatch.IMetric{},
		Label:        jsii.String(label),
		Period:       awscdk.Duration_Seconds(jsii.Number(period.Seconds())),
	})
}

// search graphs every dimension set of a Conduit metric (one line per Reason, say).
func (s *Stack) search(name, statistic, label string) awscloudwatch.MathExpression {
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String(fmt.Sprintf(`SEARCH('{%s} MetricName="%s"', '%s', 300)`,
			MetricNamespace, name, statistic)),
		UsingMetrics: &map[string]awscloudwatch.IMetric{},
		Label:        jsii.String(label),
		Period:       awscdk.Duration_Minutes(jsii.Number(5)),
	})
}

type alarmSpec struct {
	id, name, description string
	metric                awscloudwatch.IMetric
	threshold             float64
	periods, datapoints   float64
	missing               awscloudwatch.TreatMissingData
}

func (s *Stack) alarm(a alarmSpec) awscloudwatch.Alarm {
	if a.periods == 0 {
		a.periods, a.datapoints = 1, 1
	}
	if a.missing == "" {
		a.missing = awscloudwatch.TreatMissingData_NOT_BREACHING
	}
	alarm := awscloudwatch.NewAlarm(s.Stack, jsii.String(a.id), &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String(s.name(a.name)),
		AlarmDescription:   jsii.String(a.description),
		Metric:             a.metric,
		Threshold:          jsii.Number(a.threshold),
		EvaluationPeriods:  jsii.Number(a.periods),
		DatapointsToAlarm:  jsii.Number(a.datapoints),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   a.missing,
	})
	action := awscloudwatchactions.NewSnsAction(s.AlarmTopic)
	alarm.AddAlarmAction(action)
	alarm.AddOkAction(action)
	return alarm
}

func (s *Stack) addMonitoring() {
	s.AlarmTopic = awssns.NewTopic(s.Stack, jsii.String("Alarms"), &awssns.TopicProps{
		TopicName:   jsii.String(s.name("alarms")),
		DisplayName: jsii.String("Conduit " + s.props.Stage + " alarms"),
		MasterKey:   s.Key,
		EnforceSSL:  jsii.Bool(true),
	})
	if s.props.AlarmEmail != "" {
		s.AlarmTopic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(s.props.AlarmEmail), nil))
	}
	minutes := func(n float64) awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(n)) }

	for _, f := range s.deployed {
		fn := s.Functions[f.Name]
		id := constructID("Alarm", f.Name)
		s.alarm(alarmSpec{
			id: id + "Throttles", name: f.Name + "-throttles",
			description: f.Name + " was throttled: raise its reserved concurrency or the account limit",
			metric:      fn.MetricThrottles(&awscloudwatch.MetricOptions{Period: minutes(5), Statistic: jsii.String("Sum")}),
			threshold:   1,
		})
		if f.Consumes != nil {
			s.alarm(alarmSpec{
				id: id + "IteratorAge", name: f.Name + "-iterator-age",
				description: fmt.Sprintf("%s is behind its stream by more than %s", f.Name, f.Consumes.IteratorAgeAlarm),
				metric: fn.Metric(jsii.String("IteratorAge"), &awscloudwatch.MetricOptions{
					Period: minutes(1), Statistic: jsii.String("Maximum"),
				}),
				threshold: float64(f.Consumes.IteratorAgeAlarm.Milliseconds()), periods: 5, datapoints: 3,
			})
		}
	}
	if fn, ok := s.Functions["offer"]; ok {
		p99 := s.props.DecisionDeadline + OfferP99Slack
		s.alarm(alarmSpec{
			id: "AlarmOfferErrors", name: "offer-errors",
			description: "offer failed instead of answering {offer:none}: contact flows took their error branch",
			metric:      fn.MetricErrors(&awscloudwatch.MetricOptions{Period: minutes(1), Statistic: jsii.String("Sum")}),
			threshold:   1, periods: 5, datapoints: 2,
		})
		s.alarm(alarmSpec{
			id: "AlarmOfferLatency", name: "offer-p99-duration",
			description: fmt.Sprintf("offer p99 duration is above %s (deadline %s): contacts wait for the decision", p99, s.props.DecisionDeadline),
			metric:      fn.MetricDuration(&awscloudwatch.MetricOptions{Period: minutes(1), Statistic: jsii.String("p99")}),
			threshold:   float64(p99.Milliseconds()), periods: 5, datapoints: 3,
		})
	}
	if _, ok := s.Functions["rollup"]; ok {
		s.alarm(alarmSpec{
			id: "AlarmRollupLag", name: "rollup-lag",
			description: fmt.Sprintf("KPIs are more than %s old, or rollup reports no lag at all", RollupLagThreshold),
			metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace: jsii.String(MetricNamespace), MetricName: jsii.String(MetricRollupLag),
				Statistic: jsii.String("Maximum"), Period: minutes(15),
			}),
			threshold: RollupLagThreshold.Seconds(), periods: 2, datapoints: 2,
			// A rollup that stops reporting is as late as one that reports lag.
			missing: awscloudwatch.TreatMissingData_BREACHING,
		})
	}
	if _, ok := s.Functions["loadwatch"]; ok {
		s.alarm(alarmSpec{
			id: "AlarmQueueMetricsMissing", name: "queue-metrics-missing",
			description: "the load watcher had no fresh or no complete Amazon Connect metrics for watched queues in most runs for 15 minutes " +
				"(Reason: throttled, api_error, no_metrics, queue_not_found, partial): load states age towards stale",
			metric:    s.insights(MetricQueueMetricsMissing, metrics.DimReason, "queue metrics missing", 5*time.Minute),
			threshold: 3, periods: 3, datapoints: 3,
		})
		s.alarm(alarmSpec{
			id: "AlarmQueueStateStale", name: "queue-state-stale",
			description: "a watched queue's load state is stale: the load gate releases no campaign it holds on that queue until fresh metrics come",
			metric:      s.insights(MetricQueueStateStale, loadwatch.DimQueue, "stale queue states", 5*time.Minute),
			threshold:   1, periods: 3, datapoints: 2,
		})
	}
	if _, ok := s.Functions["campaigns"]; ok {
		s.alarm(alarmSpec{
			id: "AlarmCampaignLaunchWaiting", name: "campaign-launch-waiting",
			description: fmt.Sprintf("ready campaigns past their launch time have waited for the load gate for %s: the queues stay busy", LaunchWaitingAlarm),
			metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace: jsii.String(MetricNamespace), MetricName: jsii.String(MetricLaunchWaiting),
				Statistic: jsii.String("Sum"), Period: minutes(15),
			}),
			threshold: 1, periods: float64(LaunchWaitingAlarm / (15 * time.Minute)), datapoints: float64(LaunchWaitingAlarm / (15 * time.Minute)),
		})
		s.alarm(alarmSpec{
			id: "AlarmCampaignChecklistOpen", name: "campaign-checklist-open",
			description: fmt.Sprintf("campaigns due within %s (or past due) have an open readiness checklist or nobody marked them ready", campaignjob.DueSoon),
			metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace: jsii.String(MetricNamespace), MetricName: jsii.String(MetricChecklistOpen),
				Statistic: jsii.String("Sum"), Period: minutes(60),
			}),
			threshold: 1,
		})
	}
	for _, owner := range sortedKeys(s.DLQs) {
		q := s.DLQs[owner]
		s.alarm(alarmSpec{
			id: constructID("AlarmDLQ", owner), name: owner + "-dlq-depth",
			description: "records or events of " + owner + " failed every retry and wait in " + s.name(owner+"-dlq"),
			metric: q.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
				Period: minutes(5), Statistic: jsii.String("Maximum"),
			}),
			threshold: 1,
		})
	}
	s.addDashboard()
}

func (s *Stack) addDashboard() {
	minutes := func(n float64) awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(n)) }
	graph := func(title string, left []awscloudwatch.IMetric, right []awscloudwatch.IMetric) awscloudwatch.IWidget {
		props := &awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Left: &left, Width: jsii.Number(8), Height: jsii.Number(6)}
		if len(right) > 0 {
			props.Right = &right
		}
		return awscloudwatch.NewGraphWidget(props)
	}
	rows := [][]awscloudwatch.IWidget{
		{awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
			Markdown: jsii.String("# Conduit " + s.props.Stage + "\nOffers and suppressions from the functions' metrics (namespace `Conduit`), then Lambda and stream health."),
			Width:    jsii.Number(24), Height: jsii.Number(2),
		})},
		{
			graph("Offers made, decisions failed", []awscloudwatch.IMetric{
				s.conduitMetric(MetricOffersMade, "Sum"), s.conduitMetric(MetricDecisionErrors, "Sum"),
			}, nil),
			graph("Offers suppressed by reason", []awscloudwatch.IMetric{s.search(MetricOffersSuppress, "Sum", "")}, nil),
			graph("Decision latency (ms)", []awscloudwatch.IMetric{
				s.conduitMetric(MetricDecisionLatency, "p50"), s.conduitMetric(MetricDecisionLatency, "p99"),
			}, nil),
		},
		{
			graph("Rollup lag (s)", []awscloudwatch.IMetric{s.conduitMetric(MetricRollupLag, "Maximum")}, nil),
			graph("Stream records skipped", []awscloudwatch.IMetric{s.search(MetricRecordsSkipped, "Sum", "")}, nil),
			graph("Stream records failed", []awscloudwatch.IMetric{s.search(MetricRecordsFailed, "Sum", "")}, nil),
		},
		{
			graph("Queue metrics missing by reason", []awscloudwatch.IMetric{s.search(MetricQueueMetricsMissing, "Sum", "")}, nil),
			graph("Stale queue states by queue", []awscloudwatch.IMetric{s.search(MetricQueueStateStale, "Sum", "")}, nil),
			graph("Campaigns waiting for load, checklists open", []awscloudwatch.IMetric{
				s.conduitMetric(MetricLaunchWaiting, "Sum"), s.conduitMetric(MetricChecklistOpen, "Sum"),
			}, nil),
		},
	}
	var invocations, errs, p99, throttles, iterator []awscloudwatch.IMetric
	opts := func(stat string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Period: minutes(5), Statistic: jsii.String(stat)}
	}
	for _, f := range s.deployed {
		fn := s.Functions[f.Name]
		label := func(o *awscloudwatch.MetricOptions) *awscloudwatch.MetricOptions {
			o.Label = jsii.String(f.Name)
			return o
		}
		invocations = append(invocations, fn.MetricInvocations(label(opts("Sum"))))
		errs = append(errs, fn.MetricErrors(label(opts("Sum"))))
		p99 = append(p99, fn.MetricDuration(label(opts("p99"))))
		throttles = append(throttles, fn.MetricThrottles(label(opts("Sum"))))
		if f.Consumes != nil {
			iterator = append(iterator, fn.Metric(jsii.String("IteratorAge"), label(opts("Maximum"))))
		}
	}
	if len(invocations) > 0 {
		rows = append(rows,
			[]awscloudwatch.IWidget{
				graph("Lambda invocations", invocations, nil),
				graph("Lambda errors", errs, nil),
				graph("Lambda p99 duration (ms)", p99, nil),
			},
			[]awscloudwatch.IWidget{graph("Lambda throttles", throttles, nil)},
		)
		if len(iterator) > 0 {
			rows[len(rows)-1] = append(rows[len(rows)-1], graph("Consumer iterator age (ms)", iterator, nil))
		}
	}
	var incoming, dlqDepth []awscloudwatch.IMetric
	for _, suffix := range sortedKeys(s.CreatedStreams) {
		incoming = append(incoming, s.CreatedStreams[suffix].MetricIncomingRecords(&awscloudwatch.MetricOptions{
			Period: minutes(5), Statistic: jsii.String("Sum"), Label: jsii.String(suffix),
		}))
	}
	for _, owner := range sortedKeys(s.DLQs) {
		dlqDepth = append(dlqDepth, s.DLQs[owner].MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Period: minutes(5), Statistic: jsii.String("Maximum"), Label: jsii.String(owner),
		}))
	}
	var last []awscloudwatch.IWidget
	if len(incoming) > 0 {
		last = append(last, graph("Kinesis incoming records", incoming, nil))
	}
	if len(dlqDepth) > 0 {
		last = append(last, graph("DLQ depth", dlqDepth, nil))
	}
	if len(last) > 0 {
		rows = append(rows, last)
	}
	widgets := make([]*[]awscloudwatch.IWidget, len(rows))
	for i := range rows {
		widgets[i] = &rows[i]
	}
	awscloudwatch.NewDashboard(s.Stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName:   jsii.String(s.name("dashboard")),
		DefaultInterval: awscdk.Duration_Hours(jsii.Number(6)),
		Widgets:         &widgets,
	})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
