package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/conduit-cx/conduit/scripts/localconnect"
	"github.com/conduit-cx/conduit/scripts/seed"
	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/campaignjob"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/lambdas"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/storetest"
	"github.com/conduit-cx/conduit/shared/store/whatifstore"
)

// DynamoDB Local has no IAM, so a function that touches a table its role
// does not name works everywhere but in AWS. TestRolesGrantWhatTheSamplesUse
// closes that gap: it runs every function of the registry over its sample
// events, against DynamoDB Local and kinesalite behind a recording proxy,
// and checks each recorded (action, table or stream) against the function's
// role in the synthesised template.

// sampleGlobs are each function's sample events under events/, in the
// order they are fed. Stream consumers' samples are single records; the
// test wraps each in a Kinesis event as the event source mapping would.
var sampleGlobs = map[string][]string{
	"api":     {"api/*.json", "social/*.json"},
	"offer":   {"offer/*.json"},
	"outcome": {"outcome/*.json"},
	"survey":  {"survey/*.json"},
	"ctr":     {"connect/ctr.json"},
	"speech":  {"connect/lens-started.json", "connect/lens-segments.json", "connect/lens-chat-segments.json", "connect/lens-completed.json", "connect/lens-chat-completed.json"},
	// In a contact's order, so QUEUED puts it on the queue's waiting list
	// (a QUEUED after DISCONNECTED rightly changes nothing).
	"contactevents": {"connect/contact-event-queued.json", "connect/contact-event-routing-criteria.json",
		"connect/contact-event-connected.json", "connect/contact-event-data-updated.json", "connect/contact-event-disconnected.json"},
	"rollup":    {"rollup/*.json"},
	"loadwatch": {"loadwatch/*.json"},
	"campaigns": {"campaigns/*.json"},
}

// What the samples refer to, seeded so that their interesting paths run.
const (
	// ctrCaller is the CustomerEndpoint of events/connect/ctr.json.
	ctrCaller = "+14155550100"
	// The decision events/outcome/accepted.json reports on.
	outcomeContact  = "b7f3c2a1-4d5e-4f60-8a9b-0c1d2e3f4a5b"
	outcomeDecision = "dec-01J9ZC3W8Q7M4V2K6T5R1N0P8H"
	// The contacts of events/connect/lens-segments.json and lens-chat-segments.json.
	lensVoiceContact = "a1b2c3d4-5678-90ab-cdef-EXAMPLE22222"
	lensChatContact  = "a1b2c3d4-5678-90ab-cdef-EXAMPLE33333"
	// The what-if job of events/campaigns/whatif.json.
	whatIfJob = "wi-3f9c2a7d10b4e6a1"
)

// access is one recorded use: an IAM action on a table, an index or a
// stream, named by suffix ("profiles", "contacts/index/byDay", "stream/decisions").
type access struct{ action, resource string }

type use struct {
	access
	sample string
}

// recorder notes the IAM action and resources of each request it proxies.
type recorder struct {
	prefix string // "conduit-<stage>-"
	mu     sync.Mutex
	sample string
	uses   []use
}

func (r *recorder) during(sample string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sample = sample
}

func (r *recorder) add(action, resource string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.uses = append(r.uses, use{access{action, resource}, r.sample})
}

