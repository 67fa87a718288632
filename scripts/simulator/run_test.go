package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/scripts/localconnect"
	"github.com/conduit-cx/conduit/shared/connect"
)

// recorder is a Target that keeps every call, by contact, and answers the
// offer function from a list in turn.
type recorder struct {
	mu      sync.Mutex
	steps   map[string][]string
	answers []Answer
	n       int
	set     map[string]int
	cleared map[string]bool
	failAll bool
	failOn  string
}

func newRecorder(answers ...Answer) *recorder {
	return &recorder{steps: map[string][]string{}, answers: answers, set: map[string]int{}, cleared: map[string]bool{}}
}

func (r *recorder) add(contact, step string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failAll || step == r.failOn {
		return errors.New("connection refused")
	}
	r.steps[contact] = append(r.steps[contact], step)
	return nil
}

func (r *recorder) Invoke(_ context.Context, fn string, payload any) (json.RawMessage, error) {
	ev := payload.(connect.FlowEvent)
	if err := r.add(ev.ContactID(), fn); err != nil {
		return nil, err
	}
	if fn == "outcome" {
		return json.RawMessage(`{"status":"recorded"}`), nil
	}
	r.mu.Lock()
	a := r.answers[r.n%len(r.answers)]
	r.n++
	r.mu.Unlock()
	return json.Marshal(a)
}

func (r *recorder) PutContactEvents(_ context.Context, evs ...connect.ContactEvent) error {
	for _, e := range evs {
		if err := r.add(e.Detail.ContactID, e.Detail.EventType); err != nil {
			return err
		}
	}
	return nil
}

func (r *recorder) PutLens(_ context.Context, evs ...connect.LensEvent) error {
	if len(evs) == 0 {
		return nil
	}
	return r.add(evs[0].ContactID, "lens")
}

func (r *recorder) PutRecords(_ context.Context, recs ...connect.ContactRecord) error {
	return r.add(recs[0].ContactID, fmt.Sprintf("records×%d", len(recs)))
}

func (r *recorder) SetQueue(_ context.Context, name string, _ localconnect.Setting) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.set[name]++
	return nil
}

func (r *recorder) ClearQueue(_ context.Context, name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleared[name] = true
	return nil
}

func testRunner(t *testing.T, target Target, o Options) *Runner {
	t.Helper()
	q, err := NewQueues(DefaultQueueSpecs(), time.Now(), Overload{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(31, DefaultMix(), DemoCustomers(t0), q, LocalInstance())
	if err != nil {
		t.Fatal(err)
	}
	return &Runner{Model: m, Queues: q, Target: target, Instance: LocalInstance(), Options: o, Tally: NewTally()}
}

// TestRunnerSendsEachContactInOrder checks each contact goes through the
// stack in the order Connect would send it, and the tally adds up.
func TestRunnerSendsEachContactInOrder(t *testing.T) {
	rec := newRecorder(answers[0], answers[1], answers[2])
	r := testRunner(t, rec, Options{Rate: 500, Count: 120, Concurrency: 8, QueueMetrics: true, MetricsEvery: time.Hour})
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rec.steps) != 120 || r.Tally.Contacts != 120 {
		t.Fatalf("%d contacts sent, %d counted", len(rec.steps), r.Tally.Contacts)
	}
	for id, steps := range rec.steps {
		got := strings.Join(steps, " ")
		ok := false
		for _, want := range []string{
			"INITIATED offer QUEUED DISCONNECTED records×",
			"INITIATED offer QUEUED CONNECTED_TO_AGENT lens DISCONNECTED records×",
			"INITIATED offer QUEUED CONNECTED_TO_AGENT lens outcome DISCONNECTED records×",
		} {
			ok = ok || strings.HasPrefix(got, want)
		}
		if !ok {
			t.Errorf("contact %s went %q", id, got)
		}
	}
	tl := r.Tally
	noOffer := 0
	for _, n := range tl.NoOffer {
		noOffer += n
	}
	if tl.Shown+tl.Holdouts+noOffer != tl.Decisions || tl.Decisions != 120 {
		t.Errorf("shown %d + holdouts %d + no offer %d ≠ decisions %d", tl.Shown, tl.Holdouts, noOffer, tl.Decisions)
	}
	if tl.Accepted+tl.Declined+tl.Later != tl.Shown-tl.ShownAbandoned {
		t.Errorf("outcomes %d+%d+%d for %d offers heard", tl.Accepted, tl.Declined, tl.Later, tl.Shown-tl.ShownAbandoned)
	}
	for _, q := range r.Queues.Names() {
		if rec.set[q] == 0 || !rec.cleared[q] {
			t.Errorf("queue %s: set %d times, cleared %t", q, rec.set[q], rec.cleared[q])
		}
	}
	var out bytes.Buffer
	tl.Write(&out, time.Second)
	for _, want := range []string{"Contacts   120", "Offers", "Holdouts", "No offer", "empathy", "negative_sentiment", "Errors     0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunnerStopsAtDurationAndOnCancel(t *testing.T) {
	r := testRunner(t, newRecorder(answers[2]), Options{Rate: 50, Duration: 300 * time.Millisecond, Concurrency: 4})
	start := time.Now()
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 5*time.Second || r.Tally.Contacts == 0 || r.Tally.Contacts > 60 {
		t.Fatalf("%d contacts in %s for a 300 ms run at 50 a second", r.Tally.Contacts, el)
	}

	ctx, cancel := context.WithCancel(context.Background())
	r = testRunner(t, newRecorder(answers[2]), Options{Rate: 20, Concurrency: 4})
	time.AfterFunc(200*time.Millisecond, cancel)
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if r.Tally.Contacts == 0 {
		t.Fatal("no contact before the cancel")
	}
}

func TestRunnerCountsErrors(t *testing.T) {
	rec := newRecorder(answers[0])
	rec.failOn = "lens"
	r := testRunner(t, rec, Options{Rate: 500, Count: 30, Concurrency: 4})
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	handled := r.Tally.Contacts - r.Tally.Abandoned
	if r.Tally.Errors[StepLens] != handled || r.Tally.FirstError[StepLens] == "" {
		t.Fatalf("lens errors %d for %d handled contacts", r.Tally.Errors[StepLens], handled)
	}
}

func TestRunnerStopsWhenTheStackIsGone(t *testing.T) {
	rec := newRecorder(answers[0])
	rec.failAll = true
	r := testRunner(t, rec, Options{Rate: 500, Count: 1000, Concurrency: 2})
	r.Health = func(context.Context) error { return errors.New("connection refused") }
	err := r.Run(context.Background())
	if !errors.Is(err, ErrStackGone) {
		t.Fatalf("got %v", err)
	}
	if n := r.Tally.Errors[StepOfferCall]; n >= 1000 {
		t.Fatalf("went on for %d contacts", n)
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{{Rate: 0, Concurrency: 1}, {Rate: 1}, {Rate: 1, Concurrency: 1, Count: -1}, {Rate: 1000, Concurrency: 1}} {
		if err := o.Validate(); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}
