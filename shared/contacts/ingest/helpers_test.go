package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/contacts/ingest"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/storetest"
	"github.com/conduit-cx/conduit/shared/stream"
)

// flaky is DynamoDB that fails one write in every (on average, at seeded
// random places, as throttling comes) with throttling: odd failures before
// the write reaches the table, even ones after it did (the caller sees an
// error although the write happened), the two cases a consumer must
// survive. A strictly periodic failure would fail the same record of a
// redelivered batch forever, which no real table does.
type flaky struct {
	*dynamodb.Client
	every  int64
	writes atomic.Int64
	failed atomic.Int64
	mu     sync.Mutex
	rng    *rand.Rand
}

func (f *flaky) fail(write func() error) error {
	f.writes.Add(1)
	f.mu.Lock()
	hit := f.every > 0 && f.rng.Int64N(f.every) == 0
	f.mu.Unlock()
	if !hit {
		return write()
	}
	if f.failed.Add(1)%2 == 0 {
		if err := write(); err != nil {
			return err
		}
	}
	return fmt.Errorf("injected: %w", &types.ProvisionedThroughputExceededException{Message: new(string)})
}

func (f *flaky) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (out *dynamodb.UpdateItemOutput, err error) {
	err = f.fail(func() error { out, err = f.Client.UpdateItem(ctx, in, o...); return err })
	return out, err
}

func (f *flaky) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (out *dynamodb.PutItemOutput, err error) {
	err = f.fail(func() error { out, err = f.Client.PutItem(ctx, in, o...); return err })
	return out, err
}

func (f *flaky) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (out *dynamodb.BatchWriteItemOutput, err error) {
	err = f.fail(func() error { out, err = f.Client.BatchWriteItem(ctx, in, o...); return err })
	return out, err
}

func (f *flaky) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (out *dynamodb.TransactWriteItemsOutput, err error) {
	err = f.fail(func() error { out, err = f.Client.TransactWriteItems(ctx, in, o...); return err })
	return out, err
}

// rig is one test's consumers over DynamoDB Local.
type rig struct {
	env      storetest.Env
	db       *flaky
	contacts *store.Contacts
	profiles *store.Profiles
	hasher   identity.Hasher
	skipped  *skipCounts
	ctr      *stream.Processor[*connect.ContactRecord]
	speech   *stream.Processor[*connect.LensEvent]
	events   *ingest.ContactEvents
}

type rigOptions struct {
	failEvery      int64
	concurrency    int
	streams        bool
	maxRecordBytes int
}

func newRig(t testing.TB, o rigOptions) *rig {
	var env storetest.Env
	if o.streams {
		env = storetest.NewWithStreams(t)
	} else {
		env = storetest.New(t)
	}
	r := &rig{env: env, db: &flaky{Client: env.Clients.DynamoDB, every: o.failEvery, rng: rand.New(rand.NewPCG(7, 7))}, skipped: &skipCounts{m: map[string]int{}}}
	db := dynamo.NewFromIface(r.db)
	r.contacts = store.NewContacts(db, env.Tables)
	r.profiles = store.NewProfiles(db, env.Tables)
	r.hasher = identity.NewHasher(env.Config.IdentityKey)
	idem := store.NewIdempotency(db, env.Tables, 0)
	var logOut io.Writer = io.Discard
	if os.Getenv("INGEST_TEST_LOG") != "" {
		logOut = os.Stderr
	}
	log := slog.New(slog.NewJSONHandler(logOut, nil))
	r.ctr = stream.New[*connect.ContactRecord](&ingest.CTR{Contacts: r.contacts, Profiles: r.profiles, Hasher: r.hasher, Log: log},
		stream.Config{Name: "ctr", Idempotency: idem, RememberSkippedOnly: true, Metrics: r.skipped, Log: log, Concurrency: o.concurrency, MaxRecordBytes: o.maxRecordBytes})
	r.speech = stream.New[*connect.LensEvent](&ingest.Speech{Contacts: r.contacts, Profiles: r.profiles, Signals: contacts.DefaultSignalTable()},
		stream.Config{Name: "speech", Idempotency: idem, Metrics: r.skipped, Log: log, Concurrency: o.concurrency})
	r.events = &ingest.ContactEvents{Contacts: r.contacts, Idempotency: idem, Metrics: r.skipped, Log: log}
	return r
}

// profileFor creates a customer profile with a phone number.
func (r *rig) profileFor(t testing.TB, id, phone string) {
	t.Helper()
	key, err := r.hasher.Phone(phone)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.profiles.Create(context.Background(), profiles.Profile{ID: id, Identities: []identity.Key{key}, ValueTier: "standard"}); err != nil {
		t.Fatal(err)
	}
}

type skipCounts struct {
	mu     sync.Mutex
	m      map[string]int
	failed int
}

func (c *skipCounts) RecordsSkipped(_ context.Context, _, reason string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[reason] += n
}

func (c *skipCounts) RecordsFailed(_ context.Context, _ string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failed += n
}

