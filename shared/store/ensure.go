package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kintypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// EnsureTables creates every missing table of a stage and switches on its
// TTL. Existing tables are left as they are, so running it twice is harmless.
func EnsureTables(ctx context.Context, client *dynamodb.Client, stage string) error {
	for _, t := range AllTables {
		if err := ensureTable(ctx, client, t, stage); err != nil {
			return err
		}
	}
	return nil
}

func ensureTable(ctx context.Context, client *dynamodb.Client, t Table, stage string) error {
	name := t.Name(stage)
	_, err := client.CreateTable(ctx, t.CreateInput(stage))
	var inUse *ddbtypes.ResourceInUseException
	switch {
	case errors.As(err, &inUse):
		return nil
	case err != nil:
		return fmt.Errorf("create table %s: %w", name, err)
	}
	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 50 * time.Millisecond
		o.MaxDelay = 500 * time.Millisecond
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", name, err)
	}
	if t.TTLAttribute != "" {
		_, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName: aws.String(name),
			TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{
				AttributeName: aws.String(t.TTLAttribute), Enabled: aws.Bool(true),
			},
		})
		if err != nil {
			return fmt.Errorf("enable TTL on %s: %w", name, err)
		}
	}
	return nil
}

// DeleteTables removes every table of a stage; tests use it to clean up.
func DeleteTables(ctx context.Context, client *dynamodb.Client, stage string) error {
	var errs []error
	for _, t := range AllTables {
		_, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(t.Name(stage))})
		var missing *ddbtypes.ResourceNotFoundException
		if err != nil && !errors.As(err, &missing) {
			errs = append(errs, fmt.Errorf("delete table %s: %w", t.Name(stage), err))
		}
	}
	return errors.Join(errs...)
}

// EnsureStreams creates every missing stream of a stage with one shard and
// waits until each is active.
func EnsureStreams(ctx context.Context, client *kinesis.Client, stage string) error {
	for _, s := range AllStreams {
		name := s.Name(stage)
		_, err := client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(1)})
		var inUse *kintypes.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) {
			return fmt.Errorf("create stream %s: %w", name, err)
		}
		waiter := kinesis.NewStreamExistsWaiter(client, func(o *kinesis.StreamExistsWaiterOptions) {
			o.MinDelay = 50 * time.Millisecond
			o.MaxDelay = 500 * time.Millisecond
		})
		if err := waiter.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)}, time.Minute); err != nil {
			return fmt.Errorf("wait for stream %s: %w", name, err)
		}
	}
	return nil
}

// DeleteStreams removes every stream of a stage.
func DeleteStreams(ctx context.Context, client *kinesis.Client, stage string) error {
	var errs []error
	for _, s := range AllStreams {
		_, err := client.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String(s.Name(stage))})
		var missing *kintypes.ResourceNotFoundException
		if err != nil && !errors.As(err, &missing) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
