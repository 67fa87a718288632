// Package connectmetrics reads the load watcher's queue metrics from Amazon
// Connect with the SDK's connect client: GetCurrentMetricData grouped by
// queue for the watched queues, and ListQueues for their names. Locally
// the same code runs against scripts/localconnect through the client's
// endpoint override.
package connectmetrics

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/smithy-go"

	"github.com/conduit-cx/conduit/shared/load"
	"github.com/conduit-cx/conduit/shared/loadwatch"
)

// Client is the part of the SDK's connect client the source uses.
type Client interface {
	GetCurrentMetricData(ctx context.Context, in *connect.GetCurrentMetricDataInput, opts ...func(*connect.Options)) (*connect.GetCurrentMetricDataOutput, error)
	ListQueues(ctx context.Context, in *connect.ListQueuesInput, opts ...func(*connect.Options)) (*connect.ListQueuesOutput, error)
}

var _ Client = (*connect.Client)(nil)

// NewClient builds the SDK's connect client over the process's AWS
// configuration, pointed at endpoint when one is set (scripts/localconnect).
// It is built here, not with the other SDK clients, because the Connect API
// is large: only the loadwatch function links it.
func NewClient(awsCfg aws.Config, endpoint string) *connect.Client {
	return connect.NewFromConfig(awsCfg, func(o *connect.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// Metric names the source asks for. Grouped by queue, OLDEST_CONTACT_AGE
// comes in seconds.
var currentMetrics = []types.CurrentMetric{
	{Name: types.CurrentMetricNameContactsInQueue, Unit: types.UnitCount},
	{Name: types.CurrentMetricNameOldestContactAge, Unit: types.UnitSeconds},
	{Name: types.CurrentMetricNameAgentsAvailable, Unit: types.UnitCount},
	{Name: types.CurrentMetricNameAgentsOnContact, Unit: types.UnitCount},
}

// maxQueuesPerCall is GetCurrentMetricData's limit on the queue filter.
const maxQueuesPerCall = 100

// NamesRefresh is how long queue names are kept before ListQueues is
// called again; names rarely change, and ListQueues is throttled hard.
const NamesRefresh = 15 * time.Minute

// Source reads the watched queues' current metrics.
type Source struct {
	client   Client
	instance string
	queueIDs []string
	clock    func() time.Time

	// fixed are names from configuration, used while ListQueues has
	// given none (not allowed, or failing).
	fixed map[string]string

	mu      sync.Mutex
	names   map[string]string
	namesAt time.Time
}

var _ loadwatch.MetricsSource = (*Source)(nil)

// New returns the source for an instance and its watched queues: each an
// id, or name=id to name the queue should ListQueues give no names.
func New(client Client, instanceID string, queues []string, clock func() time.Time) *Source {
	if clock == nil {
		clock = time.Now
	}
	s := &Source{client: client, instance: instanceID, clock: clock, fixed: map[string]string{}}
	s.queueIDs = ParseQueues(queues, s.fixed)
	return s
}

// ParseQueues reads watched queues, id or name=id, into ids, and names
// into names (when not nil).
func ParseQueues(queues []string, names map[string]string) []string {
	ids := make([]string, 0, len(queues))
	for _, q := range queues {
		name, id, named := strings.Cut(q, "=")
		if !named {
			id = name
		}
		name, id = strings.TrimSpace(name), strings.TrimSpace(id)
		if id == "" {
			continue
		}
		ids = append(ids, id)
		if named && name != "" && names != nil {
			names[id] = name
		}
	}
	return ids
}

// CurrentMetrics reads every watched queue in as few calls as the API
// allows. A queue Connect returns no row for is left out of the reading;
// a metric it returns no value for is missing.
func (s *Source) CurrentMetrics(ctx context.Context) (loadwatch.Reading, error) {
	r := loadwatch.Reading{Queues: map[string]loadwatch.QueueMetrics{}, Names: s.queueNames(ctx)}
	for start := 0; start < len(s.queueIDs); start += maxQueuesPerCall {
		ids := s.queueIDs[start:min(start+maxQueuesPerCall, len(s.queueIDs))]
		in := &connect.GetCurrentMetricDataInput{
			InstanceId:     aws.String(s.instance),
			Filters:        &types.Filters{Queues: ids},
			Groupings:      []types.Grouping{types.GroupingQueue},
			CurrentMetrics: currentMetrics,
			MaxResults:     aws.Int32(100),
		}
		for {
			out, err := s.client.GetCurrentMetricData(ctx, in)
			if err != nil {
				return loadwatch.Reading{}, classify(err)
			}
			at := s.clock()
			if out.DataSnapshotTime != nil {
				at = *out.DataSnapshotTime
			}
			for _, res := range out.MetricResults {
				if res.Dimensions == nil || res.Dimensions.Queue == nil || res.Dimensions.Queue.Id == nil {
					continue
				}
				id := *res.Dimensions.Queue.Id
				r.Queues[id] = loadwatch.QueueMetrics{Name: r.Names[id], Metrics: metricsOf(res.Collections, at)}
			}
			if out.NextToken == nil || *out.NextToken == "" {
				break
			}
			in.NextToken = out.NextToken
		}
	}
	return r, nil
}

// metricsOf turns one queue's collections into load metrics.
func metricsOf(cs []types.CurrentMetricData, at time.Time) load.Metrics {
	m := load.Metrics{At: at}
	for _, c := range cs {
		if c.Metric == nil || c.Value == nil {
			continue
		}
		v := load.Known(*c.Value)
		switch c.Metric.Name {
		case types.CurrentMetricNameContactsInQueue:
			m.ContactsWaiting = v
		case types.CurrentMetricNameOldestContactAge:
			m.OldestWait = v
		case types.CurrentMetricNameAgentsAvailable:
			m.AgentsAvailable = v
		case types.CurrentMetricNameAgentsOnContact:
			m.AgentsOnContact = v
		}
	}
	return m
}

// queueNames returns the instance's standard queue names by id, read at
// most every NamesRefresh. When ListQueues fails the names last read are
// used; with none, nil (queues are then named by the wallboard's last
// names, or their ids).
func (s *Source) queueNames(ctx context.Context) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	if s.names != nil && now.Sub(s.namesAt) < NamesRefresh {
		return s.names
	}
	names := map[string]string{}
	in := &connect.ListQueuesInput{
		InstanceId: aws.String(s.instance),
		QueueTypes: []types.QueueType{types.QueueTypeStandard},
		MaxResults: aws.Int32(1000),
	}
	for {
		out, err := s.client.ListQueues(ctx, in)
		if err != nil {
			if s.names == nil && len(s.fixed) > 0 {
				return s.fixed
			}
			return s.names
		}
		for _, q := range out.QueueSummaryList {
			if q.Id != nil && q.Name != nil {
				names[*q.Id] = *q.Name
			}
		}
		if out.NextToken == nil || *out.NextToken == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	s.names, s.namesAt = names, now
	return names
}

// classify marks throttling, so the job can say why metrics are missing,
// and says what Connect answered in a few words (the SDK's own message
// carries the whole retry history).
func classify(err error) error {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return fmt.Errorf("GetCurrentMetricData: %w", err)
	}
	e := &callError{text: api.ErrorCode() + ": " + api.ErrorMessage(), errs: []error{err}}
	if api.ErrorCode() == "ThrottlingException" || api.ErrorCode() == "TooManyRequestsException" {
		e.errs = append(e.errs, loadwatch.ErrMetricsThrottled)
	}
	return e
}

// callError is a failed Connect call in short words, still matching the
// SDK's error (errors.As) and ErrMetricsThrottled (errors.Is).
type callError struct {
	text string
	errs []error
}

func (e *callError) Error() string   { return "GetCurrentMetricData: " + e.text }
func (e *callError) Unwrap() []error { return e.errs }
