package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// KinesisAPI is the part of the Kinesis client a stream publisher uses.
type KinesisAPI interface {
	PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, opts ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error)
}

// StreamPublisher puts JSON records on one Kinesis stream, partitioned by a
// key the caller derives from each record.
type StreamPublisher[T any] struct {
	client KinesisAPI
	stream string
	key    func(T) string
}

// NewStreamPublisher returns a publisher to the named stream.
func NewStreamPublisher[T any](client KinesisAPI, streamName string, partitionKey func(T) string) *StreamPublisher[T] {
	return &StreamPublisher[T]{client: client, stream: streamName, key: partitionKey}
}

// maxPutAttempts bounds the retries of records Kinesis refused (throttled).
const maxPutAttempts = 4

// Publish puts the records, retrying the ones Kinesis refuses, in order.
func (p *StreamPublisher[T]) Publish(ctx context.Context, records ...T) error {
	if len(records) == 0 {
		return nil
	}
	entries := make([]types.PutRecordsRequestEntry, len(records))
	for i, r := range records {
		data, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode record for %s: %w", p.stream, err)
		}
		entries[i] = types.PutRecordsRequestEntry{Data: data, PartitionKey: aws.String(p.key(r))}
	}
	for attempt := 0; ; attempt++ {
		out, err := p.client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(p.stream), Records: entries})
		if err != nil {
			return fmt.Errorf("put records on %s: %w", p.stream, err)
		}
		if aws.ToInt32(out.FailedRecordCount) == 0 {
			return nil
		}
		var retry []types.PutRecordsRequestEntry
		var last string
		for i, res := range out.Records {
			if res.ErrorCode != nil {
				retry = append(retry, entries[i])
				last = aws.ToString(res.ErrorCode) + ": " + aws.ToString(res.ErrorMessage)
			}
		}
		if attempt+1 >= maxPutAttempts {
			return fmt.Errorf("put records on %s: %d refused after %d attempts, last %s", p.stream, len(retry), maxPutAttempts, last)
		}
		if err := backoff(ctx, attempt+1); err != nil {
			return err
		}
		entries = retry
	}
}
