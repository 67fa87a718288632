// Command speech applies Contact Lens real-time segments from Kinesis:
// rolling sentiment and matched categories onto the contact, life events
// and the customer's sentiment onto the profile.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/lambdas/consumers"
	"github.com/conduit-cx/conduit/shared/logging"
)

func main() {
	cfg := config.MustLoad()
	logging.Setup()
	h, err := consumers.Speech(context.Background(), cfg, awsclients.MustNew(cfg))
	if err != nil {
		slog.Error("the speech function could not start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}
