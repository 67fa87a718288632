// Package awsclients builds the AWS SDK clients a Conduit process uses, once,
// from typed configuration: one region, optional local endpoints, short
// timeouts and bounded retries, so a slow dependency cannot hold a contact.
package awsclients

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/guregu/dynamo/v2"

	"github.com/conduit-cx/conduit/shared/config"
)

// Local credentials: DynamoDB Local keeps a separate database per key id and
// region unless -sharedDb is set, so every local client uses the same pair.
const (
	LocalAccessKeyID     = "conduitlocal"
	LocalSecretAccessKey = "conduitlocal"
)

// Clients holds the SDK clients of one process.
type Clients struct {
	AWS      aws.Config
	DynamoDB *dynamodb.Client
	Dynamo   *dynamo.DB
	Kinesis  *kinesis.Client
}

// Environment variables the Lambda runtime sets with the function role's
// credentials.
const (
	EnvAccessKeyID     = "AWS_ACCESS_KEY_ID"
	EnvSecretAccessKey = "AWS_SECRET_ACCESS_KEY"
	EnvSessionToken    = "AWS_SESSION_TOKEN"
)

// New builds the clients. Local endpoints switch on static local credentials;
// otherwise the credentials are the ones the Lambda runtime puts in the
// environment. The configuration is built by hand rather than with the SDK's
// config loader: the loader links the STS, SSO and SSO-OIDC clients (about
// 2 MB in every binary) for shared profiles and SSO, which a Lambda function
// never uses, and every Conduit process (functions, the local runner, the
// scripts) talks either to AWS from Lambda or to the local stack.
func New(_ context.Context, cfg config.Config) (*Clients, error) {
	httpClient := awshttp.NewBuildableClient().
		WithTimeout(5 * time.Second).
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = time.Second }).
		WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns = 256
			t.MaxIdleConnsPerHost = 256
		})
	var creds aws.CredentialsProvider
	if cfg.DynamoDBEndpoint != "" || cfg.KinesisEndpoint != "" {
		creds = credentials.NewStaticCredentialsProvider(LocalAccessKeyID, LocalSecretAccessKey, "")
	} else {
		key, secret := os.Getenv(EnvAccessKeyID), os.Getenv(EnvSecretAccessKey)
		if key == "" || secret == "" {
			return nil, fmt.Errorf("no AWS credentials: %s and %s must be set (the Lambda runtime sets them)", EnvAccessKeyID, EnvSecretAccessKey)
		}
		creds = credentials.NewStaticCredentialsProvider(key, secret, os.Getenv(EnvSessionToken))
	}
	awsCfg := aws.Config{
		Region:      cfg.Region,
		HTTPClient:  httpClient,
		Credentials: aws.NewCredentialsCache(creds),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 3
				o.MaxBackoff = 200 * time.Millisecond
			})
		},
	}
	return newClients(awsCfg, cfg), nil
}

// newClients builds the SDK clients over one AWS configuration.
func newClients(awsCfg aws.Config, cfg config.Config) *Clients {
	ddbOpts := func(o *dynamodb.Options) {
		if cfg.DynamoDBEndpoint != "" {
			o.BaseEndpoint = aws.String(cfg.DynamoDBEndpoint)
			// DynamoDB Local sends no CRC32 header; without this the SDK
			// logs a WARN on every response.
			o.DisableValidateResponseChecksum = true
		}
	}
	c := &Clients{
		AWS:      awsCfg,
		DynamoDB: dynamodb.NewFromConfig(awsCfg, ddbOpts),
		Kinesis: kinesis.NewFromConfig(awsCfg, func(o *kinesis.Options) {
			if cfg.KinesisEndpoint != "" {
				o.BaseEndpoint = aws.String(cfg.KinesisEndpoint)
			}
		}),
	}
	c.Dynamo = dynamo.NewFromIface(c.DynamoDB)
	return c
}

// MustNew is New for main functions.
func MustNew(cfg config.Config) *Clients {
	c, err := New(context.Background(), cfg)
	if err != nil {
		panic(err)
	}
	return c
}
