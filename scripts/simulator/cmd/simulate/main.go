// Command simulate drives realistic contact-center traffic through the
// running local stack (scripts/simulate): calls and chats from known and
// unknown customers, the contact flow's offer and outcome invocations,
// contact events, Contact Lens segments and contact records, with a
// progress bar and a closing summary.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/conduit-cx/conduit/scripts/devstack"
	"github.com/conduit-cx/conduit/scripts/localauth"
	"github.com/conduit-cx/conduit/scripts/localaws"
	"github.com/conduit-cx/conduit/scripts/simulator"
	"github.com/conduit-cx/conduit/shared/api"
	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/localstack"
	"github.com/conduit-cx/conduit/shared/rollup"
	"github.com/conduit-cx/conduit/shared/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C stops at once
	}()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "simulate:", err)
		}
		os.Exit(1)
	}
}

type options struct {
	run                  simulator.Options
	mix                  simulator.Mix
	overload             simulator.Overload
	overloadQueues       string
	api, aws, kinesis    string
	wait                 time.Duration
	rollup, quiet, check bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := options{mix: simulator.DefaultMix()}
	fs := flag.NewFlagSet("scripts/simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Float64Var(&o.run.Rate, "rate", 5, "contacts a second, on average (arrivals are random)")
	fs.IntVar(&o.run.Count, "count", 200, "stop after this many contacts (0: no limit)")
	fs.DurationVar(&o.run.Duration, "duration", 10*time.Minute, "stop after this long (0: no limit); with --count 0 --duration 0 it runs until Ctrl-C")
	fs.Uint64Var(&o.run.Seed, "seed", 1, "seed of the traffic: the same seed plans the same contacts")
	fs.IntVar(&o.run.Concurrency, "concurrency", 16, "contacts in flight at once")
	fs.Float64Var(&o.mix.ChatShare, "chat-share", o.mix.ChatShare, "share of contacts that are chats")
	fs.Float64Var(&o.mix.UpsetShare, "upset-share", o.mix.UpsetShare, "share of contacts whose customer is upset")
	fs.Float64Var(&o.mix.KnownShare, "known-share", o.mix.KnownShare, "share of contacts from known demo customers")
	fs.Float64Var(&o.mix.RepeatShare, "repeat-share", o.mix.RepeatShare, "share of known customers' contacts that repeat a recent one")
	fs.DurationVar(&o.overload.For, "overload", 0, "drive --overload-queues into overload for this long (an incident; 0: none)")
	fs.DurationVar(&o.overload.After, "overload-after", 30*time.Second, "when the overload starts, from the start of the run")
	fs.StringVar(&o.overloadQueues, "overload-queues", simulator.QueueBilling+","+simulator.QueueSales, "queues the overload hits, comma-separated")
	fs.Float64Var(&o.overload.Utilisation, "overload-demand", 2.5, "demand during the overload, as a multiple of the agents' capacity")
	fs.BoolVar(&o.run.QueueMetrics, "queue-metrics", true, "set the queue model's metrics on the local Amazon Connect endpoint (for loadwatch)")
	fs.StringVar(&o.api, "api", "http://127.0.0.1:8080", "the local API (scripts/dev --api)")
	fs.StringVar(&o.aws, "aws", devstack.DefaultConnectEndpoint, "the local AWS endpoint: Lambda Invoke API, PutEvents, Connect (scripts/dev --invoke)")
	fs.StringVar(&o.kinesis, "kinesis", fmt.Sprintf("http://127.0.0.1:%d", devstack.KinesisPort), "kinesalite (scripts/dev --kinesis-port)")
	fs.DurationVar(&o.wait, "wait", 0, "wait up to this long for the stack to come up (0: it must be up now)")
	fs.BoolVar(&o.rollup, "rollup", true, "run the KPI rollup once at the end, so KPIs show the contacts at once")
	fs.BoolVar(&o.check, "check", true, "at the end, wait (at most 30 s) until the API shows the last contact taken in, before the rollup")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress bar: a status line a minute (for running in the background)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: scripts/simulate [flags]\n"+
			"Drives calls and chats through the running local stack (start it with scripts/dev).\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	o.run.MetricsEvery = 10 * time.Second
	if o.overloadQueues != "" {
		for _, q := range strings.Split(o.overloadQueues, ",") {
			if q = strings.TrimSpace(q); q != "" {
				o.overload.Queues = append(o.overload.Queues, q)
			}
		}
	}
	for _, u := range [][2]string{{"api", o.api}, {"aws", o.aws}, {"kinesis", o.kinesis}} {
		if err := simulator.Loopback(u[0], u[1]); err != nil {
			return o, err
		}
	}
	if err := o.run.Validate(); err != nil {
		return o, err
	}
	return o, o.mix.Validate()
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	say := func(format string, a ...any) { fmt.Fprintf(stderr, "simulate: "+format+"\n", a...) }
	o.api, o.aws, o.kinesis = strings.TrimRight(o.api, "/"), strings.TrimRight(o.aws, "/"), strings.TrimRight(o.kinesis, "/")

	clients, err := awsclients.New(ctx, config.Config{Stage: devstack.Stage, Region: devstack.Region, KinesisEndpoint: o.kinesis})
	if err != nil {
		return err
	}
	stack := &simulator.Stack{API: o.api, AWS: o.aws, Kinesis: clients.Kinesis, Streams: store.StreamsFor(devstack.Stage)}
	if err := waitForStack(ctx, stack, o.wait, say); err != nil {
		return err
	}
	if o.check {
		if stack.Token, err = analystToken(); err != nil {
			say("cannot read contacts back (%v); going on without", err)
		}
	}
	if o.run.QueueMetrics {
		names, err := stack.ConnectQueues(ctx)
		switch {
		case errors.Is(err, simulator.ErrNoConnectEndpoint):
			say("%s serves no local Amazon Connect endpoint (GET /local/queues): queue metrics are not set, "+
				"queue waits still follow the model", o.aws)
			o.run.QueueMetrics = false
		case err != nil:
			return fmt.Errorf("local Amazon Connect endpoint: %w", err)
		default:
			say("queue metrics of %s go to the local Amazon Connect endpoint every %s (loadwatch reads them)",
				strings.Join(names, ", "), o.run.MetricsEvery)
		}
	}

	start := time.Now()
	queues, err := simulator.NewQueues(simulator.DefaultQueueSpecs(), start, o.overload)
	if err != nil {
		return err
	}
	model, err := simulator.NewModel(o.run.Seed, o.mix, simulator.DemoCustomers(start), queues, simulator.LocalInstance())
	if err != nil {
		return err
	}
	r := &simulator.Runner{
		Model: model, Queues: queues, Target: stack, Instance: simulator.LocalInstance(), Options: o.run,
		Tally: simulator.NewTally(), Health: stack.Health,
	}
	say("%s into %s (seed %d, %.0f %% chats, %.0f %% upset)%s", describeBounds(o.run), o.api, o.run.Seed,
		100*o.mix.ChatShare, 100*o.mix.UpsetShare, describeOverload(o.overload))
	progress := newProgress(o, stderr)
	r.Progress = progress.update
	runErr := r.Run(ctx)
	progress.finish()
	elapsed := time.Since(start)

	// Stream consumers and the event bus work on after the last put: give
	// them a moment before counting, so the rollup sees every contact.
	after := context.WithoutCancel(ctx)
	if runErr == nil && stack.Token != "" && r.Tally.LastContact != "" {
		settle(after, stack, r.Tally.LastContact, say)
	}
	r.Tally.Write(stdout, elapsed)
	if runErr != nil {
		return runErr
	}
	if o.rollup && r.Tally.Contacts > 0 {
		rollupNow(after, stack, stdout)
	}
	hints(stdout, o.api, o.aws, r.Tally, o.rollup)
	if n := r.Tally.ErrorCount(); n > 0 {
		return fmt.Errorf("%d steps failed (see Errors above)", n)
	}
	return nil
}

// waitForStack checks the runner answers GET /healthz, waiting up to wait.
func waitForStack(ctx context.Context, s *simulator.Stack, wait time.Duration, say func(string, ...any)) error {
	deadline := time.Now().Add(wait)
	said := false
	for {
		err := s.Health(ctx)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the local stack is not running at %s (GET /healthz: %v).\n"+
				"Start it in another terminal with scripts/dev (or scripts/dev --in-memory), then run scripts/simulate again; "+
				"or run scripts/dev --simulate", s.API, err)
		}
		if !said {
			say("waiting up to %s for the local stack at %s ...", wait, s.API)
			said = true
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// analystToken signs a short-lived analyst token with the local
// development key, as scripts/token does.
func analystToken() (string, error) {
	root, err := localstack.Root()
	if err != nil {
		return "", err
	}
	key, err := localauth.LoadOrCreate(devstack.PathsFor(root).Dir)
	if err != nil {
		return "", err
	}
	return key.Mint(localauth.Claims{Subject: "simulator", Scopes: []string{api.ScopeAnalyst}, TTL: time.Hour}, time.Now())
}

// settle waits, at most half a minute, until the last contact's record and
// its disconnect event have been taken in.
func settle(ctx context.Context, s *simulator.Stack, contactID string, say func(string, ...any)) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, found, err := s.ReadContact(ctx, contactID)
		if err != nil {
			say("could not read contact %s back: %v", contactID, err)
			return
		}
		if found && v.Facts != nil && v.Events != nil && !v.Events.States[connect.EventDisconnected].IsZero() {
			return
		}
		if time.Now().After(deadline) {
			say("contact %s is not fully taken in after 30 s (record: %t); the stream consumers may be behind", contactID, found && v.Facts != nil)
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// rollupNow runs the KPI rollup as its schedule would.
func rollupNow(ctx context.Context, s *simulator.Stack, w io.Writer) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	ev := localaws.ScheduledEvent("rollup", devstack.Region, time.Now())
	out, err := s.Invoke(ctx, "rollup", ev)
	if err != nil {
		fmt.Fprintf(w, "KPIs       the rollup failed: %v\n", err)
		return
	}
	var rep rollup.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		fmt.Fprintf(w, "KPIs       the rollup answered %s\n", out)
		return
	}
	fmt.Fprintf(w, "KPIs       rollup ran now: %d contacts over %d day(s), %d KPI items written, %d unchanged\n",
		rep.Contacts, len(rep.Days), rep.Written, rep.Unchanged)
}

func hints(w io.Writer, apiURL, awsURL string, t *simulator.Tally, ranRollup bool) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	if !ranRollup {
		p("KPIs       appear after the next scheduled rollup (every 15 minutes in scripts/dev, every minute in scripts/dev --simulate), or now:")
		p("             curl -s -X POST %s/2015-03-31/functions/rollup/invocations -d @events/rollup/scheduled.json", awsURL)
	}
	p("Look       T=$(scripts/token analyst)")
	p("             curl -s -H \"Authorization: Bearer $T\" '%s/v1/kpis?metric=acceptance&grain=hour'", apiURL)
	p("             curl -s -H \"Authorization: Bearer $T\" %s/v1/campaigns/fibre-upgrade/impact", apiURL)
	if id := t.LastOffered; id != "" {
		p("             curl -s -H \"Authorization: Bearer $T\" %s/v1/contacts/%s   (a contact with an offer and its outcome)", apiURL, id)
	} else if id := t.LastContact; id != "" {
		p("             curl -s -H \"Authorization: Bearer $T\" %s/v1/contacts/%s", apiURL, id)
	}
}

