// Package consumers builds the contact-center consumers: the ctr and speech
// functions (Kinesis) and the contactevents function (EventBridge).
package consumers

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/contacts/ingest"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/metrics"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/stream"
)

// Settings of the contact-center consumers, beyond config.Config.
const (
	// EnvStreamConcurrency bounds the contacts a stream consumer applies at
	// the same time against DynamoDB (default stream.DefaultConcurrency).
	EnvStreamConcurrency = "CONDUIT_STREAM_CONCURRENCY"
	// EnvSentimentWindow is how many of a participant's latest turns make
	// their current sentiment (default contacts.DefaultSentimentWindow).
	EnvSentimentWindow = "CONDUIT_SENTIMENT_WINDOW"
)

// Largest records the consumers take; anything bigger is skipped as
// oversized. Contact records are a few KB, Contact Lens events a few tens.
const (
	maxContactRecordBytes = 256 << 10
	maxLensEventBytes     = 512 << 10
)

// CTR builds the ctr function: contact records from Kinesis onto contacts
// and profiles.
func CTR(_ context.Context, cfg config.Config, clients *awsclients.Clients) (lambda.Handler, error) {
	conc, err := config.Int(os.LookupEnv, EnvStreamConcurrency, stream.DefaultConcurrency)
	if err != nil {
		return nil, err
	}
	tables := store.TablesFor(cfg.Stage)
	h := &ingest.CTR{
		Contacts: store.NewContacts(clients.Dynamo, tables),
		Profiles: store.NewProfiles(clients.Dynamo, tables),
		Hasher:   identity.NewHasher(cfg.IdentityKey),
	}
	p := stream.New[*connect.ContactRecord](h, stream.Config{
		Name: "ctr", MaxRecordBytes: maxContactRecordBytes, Concurrency: conc,
		// The facts write is conditional on the record's version and the
		// profile change is idempotent, so only skipped records need a key.
		Idempotency:         store.NewIdempotency(clients.Dynamo, tables, 0),
		RememberSkippedOnly: true,
		Metrics:             stream.EMF(metrics.New(os.Stdout, metrics.Namespace)),
	})
	return lambda.NewHandler(p.Handle), nil
}

// Speech builds the speech function: Contact Lens real-time segments from
// Kinesis onto contacts and profiles.
func Speech(_ context.Context, cfg config.Config, clients *awsclients.Clients) (lambda.Handler, error) {
	table, err := contacts.ParseSignalTable(os.Getenv(contacts.EnvCategorySignals))
	if err != nil {
		return nil, err
	}
	window, err := config.Int(os.LookupEnv, EnvSentimentWindow, contacts.DefaultSentimentWindow)
	if err != nil {
		return nil, err
	}
	if window < 1 || window > 50 {
		return nil, fmt.Errorf("%s=%d must be from 1 to 50", EnvSentimentWindow, window)
	}
	conc, err := config.Int(os.LookupEnv, EnvStreamConcurrency, stream.DefaultConcurrency)
	if err != nil {
		return nil, err
	}
	tables := store.TablesFor(cfg.Stage)
	h := &ingest.Speech{
		Contacts: store.NewContacts(clients.Dynamo, tables),
		Profiles: store.NewProfiles(clients.Dynamo, tables),
		Signals:  table,
		Window:   window,
	}
	p := stream.New[*connect.LensEvent](h, stream.Config{
		Name: "speech", MaxRecordBytes: maxLensEventBytes, Concurrency: conc,
		Idempotency: store.NewIdempotency(clients.Dynamo, tables, 0),
		Metrics:     stream.EMF(metrics.New(os.Stdout, metrics.Namespace)),
	})
	return lambda.NewHandler(p.Handle), nil
}

// ContactEvents builds the contactevents function: EventBridge contact
// events onto contact timelines and queue waiting lists.
func ContactEvents(_ context.Context, cfg config.Config, clients *awsclients.Clients) (lambda.Handler, error) {
	tables := store.TablesFor(cfg.Stage)
	h := &ingest.ContactEvents{
		Contacts:    store.NewContacts(clients.Dynamo, tables),
		Idempotency: store.NewIdempotency(clients.Dynamo, tables, 0),
		Metrics:     stream.EMF(metrics.New(os.Stdout, metrics.Namespace)),
	}
	return lambda.NewHandler(h.Handle), nil
}
