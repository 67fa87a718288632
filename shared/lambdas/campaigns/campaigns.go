// Package campaigns builds the campaigns function: the campaign lifecycle
// every five minutes, and the what-if chunks the API hands over.
package campaigns

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/campaignjob"
	"github.com/conduit-cx/conduit/shared/campaignjob/invoke"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/decide"
	"github.com/conduit-cx/conduit/shared/metrics"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/catalogstore"
	"github.com/conduit-cx/conduit/shared/store/loadstore"
	"github.com/conduit-cx/conduit/shared/store/whatifstore"
)

// Settings of the what-if runner, beyond config.Config.
const (
	// EnvLambdaEndpoint overrides the Lambda API endpoint (the local
	// runner's invoke API); EnvWhatIfFunction names the function that runs
	// what-if chunks (default conduit-<stage>-campaigns).
	EnvLambdaEndpoint = "CONDUIT_LAMBDA_ENDPOINT"
	EnvWhatIfFunction = "CONDUIT_WHATIF_FUNCTION"
)

// Campaigns builds the campaigns function: the campaign lifecycle every
// five minutes, and what-if chunks handed over by the API.
func Campaigns(ctx context.Context, cfg config.Config, clients *awsclients.Clients) (lambda.Handler, error) {
	tables := store.TablesFor(cfg.Stage)
	catalogStore := catalogstore.NewCatalog(clients.Dynamo, tables)
	h := &campaignjob.Handler{
		Lifecycle: &campaignjob.Lifecycle{
			Campaigns: catalogStore,
			Board:     loadstore.NewLoadBoard(clients.Dynamo, tables),
			Log:       slog.Default(),
			EMF:       metrics.New(os.Stdout, metrics.Namespace),
		},
		WhatIf: WhatIf(cfg, clients),
	}
	return lambda.NewHandler(h.Handle), nil
}

// WhatIf is the what-if runner of the api and campaigns functions. Later
// chunks go to the campaigns function by an asynchronous invocation.
func WhatIf(cfg config.Config, clients *awsclients.Clients) *campaignjob.WhatIf {
	tables := store.TablesFor(cfg.Stage)
	profileStore := store.NewProfiles(clients.Dynamo, tables)
	decisions := store.NewDecisions(clients.Dynamo, tables)
	fn := strings.TrimSpace(os.Getenv(EnvWhatIfFunction))
	if fn == "" {
		fn = fmt.Sprintf("conduit-%s-campaigns", cfg.Stage)
	}
	return &campaignjob.WhatIf{
		Catalog:    catalogstore.NewCatalog(clients.Dynamo, tables),
		Profiles:   profileStore,
		Propensity: decisions,
		Caps:       decisions,
		Jobs:       whatifstore.NewWhatIfJobs(clients.Dynamo, tables),
		Starter: &invoke.Lambda{
			Endpoint: strings.TrimSpace(os.Getenv(EnvLambdaEndpoint)), Region: cfg.Region, Function: fn,
			Credentials: clients.AWS.Credentials,
		},
		Policy: decide.DefaultPolicy(),
		Log:    slog.Default(),
	}
}
