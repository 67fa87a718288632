// Command loadwatch reads the queues' load every minute (Amazon Connect's
// current metrics, the contact-events waiting lists, recent contacts),
// keeps each queue's load level, and holds or releases live campaigns by
// their load gates; see shared/loadwatch.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/lambdas/loadjob"
	"github.com/conduit-cx/conduit/shared/logging"
)

func main() {
	cfg := config.MustLoad()
	logging.Setup()
	h, err := loadjob.LoadWatch(context.Background(), cfg, awsclients.MustNew(cfg))
	if err != nil {
		slog.Error("the loadwatch function could not start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}
