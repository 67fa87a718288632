// Package awsclients builds the AWS SDK clients a Conduit process uses, once,
// from typed configuration: one region, optional local endpoints, short
// timeouts and bounded retries, so a slow dependency cannot hold a contact.
package awsclients

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
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

// New builds the clients. Local endpoints switch on static local credentials.
func New(ctx context.Context, cfg config.Config) (*Clients, error) {
	httpClient := awshttp.NewBuildableClient().
		WithTimeout(5 * time.Second).
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = time.Second }).
		WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns = 256
			t.MaxIdleConnsPerHost = 256
		})
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(cfg.Region),
		awsconfig.WithHTTPClient(httpClient),
		awsconfig.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 3
				o.MaxBackoff = 200 * time.Millisecond
			})
		}),
	}
	if cfg.DynamoDBEndpoint != "" || cfg.KinesisEndpoint != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(LocalAccessKeyID, LocalSecretAccessKey, "")))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return FromAWSConfig(awsCfg, cfg), nil
}

// FromAWSConfig builds the clients from an AWS configuration already loaded.
func FromAWSConfig(awsCfg aws.Config, cfg config.Config) *Clients {
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
