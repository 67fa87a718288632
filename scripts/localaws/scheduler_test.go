package localaws

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func TestScheduledEventShape(t *testing.T) {
	at := time.Date(2026, 3, 5, 9, 15, 0, 123e6, time.FixedZone("CET", 3600))
	raw, _ := json.Marshal(ScheduledEvent("rollup", "eu-west-1", at))
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"version": "0", "detail-type": "Scheduled Event", "source": "aws.events", "account": AccountID,
		"time": "2026-03-05T08:15:00Z", "region": "eu-west-1",
		"resources": []any{"arn:aws:scheduler:eu-west-1:000000000000:schedule/default/conduit-local-rollup"},
		"detail":    map[string]any{},
	}
	for k, v := range want {
		got, _ := json.Marshal(doc[k])
		exp, _ := json.Marshal(v)
		if string(got) != string(exp) {
			t.Errorf("%s = %s, want %s", k, got, exp)
		}
	}
	if id, _ := doc["id"].(string); len(id) != 36 {
		t.Errorf("id %q is not a UUID", doc["id"])
	}
}

func TestSchedulerInvokesAtItsPeriod(t *testing.T) {
	var mu sync.Mutex
	var got []events.CloudWatchEvent
	h := lambda.NewHandler(func(_ context.Context, ev events.CloudWatchEvent) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev)
		return nil
	})
	iv := NewInvoker("us-east-1", map[string]lambda.Handler{"rollup": h}, nil)
	s := &Scheduler{Invoke: iv.InvokeWith, Region: "us-east-1", Schedules: []Schedule{{Function: "rollup", Every: 20 * time.Millisecond}}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(got) < 3 {
		t.Fatalf("%d scheduled runs, want 3", len(got))
	}
	for _, ev := range got {
		if ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" || len(ev.Resources) != 1 || ev.Time.IsZero() {
			t.Fatalf("event %+v", ev)
		}
	}
}

func TestEventBusDeliversToMatchingRules(t *testing.T) {
	var mu sync.Mutex
	calls := map[string][]events.CloudWatchEvent{}
	handler := func(name string, fail bool) lambda.Handler {
		return lambda.NewHandler(func(_ context.Context, ev events.CloudWatchEvent) error {
			mu.Lock()
			calls[name] = append(calls[name], ev)
			mu.Unlock()
			if fail {
				return errors.New("the contact store is unavailable")
			}
			return nil
		})
	}
	iv := NewInvoker("us-east-1", map[string]lambda.Handler{
		"contactevents": handler("contactevents", false),
		"broken":        handler("broken", true),
	}, nil)
	failures := &Failures{Dir: t.TempDir()}
	bus := &EventBus{Invoke: iv.InvokeWith, ARN: iv.ARN, Region: "us-east-1", Failures: failures, Rules: []Rule{
		{Name: "contact-events", Source: "aws.connect", DetailTypes: []string{"Amazon Connect Contact Event"}, Function: "contactevents"},
		{Name: "broken", Source: "conduit.test", Function: "broken"},
	}}
	srv := httptest.NewServer(&LambdaAPI{Invoker: iv, Bus: bus})
	defer srv.Close()
	body := `{"Entries":[
		{"Source":"aws.connect","DetailType":"Amazon Connect Contact Event","Detail":"{\"contactId\":\"c-1\",\"eventType\":\"QUEUED\"}","Time":1772701200},
		{"Source":"aws.connect","DetailType":"Something Else","Detail":"{}"},
		{"Source":"conduit.test","DetailType":"Anything","Detail":"{\"n\":1}"},
		{"Source":"aws.connect","DetailType":"Amazon Connect Contact Event","Detail":"not json"}]}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "AWSEvents.PutEvents")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		FailedEntryCount int
		Entries          []struct{ EventId, ErrorCode string }
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if out.FailedEntryCount != 1 || out.Entries[3].ErrorCode != "MalformedDetail" || out.Entries[0].EventId == "" {
		t.Fatalf("PutEvents answered %+v", out)
	}
	bus.Wait()

	mu.Lock()
	defer mu.Unlock()
	if n := len(calls["contactevents"]); n != 1 {
		t.Fatalf("contactevents ran %d times, want once (the other detail type does not match)", n)
	}
	ev := calls["contactevents"][0]
	if ev.ID != out.Entries[0].EventId || string(ev.Detail) != `{"contactId":"c-1","eventType":"QUEUED"}` ||
		!ev.Time.Equal(time.Unix(1772701200, 0)) || ev.AccountID != AccountID {
		t.Fatalf("event %+v", ev)
	}
	if n := len(calls["broken"]); n != 1+asyncRetries {
		t.Fatalf("a failing target ran %d times, want %d", n, 1+asyncRetries)
	}
	raw, err := os.ReadFile(failures.Path("broken"))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		RequestContext  FailureContext
		RequestPayload  events.CloudWatchEvent
		ResponsePayload FunctionError
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.RequestContext.Condition != "RetriesExhausted" || rec.RequestContext.ApproximateInvokeCount != 3 ||
		rec.RequestPayload.Source != "conduit.test" || rec.ResponsePayload.Message != "the contact store is unavailable" {
		t.Fatalf("failure record %s", raw)
	}
}
