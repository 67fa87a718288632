package connectmetrics

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"
)

type fakeClient struct {
	listErr error
	lists   int
	asked   [][]string
}

func (f *fakeClient) GetCurrentMetricData(_ context.Context, in *connect.GetCurrentMetricDataInput, _ ...func(*connect.Options)) (*connect.GetCurrentMetricDataOutput, error) {
	f.asked = append(f.asked, in.Filters.Queues)
	var out connect.GetCurrentMetricDataOutput
	for _, id := range in.Filters.Queues {
		out.MetricResults = append(out.MetricResults, types.CurrentMetricResult{
			Dimensions:  &types.Dimensions{Queue: &types.QueueReference{Id: aws.String(id)}},
			Collections: []types.CurrentMetricData{{Metric: &types.CurrentMetric{Name: types.CurrentMetricNameContactsInQueue}, Value: aws.Float64(3)}},
		})
	}
	return &out, nil
}

func (f *fakeClient) ListQueues(context.Context, *connect.ListQueuesInput, ...func(*connect.Options)) (*connect.ListQueuesOutput, error) {
	f.lists++
	if f.listErr != nil {
		return nil, f.listErr
	}
	return &connect.ListQueuesOutput{QueueSummaryList: []types.QueueSummary{{Id: aws.String("q1"), Name: aws.String("Sales")}}}, nil
}

func TestConfiguredNamesStandInWhenListQueuesIsDenied(t *testing.T) {
	f := &fakeClient{listErr: errors.New("AccessDeniedException")}
	s := New(f, "inst", []string{"Sales=q1", " q2 ", "=", "Billing = q3"}, nil)
	r, err := s.CurrentMetrics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.asked) != 1 || len(f.asked[0]) != 3 || f.asked[0][2] != "q3" {
		t.Fatalf("asked for %v", f.asked)
	}
	if r.Names["q1"] != "Sales" || r.Names["q3"] != "Billing" || r.Queues["q1"].Name != "Sales" || r.Queues["q2"].Name != "" {
		t.Fatalf("names %v, queues %+v", r.Names, r.Queues)
	}
	if !r.Queues["q1"].Metrics.ContactsWaiting.OK || r.Queues["q1"].Metrics.AgentsAvailable.OK {
		t.Fatalf("metrics %+v", r.Queues["q1"].Metrics)
	}
}

func TestQueueNamesAreReadAtMostEveryRefresh(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	f := &fakeClient{}
	s := New(f, "inst", []string{"q1"}, func() time.Time { return now })
	for range 3 {
		if r, err := s.CurrentMetrics(context.Background()); err != nil || r.Names["q1"] != "Sales" {
			t.Fatalf("%v %v", r.Names, err)
		}
	}
	now = now.Add(NamesRefresh)
	_, _ = s.CurrentMetrics(context.Background())
	if f.lists != 2 {
		t.Fatalf("ListQueues called %d times", f.lists)
	}
}
