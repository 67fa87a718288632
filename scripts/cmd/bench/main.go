// Command bench measures the offer path end to end, as a contact flow
// calls it: an HTTP POST to the local Lambda Invoke API, the real offer
// handler, DynamoDB Local and kinesalite. Next to it, in the same run and
// interleaved with it, it measures one bare GetItem, the floor of any
// path that reads DynamoDB. It prints one JSON object per line.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/conduit-cx/conduit/scripts/localaws"
	"github.com/conduit-cx/conduit/scripts/seed"
	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/lambdas"
	"github.com/conduit-cx/conduit/shared/localstack"
	"github.com/conduit-cx/conduit/shared/offer"
	"github.com/conduit-cx/conduit/shared/store"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "conduit: bench:", err)
		}
		os.Exit(1)
	}
}

// Result is one line of output.
type Result struct {
	Name        string  `json:"name"`
	N           int     `json:"n"`
	P50         float64 `json:"p50_ms"`
	P99         float64 `json:"p99_ms"`
	Max         float64 `json:"max_ms"`
	Mean        float64 `json:"mean_ms"`
	AllocsPerOp float64 `json:"allocs_per_op"`
	BytesPerOp  float64 `json:"bytes_per_op"`
	// Offers and NoOffer count the offer path's answers.
	Offers  int `json:"offers,omitempty"`
	NoOffer int `json:"no_offer,omitempty"`
}

// Ratio compares the offer path with the floor.
type Ratio struct {
	Name string  `json:"name"`
	P50  float64 `json:"p50"`
	P99  float64 `json:"p99"`
	Goal string  `json:"goal"`
}

func run(args []string) error {
	fs := flag.NewFlagSet("scripts/bench", flag.ContinueOnError)
	n := fs.Int("n", 2000, "measured calls of each kind")
	warm := fs.Int("warmup", 200, "calls of each kind before measuring")
	allocRuns := fs.Int("alloc-runs", 300, "calls of each kind for the allocation count")
	if err := fs.Parse(args); err != nil {
		return err
	}
	out := json.NewEncoder(os.Stdout)
	// The handler writes its logs and metric lines to stdout, as in Lambda;
	// here they would drown the figures.
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	os.Stdout = devnull
	slog.SetDefault(slog.New(slog.DiscardHandler))
	say := func(format string, a ...any) { fmt.Fprintf(os.Stderr, "bench: "+format+"\n", a...) }

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root, err := localstack.Root()
	if err != nil {
		return err
	}
	logs := filepath.Join(root, ".conduit", "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return err
	}
	ddbLog, _ := os.Create(filepath.Join(logs, "bench-dynamodb.log"))
	kinLog, _ := os.Create(filepath.Join(logs, "bench-kinesalite.log"))
	say("starting DynamoDB Local and kinesalite")
	ddb, err := localstack.StartDynamoDB(ctx, localstack.Options{Root: root, Log: ddbLog})
	if err != nil {
		return err
	}
	defer ddb.Stop()
	kin, err := localstack.StartKinesis(ctx, localstack.Options{Root: root, Log: kinLog})
	if err != nil {
		return err
	}
	defer kin.Stop()

	key := make([]byte, 32)
	_, _ = rand.Read(key)
	cfg := config.Config{
		Stage: "bench", Region: "us-east-1", DynamoDBEndpoint: ddb.Endpoint, KinesisEndpoint: kin.Endpoint,
		IdentityKey: key, DecisionDeadline: config.DefaultDecisionDeadline, CatalogRefresh: config.DefaultCatalogRefresh,
	}
	clients, err := awsclients.New(ctx, cfg)
	if err != nil {
		return err
	}
	if err := store.EnsureTables(ctx, clients.DynamoDB, cfg.Stage); err != nil {
		return err
	}
	if err := store.EnsureStreams(ctx, clients.Kinesis, cfg.Stage); err != nil {
		return err
	}
	tables := store.TablesFor(cfg.Stage)
	now := time.Now().UTC()
	say("seeding the demo catalog and %d customers", *n+*warm+*allocRuns)
	if err := seed.Run(ctx, seed.Env{Config: cfg, Clients: clients, Tables: tables, Now: now}); err != nil {
		return err
	}
	phones, err := benchCustomers(ctx, cfg, clients, tables, now, *n+*warm+*allocRuns)
	if err != nil {
		return err
	}

	handler, err := lambdas.Registry()["offer"].New(ctx, cfg, clients)
	if err != nil {
		return err
	}
	invoker := localaws.NewInvoker(cfg.Region, map[string]lambda.Handler{"offer": handler}, slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: &localaws.LambdaAPI{Invoker: invoker}}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	invokeURL := "http://" + ln.Addr().String() + "/2015-03-31/functions/offer/invocations"
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}

	floorKey := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "P#demo-0001"}}
	getItem := func() error {
		_, err := clients.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(tables.Profiles), Key: floorKey})
		return err
	}
	call := 0
	var offers, none int
	offerPath := func() error {
		phone := phones[call%len(phones)]
		call++
		body := flowEvent(fmt.Sprintf("bench-%06d", call), phone)
		resp, err := httpc.Post(invokeURL, "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var ans map[string]string
		if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Amz-Function-Error") != "" || ans[offer.KeyDecisionID] == "" {
			return fmt.Errorf("offer answered %d %v", resp.StatusCode, ans)
		}
		if ans[offer.KeyOffer] == offer.NoOffer {
			none++
		} else {
			offers++
		}
		return nil
	}

	say("warming up with %d calls of each", *warm)
	for range *warm {
		if err := getItem(); err != nil {
			return err
		}
		if err := offerPath(); err != nil {
			return err
		}
	}
	offers, none = 0, 0
	say("measuring %d calls of each, interleaved", *n)
	floor, path := make([]time.Duration, 0, *n), make([]time.Duration, 0, *n)
	for range *n {
		t := time.Now()
		if err := getItem(); err != nil {
			return err
		}
		floor = append(floor, time.Since(t))
		t = time.Now()
		if err := offerPath(); err != nil {
			return err
		}
		path = append(path, time.Since(t))
	}
	madeOffers, noOffers := offers, none
	say("counting allocations over %d calls of each", *allocRuns)
	floorAllocs, floorBytes, err := allocations(*allocRuns, getItem)
	if err != nil {
		return err
	}
	pathAllocs, pathBytes, err := allocations(*allocRuns, offerPath)
	if err != nil {
		return err
	}

	g := summarise("getitem", floor, floorAllocs, floorBytes)
	o := summarise("offer", path, pathAllocs, pathBytes)
	o.Offers, o.NoOffer = madeOffers, noOffers
	for _, v := range []any{g, o, Ratio{Name: "offer/getitem", P50: round(o.P50 / g.P50), P99: round(o.P99 / g.P99), Goal: "p99 <= 2.5"}} {
		if err := out.Encode(v); err != nil {
			return err
		}
	}
	return nil
}

