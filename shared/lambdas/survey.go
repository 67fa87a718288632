package lambdas

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/conduit-cx/conduit/shared/api"
	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/offer"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/voice"
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

// voiceEvents publishes routed social posts onto the stage's decisions
// stream, keyed by post so one post's events stay in order. The record
// carries the EventBridge envelope (source conduit.voice, detail type
// "Social Post Routed"), so a pipe from the stream to an event bus needs no
// reshaping.
func voiceEvents(cfg config.Config, clients *awsclients.Clients) api.EventPublisher {
	return store.NewStreamPublisher(clients.Kinesis, store.DecisionsStream.Name(cfg.Stage),
		func(e voice.RoutedEvent) string { return e.ID })
}

// The stores and publishers are what the handlers expect.
var (
	_ api.SocialStore      = (*store.Social)(nil)
	_ api.Eraser           = (*store.Social)(nil)
	_ api.EventPublisher   = (*store.StreamPublisher[voice.RoutedEvent])(nil)
	_ api.ProfileMutator   = (*store.Profiles)(nil)
	_ api.SurveyRecorder   = (*offer.SurveyRecorder)(nil)
	_ offer.SurveyStore    = (*store.Surveys)(nil)
	_ offer.SurveyProfiles = (*store.Profiles)(nil)
)
