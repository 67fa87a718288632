package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/stream"
)

// benchConcurrency bounds both the consumer's contacts in flight and the
// raw writer's BatchWriteItem calls in flight.
const benchConcurrency = 16

// BenchmarkCTRConsumerVsBatchWrite measures, in the same run against the
// same DynamoDB Local, the ctr consumer applying 1,000 contact records (in
// Lambda batches of 100, one after the other as one shard delivers them,
// failed records delivered again as Lambda would) and raw BatchWriteItem
// writing the same 1,000 contact items with as many calls in flight as the
// consumer has contacts in flight, and reports both throughputs and their
// ratio. The consumer is configured as the function is: decode, one read of
// the batch's idempotency keys, one conditional UpdateItem per record. In
// the first variant callers are anonymous, so no profile is written; in the
// second a third of them have a profile, which the consumer updates.
func BenchmarkCTRConsumerVsBatchWrite(b *testing.B) {
	for _, v := range []struct {
		name  string
		known int
	}{{"anonymous-callers", 0}, {"known-callers", 100}} {
		b.Run(v.name, func(b *testing.B) {
			r := newRig(b, rigOptions{concurrency: benchConcurrency})
			for i := range v.known {
				r.profileFor(b, fmt.Sprintf("p%04d", i), fmt.Sprintf("+1415555%04d", i))
			}
			benchConsumer(b, r, v.known)
		})
	}
}

// benchConsumer runs the comparison; with known callers, a third of the
// records are from customers with a profile, which the consumer updates.
func benchConsumer(b *testing.B, r *rig, known int) {
	ctx := context.Background()
	var consumer, raw time.Duration
	total, redelivered := 0, 0
	for i := 0; b.Loop(); i++ {
		records := syntheticVersions(1000, uint64(100+i), known, 1)
		items := make([]map[string]types.AttributeValue, len(records))
		for j, data := range records {
			var rec connect.ContactRecord
			if err := json.Unmarshal(data, &rec); err != nil {
				b.Fatal(err)
			}
			f, _ := contacts.FactsOf(&rec)
			item, err := dynamo.MarshalItem(contacts.Contact{
				ContactID: "raw-" + rec.ContactID, Day: contacts.Day(f.InitiatedAt), InitiatedAt: contacts.FormatTime(f.InitiatedAt),
				AgentUsername: f.AgentUsername, Channel: f.Channel, Queue: f.Queue, Facts: &f, ExpiresAt: contacts.ExpiresAt(f.InitiatedAt),
			})
			if err != nil {
				b.Fatal(err)
			}
			items[j] = item
		}

		start := time.Now()
		batchWrite(b, r, items)
		raw += time.Since(start)

		start = time.Now()
		for from := 0; from < len(records); from += 100 {
			batch := make([]stream.Record, 0, 100)
			for j := from; j < from+100; j++ {
				k := kinesisRecord(i*len(records)+j, records[j], day0)
				batch = append(batch, stream.Record{EventID: k.EventID, SequenceNumber: k.Kinesis.SequenceNumber, Data: records[j], ArrivedAt: day0})
			}
			for attempt := 0; len(batch) > 0; attempt++ {
				if attempt > 20 {
					b.Fatal("a batch kept failing")
				}
				rep := r.ctr.Process(ctx, batch)
				first := slices.Index(rep.Outcomes, stream.Failed)
				if first < 0 {
					break
				}
				redelivered += len(batch) - first
				batch = batch[first:]
			}
		}
		consumer += time.Since(start)
		total += len(records)
	}
	consumerRate := float64(total) / consumer.Seconds()
	rawRate := float64(total) / raw.Seconds()
	b.ReportMetric(consumerRate, "consumer-records/s")
	b.ReportMetric(rawRate, "batchwrite-records/s")
	b.ReportMetric(consumerRate/rawRate, "ratio")
	b.ReportMetric(float64(redelivered), "redelivered")
	b.ReportMetric(0, "ns/op")
}

func batchWrite(b *testing.B, r *rig, items []map[string]types.AttributeValue) {
	sem := make(chan struct{}, benchConcurrency)
	var wg sync.WaitGroup
	errs := make(chan error, len(items)/25+1)
	for from := 0; from < len(items); from += 25 {
		reqs := make([]types.WriteRequest, 0, 25)
		for _, it := range items[from:min(from+25, len(items))] {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			pending := map[string][]types.WriteRequest{r.env.Tables.Contacts: reqs}
			for len(pending) > 0 {
				out, err := r.env.Clients.DynamoDB.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: pending})
				if err != nil {
					errs <- err
					return
				}
				pending = out.UnprocessedItems
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(fmt.Errorf("batch write: %w", err))
	}
}
