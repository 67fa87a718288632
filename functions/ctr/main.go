// Command ctr applies Amazon Connect contact records from Kinesis: the
// facts of each contact (queue wait, talk, hold, after-contact work, agent,
// disconnect reason) onto the contact item and the customer's profile.
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
	h, err := consumers.CTR(context.Background(), cfg, awsclients.MustNew(cfg))
	if err != nil {
		slog.Error("the ctr function could not start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}
