// Package store is Conduit's DynamoDB and Kinesis layer. This file holds the
// one definition of every table and stream; the local setup, the tests and
// the CDK stack all read it, so local and cloud cannot drift.
package store

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// AttrType is a DynamoDB key attribute type.
type AttrType string

// Key attribute types.
const (
	String AttrType = "S"
	Number AttrType = "N"
)

// Key names one key attribute.
type Key struct {
	Name string
	Type AttrType
}

// Index is a global secondary index, projecting all attributes.
type Index struct {
	Name         string
	PartitionKey Key
	SortKey      *Key
}

// Table is the definition of one table.
type Table struct {
	// Suffix is the table's name after "conduit-<stage>-".
	Suffix       string
	PartitionKey Key
	SortKey      *Key
	Indexes      []Index
	// TTLAttribute holds an epoch-seconds expiry; empty when items never expire.
	TTLAttribute string
	// Purpose says what the table holds, for the README and the stack.
	Purpose string
}

// TTLAttribute is the expiry attribute every table with a TTL uses.
const TTLAttribute = "expiresAt"

// Index names.
const (
	IndexContactsByProfile = "byProfile"
	IndexContactsByDay     = "byDay"
	IndexContactsByAgent   = "byAgent"
	// IndexSocialByRoute and IndexSocialByQueue list a team's posts (all,
	// or open / handled), most urgent first, then oldest first.
	IndexSocialByRoute = "byRoute"
	IndexSocialByQueue = "byRouteStatus"
	// IndexSocialByProfile finds a customer's posts, for erasure.
	IndexSocialByProfile = "byProfile"
)

// The tables.
var (
	ProfilesTable = Table{
		Suffix:       "profiles",
		PartitionKey: Key{"pk", String},
		Purpose:      "customer profiles, their identity items (keyed hashes, never raw values) and suppression entries after erasure",
	}
	CatalogTable = Table{
		Suffix:       "catalog",
		PartitionKey: Key{"kind", String},
		SortKey:      &Key{"id", String},
		Purpose:      "offers and campaigns, with versions and lifecycle transitions",
	}
	ContactsTable = Table{
		Suffix:       "contacts",
		PartitionKey: Key{"contactId", String},
		Indexes: []Index{
			{Name: IndexContactsByProfile, PartitionKey: Key{"profileId", String}, SortKey: &Key{"initiatedAt", String}},
			{Name: IndexContactsByDay, PartitionKey: Key{"day", String}, SortKey: &Key{"initiatedAt", String}},
			{Name: IndexContactsByAgent, PartitionKey: Key{"agentUsername", String}, SortKey: &Key{"initiatedAt", String}},
		},
		TTLAttribute: TTLAttribute,
		Purpose:      "per-contact decisions, outcomes, facts from contact records, sentiment and categories",
	}
	KPIsTable = Table{
		Suffix:       "kpis",
		PartitionKey: Key{"series", String},
		SortKey:      &Key{"bucket", String},
		Purpose:      "KPI aggregates per grain, dimension and time bucket",
	}
	SocialTable = Table{
		Suffix:       "social",
		PartitionKey: Key{"post", String},
		Indexes: []Index{
			{Name: IndexSocialByRoute, PartitionKey: Key{"route", String}, SortKey: &Key{"workOrder", String}},
			{Name: IndexSocialByQueue, PartitionKey: Key{"routeStatus", String}, SortKey: &Key{"workOrder", String}},
			{Name: IndexSocialByProfile, PartitionKey: Key{"profileId", String}, SortKey: &Key{"workOrder", String}},
		},
		TTLAttribute: TTLAttribute,
		Purpose:      "social posts from listening tools (author as a keyed hash only), their triage, route and who handled them",
	}
	StateTable = Table{
		Suffix:       "state",
		PartitionKey: Key{"pk", String},
		TTLAttribute: TTLAttribute,
		Purpose:      "global cap counters, queue load states, propensity counters, idempotency keys",
	}
)

// AllTables lists every table, in creation order.
var AllTables = []Table{ProfilesTable, CatalogTable, ContactsTable, KPIsTable, StateTable, SocialTable}

// Name is the table's physical name for a stage.
func (t Table) Name(stage string) string { return fmt.Sprintf("conduit-%s-%s", stage, t.Suffix) }

// Tables holds the physical names of every table for one stage.
type Tables struct {
	Profiles, Catalog, Contacts, KPIs, State, Social string
}

// TablesFor resolves the table names of a stage.
func TablesFor(stage string) Tables {
	return Tables{
		Profiles: ProfilesTable.Name(stage),
		Catalog:  CatalogTable.Name(stage),
		Contacts: ContactsTable.Name(stage),
		KPIs:     KPIsTable.Name(stage),
		State:    StateTable.Name(stage),
		Social:   SocialTable.Name(stage),
	}
}

// CreateInput is the on-demand CreateTable request for the table.
func (t Table) CreateInput(stage string) *dynamodb.CreateTableInput {
	attrs := map[string]AttrType{}
	keySchema := func(pk Key, sk *Key) []types.KeySchemaElement {
		attrs[pk.Name] = pk.Type
		ks := []types.KeySchemaElement{{AttributeName: aws.String(pk.Name), KeyType: types.KeyTypeHash}}
		if sk != nil {
			attrs[sk.Name] = sk.Type
			ks = append(ks, types.KeySchemaElement{AttributeName: aws.String(sk.Name), KeyType: types.KeyTypeRange})
		}
		return ks
	}
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(t.Name(stage)),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema:   keySchema(t.PartitionKey, t.SortKey),
	}
	for _, ix := range t.Indexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName:  aws.String(ix.Name),
			KeySchema:  keySchema(ix.PartitionKey, ix.SortKey),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
	}
	for _, name := range sortedKeys(attrs) {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(name), AttributeType: types.ScalarAttributeType(attrs[name]),
		})
	}
	return in
}

// Stream is the definition of one Kinesis data stream.
type Stream struct {
	Suffix  string
	Purpose string
}

// The streams.
var (
	ContactRecordsStream = Stream{Suffix: "contact-records", Purpose: "Amazon Connect contact records (CTRs)"}
	ContactLensStream    = Stream{Suffix: "contact-lens", Purpose: "Contact Lens real-time analysis segments"}
	DecisionsStream      = Stream{Suffix: "decisions", Purpose: "Conduit decision and outcome events for analytics"}
)

// AllStreams lists every stream.
var AllStreams = []Stream{ContactRecordsStream, ContactLensStream, DecisionsStream}

// Name is the stream's physical name for a stage.
func (s Stream) Name(stage string) string { return fmt.Sprintf("conduit-%s-%s", stage, s.Suffix) }

// Streams holds the physical names of every stream for one stage.
type Streams struct {
	ContactRecords, ContactLens, Decisions string
}

// StreamsFor resolves the stream names of a stage.
func StreamsFor(stage string) Streams {
	return Streams{
		ContactRecords: ContactRecordsStream.Name(stage),
		ContactLens:    ContactLensStream.Name(stage),
		Decisions:      DecisionsStream.Name(stage),
	}
}
