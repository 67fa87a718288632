package localconnect

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/smithy-go"

	"github.com/conduit-cx/conduit/shared/loadwatch"
	"github.com/conduit-cx/conduit/shared/loadwatch/connectmetrics"
)

type fakeCounters map[string]int

func (f fakeCounters) QueueCounters(_ context.Context, id string) (int, time.Duration, error) {
	n := f[id]
	return n, time.Duration(n*10) * time.Second, nil
}

// sdkClient is the SDK's connect client as awsclients builds it, pointed
// at the local endpoint.
func sdkClient(url string) *connect.Client {
	return connect.New(connect.Options{
		Region:       DefaultRegion,
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts, o.MaxBackoff = 3, 10*time.Millisecond
		}),
	})
}

func newServer(t *testing.T) (*Server, *connect.Client) {
	t.Helper()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s := &Server{Counters: fakeCounters{DefaultQueues[1].ID: 3}, Clock: func() time.Time { return at }}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, sdkClient(srv.URL)
}

func TestSDKReadsCurrentMetricsAndQueueNames(t *testing.T) {
	s, client := newServer(t)
	sales := DefaultQueues[0]
	if err := s.Set("sales", Setting{ContactsInQueue: ptr(18), OldestContactAge: ptr(200), AgentsAvailable: ptr(0), AgentsOnContact: ptr(12)}); err != nil {
		t.Fatal(err)
	}
	src := connectmetrics.New(client, DefaultInstanceID, QueueIDs(DefaultQueues), nil)
	r, err := src.CurrentMetrics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Queues) != len(DefaultQueues) || r.Names[sales.ID] != "Sales" {
		t.Fatalf("reading %+v", r)
	}
	m := r.Queues[sales.ID].Metrics
	if m.ContactsWaiting.Value != 18 || m.OldestWait.Value != 200 || m.AgentsAvailable.Value != 0 || m.AgentsOnContact.Value != 12 ||
		!m.At.Equal(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)) || r.Queues[sales.ID].Name != "Sales" {
		t.Fatalf("sales metrics %+v", m)
	}
	billing := r.Queues[DefaultQueues[1].ID].Metrics
	if billing.ContactsWaiting.Value != 3 || billing.OldestWait.Value != 30 || billing.AgentsAvailable.Value != DefaultAgentsAvailable {
		t.Fatalf("billing metrics from the counters and defaults: %+v", billing)
	}
}

func TestPartialAbsentAndDeletedQueues(t *testing.T) {
	s, client := newServer(t)
	_ = s.Set("Sales", Setting{Missing: []string{"AGENTS_AVAILABLE", "OLDEST_CONTACT_AGE"}})
	_ = s.Set("Billing", Setting{Absent: true})
	_ = s.Set("Support", Setting{Deleted: true})
	r, err := connectmetrics.New(client, DefaultInstanceID, QueueIDs(DefaultQueues), nil).CurrentMetrics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := r.Queues[DefaultQueues[0].ID].Metrics
	if m.AgentsAvailable.OK || m.OldestWait.OK || !m.ContactsWaiting.OK || !m.AgentsOnContact.OK {
		t.Fatalf("partial metrics %+v", m)
	}
	if _, ok := r.Queues[DefaultQueues[1].ID]; ok {
		t.Fatal("an absent queue has a row")
	}
	if _, ok := r.Names[DefaultQueues[2].ID]; ok {
		t.Fatal("a deleted queue is still listed")
	}
}

func TestFailuresSpeakAWSErrors(t *testing.T) {
	s, client := newServer(t)
	s.Fail(&Failure{Code: "ThrottlingException", Count: 5})
	src := connectmetrics.New(client, DefaultInstanceID, QueueIDs(DefaultQueues), nil)
	_, err := src.CurrentMetrics(context.Background())
	if !errors.Is(err, loadwatch.ErrMetricsThrottled) {
		t.Fatalf("throttling not recognised: %v", err)
	}
	s.Fail(&Failure{Code: "InternalServiceException", Count: 3})
	_, err = src.CurrentMetrics(context.Background())
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "InternalServiceException" || errors.Is(err, loadwatch.ErrMetricsThrottled) {
		t.Fatalf("internal error: %v", err)
	}
	// The SDK retried the failure away: three failures, a fourth call works.
	s.Fail(&Failure{Code: "InternalServiceException", Count: 1})
	if _, err := src.CurrentMetrics(context.Background()); err != nil {
		t.Fatalf("a single failure is retried by the SDK: %v", err)
	}
}

