package simulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/offer"
)

// Options pace and bound a run.
type Options struct {
	// Rate is contacts a second, on average (arrivals are random, as
	// customers' are).
	Rate float64
	// Count and Duration bound the run; zero leaves that bound out. With
	// both zero the run goes on until its context ends.
	Count    int
	Duration time.Duration
	// Concurrency bounds the contacts in flight at once.
	Concurrency int
	// QueueMetrics sets the queue model's metrics on the local Connect
	// endpoint every MetricsEvery, and clears them at the end.
	QueueMetrics bool
	MetricsEvery time.Duration
	// Seed seeds the arrival times.
	Seed uint64
}

// Validate checks the options.
func (o Options) Validate() error {
	switch {
	case !(o.Rate > 0 && o.Rate <= 500):
		return fmt.Errorf("--rate must be above 0 and at most 500 contacts a second, got %g", o.Rate)
	case o.Count < 0:
		return fmt.Errorf("--count must not be negative")
	case o.Duration < 0:
		return fmt.Errorf("--duration must not be negative")
	case o.Concurrency < 1 || o.Concurrency > 512:
		return fmt.Errorf("--concurrency must be from 1 to 512, got %d", o.Concurrency)
	}
	return nil
}

// Runner sends planned contacts to a target at a pace.
type Runner struct {
	Model    *Model
	Queues   *Queues
	Target   Target
	Instance Instance
	Options  Options
	Tally    *Tally
	// Health, when set, is asked when contacts keep failing; an error stops
	// the run (the stack went away).
	Health func(context.Context) error
	// Progress is called after each contact (from many goroutines).
	Progress func(Snapshot)
	// CallTimeout bounds each call to the stack (default 15 s).
	CallTimeout time.Duration
}

// failuresBeforeCheck is how many contacts in a row may fail entirely
// before the runner asks whether the stack is still there.
const failuresBeforeCheck = 10

// ErrStackGone stops a run whose stack stopped answering.
var ErrStackGone = errors.New("the local stack stopped answering")

// Run sends contacts until a bound is reached or ctx ends, then waits for
// the contacts in flight (they finish even after ctx ends, so none is left
// half sent).
func (r *Runner) Run(ctx context.Context) error {
	o := r.Options
	if err := o.Validate(); err != nil {
		return err
	}
	if r.Tally == nil {
		r.Tally = NewTally()
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// Contacts in flight outlive ctx; only the calls' own timeouts bound them.
	flight := context.WithoutCancel(ctx)

	var metrics sync.WaitGroup
	stopMetrics := make(chan struct{})
	if o.QueueMetrics {
		metrics.Go(func() { r.pushQueues(flight, stopMetrics) })
	}

	arrivals := mrand.New(mrand.NewPCG(o.Seed, 0xa771))
	sem := make(chan struct{}, o.Concurrency)
	var inFlight sync.WaitGroup
	start := time.Now()
	next := start
loop:
	for i := 0; o.Count == 0 || i < o.Count; i++ {
		if i > 0 {
			next = next.Add(time.Duration(arrivals.ExpFloat64() / o.Rate * float64(time.Second)))
		}
		if o.Duration > 0 && next.Sub(start) >= o.Duration {
			break
		}
		if d := time.Until(next); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				break loop
			case <-t.C:
			}
		} else if d < -time.Second {
			next = time.Now() // the stack fell behind: no burst to catch up
		}
		select {
		case <-ctx.Done():
			break loop
		case sem <- struct{}{}:
		}
		c := r.Model.Next(time.Now())
		inFlight.Go(func() {
			defer func() { <-sem }()
			if !r.Contact(flight, c) && r.Tally.Failed() >= failuresBeforeCheck && r.Health != nil {
				if err := r.Health(flight); err != nil {
					cancel(fmt.Errorf("%w: %v", ErrStackGone, err))
				}
			}
			if r.Progress != nil {
				r.Progress(r.Tally.Snapshot())
			}
		})
	}
	inFlight.Wait()
	close(stopMetrics)
	metrics.Wait()
	if err := context.Cause(ctx); errors.Is(err, ErrStackGone) {
		return err
	}
	return nil
}

func (r *Runner) call(ctx context.Context) (context.Context, context.CancelFunc) {
	d := r.CallTimeout
	if d <= 0 {
		d = 15 * time.Second
	}
	return context.WithTimeout(ctx, d)
}

