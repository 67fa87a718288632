// Package lambdas is the one registry of Conduit's functions: for each, how
// to build its handler at cold start and what triggers it. The local runner
// builds every handler from here and feeds each the events its trigger would
// send in the cloud. The constructors live in small packages by function
// group (consumers, decisions, feedback, httpapi, campaigns, loadjob,
// kpijob); functions/<name> imports only its own group, never this
// registry, so each binary links only the code its function runs.
package lambdas

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/lambdas/campaigns"
	"github.com/conduit-cx/conduit/shared/lambdas/consumers"
	"github.com/conduit-cx/conduit/shared/lambdas/decisions"
	"github.com/conduit-cx/conduit/shared/lambdas/feedback"
	"github.com/conduit-cx/conduit/shared/lambdas/httpapi"
	"github.com/conduit-cx/conduit/shared/lambdas/kpijob"
	"github.com/conduit-cx/conduit/shared/lambdas/loadjob"
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
// Adding a function is one line here. Contact records are batched for a
// second; Contact Lens segments go at once, so a second offer call on the
// same contact already sees what was said.
func Registry() map[string]Function {
	return map[string]Function{
		"api":     {Trigger: OnAPI(), New: httpapi.API, Timeout: 10 * time.Second},
		"offer":   {Trigger: OnInvoke(), New: decisions.Offer, Timeout: 3 * time.Second},
		"outcome": {Trigger: OnInvoke(), New: feedback.Outcome, Timeout: 3 * time.Second},
		"survey":  {Trigger: OnInvoke(), New: feedback.Survey, Timeout: 3 * time.Second},
		"ctr": {Trigger: OnStream(store.ContactRecordsStream, 100, time.Second, 10),
			New: consumers.CTR, Timeout: time.Minute},
		"speech": {Trigger: OnStream(store.ContactLensStream, 100, 0, 10),
			New: consumers.Speech, Timeout: 30 * time.Second},
		"contactevents": {Trigger: OnEvents(connect.ContactEventSource, connect.ContactEventDetailType),
			New: consumers.ContactEvents, Timeout: 10 * time.Second},
		"rollup":    {Trigger: Every(15 * time.Minute), New: kpijob.Rollup, Timeout: 5 * time.Minute},
		"loadwatch": {Trigger: Every(time.Minute), New: loadjob.LoadWatch, Timeout: 30 * time.Second},
		"campaigns": {Trigger: Every(5 * time.Minute), New: campaigns.Campaigns, Timeout: time.Minute},
	}
}
