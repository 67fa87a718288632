package stack

import (
	"fmt"
	"time"

	"github.com/conduit-cx/conduit/shared/store"
)

// Trigger says what invokes a function.
type Trigger string

// Triggers.
const (
	// TriggerContactFlow: an Amazon Connect flow's "Invoke AWS Lambda function" block (synchronous).
	TriggerContactFlow Trigger = "contact-flow"
	// TriggerAPI: the HTTP API, through the JWT authorizer.
	TriggerAPI Trigger = "api"
	// TriggerStream: a Kinesis event source mapping.
	TriggerStream Trigger = "stream"
	// TriggerContactEvents: the EventBridge rule for Amazon Connect contact events.
	TriggerContactEvents Trigger = "contact-events"
	// TriggerSchedule: an EventBridge Scheduler schedule.
	TriggerSchedule Trigger = "schedule"
)

// Access is what a function may do to one table. Each level is a separate
// set of DynamoDB actions so that a role never holds more than it uses.
type Access uint8

// Access levels; combine with |.
const (
	// Read: GetItem, BatchGetItem, Query (on the table and on each of its indexes).
	Read Access = 1 << iota
	// Write: PutItem, UpdateItem, ConditionCheckItem (conditional writes, counters, transactions).
	Write
	// Delete: DeleteItem, BatchWriteItem (erasure, expiring overwrites).
	Delete
	// Scan: Scan of the table itself (a what-if reads the whole profile base).
	Scan
	// Describe: DescribeTable (the approximate item count a what-if's progress is measured against).
	Describe
	// IndexQuery: Query on the table's indexes only (TableUse.Indexes), not
	// on the table: for a reader that never reads items by key.
	IndexQuery
	// Dedupe: BatchGetItem and BatchWriteItem, the idempotency keys a
	// consumer reads and remembers many at once (store.Idempotency). IAM
	// checks BatchWriteItem as an action of its own: Write does not cover it.
	Dedupe
)

// TableUse grants one table to a function.
type TableUse struct {
	Table store.Table
	Can   Access
	// Indexes narrows Read and IndexQuery to these indexes of the table;
	// empty means every index of the table.
	Indexes []string
}

// StreamSource is how a stream consumer's event source mapping reads.
type StreamSource struct {
	Stream store.Stream
	// BatchSize and BatchWindow trade latency for fewer invocations.
	BatchSize   int
	BatchWindow time.Duration
	// RetryAttempts and MaxRecordAge bound how long a poison batch holds a
	// shard; after them the batch's position goes to the consumer's DLQ.
	RetryAttempts int
	MaxRecordAge  time.Duration
	// IteratorAgeAlarm is the iterator age at which the consumer counts as behind.
	IteratorAgeAlarm time.Duration
}

// Function is one Lambda function of Conduit: the one table of every
// function, its trigger, its size and exactly what it may touch.
type Function struct {
	// Name is the directory under functions/ and the suffix of the physical name.
	Name    string
	Purpose string
	Trigger Trigger
	// MemoryMB also buys CPU: Lambda allocates CPU in proportion to memory.
	MemoryMB int
	Timeout  time.Duration
	// ReservedConcurrency caps the function so it cannot starve the hot path
	// of account concurrency; 0 leaves it in the unreserved pool.
	ReservedConcurrency int
	Tables              []TableUse
	// Consumes is set for stream consumers.
	Consumes *StreamSource
	// Publishes lists the streams the function puts records to.
	Publishes []store.Stream
	// Schedule is an EventBridge Scheduler expression, for scheduled functions.
	Schedule string
	// ConnectMetrics grants reading queue metrics of the Connect instance.
	ConnectMetrics bool
	// DecisionDeadline is passed to functions that answer a contact flow.
	DecisionDeadline bool
	// WhatIfRunner names the function that runs what-if chunks in the
	// background: the role may invoke it (the chunk is handed on as an
	// asynchronous invocation) and EnvWhatIfFunction names it.
	WhatIfRunner string
}