// Contact sends one contact through the stack in the order Connect would:
// INITIATED; the flow asks the offer function; QUEUED; then, unless the
// customer gives up waiting, CONNECTED_TO_AGENT, the Contact Lens
// segments of the conversation and the agent recording the customer's
// answer to an offer; DISCONNECTED; the contact record. It reports whether
// any of it reached the stack.
func (r *Runner) Contact(ctx context.Context, c *Contact) bool {
	in := r.Instance
	reached := false
	step := func(name string, err error) {
		if err != nil {
			r.Tally.Error(name, err)
			return
		}
		reached = true
	}
	events := func(typ string, t Timeline) {
		cctx, cancel := r.call(ctx)
		defer cancel()
		step(StepEvents, r.Target.PutContactEvents(cctx, c.ContactEvent(in, typ, t)))
	}

	events(connect.EventInitiated, c.Timeline(Result{}))
	answer, err := r.offer(ctx, c)
	step(StepOfferCall, err)
	res := c.Respond(answer)
	t := c.Timeline(res)
	events(connect.EventQueued, t)
	if !c.Abandoned {
		events(connect.EventConnectedToAgent, t)
		cctx, cancel := r.call(ctx)
		step(StepLens, r.Target.PutLens(cctx, c.LensEvents(in, t, res)...))
		cancel()
		if res.Outcome != "" {
			step(StepOutcomeCall, r.outcome(ctx, c, answer, res.Outcome))
		}
	}
	events(connect.EventDisconnected, t)

	var records []connect.ContactRecord
	if c.EarlyRecord && !c.Abandoned {
		records = append(records, c.Record(in, t, res, false))
	}
	final := c.Record(in, t, res, true)
	records = append(records, final)
	if c.DuplicateRecord {
		records = append(records, final) // Kinesis delivers at least once
	}
	cctx, cancel := r.call(ctx)
	step(StepRecords, r.Target.PutRecords(cctx, records...))
	cancel()
	if reached {
		r.Tally.Contact(c, res, t)
	}
	return reached
}

func (r *Runner) offer(ctx context.Context, c *Contact) (Answer, error) {
	ctx, cancel := r.call(ctx)
	defer cancel()
	out, err := r.Target.Invoke(ctx, "offer", c.OfferEvent(r.Instance))
	if err != nil {
		return nil, err
	}
	var a Answer
	if err := json.Unmarshal(out, &a); err != nil {
		return nil, fmt.Errorf("the offer function's answer is not a string map: %w", err)
	}
	if a[offer.KeyOffer] == "" {
		return nil, fmt.Errorf("the offer function's answer has no %q key: %s", offer.KeyOffer, clipped(out))
	}
	return a, nil
}

func (r *Runner) outcome(ctx context.Context, c *Contact, a Answer, outcome string) error {
	ctx, cancel := r.call(ctx)
	defer cancel()
	out, err := r.Target.Invoke(ctx, "outcome", c.OutcomeEvent(r.Instance, a, outcome))
	if err != nil {
		return err
	}
	var ans map[string]string
	if err := json.Unmarshal(out, &ans); err != nil {
		return fmt.Errorf("the outcome function's answer is not a string map: %w", err)
	}
	switch ans[offer.KeyStatus] {
	case offer.StatusRecorded, offer.StatusDuplicate:
		return nil
	}
	return fmt.Errorf("outcome %s: %s (%s)", ans[offer.KeyStatus], ans[offer.KeyReason], ans[offer.KeyMessage])
}

// pushQueues sets every queue's metrics on the local Connect endpoint now
// and every MetricsEvery until stop closes, then clears them so the
// endpoint goes back to the contact-event counters.
func (r *Runner) pushQueues(ctx context.Context, stop <-chan struct{}) {
	every := r.Options.MetricsEvery
	if every <= 0 {
		every = 10 * time.Second
	}
	push := func() {
		now := time.Now()
		for _, name := range r.Queues.Names() {
			cctx, cancel := r.call(ctx)
			if err := r.Target.SetQueue(cctx, name, r.Queues.View(name, now).Setting()); err != nil {
				r.Tally.Error(StepQueues, err)
			}
			cancel()
		}
	}
	push()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			for _, name := range r.Queues.Names() {
				cctx, cancel := r.call(ctx)
				if err := r.Target.ClearQueue(cctx, name); err != nil {
					r.Tally.Error(StepQueues, err)
				}
				cancel()
			}
			return
		case <-tick.C:
			push()
		}
	}
}

func clipped(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
