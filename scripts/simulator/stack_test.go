package simulator

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/conduit-cx/conduit/scripts/localaws"
	"github.com/conduit-cx/conduit/scripts/localconnect"
	"github.com/conduit-cx/conduit/shared/connect"
)

// localAWS serves what the runner serves on its AWS endpoint: the Lambda
// Invoke API over the given handlers, PutEvents onto a bus whose
// contactevents rule hands events to delivered, and the local Connect
// instance.
func localAWS(t *testing.T, handlers map[string]lambda.Handler) (*httptest.Server, *localaws.EventBus, *localconnect.Server, func() [][]byte) {
	t.Helper()
	var mu sync.Mutex
	var delivered [][]byte
	handlers["contactevents"] = lambda.NewHandler(func(_ context.Context, ev json.RawMessage) error {
		mu.Lock()
		defer mu.Unlock()
		delivered = append(delivered, ev)
		return nil
	})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	inv := localaws.NewInvoker("us-east-1", handlers, log)
	bus := &localaws.EventBus{Invoke: inv.InvokeWith, ARN: inv.ARN, Region: "us-east-1", Log: log, Rules: []localaws.Rule{{
		Name: "contactevents", Source: connect.ContactEventSource, DetailTypes: []string{connect.ContactEventDetailType}, Function: "contactevents",
	}}}
	conn := &localconnect.Server{}
	mux := http.NewServeMux()
	mux.Handle("/", &localaws.LambdaAPI{Invoker: inv, Bus: bus})
	for _, prefix := range []string{"/metrics/", "/queues-summary/", "/local/"} {
		mux.Handle(prefix, conn)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, bus, conn, func() [][]byte {
		bus.Wait()
		mu.Lock()
		defer mu.Unlock()
		return delivered
	}
}

// TestStackThroughLocalAWS sends a contact's invocations, contact events
// and queue metrics through the runner's own local AWS pieces and checks
// what the functions receive.
func TestStackThroughLocalAWS(t *testing.T) {
	var offerPayload json.RawMessage
	handlers := map[string]lambda.Handler{
		"offer": lambda.NewHandler(func(_ context.Context, ev json.RawMessage) (map[string]string, error) {
			offerPayload = ev
			return map[string]string{"offer": "none", "reason": "no_eligible_offer", "decisionId": "d-9", "holdout": "false"}, nil
		}),
		"broken": lambda.NewHandler(func(context.Context, json.RawMessage) (string, error) {
			return "", errors.New("kaput")
		}),
	}
	srv, _, conn, delivered := localAWS(t, handlers)
	s := &Stack{AWS: srv.URL}
	ctx := context.Background()
	c := plan(testModel(t, 21, DefaultMix(), Overload{}), 1)[0]
	in := LocalInstance()

	out, err := s.Invoke(ctx, "offer", c.OfferEvent(in))
	if err != nil {
		t.Fatal(err)
	}
	var a Answer
	if err := json.Unmarshal(out, &a); err != nil || a.DecisionID() != "d-9" || a.Shown() {
		t.Fatalf("answer %s (%v)", out, err)
	}
	if ev, err := connect.DecodeFlowEvent(offerPayload); err != nil || ev.ContactID() != c.ID {
		t.Fatalf("the offer function received %s (%v)", offerPayload, err)
	}
	var fe *FunctionError
	if _, err := s.Invoke(ctx, "broken", map[string]string{}); !errors.As(err, &fe) || !strings.Contains(fe.Message, "kaput") {
		t.Fatalf("a failing function: %v", err)
	}
	if _, err := s.Invoke(ctx, "nowhere", map[string]string{}); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Fatalf("an unknown function: %v", err)
	}

	tl := c.Timeline(c.Respond(a))
	sent := c.ContactEvents(in, tl)
	if err := s.PutContactEvents(ctx, sent...); err != nil {
		t.Fatal(err)
	}
	got := delivered()
	if len(got) != len(sent) {
		t.Fatalf("%d events delivered, %d sent", len(got), len(sent))
	}
	seen := map[string]bool{}
	for _, raw := range got {
		ev, err := connect.DecodeContactEvent(raw)
		if err != nil {
			t.Fatalf("delivered event does not decode: %v\n%s", err, raw)
		}
		if ev.Detail.ContactID != c.ID {
			t.Fatalf("delivered event of contact %s", ev.Detail.ContactID)
		}
		seen[ev.Detail.EventType] = true
	}
	for _, e := range sent {
		if !seen[e.Detail.EventType] {
			t.Errorf("%s not delivered", e.Detail.EventType)
		}
	}

	names, err := s.ConnectQueues(ctx)
	if err != nil || len(names) != len(localconnect.DefaultQueues) {
		t.Fatalf("queues %v (%v)", names, err)
	}
	q := testQueues(t, Overload{})
	v := q.View(QueueBilling, t0)
	if err := s.SetQueue(ctx, QueueBilling, v.Setting()); err != nil {
		t.Fatal(err)
	}
	_ = conn // the setting shows in GET /local/queues
	resp, err := http.Get(srv.URL + "/local/queues")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"agentsAvailable":`) {
		t.Fatalf("setting not shown: %s", body)
	}
	if err := s.ClearQueue(ctx, QueueBilling); err != nil {
		t.Fatal(err)
	}
	if err := s.SetQueue(ctx, "Nowhere", v.Setting()); err == nil {
		t.Fatal("a queue the instance does not have was set")
	}
}

func TestStackWithoutConnectEndpoint(t *testing.T) {
	srv := httptest.NewServer(&localaws.LambdaAPI{Invoker: localaws.NewInvoker("us-east-1", map[string]lambda.Handler{}, nil)})
	defer srv.Close()
	if _, err := (&Stack{AWS: srv.URL}).ConnectQueues(context.Background()); !errors.Is(err, ErrNoConnectEndpoint) {
		t.Fatalf("got %v", err)
	}
}

func TestHealth(t *testing.T) {
	status := http.StatusServiceUnavailable
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"status":"down"}`))
	}))
	defer srv.Close()
	s := &Stack{API: srv.URL}
	if err := s.Health(context.Background()); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("down: %v", err)
	}
	status = http.StatusOK
	if err := s.Health(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if err := s.Health(context.Background()); err == nil {
		t.Fatal("a stopped stack answered")
	}
}

func TestLoopback(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080", "http://localhost:3001", "http://[::1]:4567", "http://127.0.0.2:1"} {
		if err := Loopback("api", ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://10.0.0.1:8080", "https://127.0.0.1:8080", "http://example.com", "127.0.0.1:8080", ""} {
		if err := Loopback("api", bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