// proxy starts a reverse proxy to target that records every request.
func (r *recorder) proxy(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		r.record(req.Header.Get("X-Amz-Target"), body)
		forward.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// transactActions are the IAM actions DynamoDB checks for each item of a
// transaction: TransactWriteItems and TransactGetItems are not actions of
// their own.
var transactActions = map[string]string{
	"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem", "Get": "GetItem",
}

// record reads the operation from the X-Amz-Target header
// (DynamoDB_20120810.Query, Kinesis_20131202.PutRecords) and the tables or
// streams from the JSON body.
func (r *recorder) record(target string, body []byte) {
	service, op, _ := strings.Cut(target, ".")
	var req struct {
		TableName     string
		IndexName     string
		RequestItems  map[string]json.RawMessage
		TransactItems []map[string]struct{ TableName string }
		StreamName    string
		StreamARN     string
	}
	_ = json.Unmarshal(body, &req)
	switch {
	case strings.HasPrefix(service, "DynamoDB_"):
		table := func(name string) string { return strings.TrimPrefix(name, r.prefix) }
		switch {
		case len(req.TransactItems) > 0:
			for _, item := range req.TransactItems {
				for kind, x := range item {
					r.add("dynamodb:"+transactActions[kind], table(x.TableName))
				}
			}
		case len(req.RequestItems) > 0:
			for name := range req.RequestItems {
				r.add("dynamodb:"+op, table(name))
			}
		case req.TableName != "" && req.IndexName != "":
			r.add("dynamodb:"+op, table(req.TableName)+"/index/"+req.IndexName)
		case req.TableName != "":
			r.add("dynamodb:"+op, table(req.TableName))
		default:
			r.add("dynamodb:"+op, "*")
		}
	case strings.HasPrefix(service, "Kinesis_"):
		name := req.StreamName
		if name == "" && req.StreamARN != "" {
			_, name, _ = strings.Cut(req.StreamARN, ":stream/")
		}
		if name == "" {
			r.add("kinesis:"+op, "*")
			return
		}
		r.add("kinesis:"+op, "stream/"+strings.TrimPrefix(name, r.prefix))
	default:
		r.add("unknown:"+target, "*")
	}
}

var indexInResource = regexp.MustCompile(`/index/([A-Za-z0-9_.-]+)`)

// grantsOf lists a function's role as (action, table/index/stream suffix)
// pairs, read from the template: the resources name tables and streams by
// logical id, indexes by a literal /index/<name> joined to the table ARN.
func (s synthesized) grantsOf(t *testing.T, function string) map[access]bool {
	t.Helper()
	owners := map[string]string{} // logical id -> "profiles", "stream/decisions"
	for _, def := range store.AllTables {
		for id, r := range s.resources("AWS::DynamoDB::Table") {
			if props(r)["TableName"] == def.Name("dev") {
				owners[id] = def.Suffix
			}
		}
	}
	for _, def := range store.AllStreams {
		for id, r := range s.resources("AWS::Kinesis::Stream") {
			if props(r)["Name"] == def.Name("dev") {
				owners[id] = "stream/" + def.Suffix
			}
		}
	}
	if len(owners) != len(store.AllTables)+len(store.AllStreams) {
		t.Fatalf("found %d tables and streams in the template, want %d: %v", len(owners), len(store.AllTables)+len(store.AllStreams), owners)
	}
	out := map[access]bool{}
	for action, resources := range s.actionsOf(t, function) {
		for _, text := range resources {
			for id, owner := range owners {
				if !strings.Contains(text, `"`+id+`"`) {
					continue
				}
				if m := indexInResource.FindStringSubmatch(text); m != nil {
					owner += "/index/" + m[1]
				}
				out[access{action, owner}] = true
			}
		}
	}
	return out
}

func TestRolesGrantWhatTheSamplesUse(t *testing.T) {
	s := devStack(t)
	registry := lambdas.Registry()
	for name := range registry {
		if _, ok := sampleGlobs[name]; !ok {
			t.Errorf("function %s has no sample events listed in sampleGlobs", name)
		}
	}
	names := make([]string, 0, len(registry))
	for name := range registry {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			grants := s.grantsOf(t, name)
			uses := runSamples(t, name, registry[name])
			used := map[access]bool{}
			touchesDynamoDB := false
			for _, u := range uses {
				used[u.access] = true
				touchesDynamoDB = touchesDynamoDB || strings.HasPrefix(u.action, "dynamodb:")
				if !grants[u.access] {
					t.Errorf("%s: role lacks %s on %s, used by sample %s", name, u.action, u.resource, u.sample)
				}
			}
			if !touchesDynamoDB {
				t.Errorf("%s: the samples reached no table; the check says nothing", name)
			}
			var usedText []string
			for a := range used {
				usedText = append(usedText, a.action+" on "+a.resource)
			}
			sort.Strings(usedText)
			t.Logf("%s used:\n\t%s", name, strings.Join(usedText, "\n\t"))
			var unused []string
			for g := range grants {
				// The event source mapping, not the handler, reads the consumed stream.
				if !used[g] && (strings.HasPrefix(g.action, "dynamodb:") || slices.Contains(streamPublishActions, g.action)) {
					unused = append(unused, g.action+" on "+g.resource)
				}
			}
			sort.Strings(unused)
			if len(unused) > 0 {
				t.Logf("%s: granted but unused by the samples (candidates to tighten, or samples to add):\n\t%s", name, strings.Join(unused, "\n\t"))
			}
		})
	}
}

