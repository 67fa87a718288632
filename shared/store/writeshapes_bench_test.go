package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/conduit-cx/conduit/shared/store/storetest"
)

// BenchmarkWriteShapes writes the same 1,000 small contact items to the
// contacts table in every shape of request DynamoDB offers, 16 requests in
// flight, in one run, and reports each shape's throughput as a ratio of
// BatchWriteItem's (25 unconditional puts a request): what a stream
// consumer can reach against the same DynamoDB with each kind of write.
// Conditional shapes guard on a version, as the ctr consumer's facts write
// does.
// Run: go test ./shared/store -run '^$' -bench WriteShapes -benchtime 4x
func BenchmarkWriteShapes(b *testing.B) {
	env := storetest.New(b)
	db, table := env.Clients.DynamoDB, env.Tables.Contacts
	ctx := context.Background()
	const items, inFlight = 1000, 16
	shapes := []struct {
		name string
		size int // items a request carries
		run  func(prefix string, from, to int) error
	}{
		{"batchwrite-25-puts", 25, func(prefix string, from, to int) error {
			var reqs []types.WriteRequest
			for i := from; i < to; i++ {
				reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: shapeItem(prefix, i)}})
			}
			pending := map[string][]types.WriteRequest{table: reqs}
			for len(pending) > 0 {
				out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
				if err != nil {
					return err
				}
				pending = out.UnprocessedItems
			}
			return nil
		}},
		{"updateitem-conditional", 1, func(prefix string, from, _ int) error {
			_, err := db.UpdateItem(ctx, shapeUpdate(table, prefix, from))
			return err
		}},
		{"transact-25-conditional-updates", 25, func(prefix string, from, to int) error {
			var tx []types.TransactWriteItem
			for i := from; i < to; i++ {
				u := shapeUpdate(table, prefix, i)
				tx = append(tx, types.TransactWriteItem{Update: &types.Update{TableName: u.TableName, Key: u.Key,
					UpdateExpression: u.UpdateExpression, ConditionExpression: u.ConditionExpression,
					ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues}})
			}
			_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
			return err
		}},
		{"partiql-25-inserts", 25, func(prefix string, from, to int) error {
			var st []types.BatchStatementRequest
			for i := from; i < to; i++ {
				it := shapeItem(prefix, i)
				st = append(st, types.BatchStatementRequest{
					Statement:  aws.String(`INSERT INTO "` + table + `" VALUE {'contactId': ?, 'day': ?, 'facts': ?}`),
					Parameters: []types.AttributeValue{it["contactId"], it["day"], it["facts"]}})
			}
			return batchStatements(ctx, db, st)
		}},
		{"batchget-100-keys", 100, func(prefix string, from, to int) error {
			var keys []map[string]types.AttributeValue
			for i := from; i < to; i++ {
				keys = append(keys, map[string]types.AttributeValue{"contactId": shapeItem(prefix, i)["contactId"]})
			}
			_, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{table: {Keys: keys}}})
			return err
		}},
	}
	elapsed := make([]time.Duration, len(shapes))
	round := 0
	runRound := func(timed bool) {
		round++
		for i, sh := range shapes {
			// Reads find the items the batch writes of this round put.
			prefix := fmt.Sprintf("r%d-%s", round, sh.name)
			if sh.name == "batchget-100-keys" {
				prefix = fmt.Sprintf("r%d-%s", round, shapes[0].name)
			}
			start := time.Now()
			if err := inParallel(inFlight, items, sh.size, func(from, to int) error { return sh.run(prefix, from, to) }); err != nil {
				b.Fatalf("%s: %v", sh.name, err)
			}
			if timed {
				elapsed[i] += time.Since(start)
			}
		}
	}
	// DynamoDB Local's JVM compiles its hot paths during the first round.
	runRound(false)
	for b.Loop() {
		runRound(true)
	}
	for i, sh := range shapes {
		b.ReportMetric(float64(b.N*items)/elapsed[i].Seconds(), sh.name+"-items/s")
		if i > 0 {
			b.ReportMetric(elapsed[0].Seconds()/elapsed[i].Seconds(), sh.name+"-ratio")
		}
	}
	b.ReportMetric(0, "ns/op")
}

func shapeItem(prefix string, i int) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"contactId": &types.AttributeValueMemberS{Value: fmt.Sprintf("%s-%05d", prefix, i)},
		"day":       &types.AttributeValueMemberS{Value: "2026-11-24"},
		"facts": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"lastUpdate": &types.AttributeValueMemberN{Value: "1"},
			"queue":      &types.AttributeValueMemberS{Value: "sales"},
			"talkSec":    &types.AttributeValueMemberN{Value: "322"},
			"holdSec":    &types.AttributeValueMemberN{Value: "38"},
		}},
	}
}

// shapeUpdate writes the item's facts unless newer ones are there.
func shapeUpdate(table, prefix string, i int) *dynamodb.UpdateItemInput {
	it := shapeItem(prefix, i)
	return &dynamodb.UpdateItemInput{
		TableName:                 aws.String(table),
		Key:                       map[string]types.AttributeValue{"contactId": it["contactId"]},
		UpdateExpression:          aws.String("SET #f = :f, #d = :d"),
		ConditionExpression:       aws.String("attribute_not_exists(#f) OR #f.#v <= :v"),
		ExpressionAttributeNames:  map[string]string{"#f": "facts", "#d": "day", "#v": "lastUpdate"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":f": it["facts"], ":d": it["day"], ":v": &types.AttributeValueMemberN{Value: "1"}},
	}
}

func batchStatements(ctx context.Context, db *dynamodb.Client, st []types.BatchStatementRequest) error {
	out, err := db.BatchExecuteStatement(ctx, &dynamodb.BatchExecuteStatementInput{Statements: st})
	if err != nil {
		return err
	}
	for _, r := range out.Responses {
		if r.Error != nil {
			return fmt.Errorf("%s: %s", r.Error.Code, aws.ToString(r.Error.Message))
		}
	}
	return nil
}

// inParallel runs f over [0, n) in chunks of size, at most limit at once.
func inParallel(limit, n, size int, f func(from, to int) error) error {
	var wg sync.WaitGroup
	sem := make(chan struct{}, limit)
	errs := make(chan error, n/size+1)
	for from := 0; from < n; from += size {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(from, min(from+size, n)); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}
