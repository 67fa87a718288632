// Package decisions builds the offer function: a contact flow asks for the
// next best offer for the live contact.
package decisions

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/decide"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/lambdas/feedback"
	"github.com/conduit-cx/conduit/shared/metrics"
	"github.com/conduit-cx/conduit/shared/offer/decision"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/catalogstore"
	"github.com/conduit-cx/conduit/shared/store/loadstore"
)

// Offer builds the offer function: a contact flow asks for the next best
// offer for the live contact.
func Offer(ctx context.Context, cfg config.Config, clients *awsclients.Clients) (lambda.Handler, error) {
	tables := store.TablesFor(cfg.Stage)
	decisions := store.NewDecisions(clients.Dynamo, tables)
	catalogStore := catalogstore.NewCatalog(clients.Dynamo, tables)
	cache := decision.NewCache(catalogStore, decisions, loadstore.NewLoadBoard(clients.Dynamo, tables), cfg.CatalogRefresh, nil, slog.Default())
	// Warm the catalog at cold start, so the first contact does not wait;
	// a failure here is retried by the first decision.
	if err := cache.Refresh(ctx); err != nil {
		slog.Warn("catalog not loaded at start", "error", err.Error())
	}
	h := decision.NewHandler(decision.Deps{
		Store:      decisions,
		Referencer: catalogStore,
		Catalog:    cache,
		Publisher:  feedback.DecisionEvents(cfg, clients),
		Hasher:     identity.NewHasher(cfg.IdentityKey),
		Policy:     decide.DefaultPolicy(),
		Deadline:   cfg.DecisionDeadline,
		Metrics:    metrics.New(os.Stdout, metrics.Namespace),
	})
	return lambda.NewHandler(h.Handle), nil
}