// runSamples builds the function over fresh storage seeded for its
// samples, with DynamoDB and Kinesis behind a recording proxy, and feeds it
// every sample. It answers what the function used, deduplicated.
func runSamples(t *testing.T, name string, fn lambdas.Function) []use {
	ctx := context.Background()
	env := storetest.NewWithStreams(t)
	seedFor(t, ctx, name, env)

	rec := &recorder{prefix: "conduit-" + env.Config.Stage + "-"}
	cfg := env.Config
	cfg.DynamoDBEndpoint = rec.proxy(t, env.Config.DynamoDBEndpoint)
	cfg.KinesisEndpoint = rec.proxy(t, env.Config.KinesisEndpoint)
	if name == "loadwatch" {
		// The local Amazon Connect endpoint the runner serves, with its demo queues.
		connectAPI := httptest.NewServer(&localconnect.Server{})
		t.Cleanup(connectAPI.Close)
		cfg.ConnectEndpoint, cfg.ConnectInstanceID = connectAPI.URL, localconnect.DefaultInstanceID
		cfg.ConnectQueueIDs = localconnect.QueueIDs(localconnect.DefaultQueues)
	}
	clients, err := awsclients.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec.during("(cold start)")
	h, err := fn.New(ctx, cfg, clients)
	if err != nil {
		t.Fatalf("%s could not start: %v", name, err)
	}
	var files []string
	for _, g := range sampleGlobs[name] {
		m, err := filepath.Glob(filepath.Join("..", "..", "events", g))
		if err != nil || len(m) == 0 {
			t.Fatalf("no sample events match events/%s (%v)", g, err)
		}
		files = append(files, m...)
	}
	type sample struct {
		name string
		raw  []byte
	}
	var samples []sample
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		samples = append(samples, sample{strings.TrimPrefix(filepath.ToSlash(f), "../../events/"), raw})
	}
	if fn.Trigger.Kind == lambdas.KindStream {
		// Sooner or later a shard carries a record that does not decode: the
		// consumer skips it and remembers its key, a path of its own.
		samples = append(samples, sample{"(a record that does not decode)", []byte("{not a record")})
	}
	for i, smp := range samples {
		rel, raw := smp.name, smp.raw
		payload := raw
		if fn.Trigger.Kind == lambdas.KindStream {
			payload = kinesisEvent(t, fn.Trigger.Stream.Name(cfg.Stage), i, raw)
		}
		rec.during(rel)
		callCtx, cancel := context.WithTimeout(ctx, time.Minute)
		out, err := h.Invoke(callCtx, payload)
		cancel()
		// Some samples are refusals by design; the answer is logged so a
		// sample that stopped reaching its path shows here.
		t.Logf("%s %s: %.300s %v", name, rel, out, err)
	}
	// The first sample that used each access names it.
	seen := map[access]bool{}
	var out []use
	for _, u := range rec.uses {
		if !seen[u.access] {
			seen[u.access] = true
			out = append(out, u)
		}
	}
	return out
}

// kinesisEvent wraps one record in the event an event source mapping sends.
func kinesisEvent(t *testing.T, stream string, n int, data []byte) []byte {
	t.Helper()
	seq := fmt.Sprintf("4959%032d", n+1)
	ev := events.KinesisEvent{Records: []events.KinesisEventRecord{{
		AwsRegion: "us-east-1", EventID: "shardId-000000000000:" + seq, EventName: "aws:kinesis:record",
		EventSource: "aws:kinesis", EventVersion: "1.0",
		EventSourceArn: "arn:aws:kinesis:us-east-1:111122223333:stream/" + stream,
		Kinesis: events.KinesisRecord{
			ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: time.Now()},
			Data:                        data, PartitionKey: "sample", SequenceNumber: seq, KinesisSchemaVersion: "1.0",
		},
	}}}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seedFor fills the storage the way scripts/dev does (demo customers and
// catalog), plus what the function's samples refer to.
func seedFor(t *testing.T, ctx context.Context, name string, env storetest.Env) {
	t.Helper()
	now := time.Now().UTC()
	if err := seed.Run(ctx, seed.Env{Config: env.Config, Clients: env.Clients, Tables: env.Tables, Now: now}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	hasher := identity.NewHasher(env.Config.IdentityKey)
	profileStore := store.NewProfiles(env.Clients.Dynamo, env.Tables)
	switch name {
	case "ctr":
		// A known caller, so the contact record reaches the profile.
		key, err := hasher.Phone(ctrCaller)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := profileStore.Create(ctx, profiles.Profile{ID: "ctr-caller", Identities: []identity.Key{key},
			CustomerSince: now.AddDate(-2, 0, 0), CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	case "outcome":
		// The decision the sample outcome answers, for a demo customer.
		if err := store.NewDecisions(env.Clients.Dynamo, env.Tables).RecordDecision(ctx, store.DecisionRecord{
			ContactID: outcomeContact, Channel: "VOICE", InitiatedAt: now.Add(-time.Minute),
			Decision: contacts.Decision{DecisionID: outcomeDecision, At: now.Add(-time.Minute), ProfileID: "demo-0123",
				OfferID: "fibre-1000-switch", CampaignID: "fibre-upgrade", Shown: true, Reason: "best_fit"},
		}); err != nil {
			t.Fatal(err)
		}
	case "speech":
		// Contacts already tied to a customer, so what is said reaches the profile.
		for _, c := range []string{lensVoiceContact, lensChatContact} {
			item := map[string]string{contacts.AttrContactID: c, contacts.AttrProfileID: "demo-0001"}
			if err := env.Clients.Dynamo.Table(env.Tables.Contacts).Put(item).Run(ctx); err != nil {
				t.Fatal(err)
			}
		}
	case "campaigns":
		// The what-if job the sample runs the next chunk of.
		err := whatifstore.NewWhatIfJobs(env.Clients.Dynamo, env.Tables).CreateWhatIf(ctx, campaignjob.WhatIfJob{
			ID: whatIfJob, CampaignID: "fibre-upgrade", Status: campaignjob.WhatIfRunning, RequestedBy: "grants-test",
			RequestedAt: now, UpdatedAt: now, DecidedAt: now, Contact: campaignjob.WhatIfContact{Channel: "voice"}, Chunk: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
