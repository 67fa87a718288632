// Package feedback builds the functions a contact flow calls with what the
// customer said: outcome (to an offer) and survey (after the contact).
package feedback

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/offer"
	"github.com/conduit-cx/conduit/shared/store"
)

// Survey builds the survey function: after the conversation a contact flow
// passes the customer's 1-5 score and an optional comment; the answer goes
// on the contact (for CSAT) and on the customer's profile (a low score holds
// offers for a while).
func Survey(_ context.Context, cfg config.Config, clients *awsclients.Clients) (lambda.Handler, error) {
	tables := store.TablesFor(cfg.Stage)
	h := offer.NewSurveyHandler(offer.SurveyDeps{
		Recorder: &offer.SurveyRecorder{
			Store:    store.NewSurveys(clients.Dynamo, tables),
			Profiles: store.NewProfiles(clients.Dynamo, tables),
		},
		Hasher:   identity.NewHasher(cfg.IdentityKey),
		Deadline: cfg.DecisionDeadline,
	})
	return lambda.NewHandler(h.Handle), nil
}

// DecisionEvents publishes to the stage's decisions stream, keyed by
// contact so one contact's events stay in order: the offer function's
// decisions and the outcome function's outcomes.
func DecisionEvents(cfg config.Config, clients *awsclients.Clients) offer.Publisher {
	return store.NewStreamPublisher(clients.Kinesis, store.DecisionsStream.Name(cfg.Stage),
		func(e offer.Event) string { return e.ContactID })
}

// Outcome builds the outcome function: the flow or the agent reports what
// the customer said to an offer.
func Outcome(_ context.Context, cfg config.Config, clients *awsclients.Clients) (lambda.Handler, error) {
	tables := store.TablesFor(cfg.Stage)
	profileStore := store.NewProfiles(clients.Dynamo, tables)
	h := offer.NewOutcomeHandler(offer.OutcomeDeps{
		Store:     store.NewDecisions(clients.Dynamo, tables),
		Profiles:  profileStore,
		Publisher: DecisionEvents(cfg, clients),
	})
	return lambda.NewHandler(h.Handle), nil
}

// The stores are what the handlers expect.
var (
	_ offer.SurveyStore    = (*store.Surveys)(nil)
	_ offer.SurveyProfiles = (*store.Profiles)(nil)
)
