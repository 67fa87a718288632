// Command survey records a post-contact survey answer (a 1-5 score and a comment) that a contact flow passes; see shared/offer.
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
	h, err := feedback.Survey(context.Background(), cfg, awsclients.MustNew(cfg))
	if err != nil {
		slog.Error("the survey function could not start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}
