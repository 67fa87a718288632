package localaws

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kintypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/conduit-cx/conduit/shared/store/storetest"
)

// consumer is a stream consumer under test: it records every batch it got
// and which records it processed, and fails the way a case asks.
type consumer struct {
	mu          sync.Mutex
	batches     [][]string
	processed   []string
	failedOnce  map[string]bool
	failOnce    []string // report these as failed the first time they come
	poison      string   // report this as failed every time
	errorIfSeen string   // fail the whole invocation when the batch holds this
}

func (c *consumer) handle(_ context.Context, ev events.KinesisEvent) (events.KinesisEventResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var batch []string
	for _, r := range ev.Records {
		batch = append(batch, string(r.Kinesis.Data))
		if r.EventSource != "aws:kinesis" || r.EventName != "aws:kinesis:record" || !strings.HasPrefix(r.EventSourceArn, "arn:aws:kinesis:") ||
			r.Kinesis.PartitionKey == "" || r.Kinesis.ApproximateArrivalTimestamp.IsZero() || r.EventID != "shardId-000000000000:"+r.Kinesis.SequenceNumber {
			return events.KinesisEventResponse{}, fmt.Errorf("not the event Lambda sends: %+v", r)
		}
	}
	c.batches = append(c.batches, batch)
	if c.errorIfSeen != "" && slices.Contains(batch, c.errorIfSeen) {
		return events.KinesisEventResponse{}, errors.New("cannot handle " + c.errorIfSeen)
	}
	var resp events.KinesisEventResponse
	for _, r := range ev.Records {
		data := string(r.Kinesis.Data)
		fail := data == c.poison || slices.Contains(c.failOnce, data) && !c.failedOnce[data]
		if fail {
			c.failedOnce[data] = true
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.KinesisBatchItemFailure{ItemIdentifier: r.Kinesis.SequenceNumber})
			continue
		}
		if len(resp.BatchItemFailures) == 0 {
			c.processed = append(c.processed, data)
		}
	}
	// Report the later failure first: the poller must pick the lowest.
	slices.Reverse(resp.BatchItemFailures)
	return resp, nil
}

func (c *consumer) snapshot() (batches [][]string, processed []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.batches), slices.Clone(c.processed)
}

type pollerCase struct {
	env      storetest.Env
	stream   string
	seqs     map[string]string
	consumer *consumer
	cps      *MemoryCheckpoints
	failures *Failures
}

func newPollerCase(t *testing.T, env storetest.Env, name string, c *consumer) *pollerCase {
	t.Helper()
	stream := env.Config.Stage + "-" + name
	ctx := context.Background()
	if _, err := env.Clients.Kinesis.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(stream), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = env.Clients.Kinesis.DeleteStream(context.Background(), &kinesis.DeleteStreamInput{StreamName: aws.String(stream)})
	})
	waiter := kinesis.NewStreamExistsWaiter(env.Clients.Kinesis, func(o *kinesis.StreamExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
	})
	if err := waiter.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(stream)}, time.Minute); err != nil {
		t.Fatal(err)
	}
	c.failedOnce = map[string]bool{}
	return &pollerCase{env: env, stream: stream, seqs: map[string]string{}, consumer: c,
		cps: &MemoryCheckpoints{}, failures: &Failures{Dir: t.TempDir()}}
}

