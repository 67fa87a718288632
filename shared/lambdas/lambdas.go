// Package lambdas is the one registry of Conduit's functions: for each, how
// to build its handler at cold start and what triggers it. functions/<name>
// calls its constructor and hands the handler to the Lambda runtime; the
// local runner builds every handler from here and feeds each the events its
// trigger would send in the cloud.
package lambdas

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/store"
)

// Constructor builds a function's handler once, at cold start, from the
// typed configuration and the process's AWS clients. Handlers written as
// typed functions become a lambda.Handler through lambda.NewHandler.
type Constructor func(ctx context.Context, cfg config.Config, clients *awsclients.Clients) (lambda.Handler, error)

// Kind is the kind of thing that calls a function.
type Kind string

// Kinds of trigger.
const (
	// KindInvoke: called directly, as a contact flow's "Invoke AWS Lambda
	// function" block does.
	KindInvoke Kind = "invoke"
	// KindAPI: API Gateway's HTTP API, payload format 2.0, JWT authorizer.
	KindAPI Kind = "api"
	// KindStream: a Kinesis event source mapping.
	KindStream Kind = "stream"
	// KindEvents: an EventBridge rule.
	KindEvents Kind = "events"
	// KindSchedule: an EventBridge Scheduler rate schedule.
	KindSchedule Kind = "schedule"
)

// Trigger says what calls a function and how.
type Trigger struct {
	Kind Kind
	// Stream, BatchSize, BatchWindow and RetryAttempts describe a stream
	// consumer's event source mapping. Stream consumers report batch item
	// failures and have failing batches bisected.
	Stream        store.Stream
	BatchSize     int
	BatchWindow   time.Duration
	RetryAttempts int
	// Source and DetailTypes are what an events rule matches.
	Source      string
	DetailTypes []string
	// Every is a schedule's period.
	Every time.Duration
}

// OnInvoke is the trigger of a function called directly.
func OnInvoke() Trigger { return Trigger{Kind: KindInvoke} }

// OnAPI is the trigger of the function behind the HTTP API.
func OnAPI() Trigger { return Trigger{Kind: KindAPI} }

// OnStream is the trigger of a stream consumer.
func OnStream(s store.Stream, batchSize int, window time.Duration, retryAttempts int) Trigger {
	return Trigger{Kind: KindStream, Stream: s, BatchSize: batchSize, BatchWindow: window, RetryAttempts: retryAttempts}
}

// OnEvents is the trigger of a function that an EventBridge rule calls
// with events of the source and, if any are named, those detail types.
func OnEvents(source string, detailTypes ...string) Trigger {
	return Trigger{Kind: KindEvents, Source: source, DetailTypes: detailTypes}
}

// Every is the trigger of a scheduled function.
func Every(period time.Duration) Trigger { return Trigger{Kind: KindSchedule, Every: period} }

// Function is one entry of the registry.
type Function struct {
	Trigger Trigger
	New     Constructor
	// Timeout bounds one invocation, as the function's configuration does
	// (zero: the runner's default).
	Timeout time.Duration
}

// Registry lists every function by name (the directory under functions/).
// Adding a function is one line here. It is a function rather than a
// variable so that a function's binary, which calls only its own
// constructor, does not link every other function's code.
func Registry() map[string]Function {
	return map[string]Function{
		"api":           {Trigger: OnAPI(), New: API, Timeout: 10 * time.Second},
		"offer":         {Trigger: OnInvoke(), New: Offer, Timeout: 3 * time.Second},
		"outcome":       {Trigger: OnInvoke(), New: Outcome, Timeout: 3 * time.Second},
		"survey":        {Trigger: OnInvoke(), New: Survey, Timeout: 3 * time.Second},
		"ctr":           {Trigger: ctrTrigger, New: CTR, Timeout: time.Minute},
		"speech":        {Trigger: speechTrigger, New: Speech, Timeout: 30 * time.Second},
		"contactevents": {Trigger: contactEventsTrigger, New: ContactEvents, Timeout: 10 * time.Second},
		"rollup":        {Trigger: Every(15 * time.Minute), New: Rollup, Timeout: 5 * time.Minute},
		"loadwatch":     {Trigger: loadwatchTrigger, New: LoadWatch, Timeout: 30 * time.Second},
		"campaigns":     {Trigger: campaignsTrigger, New: Campaigns, Timeout: time.Minute},
	}
}
