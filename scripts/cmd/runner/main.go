// Command runner runs Conduit on a developer's machine (scripts/dev): real
// DynamoDB Local and kinesalite, the API behind an emulated API Gateway
// with its JWT authorizer, the Lambda Invoke API, the stream pollers, the
// schedules and the event bus, all calling the functions' real handlers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/conduit-cx/conduit/scripts/devstack"
	"github.com/conduit-cx/conduit/scripts/localauth"
	"github.com/conduit-cx/conduit/scripts/localaws"
	"github.com/conduit-cx/conduit/scripts/localconnect"
	"github.com/conduit-cx/conduit/scripts/seed"
	"github.com/conduit-cx/conduit/shared/api"
	"github.com/conduit-cx/conduit/shared/lambdas"
	"github.com/conduit-cx/conduit/shared/lambdas/campaigns"
	"github.com/conduit-cx/conduit/shared/logging"
	"github.com/conduit-cx/conduit/shared/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "conduit:", err)
		os.Exit(1)
	}
}

type options struct {
	inMemory, reset, noSeed bool
	apiAddr, invokeAddr     string
	dynamodbPort            int
	kinesisPort             int
	schedules               scheduleFlag
}

// scheduleFlag collects --schedule name=period overrides.
type scheduleFlag map[string]time.Duration

func (f scheduleFlag) String() string { return fmt.Sprint(map[string]time.Duration(f)) }

