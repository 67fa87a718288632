// Command contactevents applies EventBridge "Amazon Connect Contact Event"s:
// each contact's state timeline and the live waiting lists of the queues.
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
	h, err := consumers.ContactEvents(context.Background(), cfg, awsclients.MustNew(cfg))
	if err != nil {
		slog.Error("the contactevents function could not start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}
