// Package storetest gives integration tests real local storage: DynamoDB
// Local and kinesalite, with uniquely named tables and streams per test so
// tests run in parallel. scripts/test starts one of each and exports their
// endpoints; a plain `go test` starts its own, once per test binary.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/localstack"
	"github.com/conduit-cx/conduit/shared/store"
)

// Environment variables through which scripts/test shares its servers.
const (
	EnvDynamoDB = "CONDUIT_TEST_DYNAMODB_ENDPOINT"
	EnvKinesis  = "CONDUIT_TEST_KINESIS_ENDPOINT"
)

// Env is one test's isolated storage.
type Env struct {
	Config  config.Config
	Clients *awsclients.Clients
	Tables  store.Tables
	Streams store.Streams
}

var (
	ddbOnce, kinOnce       sync.Once
	ddbEndpoint, kinEndpnt string
	ddbErr, kinErr         error
)

func dynamoEndpoint(t testing.TB) string {
	ddbOnce.Do(func() {
		if ep := os.Getenv(EnvDynamoDB); ep != "" {
			ddbEndpoint = ep
			return
		}
		// The process dies with the test binary (Pdeathsig), so nothing leaks.
		srv, err := localstack.StartDynamoDB(context.Background(), localstack.Options{})
		ddbEndpoint, ddbErr = endpointOf(srv), err
	})
	if ddbErr != nil {
		t.Fatalf("DynamoDB Local: %v", ddbErr)
	}
	return ddbEndpoint
}

func kinesisEndpoint(t testing.TB) string {
	kinOnce.Do(func() {
		if ep := os.Getenv(EnvKinesis); ep != "" {
			kinEndpnt = ep
			return
		}
		srv, err := localstack.StartKinesis(context.Background(), localstack.Options{})
		kinEndpnt, kinErr = endpointOf(srv), err
	})
	if kinErr != nil {
		t.Fatalf("kinesalite: %v", kinErr)
	}
	return kinEndpnt
}

func endpointOf(s *localstack.Server) string {
	if s == nil {
		return ""
	}
	return s.Endpoint
}

// New creates fresh tables under a unique stage and removes them when the
// test ends.
func New(t testing.TB) Env { return newEnv(t, false) }

// NewWithStreams is New plus fresh Kinesis streams in kinesalite.
func NewWithStreams(t testing.TB) Env { return newEnv(t, true) }

func newEnv(t testing.TB, streams bool) Env {
	t.Helper()
	cfg := config.Config{
		Stage:            uniqueStage(),
		Region:           "us-east-1",
		DynamoDBEndpoint: dynamoEndpoint(t),
		IdentityKey:      []byte("storetest-identity-key-32-bytes!"),
		DecisionDeadline: config.DefaultDecisionDeadline,
		CatalogRefresh:   config.DefaultCatalogRefresh,
	}
	if streams {
		cfg.KinesisEndpoint = kinesisEndpoint(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	clients, err := awsclients.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.EnsureTables(ctx, clients.DynamoDB, cfg.Stage); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := store.DeleteTables(ctx, clients.DynamoDB, cfg.Stage); err != nil {
			t.Errorf("clean up tables: %v", err)
		}
	})
	if streams {
		if err := store.EnsureStreams(ctx, clients.Kinesis, cfg.Stage); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = store.DeleteStreams(context.Background(), clients.Kinesis, cfg.Stage)
		})
	}
	return Env{Config: cfg, Clients: clients, Tables: store.TablesFor(cfg.Stage), Streams: store.StreamsFor(cfg.Stage)}
}

// IdentityKeyBase64 is the storetest identity key as the environment holds it.
func IdentityKeyBase64() string {
	return base64.StdEncoding.EncodeToString([]byte("storetest-identity-key-32-bytes!"))
}

func uniqueStage() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return "t" + hex.EncodeToString(b[:])
}