// put writes records r<from>..r<to-1>, in order, to the one shard.
func (pc *pollerCase) put(t *testing.T, from, to int) {
	t.Helper()
	prev := ""
	for i := from; i < to; i++ {
		data := fmt.Sprintf("r%02d", i)
		in := &kinesis.PutRecordInput{StreamName: aws.String(pc.stream), PartitionKey: aws.String("contact-" + data), Data: []byte(data)}
		if prev != "" {
			in.SequenceNumberForOrdering = aws.String(prev)
		}
		out, err := pc.env.Clients.Kinesis.PutRecord(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		prev = aws.ToString(out.SequenceNumber)
		pc.seqs[data] = prev
	}
}

// run polls until done says so, then stops the poller and waits for it.
func (pc *pollerCase) run(t *testing.T, src StreamSource, done func(processed []string) bool) {
	t.Helper()
	src.Function, src.Stream = "consumer", pc.stream
	src.PollInterval, src.RetryBackoff = 20*time.Millisecond, time.Millisecond
	iv := NewInvoker("us-east-1", map[string]lambda.Handler{"consumer": lambda.NewHandler(pc.consumer.handle)}, nil)
	p := &Poller{Source: src, Kinesis: pc.env.Clients.Kinesis, Invoke: iv.InvokeWith, FunctionARN: iv.ARN("consumer"),
		Region: "us-east-1", Checkpoints: pc.cps, Failures: pc.failures}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- p.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, processed := pc.consumer.snapshot()
		if done(processed) {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			<-stopped
			batches, _ := pc.consumer.snapshot()
			t.Fatalf("the poller did not get there; processed %v; batches %v", processed, batches)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-stopped; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func (pc *pollerCase) checkpoint() string {
	cp, _ := pc.cps.Load("consumer/" + pc.stream + "/shardId-000000000000")
	return cp
}

func (pc *pollerCase) failureRecords(t *testing.T) []StreamFailure {
	t.Helper()
	f, err := os.Open(pc.failures.Path("consumer"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []StreamFailure
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r StreamFailure
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("a failure line is not JSON: %s", sc.Text())
		}
		out = append(out, r)
	}
	return out
}

func records(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("r%02d", i))
	}
	return out
}

func without(list []string, drop ...string) []string {
	return slices.DeleteFunc(slices.Clone(list), func(s string) bool { return slices.Contains(drop, s) })
}

func haveAll(want []string) func([]string) bool {
	return func(processed []string) bool {
		for _, w := range want {
			if !slices.Contains(processed, w) {
				return false
			}
		}
		return true
	}
}

// firstTimes is the order in which records were first processed.
func firstTimes(processed []string) []string {
	var out []string
	for _, p := range processed {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func TestPollerDeliversInOrderAndResumesAfterItsCheckpoint(t *testing.T) {
	env := storetest.NewWithStreams(t)
	pc := newPollerCase(t, env, "inorder", &consumer{})
	pc.put(t, 0, 10)
	pc.run(t, StreamSource{BatchSize: 4, ReportBatchItemFailures: true}, haveAll(records(0, 10)))
	batches, processed := pc.consumer.snapshot()
	if !slices.Equal(processed, records(0, 10)) {
		t.Fatalf("processed %v, want each record once in order", processed)
	}
	for _, b := range batches {
		if len(b) > 4 {
			t.Errorf("a batch of %d records; the batch size is 4", len(b))
		}
	}
	if pc.checkpoint() != pc.seqs["r09"] {
		t.Fatalf("checkpoint %s, want the last record's %s", pc.checkpoint(), pc.seqs["r09"])
	}

	// A new poller with the same checkpoints starts after r09.
	pc.put(t, 10, 13)
	pc.run(t, StreamSource{BatchSize: 4, ReportBatchItemFailures: true}, haveAll(records(10, 13)))
	_, processed = pc.consumer.snapshot()
	if !slices.Equal(processed, records(0, 13)) {
		t.Fatalf("after a restart processed %v, want r10-r12 once more and nothing again", processed)
	}
}

func TestPollerRetriesFromTheLowestFailedRecord(t *testing.T) {
	env := storetest.NewWithStreams(t)
	pc := newPollerCase(t, env, "partial", &consumer{failOnce: []string{"r03", "r06"}})
	pc.put(t, 0, 10)
	pc.run(t, StreamSource{BatchSize: 10, RetryAttempts: 3, ReportBatchItemFailures: true}, haveAll(records(0, 10)))
	batches, processed := pc.consumer.snapshot()
	if !slices.Equal(firstTimes(processed), records(0, 10)) {
		t.Fatalf("records first processed in the order %v", firstTimes(processed))
	}
	if len(batches) < 2 || batches[1][0] != "r03" {
		t.Fatalf("batches %v: the retry must start at r03, the lowest failure", batches)
	}
	if slices.Contains(batches[1], "r02") {
		t.Fatalf("the retry %v re-sent a record before the checkpoint", batches[1])
	}
	if pc.checkpoint() != pc.seqs["r09"] || pc.failureRecords(t) != nil {
		t.Fatalf("checkpoint %s failures %v; want r09 and none", pc.checkpoint(), pc.failureRecords(t))
	}
}

func TestPollerSendsAPoisonRecordToTheDestination(t *testing.T) {
	env := storetest.NewWithStreams(t)
	pc := newPollerCase(t, env, "poison", &consumer{poison: "r04"})
	pc.put(t, 0, 10)
	pc.run(t, StreamSource{BatchSize: 10, RetryAttempts: 2, BisectOnError: true, ReportBatchItemFailures: true},
		func([]string) bool { return pc.checkpoint() == pc.seqs["r09"] })
	batches, processed := pc.consumer.snapshot()
	if got := firstTimes(processed); !slices.Equal(got, without(records(0, 10), "r04")) {
		t.Fatalf("processed %v; every record but the poison must be, in order", got)
	}
	fails := pc.failureRecords(t)
	if len(fails) != 1 {
		t.Fatalf("failure records %+v, want one", fails)
	}
	f := fails[0]
	info := f.KinesisBatchInfo
	if info.StartSequenceNumber != pc.seqs["r04"] || info.EndSequenceNumber != pc.seqs["r04"] || info.BatchSize != 1 ||
		info.ShardID != "shardId-000000000000" || !strings.HasSuffix(info.StreamARN, "/"+pc.stream) {
		t.Fatalf("the failure names %+v, want r04 alone on its stream and shard", info)
	}
	if f.RequestContext.Condition != "RetryAttemptsExhausted" || f.RequestContext.ApproximateInvokeCount != 3 ||
		f.RequestContext.FunctionARN == "" || f.Version != "1.0" || f.Error == nil {
		t.Fatalf("failure context %+v", f)
	}
	singles := 0
	for _, b := range batches {
		if slices.Equal(b, []string{"r04"}) {
			singles++
		}
	}
	if singles != 3 {
		t.Fatalf("r04 alone was tried %d times, want 1 + 2 retries; batches %v", singles, batches)
	}
}

func TestPollerFunctionErrors(t *testing.T) {
	env := storetest.NewWithStreams(t)
	t.Run("without bisecting, the failing batch goes to the destination whole", func(t *testing.T) {
		pc := newPollerCase(t, env, "errwhole", &consumer{errorIfSeen: "r02"})
		pc.put(t, 0, 8)
		pc.run(t, StreamSource{BatchSize: 5, RetryAttempts: 1, ReportBatchItemFailures: true}, haveAll(records(5, 8)))
		batches, processed := pc.consumer.snapshot()
		if !slices.Equal(processed, records(5, 8)) {
			t.Fatalf("processed %v", processed)
		}
		if len(batches) != 3 || !slices.Equal(batches[0], batches[1]) {
			t.Fatalf("batches %v: one try and one retry of r00-r04, then r05-r07", batches)
		}
		fails := pc.failureRecords(t)
		if len(fails) != 1 || fails[0].KinesisBatchInfo.StartSequenceNumber != pc.seqs["r00"] ||
			fails[0].KinesisBatchInfo.EndSequenceNumber != pc.seqs["r04"] || fails[0].ResponseContext.FunctionError != "Unhandled" {
			t.Fatalf("failures %+v, want r00-r04 as an Unhandled function error", fails)
		}
		if pc.checkpoint() != pc.seqs["r07"] {
			t.Fatal("the checkpoint did not move past the skipped batch")
		}
	})
	t.Run("bisecting isolates the record that breaks the function", func(t *testing.T) {
		pc := newPollerCase(t, env, "errbisect", &consumer{errorIfSeen: "r02"})
		pc.put(t, 0, 8)
		pc.run(t, StreamSource{BatchSize: 8, RetryAttempts: 1, BisectOnError: true, ReportBatchItemFailures: true},
			func([]string) bool { return pc.checkpoint() == pc.seqs["r07"] })
		_, processed := pc.consumer.snapshot()
		if !slices.Equal(processed, without(records(0, 8), "r02")) {
			t.Fatalf("processed %v, want every other record once, in order", processed)
		}
		fails := pc.failureRecords(t)
		if len(fails) != 1 || fails[0].KinesisBatchInfo.BatchSize != 1 || fails[0].KinesisBatchInfo.StartSequenceNumber != pc.seqs["r02"] {
			t.Fatalf("failures %+v, want r02 alone", fails)
		}
	})
}

func TestPollerBatchWindowGathersRecords(t *testing.T) {
	env := storetest.NewWithStreams(t)
	pc := newPollerCase(t, env, "window", &consumer{})
	go func() {
		for i := range 4 {
			time.Sleep(100 * time.Millisecond)
			pc.put(t, i, i+1)
		}
	}()
	pc.run(t, StreamSource{BatchSize: 100, BatchWindow: 3 * time.Second, ReportBatchItemFailures: true}, haveAll(records(0, 4)))
	batches, _ := pc.consumer.snapshot()
	if len(batches) != 1 {
		t.Fatalf("batches %v: records that arrive within the window go in one batch", batches)
	}
}

func TestReportedFailuresAreReadAsLambdaReadsThem(t *testing.T) {
	b := []kinRecord{{"1"}, {"2"}, {"3"}}
	recs := toRecords(b)
	cases := []struct {
		name     string
		response string
		done     int
		failed   bool
	}{
		{"no response is success", ``, 3, false},
		{"null is success", `null`, 3, false},
		{"an empty list is success", `{"batchItemFailures":[]}`, 3, false},
		{"another shape is success", `"ok"`, 3, false},
		{"the lowest failure wins", `{"batchItemFailures":[{"itemIdentifier":"3"},{"itemIdentifier":"2"}]}`, 1, true},
		{"an empty identifier fails the batch", `{"batchItemFailures":[{"itemIdentifier":""}]}`, 0, true},
		{"an unknown identifier fails the batch", `{"batchItemFailures":[{"itemIdentifier":"9"}]}`, 0, true},
	}
	for _, c := range cases {
		got := reportedFailures(recs, []byte(c.response), "id")
		if got.done != c.done || (got.err != nil) != c.failed || got.functionError {
			t.Errorf("%s: done %d err %v, want done %d failed %v", c.name, got.done, got.err, c.done, c.failed)
		}
	}
}

type kinRecord struct{ seq string }

func toRecords(in []kinRecord) []kintypes.Record {
	out := make([]kintypes.Record, len(in))
	for i, r := range in {
		out[i] = kintypes.Record{SequenceNumber: aws.String(r.seq)}
	}
	return out
}