// kinesisRecord wraps data as the n-th record of a shard.
func kinesisRecord(n int, data []byte, arrived time.Time) events.KinesisEventRecord {
	seq := fmt.Sprintf("4959%016d", n)
	return events.KinesisEventRecord{
		EventID:        "shardId-000000000000:" + seq,
		EventSource:    "aws:kinesis",
		EventSourceArn: "arn:aws:kinesis:us-east-1:111122223333:stream/conduit-test-contact-records",
		Kinesis: events.KinesisRecord{
			SequenceNumber: seq, PartitionKey: fmt.Sprint(n), Data: data,
			ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: arrived},
		},
	}
}

// deliver hands a batch to a consumer as Lambda's event source mapping
// does: after a partial failure it redelivers from the lowest failed
// sequence number on, until the batch is through.
func deliver(t testing.TB, handle func(context.Context, events.KinesisEvent) (events.KinesisEventResponse, error), batch []events.KinesisEventRecord) (retries int) {
	t.Helper()
	for attempt := 0; len(batch) > 0; attempt++ {
		if attempt > 100 {
			t.Fatalf("batch still failing after %d deliveries", attempt)
		}
		resp, err := handle(context.Background(), events.KinesisEvent{Records: batch})
		if err != nil {
			t.Fatalf("the whole batch failed: %v", err)
		}
		if len(resp.BatchItemFailures) == 0 {
			return attempt
		}
		lowest := len(batch)
		for _, f := range resp.BatchItemFailures {
			for i, r := range batch {
				if r.Kinesis.SequenceNumber == f.ItemIdentifier && i < lowest {
					lowest = i
				}
			}
		}
		if lowest == len(batch) {
			t.Fatalf("failures name unknown records: %+v", resp.BatchItemFailures)
		}
		batch = batch[lowest:]
		retries++
	}
	return retries
}

func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "events", "connect", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var day0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// synthetic builds n contact records over about n/2.5 contacts: each
// contact has one to five versions (LastUpdateTimestamp a minute apart,
// after-contact work and the survey arriving in later versions); a part of
// the callers are known customers with a few contacts each, days apart, so
// repeat contacts happen.
func synthetic(n int, seed uint64, knownCallers int) [][]byte {
	return syntheticVersions(n, seed, knownCallers, 5)
}

// syntheticVersions is synthetic with at most maxVersions per contact.
func syntheticVersions(n int, seed uint64, knownCallers, maxVersions int) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out [][]byte
	for c := 0; len(out) < n; c++ {
		id := fmt.Sprintf("%08x-synt-4000-8000-%012d", seed, c)
		start := day0.Add(time.Duration(rng.IntN(20*24*60)) * time.Minute)
		rec := connect.ContactRecord{
			AWSContactTraceRecordFormatVersion: "2017-03-10",
			ContactID:                          id,
			Channel:                            []connect.Channel{connect.Voice, connect.Chat}[rng.IntN(2)],
			InitiationMethod:                   "INBOUND",
			InitiationTimestamp:                connect.NewTimestamp(start),
			ConnectedToSystemTimestamp:         connect.NewTimestamp(start),
			Attributes:                         map[string]string{"intent": []string{"high_bill", "move", "upgrade"}[rng.IntN(3)]},
		}
		if knownCallers > 0 && rng.IntN(3) == 0 {
			rec.CustomerEndpoint = &connect.Endpoint{Type: connect.EndpointPhone, Address: fmt.Sprintf("+1415555%04d", rng.IntN(knownCallers))}
		}
		enq := start.Add(20 * time.Second)
		wait := 5 + rng.IntN(300)
		queue := fmt.Sprintf("q%d", rng.IntN(3))
		rec.Queue = &connect.RecordQueue{ARN: "arn:aws:connect:us-east-1:1:instance/i/queue/" + queue, Name: "Queue " + queue,
			EnqueueTimestamp: connect.NewTimestamp(enq), DequeueTimestamp: connect.NewTimestamp(enq.Add(time.Duration(wait) * time.Second)), Duration: wait}
		end := enq.Add(time.Duration(wait) * time.Second)
		if rng.IntN(5) > 0 {
			talk, hold := 60+rng.IntN(900), rng.IntN(120)
			rec.Agent = &connect.RecordAgent{Username: fmt.Sprintf("agent%02d", rng.IntN(20)),
				ConnectedToAgentTimestamp: connect.NewTimestamp(end), AgentInteractionDuration: talk, CustomerHoldDuration: hold}
			end = end.Add(time.Duration(talk+hold) * time.Second)
		}
		rec.DisconnectTimestamp = connect.NewTimestamp(end)
		rec.DisconnectReason = "CUSTOMER_DISCONNECT"
		versions := 1 + rng.IntN(maxVersions)
		for v := range versions {
			if len(out) == n {
				break
			}
			r := rec
			r.Attributes = map[string]string{"intent": rec.Attributes["intent"]}
			r.LastUpdateTimestamp = connect.NewTimestamp(end.Add(time.Duration(v+1) * time.Minute))
			if rec.Agent != nil {
				a := *rec.Agent
				a.AfterContactWorkDuration = 10 * (v + 1)
				r.Agent = &a
			}
			if v == versions-1 && v > 0 {
				r.Attributes["surveyScore"] = fmt.Sprint(1 + rng.IntN(5))
			}
			b, err := json.Marshal(r)
			if err != nil {
				panic(err)
			}
			out = append(out, b)
		}
	}
	return out
}