func (f scheduleFlag) Set(v string) error {
	name, period, ok := strings.Cut(v, "=")
	d, err := time.ParseDuration(period)
	if !ok || err != nil || d <= 0 {
		return fmt.Errorf("want function=period, such as rollup=30s")
	}
	f[name] = d
	return nil
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := options{schedules: scheduleFlag{}}
	fs := flag.NewFlagSet("scripts/dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.inMemory, "in-memory", false, "keep no data between runs (default: keep it under .conduit/data)")
	fs.BoolVar(&o.reset, "reset", false, "start from empty storage, then seed the demo data again")
	fs.BoolVar(&o.noSeed, "no-seed", false, "do not seed the demo data")
	fs.StringVar(&o.apiAddr, "api", "127.0.0.1:8080", "address of the API (API Gateway emulation)")
	fs.StringVar(&o.invokeAddr, "invoke", "127.0.0.1:3001", "address of the local AWS endpoint: Lambda Invoke API, EventBridge PutEvents, Amazon Connect metrics")
	fs.IntVar(&o.dynamodbPort, "dynamodb-port", devstack.DynamoDBPort, "port of DynamoDB Local (attached to if already running)")
	fs.IntVar(&o.kinesisPort, "kinesis-port", devstack.KinesisPort, "port of kinesalite (attached to if already running)")
	fs.Var(o.schedules, "schedule", "run a scheduled function at another period, as function=period (repeatable)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	say := func(format string, a ...any) { fmt.Fprintf(stderr, "conduit: "+format+"\n", a...) }
	// The functions log JSON lines to stdout, as they do in Lambda.
	logging.Setup()

	// Listen first, so a port already taken fails before anything starts.
	apiLn, err := listen(o.apiAddr, "the API")
	if err != nil {
		return err
	}
	defer apiLn.Close()
	invokeLn, err := listen(o.invokeAddr, "the Lambda Invoke API")
	if err != nil {
		return err
	}
	defer invokeLn.Close()

	stack, err := devstack.Start(ctx, devstack.Options{
		InMemory: o.inMemory, Reset: o.reset, DynamoDBPort: o.dynamodbPort, KinesisPort: o.kinesisPort,
		ConnectEndpoint: "http://" + invokeLn.Addr().String(), Say: say,
	})
	if err != nil {
		return err
	}
	defer func() {
		stack.Stop()
		say("stopped")
	}()
	if o.inMemory && (!stack.DynamoDB.Started || !stack.Kinesis.Started) {
		say("note: --in-memory applies only to servers started here; the attached ones keep their data")
	}
	tables, streams := store.TablesFor(devstack.Stage), store.StreamsFor(devstack.Stage)
	if !o.noSeed {
		if err := seed.Run(ctx, seed.Env{Config: stack.Config, Clients: stack.Clients, Tables: tables, Say: say}); err != nil {
			return err
		}
	}
	key, err := localauth.LoadOrCreate(stack.Paths.Dir)
	if err != nil {
		return fmt.Errorf("signing key: %w", err)
	}

	// A what-if the API starts hands its later chunks to the local
	// campaigns function through this runner's Lambda Invoke API.
	_ = os.Setenv(campaigns.EnvLambdaEndpoint, "http://"+invokeLn.Addr().String())
	_ = os.Setenv(campaigns.EnvWhatIfFunction, "campaigns")

	registry := lambdas.Registry()
	handlers := map[string]lambda.Handler{}
	for _, name := range sortedNames(registry) {
		h, err := registry[name].New(ctx, stack.Config, stack.Clients)
		if err != nil {
			// One function that cannot start must not take the others down;
			// calling it answers as Lambda does for a function that exits
			// at start-up.
			say("function %s could not start: %v", name, err)
			h = localaws.FailedStart(err)
		}
		handlers[name] = h
	}
	log := slog.Default()
	invoker := localaws.NewInvoker(devstack.Region, handlers, log)
	failures := &localaws.Failures{Dir: filepath.Join(stack.Paths.Data, "failures")}
	var checkpoints localaws.Checkpoints = &localaws.FileCheckpoints{Path: filepath.Join(stack.Paths.Data, "checkpoints.json")}
	if o.inMemory {
		checkpoints = &localaws.MemoryCheckpoints{}
	}
	bus := &localaws.EventBus{Invoke: invoker.InvokeWith, ARN: invoker.ARN, Region: devstack.Region, Failures: failures, Log: log, RetryDelay: time.Second}
	sched := &localaws.Scheduler{Invoke: invoker.InvokeWith, Region: devstack.Region, Log: log}
	var pollers []*localaws.Poller
	apiFunction := ""
	for _, name := range sortedNames(registry) {
		fn := registry[name]
		invoker.SetTimeout(name, fn.Timeout)
		switch tr := fn.Trigger; tr.Kind {
		case lambdas.KindAPI:
			apiFunction = name
		case lambdas.KindStream:
			pollers = append(pollers, &localaws.Poller{
				Source: localaws.StreamSource{
					Function: name, Stream: tr.Stream.Name(devstack.Stage), BatchSize: tr.BatchSize, BatchWindow: tr.BatchWindow,
					RetryAttempts: tr.RetryAttempts, BisectOnError: true, ReportBatchItemFailures: true,
				},
				Kinesis: stack.Clients.Kinesis, Invoke: invoker.InvokeWith, FunctionARN: invoker.ARN(name),
				Region: devstack.Region, Checkpoints: checkpoints, Failures: failures, Log: log,
			})
		case lambdas.KindEvents:
			bus.Rules = append(bus.Rules, localaws.Rule{Name: name, Source: tr.Source, DetailTypes: tr.DetailTypes, Function: name})
		case lambdas.KindSchedule:
			every := tr.Every
			if d, ok := o.schedules[name]; ok {
				every = d
			}
			sched.Schedules = append(sched.Schedules, localaws.Schedule{Function: name, Every: every})
		}
	}
	for name := range o.schedules {
		if registry[name].Trigger.Kind != lambdas.KindSchedule {
			return fmt.Errorf("--schedule %s: %s is not a scheduled function", name, name)
		}
	}

	apiMux := http.NewServeMux()
	apiMux.Handle("GET /healthz", &localaws.Health{
		DynamoDB: stack.Clients.DynamoDB, Kinesis: stack.Clients.Kinesis, Table: tables.Profiles, Stream: streams.ContactRecords,
	})
	if apiFunction != "" {
		apiMux.Handle("/", &localaws.Gateway{Function: apiFunction, Routes: gatewayRoutes(), Invoke: invoker.InvokeWith, Tokens: key, Log: log})
	}
	apiSrv := &http.Server{Handler: apiMux, ReadHeaderTimeout: 10 * time.Second}
	// One local AWS endpoint: the Lambda Invoke API, EventBridge's
	// PutEvents and the Amazon Connect instance the load watcher reads.
	awsMux := http.NewServeMux()
	lambdaAPI := &localaws.LambdaAPI{Invoker: invoker, Bus: bus}
	connectAPI := &localconnect.Server{Region: devstack.Region, Counters: store.NewContacts(stack.Clients.Dynamo, tables)}
	awsMux.Handle("/", lambdaAPI)
	for _, prefix := range []string{"/metrics/", "/queues-summary/", "/local/"} {
		awsMux.Handle(prefix, connectAPI)
	}
	invokeSrv := &http.Server{Handler: awsMux, ReadHeaderTimeout: 10 * time.Second}

	workCtx, stopWork := context.WithCancel(context.Background())
	var work sync.WaitGroup
	serveErr := make(chan error, 2)
	for _, s := range []struct {
		srv *http.Server
		ln  net.Listener
	}{{apiSrv, apiLn}, {invokeSrv, invokeLn}} {
		work.Go(func() {
			if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				serveErr <- err
			}
		})
	}
	for _, p := range pollers {
		work.Go(func() {
			if err := p.Run(workCtx); err != nil {
				log.Error("stream poller stopped", "function", p.Source.Function, "error", err.Error())
			}
		})
	}
	work.Go(func() { sched.Run(workCtx) })

	say("functions: %s", describe(registry, sched.Schedules))
	fmt.Fprintf(stdout, "conduit: ready · API http://%s (GET /healthz) · Lambda invoke http://%s · DynamoDB %s · Kinesis %s · data %s · Ctrl-C stops\n",
		o.apiAddr, o.invokeAddr, stack.DynamoDB.Endpoint, stack.Kinesis.Endpoint, dataNote(o.inMemory, stack))

	var runErr error
	select {
	case <-ctx.Done():
		say("stopping")
	case <-stack.Done():
		runErr = errors.New("a local server exited on its own; see .conduit/logs")
	case err := <-serveErr:
		runErr = err
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = apiSrv.Shutdown(shutdownCtx)
	_ = invokeSrv.Shutdown(shutdownCtx)
	stopWork()
	work.Wait()
	invoker.Wait()
	bus.Wait()
	return runErr
}

func listen(addr, what string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s cannot listen on %s (is scripts/dev already running?): %w", what, addr, err)
	}
	return ln, nil
}

// gatewayRoutes are the API's routes as the stack declares them to API Gateway.
func gatewayRoutes() []localaws.Route {
	var out []localaws.Route
	for _, r := range api.Routes() {
		out = append(out, localaws.Route{Method: r.Method, Path: r.Path, Scopes: r.Scopes})
	}
	return out
}

func dataNote(inMemory bool, stack *devstack.Stack) string {
	if inMemory {
		return "in memory"
	}
	rel, err := filepath.Rel(stack.Paths.Root, stack.Paths.Data)
	if err != nil {
		return stack.Paths.Data
	}
	return rel
}

func describe(registry map[string]lambdas.Function, schedules []localaws.Schedule) string {
	every := map[string]time.Duration{}
	for _, s := range schedules {
		every[s.Function] = s.Every
	}
	var parts []string
	for _, name := range sortedNames(registry) {
		tr := registry[name].Trigger
		switch tr.Kind {
		case lambdas.KindStream:
			parts = append(parts, fmt.Sprintf("%s (stream %s)", name, tr.Stream.Name(devstack.Stage)))
		case lambdas.KindSchedule:
			parts = append(parts, fmt.Sprintf("%s (every %s)", name, every[name]))
		case lambdas.KindEvents:
			parts = append(parts, fmt.Sprintf("%s (events from %s)", name, tr.Source))
		default:
			parts = append(parts, fmt.Sprintf("%s (%s)", name, tr.Kind))
		}
	}
	return strings.Join(parts, ", ")
}

func sortedNames(m map[string]lambdas.Function) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
