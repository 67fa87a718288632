// Command offer answers a contact flow with the next best offer for the live contact; see shared/offer/decision.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/lambdas/decisions"
	"github.com/conduit-cx/conduit/shared/logging"
)

func main() {
	cfg := config.MustLoad()
	logging.Setup()
	h, err := decisions.Offer(context.Background(), cfg, awsclients.MustNew(cfg))
	if err != nil {
		slog.Error("the offer function could not start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}
