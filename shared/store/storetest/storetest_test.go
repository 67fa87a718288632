package storetest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/conduit-cx/conduit/shared/store"
)

func TestNewCreatesEveryTableAndStream(t *testing.T) {
	env := NewWithStreams(t)
	ctx := context.Background()
	names, err := env.Clients.Dynamo.ListTables().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	for _, tbl := range store.AllTables {
		if !have[tbl.Name(env.Config.Stage)] {
			t.Errorf("table %s missing", tbl.Name(env.Config.Stage))
		}
	}
	for _, s := range store.AllStreams {
		out, err := env.Clients.Kinesis.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: &[]string{s.Name(env.Config.Stage)}[0]})
		if err != nil {
			t.Fatalf("stream %s: %v", s.Name(env.Config.Stage), err)
		}
		if string(out.StreamDescriptionSummary.StreamStatus) != "ACTIVE" {
			t.Errorf("stream %s is %s", s.Name(env.Config.Stage), out.StreamDescriptionSummary.StreamStatus)
		}
	}
	// A second ensure on existing tables is harmless.
	if err := store.EnsureTables(ctx, env.Clients.DynamoDB, env.Config.Stage); err != nil {
		t.Fatalf("second ensure: %v", err)
	}
}