// benchCustomers stores count customers with the demo base's attributes and
// phone numbers of their own, so each measured contact is a different
// customer (a customer's frequency cap would otherwise answer "no offer").
func benchCustomers(ctx context.Context, cfg config.Config, clients *awsclients.Clients, tables store.Tables, now time.Time, count int) ([]string, error) {
	hasher := identity.NewHasher(cfg.IdentityKey)
	st := store.NewProfiles(clients.Dynamo, tables)
	inputs, _ := seed.DemoProfileInputs(now)
	phones := make([]string, count)
	work := make(chan int)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				in := inputs[i%len(inputs)]
				in.Phone, in.CustomerID, in.Email = phones[i], "", ""
				p, err := in.Build(hasher, now)
				if err == nil {
					p.ID = fmt.Sprintf("bench-%06d", i)
					_, err = st.Create(ctx, p)
				}
				if err != nil {
					select {
					case errs <- fmt.Errorf("bench customer %d: %w", i, err):
					default:
					}
				}
			}
		}()
	}
	for i := range count {
		phones[i] = fmt.Sprintf("+447700%06d", 100000+i)
	}
	for i := range count {
		work <- i
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	return phones, nil
}

func flowEvent(contactID, phone string) []byte {
	ev := map[string]any{
		"Name": "ContactFlowEvent",
		"Details": map[string]any{
			"ContactData": map[string]any{
				"Attributes": map[string]string{}, "Channel": "VOICE", "ContactId": contactID, "InitialContactId": contactID,
				"InitiationMethod": "INBOUND", "LanguageCode": "en-GB",
				"CustomerEndpoint": map[string]string{"Address": phone, "Type": "TELEPHONE_NUMBER"},
				"Queue":            map[string]string{"ARN": "arn:aws:connect:eu-west-2:111111111111:instance/bench/queue/billing", "Name": "Billing"},
			},
			"Parameters": map[string]string{"intent": "high_bill"},
		},
	}
	b, _ := json.Marshal(ev)
	return b
}

// allocations counts the heap allocations of the whole process per call:
// HTTP client and server, handler, SDK.
func allocations(runs int, f func() error) (allocs, bytes float64, err error) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		if err := f(); err != nil {
			return 0, 0, err
		}
	}
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / float64(runs), float64(after.TotalAlloc-before.TotalAlloc) / float64(runs), nil
}

func summarise(name string, d []time.Duration, allocs, bytes float64) Result {
	slices.Sort(d)
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	ms := func(x time.Duration) float64 { return round(float64(x.Microseconds()) / 1000) }
	at := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))] }
	return Result{
		Name: name, N: len(d), P50: ms(at(0.50)), P99: ms(at(0.99)), Max: ms(d[len(d)-1]),
		Mean: ms(sum / time.Duration(len(d))), AllocsPerOp: round(allocs), BytesPerOp: round(bytes),
	}
}

func round(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }
