// Command outcome records what the customer said to an offer (accepted, declined, later); see shared/offer.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/lambdas/feedback"
	"github.com/conduit-cx/conduit/shared/logging"
)

func main() {
	cfg := config.MustLoad()
	logging.Setup()
	h, err := feedback.Outcome(context.Background(), cfg, awsclients.MustNew(cfg))
	if err != nil {
		slog.Error("the outcome function could not start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}
