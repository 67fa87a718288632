package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"
	"github.com/guregu/dynamo/v2/dynamodbiface"
)

// Idempotency keys live in the state table as "idem#<key>" items with an
// expiresAt, one per record a stream consumer applied or skipped.
const idempotencyPrefix = "idem#"

// DefaultIdempotencyTTL keeps a key longer than Kinesis keeps a record by
// default (24 hours) and than Lambda retries an event, with room to spare.
const DefaultIdempotencyTTL = 7 * 24 * time.Hour

// DynamoDB batch limits.
const (
	batchGetLimit   = 100
	batchWriteLimit = 25
	// unprocessedAttempts bounds the rounds spent on items a batch call
	// hands back unprocessed (throttling).
	unprocessedAttempts = 6
)

// Idempotency remembers the identities of stream records that were applied,
// each for a time to live. It satisfies stream.Idempotency.
type Idempotency struct {
	db    dynamodbiface.DynamoDBAPI
	table string
	ttl   time.Duration
	now   func() time.Time
}

// NewIdempotency keeps keys in the state table for ttl (0: the default).
func NewIdempotency(db *dynamo.DB, tables Tables, ttl time.Duration) *Idempotency {
	if ttl <= 0 {
		ttl = DefaultIdempotencyTTL
	}
	return &Idempotency{db: db.Client(), table: tables.State, ttl: ttl, now: time.Now}
}

// Seen reports which keys are remembered and not expired (DynamoDB deletes
// expired items only within a day or two, so expiry is checked here).
func (s *Idempotency) Seen(ctx context.Context, keys []string) (map[string]bool, error) {
	keys = distinct(keys)
	seen := make(map[string]bool, len(keys))
	now := s.now().Unix()
	read := types.KeysAndAttributes{
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#pk, #exp"),
		ExpressionAttributeNames: map[string]string{"#pk": StateTable.PartitionKey.Name, "#exp": TTLAttribute},
	}
	err := batchGet(ctx, s.db, s.table, s.keys(keys), read, "read idempotency keys", func(item map[string]types.AttributeValue) error {
		pk, _ := item[StateTable.PartitionKey.Name].(*types.AttributeValueMemberS)
		if pk == nil {
			return nil
		}
		if exp, ok := item[TTLAttribute].(*types.AttributeValueMemberN); ok {
			if n, err := strconv.ParseInt(exp.Value, 10, 64); err == nil && n <= now {
				return nil
			}
		}
		seen[pk.Value[len(idempotencyPrefix):]] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	return seen, nil
}

// Remember records keys, each until the time to live runs out.
func (s *Idempotency) Remember(ctx context.Context, keys []string) error {
	keys = distinct(keys)
	exp := &types.AttributeValueMemberN{Value: strconv.FormatInt(s.now().Add(s.ttl).Unix(), 10)}
	reqs := make([]types.WriteRequest, len(keys))
	for i, item := range s.keys(keys) {
		item[TTLAttribute] = exp
		reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}
	}
	if err := batchWrite(ctx, s.db, s.table, reqs); err != nil {
		return fmt.Errorf("write idempotency keys: %w", err)
	}
	return nil
}

// Forget removes keys; a consumer that must apply a record again (a replay
// from the failure destination after a fix) uses it.
func (s *Idempotency) Forget(ctx context.Context, keys []string) error {
	keys = distinct(keys)
	reqs := make([]types.WriteRequest, len(keys))
	for i, k := range s.keys(keys) {
		reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}}
	}
	if err := batchWrite(ctx, s.db, s.table, reqs); err != nil {
		return fmt.Errorf("delete idempotency keys: %w", err)
	}
	return nil
}

// keys are the state table keys of idempotency keys.
func (s *Idempotency) keys(keys []string) []map[string]types.AttributeValue {
	out := make([]map[string]types.AttributeValue, len(keys))
	for i, k := range keys {
		out[i] = map[string]types.AttributeValue{StateTable.PartitionKey.Name: &types.AttributeValueMemberS{Value: idempotencyPrefix + k}}
	}
	return out
}

// distinct drops repeated keys: DynamoDB refuses a batch that names an item
// twice.
func distinct(keys []string) []string {
	seen := make(map[string]bool, len(keys))
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// pause waits before another round of a retry: exponential with full
// jitter, from 10 ms up to about half a second.
func pause(ctx context.Context, attempt int) error {
	d := time.Duration(10<<min(attempt, 6)) * time.Millisecond
	return sleep(ctx, rand.N(d)+time.Millisecond)
}

// sleep waits for d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
