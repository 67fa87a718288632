package api_test

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kintypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/conduit-cx/conduit/shared/api"
	"github.com/conduit-cx/conduit/shared/api/apitest"
	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/contacts/ingest"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/storetest"
	"github.com/conduit-cx/conduit/shared/stream"
)

// contactBody is the GET /v1/contacts/{contactId} answer as a client reads it.
type contactBody struct {
	ContactID   string          `json:"contactId"`
	Day         string          `json:"day"`
	InitiatedAt string          `json:"initiatedAt"`
	Queue       string          `json:"queue"`
	Facts       *contacts.Facts `json:"facts"`
	Sentiment   string          `json:"sentiment"`
	Categories  []string        `json:"categories"`
	Signals     []struct {
		Kind      string `json:"kind"`
		LifeEvent string `json:"lifeEvent"`
	} `json:"signals"`
	Lens *struct {
		Participants map[string]struct {
			Turns    int `json:"turns"`
			Negative int `json:"negative"`
		} `json:"participants"`
	} `json:"lens"`
	Decision *struct {
		DecisionID string `json:"decisionId"`
	} `json:"decision"`
	Events *struct {
		States map[string]time.Time `json:"states"`
	} `json:"events"`
}

// TestContactFromThePublishedRecordInTheLocalStream is the first
// "done when": AWS's published example contact record, put into the local
// contact-record stream (kinesalite) and applied by the ctr consumer, shows
// its queue wait, talk, hold and after-contact work on
// GET /v1/contacts/{contactId}.
func TestContactFromThePublishedRecordInTheLocalStream(t *testing.T) {
	env := storetest.NewWithStreams(t)
	ctx := context.Background()
	data, err := os.ReadFile("../../events/connect/ctr.json")
	if err != nil {
		t.Fatal(err)
	}
	name := aws.String(env.Streams.ContactRecords)
	kin := env.Clients.Kinesis
	if _, err := kin.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: name, PartitionKey: aws.String("5ca32fbd-8f92-46af-92a5-6b0f970f0efe"), Data: data}); err != nil {
		t.Fatal(err)
	}
	shards, err := kin.ListShards(ctx, &kinesis.ListShardsInput{StreamName: name})
	if err != nil {
		t.Fatal(err)
	}
	it, err := kin.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: name, ShardId: shards.Shards[0].ShardId,
		ShardIteratorType: kintypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	got, err := kin.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil {
		t.Fatal(err)
	}
	var ev events.KinesisEvent
	for _, k := range got.Records {
		ev.Records = append(ev.Records, events.KinesisEventRecord{EventID: aws.ToString(shards.Shards[0].ShardId) + ":" + aws.ToString(k.SequenceNumber),
			Kinesis: events.KinesisRecord{SequenceNumber: aws.ToString(k.SequenceNumber), PartitionKey: aws.ToString(k.PartitionKey), Data: k.Data}})
	}
	contactStore := store.NewContacts(env.Clients.Dynamo, env.Tables)
	consumer := stream.New[*connect.ContactRecord](&ingest.CTR{Contacts: contactStore}, stream.Config{Name: "ctr"})
	if resp, err := consumer.Handle(ctx, ev); err != nil || len(ev.Records) != 1 || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("consumer: %d records, %+v, %v", len(ev.Records), resp, err)
	}

	profileStore := store.NewProfiles(env.Clients.Dynamo, env.Tables)
	srv := api.NewServer(api.Deps{Profiles: profileStore, Contacts: store.NewDecisions(env.Clients.Dynamo, env.Tables)})
	resp := apitest.Do(t, srv, apitest.Request(http.MethodGet, "/v1/contacts/5ca32fbd-8f92-46af-92a5-6b0f970f0efe", nil, api.ScopeAnalyst))
	if resp.Status != http.StatusOK {
		t.Fatalf("status %d: %s", resp.Status, resp.Body)
	}
	var body contactBody
	resp.JSON(t, &body)
	f := body.Facts
	if f == nil || f.QueueWaitSeconds != 83 || f.TalkSeconds != 322 || f.HoldSeconds != 38 || f.AfterContactWorkSeconds != 15 {
		t.Fatalf("facts %+v\n%s", f, resp.Body)
	}
	if f.AgentUsername != "agent.jane" || f.DisconnectReason != "CUSTOMER_DISCONNECT" || f.Status != contacts.StatusHandled ||
		f.SurveyScore != 5 || f.DecisionID != "dec-01J9ZC3W8Q7M4V2K6T5R1N0P8H" || body.Queue != "BasicQueue" || body.InitiatedAt != "2019-08-21T17:44:21.000Z" {
		t.Errorf("contact %s", resp.Body)
	}
}

func TestContactShowsEverythingKnownAndAnswers404ForUnknown(t *testing.T) {
	env := storetest.New(t)
	ctx := context.Background()
	contactStore := store.NewContacts(env.Clients.Dynamo, env.Tables)
	profileStore := store.NewProfiles(env.Clients.Dynamo, env.Tables)
	decisions := store.NewDecisions(env.Clients.Dynamo, env.Tables)
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	if err := decisions.RecordDecision(ctx, store.DecisionRecord{ContactID: "c-42", Channel: "voice",
		Decision: contacts.Decision{DecisionID: "d-42", At: at, OfferID: "move-kit", Shown: true}}); err != nil {
		t.Fatal(err)
	}
	lens := contacts.Lens{}
	lens.Apply(&connect.LensEvent{ContactID: "c-42", EventType: connect.LensSegments, Segments: []connect.LensSegment{
		{Transcript: &connect.Transcript{ID: "t1", ParticipantRole: "CUSTOMER", BeginOffsetMillis: 100, Sentiment: connect.Negative}},
		{Categories: &connect.Categories{MatchedCategories: []string{"life_event_move", "competitor_mention"}}},
	}}, at, contacts.DefaultSignalTable(), 0)
	lens.Version = 1
	if err := contactStore.PutLens(ctx, "c-42", lens, at); err != nil {
		t.Fatal(err)
	}
	srv := api.NewServer(api.Deps{Profiles: profileStore, Contacts: decisions})

	resp := apitest.Do(t, srv, apitest.Request(http.MethodGet, "/v1/contacts/c-42", nil, api.ScopeMarketer))
	if resp.Status != http.StatusOK {
		t.Fatalf("status %d: %s", resp.Status, resp.Body)
	}
	var body contactBody
	resp.JSON(t, &body)
	if body.Sentiment != "negative" || len(body.Categories) != 2 || len(body.Signals) != 2 || body.Signals[0].LifeEvent != "move" ||
		body.Decision == nil || body.Decision.DecisionID != "d-42" || body.Facts != nil || body.Lens.Participants["customer"].Negative != 1 {
		t.Errorf("contact %s", resp.Body)
	}

	resp = apitest.Do(t, srv, apitest.Request(http.MethodGet, "/v1/contacts/nobody", nil, api.ScopeAnalyst))
	var problem apitest.Error
	resp.JSON(t, &problem)
	if resp.Status != http.StatusNotFound || problem.Error.Code != "not_found" {
		t.Errorf("unknown contact: %d %s", resp.Status, resp.Body)
	}
	if resp := apitest.Do(t, srv, apitest.Request(http.MethodGet, "/v1/contacts/c-42", nil, api.ScopeIngest)); resp.Status != http.StatusForbidden {
		t.Errorf("ingest scope: %d", resp.Status)
	}
	if resp := apitest.Do(t, srv, apitest.Request(http.MethodGet, "/v1/contacts/c-42", nil)); resp.Status != http.StatusUnauthorized {
		t.Errorf("no token: %d", resp.Status)
	}
}
