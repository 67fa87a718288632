// Command rollup recomputes KPI buckets (15 minutes, hour, day, by every
// dimension) from the contacts in them, on a schedule; see shared/rollup.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/lambdas/kpijob"
	"github.com/conduit-cx/conduit/shared/logging"
)

func main() {
	cfg := config.MustLoad()
	logging.Setup()
	h, err := kpijob.Rollup(context.Background(), cfg, awsclients.MustNew(cfg))
	if err != nil {
		slog.Error("the rollup function could not start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}
