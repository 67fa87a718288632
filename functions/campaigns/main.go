// Command campaigns runs the campaign lifecycle every five minutes (launch
// ready campaigns when load allows, end expired ones, warn about open
// readiness) and the what-if chunks the API hands over; see
// shared/campaignjob.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/lambdas/campaigns"
	"github.com/conduit-cx/conduit/shared/logging"
)

func main() {
	cfg := config.MustLoad()
	logging.Setup()
	h, err := campaigns.Campaigns(context.Background(), cfg, awsclients.MustNew(cfg))
	if err != nil {
		slog.Error("the campaigns function could not start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}