// Functions is every function Conduit deploys (DESIGN section 3). A test keeps
// it equal to the directories under functions/ that hold a main.go.
var Functions = []Function{
	{
		Name: "offer", Purpose: "decides the offer for a contact; answers the contact flow within its deadline",
		Trigger: TriggerContactFlow, MemoryMB: 512, Timeout: 3 * time.Second,
		Tables: []TableUse{
			{Table: store.ProfilesTable, Can: Read | Write}, // who the caller is; the exposure, with the decision
			{Table: store.CatalogTable, Can: Read | Write},  // the catalog; marks offers and campaigns a decision named
			{Table: store.ContactsTable, Can: Read | Write}, // history by profile; the decision itself
			{Table: store.StateTable, Can: Read | Write},    // load states, propensities; caps counters
		},
		Publishes:        []store.Stream{store.DecisionsStream},
		DecisionDeadline: true,
	},
	{
		Name: "outcome", Purpose: "records accepted, declined or later for a decision; idempotent",
		Trigger: TriggerContactFlow, MemoryMB: 256, Timeout: 3 * time.Second,
		Tables: []TableUse{
			{Table: store.ContactsTable, Can: Read | Write},
			{Table: store.ProfilesTable, Can: Read | Write}, // the outcome on the customer's exposure
			{Table: store.StateTable, Can: Read | Write},    // propensity counters, idempotency keys
		},
		Publishes:        []store.Stream{store.DecisionsStream},
		DecisionDeadline: true,
	},
	{
		Name: "survey", Purpose: "records a post-contact survey answer on the contact and the customer's profile; idempotent",
		Trigger: TriggerContactFlow, MemoryMB: 256, Timeout: 3 * time.Second,
		Tables: []TableUse{
			{Table: store.ContactsTable, Can: Write},        // the survey attribute only, once per contact
			{Table: store.ProfilesTable, Can: Read | Write}, // who the caller is; last survey score on the profile
		},
		DecisionDeadline: true,
	},
	{
		Name: "api", Purpose: "the marketer and analyst HTTPS API",
		Trigger: TriggerAPI, MemoryMB: 512, Timeout: 10 * time.Second, ReservedConcurrency: 20,
		Tables: []TableUse{
			// Erasure deletes the profile and its identity items; a what-if's
			// first chunk scans the profile base inline, sized by DescribeTable.
			{Table: store.ProfilesTable, Can: Read | Write | Delete | Scan | Describe},
			{Table: store.CatalogTable, Can: Read | Write},
			{Table: store.ContactsTable, Can: Read | Write | Delete}, // decisions for analysts; survey answers from survey tools; erasure deletes contacts
			{Table: store.KPIsTable, Can: Read | Write},              // KPIs; benchmarks set by an administrator
			{Table: store.StateTable, Can: Read | Write},             // load states; suppression after erasure
			{Table: store.SocialTable, Can: Read | Write | Delete},   // social posts: ingest, work queues, handling; erasure deletes a customer's posts
		},
		Publishes:    []store.Stream{store.DecisionsStream}, // routed social posts (type social_post_routed)
		WhatIfRunner: "campaigns",                           // a what-if the first chunk does not finish goes on in the background
	},
	{
		Name: "ctr", Purpose: "per-contact facts from Amazon Connect contact records; dedupes",
		Trigger: TriggerStream, MemoryMB: 256, Timeout: time.Minute,
		Tables: []TableUse{
			{Table: store.ContactsTable, Can: Read | Write},
			// The caller by identity item, and the contact onto their profile
			// (GetItem, then a transaction of puts and updates).
			{Table: store.ProfilesTable, Can: Read | Write},
			// Only idempotency keys: read for every record, written for skipped
			// ones (the facts write is conditional on the record's version).
			{Table: store.StateTable, Can: Dedupe},
		},
		Consumes: &StreamSource{
			Stream: store.ContactRecordsStream, BatchSize: 100, BatchWindow: time.Second,
			RetryAttempts: 10, MaxRecordAge: 6 * time.Hour, IteratorAgeAlarm: 5 * time.Minute,
		},
	},
	{
		Name: "speech", Purpose: "rolling sentiment and matched categories from Contact Lens real-time segments",
		Trigger: TriggerStream, MemoryMB: 256, Timeout: 30 * time.Second,
		Tables: []TableUse{
			{Table: store.ContactsTable, Can: Read | Write},
			{Table: store.ProfilesTable, Can: Read | Write}, // life events and churn risk onto the profile
			{Table: store.StateTable, Can: Dedupe},          // only its idempotency keys: (ContactId, segment id)
		},
		Consumes: &StreamSource{
			// Segments matter while the contact is live: no batching window, short age.
			Stream: store.ContactLensStream, BatchSize: 100, BatchWindow: 0,
			RetryAttempts: 10, MaxRecordAge: time.Hour, IteratorAgeAlarm: time.Minute,
		},
	},
	{
		Name: "contactevents", Purpose: "contact state timestamps from Amazon Connect contact events",
		Trigger: TriggerContactEvents, MemoryMB: 256, Timeout: 10 * time.Second, ReservedConcurrency: 10,
		Tables: []TableUse{
			{Table: store.ContactsTable, Can: Read | Write},
			{Table: store.StateTable, Can: Read | Write | Dedupe}, // queue waiting lists; dedupe on event id
		},
	},
	{
		Name: "rollup", Purpose: "KPI aggregation by time bucket and dimension; idempotent overwrite",
		Trigger: TriggerSchedule, MemoryMB: 512, Timeout: 5 * time.Minute, ReservedConcurrency: 1,
		Schedule: "rate(15 minutes)",
		Tables: []TableUse{
			{Table: store.ContactsTable, Can: Read}, // by day
			{Table: store.KPIsTable, Can: Read | Write},
			{Table: store.StateTable, Can: Read | Write}, // watermark of the last complete bucket
		},
	},
	{
		Name: "loadwatch", Purpose: "queue load state from Amazon Connect metrics, with hysteresis",
		Trigger: TriggerSchedule, MemoryMB: 256, Timeout: 30 * time.Second, ReservedConcurrency: 1,
		Schedule: "rate(1 minute)",
		Tables: []TableUse{
			{Table: store.StateTable, Can: Read | Write},   // the wallboard item load#wallboard; queue waiting lists
			{Table: store.CatalogTable, Can: Read | Write}, // holds and releases campaigns (conditional puts on the version)
			// ASA and service level of recent contacts, by day only.
			{Table: store.ContactsTable, Can: IndexQuery, Indexes: []string{store.IndexContactsByDay}},
		},
		ConnectMetrics: true,
	},
	{
		Name: "campaigns", Purpose: "campaign lifecycle: launch when ready and load allows, end when expired; runs what-if chunks",
		Trigger: TriggerSchedule, MemoryMB: 256, Timeout: time.Minute, ReservedConcurrency: 1,
		Schedule: "rate(5 minutes)",
		Tables: []TableUse{
			{Table: store.CatalogTable, Can: Read | Write},     // launches and ends campaigns; a what-if reads the catalog
			{Table: store.StateTable, Can: Read | Write},       // the wallboard; what-if jobs; propensities and cap use
			{Table: store.ProfilesTable, Can: Scan | Describe}, // a what-if's chunks scan the profile base
		},
		WhatIfRunner: "campaigns", // a chunk hands the rest of its what-if on to a new invocation
	},
}

// FunctionNamed finds a function of the table.
func FunctionNamed(name string) (Function, bool) {
	for _, f := range Functions {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

// RateExpression is the Scheduler expression of a period: rate(1 minute), rate(15 minutes), rate(2 hours).
func RateExpression(every time.Duration) string {
	unit, n := "minute", int(every/time.Minute)
	if every%time.Hour == 0 {
		unit, n = "hour", int(every/time.Hour)
	}
	if n != 1 {
		unit += "s"
	}
	return fmt.Sprintf("rate(%d %s)", n, unit)
}
