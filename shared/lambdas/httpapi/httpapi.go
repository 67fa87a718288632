// Package httpapi builds the api function: the marketer and analyst HTTP
// API behind API Gateway.
package httpapi

import (
	"context"

	"github.com/akrylysov/algnhsa"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/conduit-cx/conduit/shared/api"
	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/decide"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/lambdas/campaigns"
	"github.com/conduit-cx/conduit/shared/offer"
	"github.com/conduit-cx/conduit/shared/offer/decision"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/catalogstore"
	"github.com/conduit-cx/conduit/shared/store/loadstore"
	"github.com/conduit-cx/conduit/shared/voice"
)

// API builds the api function: the marketer and analyst HTTP API behind
// API Gateway (payload format 2.0), over the stores of the stage.
func API(_ context.Context, cfg config.Config, clients *awsclients.Clients) (lambda.Handler, error) {
	tables := store.TablesFor(cfg.Stage)
	profileStore := store.NewProfiles(clients.Dynamo, tables)
	catalogStore := catalogstore.NewCatalog(clients.Dynamo, tables)
	decisions := store.NewDecisions(clients.Dynamo, tables)
	kpis := store.NewKPIs(clients.Dynamo, tables)
	loadBoard := loadstore.NewLoadBoard(clients.Dynamo, tables)
	social := store.NewSocial(clients.Dynamo, tables)
	srv := api.NewServer(api.Deps{
		Profiles: profileStore,
		Identity: identity.NewHasher(cfg.IdentityKey),
		Catalog:  decision.NewCache(catalogStore, decisions, loadBoard, cfg.CatalogRefresh, nil, nil),
		Policy:   decide.DefaultPolicy(),
		Contacts: decisions,
		// Erasure removes the person's contacts and social posts too.
		Erasers:      []api.Eraser{store.NewContacts(clients.Dynamo, tables), social},
		CatalogStore: catalogStore,

		// Measurement: the rollup's KPI buckets and the metric benchmarks.
		KPIs:       kpis,
		Benchmarks: kpis,

		// Load-aware marketing: the wallboard, and what-ifs whose later
		// chunks run in the campaigns function.
		Load:   loadBoard,
		WhatIf: campaigns.WhatIf(cfg, clients),

		// Voice of the customer: social posts, routed onto the decisions
		// stream as social_post_routed events, and survey answers.
		Social:        social,
		VoiceEvents:   voiceEvents(cfg, clients),
		VoiceProfiles: profileStore,
		Surveys:       &offer.SurveyRecorder{Store: store.NewSurveys(clients.Dynamo, tables), Profiles: profileStore},
	})
	return algnhsa.New(srv, &algnhsa.Options{RequestType: algnhsa.RequestTypeAPIGatewayV2}), nil
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
	_ api.SocialStore    = (*store.Social)(nil)
	_ api.Eraser         = (*store.Social)(nil)
	_ api.EventPublisher = (*store.StreamPublisher[voice.RoutedEvent])(nil)
	_ api.ProfileMutator = (*store.Profiles)(nil)
	_ api.SurveyRecorder = (*offer.SurveyRecorder)(nil)
)
