package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2/dynamodbiface"
)

// batchWrite runs write requests on one table, batchWriteLimit per
// BatchWriteItem, one batch after another.
func batchWrite(ctx context.Context, db dynamodbiface.DynamoDBAPI, table string, reqs []types.WriteRequest) error {
	for len(reqs) > 0 {
		n := min(len(reqs), batchWriteLimit)
		if err := writeBatch(ctx, db, table, reqs[:n]); err != nil {
			return err
		}
		reqs = reqs[n:]
	}
	return nil
}

// writeBatch runs one BatchWriteItem, retrying the items it hands back
// unprocessed (throttling) for a few rounds.
func writeBatch(ctx context.Context, db dynamodbiface.DynamoDBAPI, table string, reqs []types.WriteRequest) error {
	pending := map[string][]types.WriteRequest{table: reqs}
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt >= unprocessedAttempts {
			return fmt.Errorf("still unprocessed after %d rounds", attempt)
		}
		if attempt > 0 {
			if err := pause(ctx, attempt); err != nil {
				return err
			}
		}
		out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
		if err != nil {
			return err
		}
		pending = out.UnprocessedItems
	}
	return nil
}

// batchGet reads keys from one table, batchGetLimit per BatchGetItem with
// the projection and consistency of read, retrying the keys a call hands
// back unprocessed; each sees every item read. what names the read in the
// errors of the calls.
func batchGet(ctx context.Context, db dynamodbiface.DynamoDBAPI, table string, keys []map[string]types.AttributeValue,
	read types.KeysAndAttributes, what string, each func(item map[string]types.AttributeValue) error) error {
	for start := 0; start < len(keys); start += batchGetLimit {
		chunk := read
		chunk.Keys = keys[start:min(start+batchGetLimit, len(keys))]
		pending := map[string]types.KeysAndAttributes{table: chunk}
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt >= unprocessedAttempts {
				return fmt.Errorf("%s: still unprocessed after %d rounds", what, attempt)
			}
			if attempt > 0 {
				if err := pause(ctx, attempt); err != nil {
					return err
				}
			}
			out, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			for _, item := range out.Responses[table] {
				if err := each(item); err != nil {
					return err
				}
			}
			pending = out.UnprocessedKeys
		}
	}
	return nil
}
