// Command api is the marketer and analyst HTTP API, behind API Gateway's
// HTTP API (payload format 2.0) and its JWT authorizer.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/lambdas/httpapi"
	"github.com/conduit-cx/conduit/shared/logging"
)

func main() {
	cfg := config.MustLoad()
	logging.Setup()
	h, err := httpapi.API(context.Background(), cfg, awsclients.MustNew(cfg))
	if err != nil {
		slog.Error("the api function could not start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}