func describeBounds(o simulator.Options) string {
	switch {
	case o.Count > 0 && o.Duration > 0:
		return fmt.Sprintf("%d contacts at %g a second (or %s, whichever comes first)", o.Count, o.Rate, o.Duration)
	case o.Count > 0:
		return fmt.Sprintf("%d contacts at %g a second", o.Count, o.Rate)
	case o.Duration > 0:
		return fmt.Sprintf("%s of contacts at %g a second", o.Duration, o.Rate)
	}
	return fmt.Sprintf("contacts at %g a second until stopped", o.Rate)
}

func describeOverload(o simulator.Overload) string {
	if o.For <= 0 {
		return ""
	}
	return fmt.Sprintf("; overload of %s from %s for %s", strings.Join(o.Queues, ", "), o.After, o.For)
}

// progress shows a bar on a terminal, else a status line now and then.
type progress struct {
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	w     io.Writer
	every time.Duration
	last  time.Time
	seen  int
	snap  simulator.Snapshot
	// timeBar: the bar counts seconds, not contacts.
	timeBar bool
	stop    chan struct{}
	done    sync.WaitGroup
}

func newProgress(o options, w io.Writer) *progress {
	p := &progress{w: w, every: 30 * time.Second, last: time.Now(), stop: make(chan struct{})}
	if o.quiet {
		p.every = time.Minute
	}
	if o.quiet || !isTerminal(w) {
		return p
	}
	max := -1
	if o.run.Count > 0 {
		max = o.run.Count
	}
	p.bar = progressbar.NewOptions(max,
		progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("contacts"),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("contacts"),
		progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(30))
	if max < 0 && o.run.Duration > 0 {
		// Bounded by time only: the bar counts the seconds.
		p.bar.ChangeMax(int(o.run.Duration.Seconds()))
		p.bar.Describe("seconds")
		p.timeBar = true
		start := time.Now()
		p.done.Go(func() {
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				select {
				case <-p.stop:
					return
				case <-tick.C:
					p.mu.Lock()
					_ = p.bar.Set(int(time.Since(start).Seconds()))
					p.mu.Unlock()
				}
			}
		})
	}
	return p
}

func (p *progress) update(s simulator.Snapshot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.Contacts <= p.seen {
		return // snapshots from many goroutines arrive out of order
	}
	p.seen, p.snap = s.Contacts, s
	if p.bar != nil {
		if p.timeBar {
			p.bar.Describe(s.Line())
		} else {
			p.bar.Describe(fmt.Sprintf("%d offers · %d accepted · %d errors", s.Shown, s.Accepted, s.Errors))
			_ = p.bar.Set(s.Contacts)
		}
		return
	}
	if time.Since(p.last) >= p.every {
		p.last = time.Now()
		fmt.Fprintf(p.w, "simulate: %s\n", s.Line())
	}
}

func (p *progress) finish() {
	close(p.stop)
	p.done.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintln(p.w)
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