func TestBadRequestsAreRefusedLikeConnect(t *testing.T) {
	_, client := newServer(t)
	ctx := context.Background()
	cases := []struct {
		name string
		in   *connect.GetCurrentMetricDataInput
		code string
	}{
		{"unknown instance", &connect.GetCurrentMetricDataInput{InstanceId: aws.String("nope"),
			Filters: &types.Filters{Queues: []string{"q"}}, CurrentMetrics: []types.CurrentMetric{{Name: "CONTACTS_IN_QUEUE", Unit: "COUNT"}}}, "ResourceNotFoundException"},
		{"no queues", &connect.GetCurrentMetricDataInput{InstanceId: aws.String(DefaultInstanceID),
			Filters: &types.Filters{}, CurrentMetrics: []types.CurrentMetric{{Name: "CONTACTS_IN_QUEUE", Unit: "COUNT"}}}, "InvalidParameterException"},
		{"wrong unit", &connect.GetCurrentMetricDataInput{InstanceId: aws.String(DefaultInstanceID),
			Filters: &types.Filters{Queues: []string{"q"}}, CurrentMetrics: []types.CurrentMetric{{Name: "OLDEST_CONTACT_AGE", Unit: "COUNT"}}}, "InvalidParameterException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.GetCurrentMetricData(ctx, tc.in)
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorCode() != tc.code {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
		})
	}
}

func TestPagingAndARNFilters(t *testing.T) {
	s, client := newServer(t)
	var refs []string
	for _, q := range DefaultQueues {
		refs = append(refs, s.QueueARN(q.ID))
	}
	in := &connect.GetCurrentMetricDataInput{InstanceId: aws.String(DefaultInstanceID), MaxResults: aws.Int32(2),
		Filters: &types.Filters{Queues: refs}, Groupings: []types.Grouping{types.GroupingQueue},
		CurrentMetrics: []types.CurrentMetric{{Name: "CONTACTS_IN_QUEUE", Unit: "COUNT"}}}
	seen := 0
	for page := 0; ; page++ {
		out, err := client.GetCurrentMetricData(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		seen += len(out.MetricResults)
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
		if page > 3 {
			t.Fatal("paging does not end")
		}
	}
	if seen != len(DefaultQueues) {
		t.Fatalf("saw %d queues over the pages", seen)
	}
}

func TestLocalControls(t *testing.T) {
	s := &Server{}
	srv := httptest.NewServer(s)
	defer srv.Close()
	post := func(path, body string) int {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := post("/local/queues/Sales", `{"contactsInQueue":20,"oldestContactAge":240}`); c != 200 {
		t.Fatalf("set: %d", c)
	}
	if st := s.setting(DefaultQueues[0].ID); st.ContactsInQueue == nil || *st.ContactsInQueue != 20 {
		t.Fatalf("setting %+v", st)
	}
	for body, want := range map[string]int{`{"contactsInQueue":-1}`: 400, `{"bogus":1}`: 400, `{"missing":["NOPE"]}`: 400} {
		if c := post("/local/queues/Sales", body); c != want {
			t.Errorf("%s: %d, want %d", body, c, want)
		}
	}
	if c := post("/local/queues/Nowhere", `{}`); c != 404 {
		t.Errorf("unknown queue: %d", c)
	}
	if c := post("/local/fail", `{"code":"ThrottlingException","count":2}`); c != 200 {
		t.Errorf("fail: %d", c)
	}
}

func ptr(v float64) *float64 { return &v }
