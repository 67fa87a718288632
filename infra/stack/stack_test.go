package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"

	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/lambdas/campaigns"
	"github.com/conduit-cx/conduit/shared/store"
)

const (
	testInstance = "arn:aws:connect:eu-west-2:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	testQueue    = testInstance + "/queue/11111111-2222-3333-4444-555555555555"
)

// testRoutes stand in for shared/api's routes: scoped, public and wildcard paths.
var testRoutes = []Route{
	{Method: "GET", Path: "/v1/openapi.json"},
	{Method: "POST", Path: "/v1/profiles", Scopes: []string{"conduit/marketer", "conduit/admin"}},
	{Method: "GET", Path: "/v1/profiles/{id}", Scopes: []string{"conduit/marketer", "conduit/analyst", "conduit/admin"}},
	{Method: "DELETE", Path: "/v1/profiles/{id}", Scopes: []string{"conduit/admin"}},
	{Method: "GET", Path: "/v1/exports/{file...}", Scopes: []string{"conduit/analyst"}},
}

var codeDir, outDir string

// The jsii runtime starts while packages initialise, before any test code
// runs: JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 must come from the
// caller's environment (scripts/synth and scripts/test set it).

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "conduit-infra-code")
	if err != nil {
		panic(err)
	}
	// A placeholder bootstrap per function: the stack test builds no Go.
	for _, f := range Functions {
		if err := os.MkdirAll(filepath.Join(dir, f.Name), 0o755); err != nil {
			panic(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name, "bootstrap"), []byte("placeholder "+f.Name), 0o755); err != nil {
			panic(err)
		}
	}
	codeDir = dir
	if err := os.MkdirAll(filepath.Join(dir, "cdk.out"), 0o755); err != nil {
		panic(err)
	}
	// Synthesis output outlives each test: Annotations_FromStack synthesises again later.
	outDir = filepath.Join(dir, "cdk.out")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func devProps() Props {
	return Props{
		Stage: "dev", CodeDir: codeDir, Routes: testRoutes,
		ConnectInstanceArn: testInstance, ConnectQueueArns: []string{testQueue},
		JWTIssuer: "https://issuer.example.com/", JWTAudience: []string{"conduit-api"},
		APIThrottleRate: 50, APIThrottleBurst: 100, AlarmEmail: "oncall@example.com",
		LogRetentionDays: 30, DecisionDeadline: config.DefaultDecisionDeadline, ReserveConcurrent: true,
	}
}

type synthesized struct {
	stack    *Stack
	template assertions.Template
	json     map[string]any
}

// synth builds one stack in its own app, with the AwsSolutions pack applied.
func synth(t testing.TB, p Props) synthesized {
	t.Helper()
	out, err := os.MkdirTemp(outDir, "app")
	if err != nil {
		t.Fatal(err)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out)})
	s, err := New(app, "Conduit-"+p.Stage, p)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	CheckAwsSolutions(s.Stack, false)
	tpl := assertions.Template_FromStack(s.Stack, nil)
	raw, err := json.Marshal(tpl.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return synthesized{stack: s, template: tpl, json: doc}
}

var (
	devOnce sync.Once
	dev     synthesized
)

// devStack is the full stack of every function, synthesised once for all tests.
func devStack(t *testing.T) synthesized {
	t.Helper()
	devOnce.Do(func() { dev = synth(t, devProps()) })
	if dev.stack == nil {
		t.Fatal("dev stack failed to synthesise")
	}
	return dev
}

// resources lists the template's resources of one type, by logical id.
func (s synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.json["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// byName finds the one resource of typ whose property key equals name.
func (s synthesized) byName(t *testing.T, typ, key, name string) map[string]any {
	t.Helper()
	for _, r := range s.resources(typ) {
		if props(r)[key] == name {
			return props(r)
		}
	}
	t.Fatalf("no %s with %s=%q", typ, key, name)
	return nil
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestTablesComeFromStore(t *testing.T) {
	s := devStack(t)
	tables := s.resources("AWS::DynamoDB::Table")
	if len(tables) != len(store.AllTables) {
		t.Fatalf("template has %d tables, store defines %d", len(tables), len(store.AllTables))
	}
	for _, def := range store.AllTables {
		t.Run(def.Suffix, func(t *testing.T) {
			p := s.byName(t, "AWS::DynamoDB::Table", "TableName", def.Name("dev"))
			want := []any{map[string]any{"AttributeName": def.PartitionKey.Name, "KeyType": "HASH"}}
			if def.SortKey != nil {
				want = append(want, map[string]any{"AttributeName": def.SortKey.Name, "KeyType": "RANGE"})
			}
			if got := jsonOf(p["KeySchema"]); got != jsonOf(want) {
				t.Errorf("KeySchema = %s, want %s", got, jsonOf(want))
			}
			attrs := map[string]string{}
			for _, a := range p["AttributeDefinitions"].([]any) {
				a := a.(map[string]any)
				attrs[a["AttributeName"].(string)] = a["AttributeType"].(string)
			}
			keys := []store.Key{def.PartitionKey}
			if def.SortKey != nil {
				keys = append(keys, *def.SortKey)
			}
			gsis, _ := p["GlobalSecondaryIndexes"].([]any)
			if len(gsis) != len(def.Indexes) {
				t.Errorf("%d indexes, store defines %d", len(gsis), len(def.Indexes))
			}
			for _, ix := range def.Indexes {
				keys = append(keys, ix.PartitionKey)
				if ix.SortKey != nil {
					keys = append(keys, *ix.SortKey)
				}
				found := false
				for _, g := range gsis {
					g := g.(map[string]any)
					if g["IndexName"] != ix.Name {
						continue
					}
					found = true
					want := []any{map[string]any{"AttributeName": ix.PartitionKey.Name, "KeyType": "HASH"}}
					if ix.SortKey != nil {
						want = append(want, map[string]any{"AttributeName": ix.SortKey.Name, "KeyType": "RANGE"})
					}
					if got := jsonOf(g["KeySchema"]); got != jsonOf(want) {
						t.Errorf("index %s KeySchema = %s, want %s", ix.Name, got, jsonOf(want))
					}
					if got := jsonOf(g["Projection"]); got != `{"ProjectionType":"ALL"}` {
						t.Errorf("index %s projection = %s", ix.Name, got)
					}
				}
				if !found {
					t.Errorf("index %s missing", ix.Name)
				}
			}
			for _, k := range keys {
				if attrs[k.Name] != string(k.Type) {
					t.Errorf("attribute %s type %q, want %q", k.Name, attrs[k.Name], k.Type)
				}
			}
			if p["BillingMode"] != "PAY_PER_REQUEST" {
				t.Errorf("BillingMode = %v", p["BillingMode"])
			}
			if got := jsonOf(p["PointInTimeRecoverySpecification"]); !strings.Contains(got, `"PointInTimeRecoveryEnabled":true`) {
				t.Errorf("PITR = %s", got)
			}
			if got := jsonOf(p["SSESpecification"]); !strings.Contains(got, `"SSEEnabled":true`) {
				t.Errorf("SSE = %s", got)
			}
			ttl := jsonOf(p["TimeToLiveSpecification"])
			if def.TTLAttribute != "" && ttl != fmt.Sprintf(`{"AttributeName":%q,"Enabled":true}`, def.TTLAttribute) {
				t.Errorf("TTL = %s, want %s", ttl, def.TTLAttribute)
			}
			if def.TTLAttribute == "" && p["TimeToLiveSpecification"] != nil {
				t.Errorf("TTL = %s on a table without one", ttl)
			}
			if p["DeletionProtectionEnabled"] == true {
				t.Error("dev tables have deletion protection")
			}
		})
	}
}

func TestStreams(t *testing.T) {
	s := devStack(t)
	streams := s.resources("AWS::Kinesis::Stream")
	if len(streams) != len(store.AllStreams) {
		t.Fatalf("%d streams, store defines %d", len(streams), len(store.AllStreams))
	}
	for _, def := range store.AllStreams {
		p := s.byName(t, "AWS::Kinesis::Stream", "Name", def.Name("dev"))
		enc := jsonOf(p["StreamEncryption"])
		if enc != `{"EncryptionType":"KMS","KeyId":"alias/aws/kinesis"}` {
			t.Errorf("%s encryption = %s, want KMS with the AWS managed key", def.Suffix, enc)
		}
		if jsonOf(p["StreamModeDetails"]) != `{"StreamMode":"ON_DEMAND"}` {
			t.Errorf("%s mode = %s", def.Suffix, jsonOf(p["StreamModeDetails"]))
		}
	}
}

func TestEveryFunctionIsArm64AL2023WithItsConfig(t *testing.T) {
	s := devStack(t)
	fns := s.resources("AWS::Lambda::Function")
	if len(fns) != len(Functions) {
		t.Fatalf("%d functions, table has %d", len(fns), len(Functions))
	}
	for _, f := range Functions {
		t.Run(f.Name, func(t *testing.T) {
			p := s.byName(t, "AWS::Lambda::Function", "FunctionName", "conduit-dev-"+f.Name)
			if p["Runtime"] != "provided.al2023" || jsonOf(p["Architectures"]) != `["arm64"]` || p["Handler"] != "bootstrap" {
				t.Errorf("runtime %v, architectures %s, handler %v", p["Runtime"], jsonOf(p["Architectures"]), p["Handler"])
			}
			if p["MemorySize"] != float64(f.MemoryMB) || p["Timeout"] != f.Timeout.Seconds() {
				t.Errorf("memory %v timeout %v, want %d %v", p["MemorySize"], p["Timeout"], f.MemoryMB, f.Timeout.Seconds())
			}
			env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
			if env[config.EnvStage] != "dev" {
				t.Errorf("%s = %v", config.EnvStage, env[config.EnvStage])
			}
			if key := jsonOf(env[config.EnvIdentityKey]); !strings.Contains(key, "{{resolve:secretsmanager:") {
				t.Errorf("%s = %s, want a Secrets Manager dynamic reference", config.EnvIdentityKey, key)
			}
			for name := range env {
				if !strings.HasPrefix(name, "CONDUIT_") {
					t.Errorf("environment %s is not a config constant", name)
				}
			}
			if f.DecisionDeadline != (env[config.EnvDecisionDeadline] == "1s") {
				t.Errorf("%s = %v", config.EnvDecisionDeadline, env[config.EnvDecisionDeadline])
			}
			if f.ConnectMetrics {
				if env[config.EnvConnectInstanceID] != "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" || env[config.EnvConnectQueueIDs] != "11111111-2222-3333-4444-555555555555" {
					t.Errorf("Connect ids = %v %v", env[config.EnvConnectInstanceID], env[config.EnvConnectQueueIDs])
				}
			}
			reserved, has := p["ReservedConcurrentExecutions"]
			if f.ReservedConcurrency > 0 && reserved != float64(f.ReservedConcurrency) || f.ReservedConcurrency == 0 && has {
				t.Errorf("reserved concurrency = %v, want %d", reserved, f.ReservedConcurrency)
			}
			logs := jsonOf(p["LoggingConfig"])
			if !strings.Contains(logs, "LogGroup") {
				t.Errorf("no own log group: %s", logs)
			}
		})
	}
	for _, lg := range s.resources("AWS::Logs::LogGroup") {
		if props(lg)["RetentionInDays"] != float64(30) {
			t.Errorf("log group %v retention %v", props(lg)["LogGroupName"], props(lg)["RetentionInDays"])
		}
	}
}

// TestFunctionsTableMatchesSourceTree keeps the table equal to functions/:
// every function directory is deployed, and the stack deploys exactly the
// directories that exist (the others of the table wait for their code).
func TestFunctionsTableMatchesSourceTree(t *testing.T) {
	dirs, err := FunctionDirs(filepath.Join("..", "..", "functions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if _, ok := FunctionNamed(d); !ok {
			t.Errorf("functions/%s has a main.go but is not in the Functions table", d)
		}
	}
	var pending []string
	for _, f := range Functions {
		if !slices.Contains(dirs, f.Name) {
			pending = append(pending, f.Name)
		}
	}
	t.Logf("in the source tree: %v; in the table without code yet: %v", dirs, pending)
	if len(dirs) == 0 {
		return
	}
	p := devProps()
	p.Functions = dirs
	s := synth(t, p)
	var got []string
	for _, r := range s.resources("AWS::Lambda::Function") {
		got = append(got, strings.TrimPrefix(props(r)["FunctionName"].(string), "conduit-dev-"))
	}
	sort.Strings(got)
	if !slices.Equal(got, dirs) {
		t.Errorf("stack deploys %v, functions/ holds %v", got, dirs)
	}
}

func TestStreamConsumersNeverDropRecords(t *testing.T) {
	s := devStack(t)
	mappings := s.resources("AWS::Lambda::EventSourceMapping")
	var consumers []Function
	for _, f := range Functions {
		if f.Consumes != nil {
			consumers = append(consumers, f)
		}
	}
	if len(mappings) != len(consumers) {
		t.Fatalf("%d mappings for %d consumers", len(mappings), len(consumers))
	}
	for _, f := range consumers {
		var p map[string]any
		for _, m := range mappings {
			if strings.Contains(jsonOf(props(m)["FunctionName"]), constructID("Fn", f.Name)) {
				p = props(m)
			}
		}
		if p == nil {
			t.Fatalf("no mapping for %s", f.Name)
		}
		checks := map[string]bool{
			"ReportBatchItemFailures": jsonOf(p["FunctionResponseTypes"]) == `["ReportBatchItemFailures"]`,
			"bisect":                  p["BisectBatchOnFunctionError"] == true,
			"retries":                 p["MaximumRetryAttempts"] == float64(f.Consumes.RetryAttempts),
			"record age":              p["MaximumRecordAgeInSeconds"] == f.Consumes.MaxRecordAge.Seconds(),
			"batch size":              p["BatchSize"] == float64(f.Consumes.BatchSize),
			"batch window":            p["MaximumBatchingWindowInSeconds"] == f.Consumes.BatchWindow.Seconds(),
			"starting position":       p["StartingPosition"] == "TRIM_HORIZON",
			"on-failure DLQ":          strings.Contains(jsonOf(p["DestinationConfig"]), constructID("DLQ", f.Name)),
			"stream":                  strings.Contains(jsonOf(p["EventSourceArn"]), constructID("Stream", f.Consumes.Stream.Suffix)),
		}
		for what, ok := range checks {
			if !ok {
				t.Errorf("%s: %s wrong in %s", f.Name, what, jsonOf(p))
			}
		}
	}
	for owner := range s.stack.DLQs {
		p := s.byName(t, "AWS::SQS::Queue", "QueueName", "conduit-dev-"+owner+"-dlq")
		if p["SqsManagedSseEnabled"] != true && p["KmsMasterKeyId"] == nil {
			t.Errorf("DLQ of %s is not encrypted: %s", owner, jsonOf(p))
		}
	}
}

func TestContactEventsRule(t *testing.T) {
	s := devStack(t)
	p := s.byName(t, "AWS::Events::Rule", "Name", "conduit-dev-contact-events")
	pattern := jsonOf(p["EventPattern"])
	for _, want := range []string{`"source":["aws.connect"]`, `"detail-type":["Amazon Connect Contact Event"]`, testInstance} {
		if !strings.Contains(pattern, want) {
			t.Errorf("pattern %s lacks %s", pattern, want)
		}
	}
	target := jsonOf(p["Targets"])
	for _, want := range []string{"DeadLetterConfig", constructID("DLQ", "contactevents"), `"MaximumRetryAttempts":8`} {
		if !strings.Contains(target, want) {
			t.Errorf("target %s lacks %s", target, want)
		}
	}
	s.template.HasResourceProperties(jsii.String("AWS::Lambda::EventInvokeConfig"), map[string]any{
		"FunctionName":      assertions.Match_AnyValue(),
		"DestinationConfig": map[string]any{"OnFailure": map[string]any{"Destination": assertions.Match_AnyValue()}},
	})
}

func TestSchedules(t *testing.T) {
	s := devStack(t)
	schedules := s.resources("AWS::Scheduler::Schedule")
	want := map[string]string{"rollup": "rate(15 minutes)", "loadwatch": "rate(1 minute)", "campaigns": "rate(5 minutes)"}
	if len(schedules) != len(want) {
		t.Fatalf("%d schedules, want %d", len(schedules), len(want))
	}
	for name, expr := range want {
		p := s.byName(t, "AWS::Scheduler::Schedule", "Name", "conduit-dev-"+name)
		target := jsonOf(p["Target"])
		if p["ScheduleExpression"] != expr || p["State"] != "ENABLED" {
			t.Errorf("%s: %v %v", name, p["ScheduleExpression"], p["State"])
		}
		for _, w := range []string{constructID("Fn", name), constructID("DLQ", name), "RetryPolicy", "RoleArn", "aws.scheduler.execution-id"} {
			if !strings.Contains(target, w) {
				t.Errorf("%s target lacks %s: %s", name, w, target)
			}
		}
	}
	var input map[string]any
	if err := json.Unmarshal([]byte(ScheduledEventInput), &input); err != nil || input["detail-type"] != "Scheduled Event" {
		t.Errorf("scheduled input %v: %v", input, err)
	}
}

func TestRoutesCarryTheirScopes(t *testing.T) {
	s := devStack(t)
	routes := s.resources("AWS::ApiGatewayV2::Route")
	if len(routes) != len(testRoutes) {
		t.Fatalf("%d routes, want %d", len(routes), len(testRoutes))
	}
	for _, r := range testRoutes {
		key := r.Method + " " + GatewayPath(r.Path)
		p := s.byName(t, "AWS::ApiGatewayV2::Route", "RouteKey", key)
		if len(r.Scopes) == 0 {
			if p["AuthorizationType"] != "NONE" || p["AuthorizerId"] != nil {
				t.Errorf("%s: public route has %v", key, jsonOf(p))
			}
			continue
		}
		if p["AuthorizationType"] != "JWT" || p["AuthorizerId"] == nil {
			t.Errorf("%s: authorization %v", key, p["AuthorizationType"])
		}
		if got := jsonOf(p["AuthorizationScopes"]); got != jsonOf(r.Scopes) {
			t.Errorf("%s: scopes %s, want %s", key, got, jsonOf(r.Scopes))
		}
	}
	s.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Authorizer"), map[string]any{
		"AuthorizerType": "JWT",
		"JwtConfiguration": map[string]any{
			"Issuer": "https://issuer.example.com/", "Audience": []any{"conduit-api"},
		},
	})
	stage := s.byName(t, "AWS::ApiGatewayV2::Stage", "StageName", "$default")
	if got := jsonOf(stage["DefaultRouteSettings"]); !strings.Contains(got, `"ThrottlingRateLimit":50`) || !strings.Contains(got, `"ThrottlingBurstLimit":100`) {
		t.Errorf("throttling %s", got)
	}
	if stage["AccessLogSettings"] == nil {
		t.Error("no access logs")
	}
	api := s.resources("AWS::ApiGatewayV2::Api")
	for _, a := range api {
		if props(a)["CorsConfiguration"] != nil {
			t.Errorf("CORS on without configured origins: %s", jsonOf(props(a)["CorsConfiguration"]))
		}
	}
	apiPermissions := 0
	for _, p := range s.resources("AWS::Lambda::Permission") {
		if props(p)["Principal"] == "apigateway.amazonaws.com" {
			apiPermissions++
		}
	}
	if apiPermissions != 1 {
		t.Errorf("%d API Gateway permissions: the API should hold one, not one per route", apiPermissions)
	}
}

func TestGatewayPath(t *testing.T) {
	cases := map[string]string{
		"/v1/profiles":            "/v1/profiles",
		"/v1/profiles/{id}":       "/v1/profiles/{id}",
		"/v1/exports/{file...}":   "/v1/exports/{file+}",
		"/v1/{$}":                 "/v1",
		"/":                       "/",
		"/v1/a/{id}/b/{rest...}":  "/v1/a/{id}/b/{rest+}",
		"/v1/campaigns/{id}/plan": "/v1/campaigns/{id}/plan",
	}
	for in, want := range cases {
		if got := GatewayPath(in); got != want {
			t.Errorf("GatewayPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConnectMayInvokeOnlyTheContactFlowFunctions(t *testing.T) {
	s := devStack(t)
	var invokable []string
	for _, r := range s.resources("AWS::Lambda::Permission") {
		p := props(r)
		if p["Principal"] != "connect.amazonaws.com" {
			continue
		}
		if p["SourceArn"] != testInstance || p["SourceAccount"] != "111122223333" || p["Action"] != "lambda:InvokeFunction" {
			t.Errorf("Connect permission not scoped to the instance: %s", jsonOf(p))
		}
		invokable = append(invokable, jsonOf(p["FunctionName"]))
	}
	all := strings.Join(invokable, " ")
	if len(invokable) != 3 || !strings.Contains(all, "FnOfferLive") || !strings.Contains(all, "FnOutcomeLive") || !strings.Contains(all, "FnSurveyLive") {
		t.Errorf("Connect may invoke %v, want the live aliases of offer, outcome and survey", invokable)
	}
	if n := len(s.resources("AWS::Connect::IntegrationAssociation")); n != 3 {
		t.Errorf("%d integration associations, want 3", n)
	}
}

func TestAlarmsAndDashboard(t *testing.T) {
	s := devStack(t)
	want := []string{"offer-errors", "offer-p99-duration", "rollup-lag", "ctr-iterator-age", "speech-iterator-age",
		"queue-metrics-missing", "queue-state-stale", "campaign-launch-waiting", "campaign-checklist-open"}
	for owner := range s.stack.DLQs {
		want = append(want, owner+"-dlq-depth")
	}
	for _, f := range Functions {
		want = append(want, f.Name+"-throttles")
	}
	for _, name := range want {
		p := s.byName(t, "AWS::CloudWatch::Alarm", "AlarmName", "conduit-dev-"+name)
		if !strings.Contains(jsonOf(p["AlarmActions"]), "Alarms") {
			t.Errorf("%s notifies %s", name, jsonOf(p["AlarmActions"]))
		}
	}
	lag := s.byName(t, "AWS::CloudWatch::Alarm", "AlarmName", "conduit-dev-rollup-lag")
	if lag["Namespace"] != "Conduit" || lag["MetricName"] != "RollupLagSeconds" || lag["TreatMissingData"] != "breaching" {
		t.Errorf("rollup lag alarm %s", jsonOf(lag))
	}
	p99 := s.byName(t, "AWS::CloudWatch::Alarm", "AlarmName", "conduit-dev-offer-p99-duration")
	if p99["ExtendedStatistic"] != "p99" || p99["Threshold"] != float64(1300) {
		t.Errorf("offer p99 alarm %s", jsonOf(p99))
	}
	// The load watcher's metrics carry a Reason or Queue dimension: the
	// alarms sum every value with a Metrics Insights query.
	for name, query := range map[string]string{
		"queue-metrics-missing": `SELECT SUM(QueueMetricsMissing) FROM SCHEMA(\"Conduit\", Reason)`,
		"queue-state-stale":     `SELECT SUM(QueueStateStale) FROM SCHEMA(\"Conduit\", Queue)`,
	} {
		p := s.byName(t, "AWS::CloudWatch::Alarm", "AlarmName", "conduit-dev-"+name)
		if got := jsonOf(p["Metrics"]); !strings.Contains(got, query) || !strings.Contains(got, `"Period":300`) {
			t.Errorf("%s alarm metrics %s, want %s every 5 minutes", name, got, query)
		}
	}
	for name, metric := range map[string]string{"campaign-launch-waiting": MetricLaunchWaiting, "campaign-checklist-open": MetricChecklistOpen} {
		p := s.byName(t, "AWS::CloudWatch::Alarm", "AlarmName", "conduit-dev-"+name)
		if p["Namespace"] != "Conduit" || p["MetricName"] != metric || p["Statistic"] != "Sum" || p["Dimensions"] != nil {
			t.Errorf("%s alarm %s", name, jsonOf(p))
		}
	}
	if w := s.byName(t, "AWS::CloudWatch::Alarm", "AlarmName", "conduit-dev-campaign-launch-waiting"); w["EvaluationPeriods"] != float64(4) || w["DatapointsToAlarm"] != float64(4) {
		t.Errorf("launch waiting alarm evaluates %v of %v 15-minute periods, want an hour", w["DatapointsToAlarm"], w["EvaluationPeriods"])
	}
	s.template.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{
		"Protocol": "email", "Endpoint": "oncall@example.com",
	})
	topic := s.byName(t, "AWS::SNS::Topic", "TopicName", "conduit-dev-alarms")
	if topic["KmsMasterKeyId"] == nil {
		t.Error("alarm topic is not encrypted")
	}
	dash := s.byName(t, "AWS::CloudWatch::Dashboard", "DashboardName", "conduit-dev-dashboard")
	body := jsonOf(dash["DashboardBody"])
	for _, m := range []string{MetricOffersMade, MetricOffersSuppress, MetricDecisionLatency, MetricRollupLag, MetricRecordsSkipped, MetricRecordsFailed,
		MetricQueueMetricsMissing, MetricQueueStateStale, MetricLaunchWaiting, MetricChecklistOpen, "IteratorAge", "Throttles", "IncomingRecords", "ApproximateNumberOfMessagesVisible"} {
		if !strings.Contains(body, m) {
			t.Errorf("dashboard lacks %s", m)
		}
	}
}

func TestNoUnsuppressedAwsSolutionsFindings(t *testing.T) {
	s := devStack(t)
	ann := assertions.Annotations_FromStack(s.stack.Stack)
	findings := map[string]*[]*cxapi.SynthesisMessage{
		"error":   ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))),
		"warning": ann.FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))),
	}
	for level, found := range findings {
		for _, m := range *found {
			t.Errorf("%s at %s: %v", level, *m.Id, m.Entry.Data)
		}
	}
}

// statements walks every statement of every IAM policy and role in the template.
func (s synthesized) statements() map[string][]map[string]any {
	out := map[string][]map[string]any{}
	add := func(owner string, doc any) {
		d, _ := doc.(map[string]any)
		list, _ := d["Statement"].([]any)
		for _, st := range list {
			out[owner] = append(out[owner], st.(map[string]any))
		}
	}
	for id, r := range s.resources("AWS::IAM::Policy") {
		add(jsonOf(props(r)["Roles"])+" "+id, props(r)["PolicyDocument"])
	}
	for id, r := range s.resources("AWS::IAM::Role") {
		for _, p := range asList(props(r)["Policies"]) {
			add(id, p.(map[string]any)["PolicyDocument"])
		}
		if len(asList(props(r)["ManagedPolicyArns"])) > 0 {
			out[id] = append(out[id], map[string]any{"ManagedPolicyArns": props(r)["ManagedPolicyArns"]})
		}
	}
	return out
}

func asList(v any) []any {
	switch v := v.(type) {
	case []any:
		return v
	case nil:
		return nil
	default:
		return []any{v}
	}
}

// resourceText renders a resource for inspection: literal strings as they
// are, intrinsic functions by their literal parts.
func resourceText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return jsonOf(v)
}

func TestIAMLeastPrivilege(t *testing.T) {
	for name, s := range map[string]synthesized{"dev": devStack(t), "production": productionStack(t)} {
		t.Run(name, func(t *testing.T) {
			all := s.statements()
			if len(all) == 0 {
				t.Fatal("no IAM statements found")
			}
			for owner, sts := range all {
				for _, st := range sts {
					if st["ManagedPolicyArns"] != nil {
						t.Errorf("%s uses managed policies %s", owner, jsonOf(st["ManagedPolicyArns"]))
						continue
					}
					if st["Effect"] != "Allow" {
						continue
					}
					for _, a := range asList(st["Action"]) {
						if strings.Contains(a.(string), "*") {
							t.Errorf("%s: wildcard action %s", owner, a)
						}
					}
					if st["NotAction"] != nil || st["NotResource"] != nil {
						t.Errorf("%s: NotAction/NotResource %s", owner, jsonOf(st))
					}
					for _, r := range asList(st["Resource"]) {
						text := resourceText(r)
						if strings.Contains(text, "/index/") {
							// An index answers only Query and Scan.
							for _, a := range asList(st["Action"]) {
								if a != "dynamodb:Query" && a != "dynamodb:Scan" {
									t.Errorf("%s: %s on index %s", owner, a, text)
								}
							}
						}
						switch {
						case text == "*":
							t.Errorf("%s: resource * for %s", owner, jsonOf(st["Action"]))
						case strings.Contains(text, "*") && !strings.HasSuffix(text, "/queue/*"):
							// The only accepted wildcard: every queue of the Connect instance,
							// when no queue ARNs are configured (its suppression says why).
							t.Errorf("%s: wildcard resource %s for %s", owner, text, jsonOf(st["Action"]))
						}
					}
				}
			}
		})
	}
}

// actionsOf collects a role's actions by the resources they name.
func (s synthesized) actionsOf(t *testing.T, function string) map[string][]string {
	t.Helper()
	roleID := constructID("Fn", function) + "Role"
	out := map[string][]string{}
	for owner, sts := range s.statements() {
		if !strings.Contains(owner, roleID) {
			continue
		}
		for _, st := range sts {
			for _, r := range asList(st["Resource"]) {
				for _, a := range asList(st["Action"]) {
					out[a.(string)] = append(out[a.(string)], resourceText(r))
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no statements for %s", function)
	}
	return out
}

func TestOfferRoleHoldsOnlyWhatTheDecisionPathUses(t *testing.T) {
	s := devStack(t)
	got := s.actionsOf(t, "offer")
	on := func(action, resource string) bool {
		for _, r := range got[action] {
			if strings.Contains(r, resource) {
				return true
			}
		}
		return false
	}
	must := [][2]string{
		{"dynamodb:GetItem", "TableProfiles"}, {"dynamodb:Query", "TableCatalog"}, {"dynamodb:GetItem", "TableState"},
		{"dynamodb:PutItem", "TableContacts"}, {"dynamodb:UpdateItem", "TableState"}, {"dynamodb:Query", "/index/byProfile"},
		{"kinesis:PutRecord", "StreamDecisions"}, {"kinesis:PutRecords", "StreamDecisions"},
		{"logs:PutLogEvents", "FnOfferLogs"},
		// The decision and the customer's exposure are one transaction of puts
		// and updates; a decision marks the offer it names as referenced.
		{"dynamodb:BatchGetItem", "TableProfiles"}, {"dynamodb:PutItem", "TableProfiles"},
		{"dynamodb:UpdateItem", "TableContacts"}, {"dynamodb:UpdateItem", "TableCatalog"},
	}
	for _, m := range must {
		if !on(m[0], m[1]) {
			t.Errorf("offer lacks %s on %s", m[0], m[1])
		}
	}
	mustNot := [][2]string{
		{"dynamodb:PutItem", "TableKpis"}, {"dynamodb:UpdateItem", "TableKpis"},
		{"dynamodb:GetItem", "TableKpis"}, {"dynamodb:DeleteItem", ""}, {"dynamodb:BatchWriteItem", ""}, {"dynamodb:Scan", ""},
		{"kinesis:PutRecord", "StreamContactRecords"}, {"kinesis:GetRecords", ""}, {"connect:GetCurrentMetricData", ""},
		{"secretsmanager:GetSecretValue", ""}, {"sqs:SendMessage", ""},
	}
	for _, m := range mustNot {
		if on(m[0], m[1]) {
			t.Errorf("offer holds %s on %q", m[0], m[1])
		}
	}
	// Only the API may delete, and only for erasure.
	for _, f := range Functions {
		if _, deletes := s.actionsOf(t, f.Name)["dynamodb:DeleteItem"]; deletes != (f.Name == "api") {
			t.Errorf("%s DeleteItem = %v", f.Name, deletes)
		}
	}
	loadwatch := s.actionsOf(t, "loadwatch")
	if r := loadwatch["connect:GetCurrentMetricData"]; !slices.Equal(r, []string{testInstance, testQueue}) {
		t.Errorf("loadwatch reads metrics of %v, want the instance and the configured queue", r)
	}
}

// roleCheck says whether a role holds an action on a resource whose text
// contains the given part ("" matches any resource).
func roleCheck(t *testing.T, function string, got map[string][]string, must, mustNot [][2]string) {
	t.Helper()
	on := func(action, resource string) bool {
		for _, r := range got[action] {
			if strings.Contains(r, resource) {
				return true
			}
		}
		return false
	}
	for _, m := range must {
		if !on(m[0], m[1]) {
			t.Errorf("%s lacks %s on %s", function, m[0], m[1])
		}
	}
	for _, m := range mustNot {
		if on(m[0], m[1]) {
			t.Errorf("%s holds %s on %q", function, m[0], m[1])
		}
	}
}

// TestLoadWatchRoleHoldsOnlyWhatTheWatcherUses: the wallboard item and the
// queue waiting lists (state), holds and releases of campaigns (catalog),
// recent service from the contacts' byDay index, and the queue metrics and
// names of the one Connect instance.
func TestLoadWatchRoleHoldsOnlyWhatTheWatcherUses(t *testing.T) {
	s := devStack(t)
	got := s.actionsOf(t, "loadwatch")
	roleCheck(t, "loadwatch", got, [][2]string{
		{"dynamodb:GetItem", "TableState"}, {"dynamodb:PutItem", "TableState"}, {"dynamodb:UpdateItem", "TableState"},
		{"dynamodb:GetItem", "TableCatalog"}, {"dynamodb:Query", "TableCatalog"}, {"dynamodb:PutItem", "TableCatalog"},
		{"dynamodb:Query", "/index/byDay"},
		{"connect:GetCurrentMetricData", testQueue}, {"connect:ListQueues", testInstance},
		{"logs:PutLogEvents", "FnLoadwatchLogs"},
	}, [][2]string{
		{"dynamodb:GetItem", "TableContacts"}, {"dynamodb:BatchGetItem", "TableContacts"}, {"dynamodb:PutItem", "TableContacts"},
		{"dynamodb:UpdateItem", "TableContacts"}, {"dynamodb:Query", "/index/byProfile"},
		{"dynamodb:GetItem", "TableProfiles"}, {"dynamodb:Query", "TableProfiles"}, {"dynamodb:GetItem", "TableKpis"},
		{"dynamodb:Scan", ""}, {"dynamodb:DescribeTable", ""}, {"dynamodb:DeleteItem", ""}, {"dynamodb:BatchWriteItem", ""},
		{"lambda:InvokeFunction", ""}, {"kinesis:PutRecord", ""}, {"kinesis:GetRecords", ""},
	})
	// The contacts are read through the byDay index only, never by key.
	if r := got["dynamodb:Query"]; slices.ContainsFunc(r, func(res string) bool {
		return strings.Contains(res, "TableContacts") && !strings.Contains(res, "/index/byDay")
	}) {
		t.Errorf("loadwatch queries contacts beyond the byDay index: %v", r)
	}
	if r := got["connect:ListQueues"]; !slices.Equal(r, []string{testInstance}) {
		t.Errorf("loadwatch lists queues of %v, want the instance", r)
	}
}

// TestCampaignsRoleHoldsOnlyWhatTheLifecycleAndWhatIfsUse: launches and ends
// (catalog), what-if jobs, propensities and cap use (state), the profile
// base by Scan with DescribeTable for its size, and an asynchronous
// invocation of itself for the next chunk.
func TestCampaignsRoleHoldsOnlyWhatTheLifecycleAndWhatIfsUse(t *testing.T) {
	s := devStack(t)
	got := s.actionsOf(t, "campaigns")
	roleCheck(t, "campaigns", got, [][2]string{
		{"dynamodb:GetItem", "TableCatalog"}, {"dynamodb:Query", "TableCatalog"}, {"dynamodb:PutItem", "TableCatalog"},
		{"dynamodb:GetItem", "TableState"}, {"dynamodb:BatchGetItem", "TableState"}, {"dynamodb:PutItem", "TableState"},
		{"dynamodb:Scan", "TableProfiles"}, {"dynamodb:DescribeTable", "TableProfiles"},
		{"lambda:InvokeFunction", "function:conduit-dev-campaigns"},
	}, [][2]string{
		{"dynamodb:GetItem", "TableProfiles"}, {"dynamodb:Query", "TableProfiles"}, {"dynamodb:PutItem", "TableProfiles"},
		{"dynamodb:Scan", "TableCatalog"}, {"dynamodb:Scan", "TableState"}, {"dynamodb:Scan", "/index/"},
		{"dynamodb:GetItem", "TableContacts"}, {"dynamodb:GetItem", "TableKpis"}, {"dynamodb:DeleteItem", ""},
		{"lambda:InvokeFunction", "conduit-dev-api"}, {"connect:GetCurrentMetricData", ""}, {"kinesis:PutRecord", ""},
	})
	if r := got["lambda:InvokeFunction"]; len(r) != 1 {
		t.Errorf("campaigns may invoke %v, want only itself", r)
	}
}

// TestAPIRoleStartsWhatIfs: the API runs a what-if's first chunk inline
// (Scan and DescribeTable of profiles) and hands the rest to the campaigns
// function; the stores it wires keep their table access.
func TestAPIRoleStartsWhatIfs(t *testing.T) {
	s := devStack(t)
	got := s.actionsOf(t, "api")
	roleCheck(t, "api", got, [][2]string{
		{"dynamodb:Scan", "TableProfiles"}, {"dynamodb:DescribeTable", "TableProfiles"},
		{"lambda:InvokeFunction", "function:conduit-dev-campaigns"},
		{"dynamodb:Query", "/index/byDay"}, {"dynamodb:Query", "TableKpis"}, {"dynamodb:PutItem", "TableKpis"},
		{"dynamodb:GetItem", "TableState"}, {"dynamodb:PutItem", "TableState"}, {"dynamodb:BatchGetItem", "TableState"},
		{"dynamodb:Query", "TableSocial"}, {"dynamodb:DeleteItem", "TableSocial"}, {"dynamodb:UpdateItem", "TableContacts"},
		{"kinesis:PutRecords", "StreamDecisions"},
	}, [][2]string{
		{"dynamodb:Scan", "TableContacts"}, {"dynamodb:Scan", "TableCatalog"}, {"dynamodb:Scan", "TableState"},
		{"dynamodb:Scan", "TableSocial"}, {"dynamodb:Scan", "TableKpis"}, {"dynamodb:DescribeTable", "TableContacts"},
		{"lambda:InvokeFunction", "conduit-dev-api"}, {"connect:ListQueues", ""},
	})
	if r := got["lambda:InvokeFunction"]; len(r) != 1 {
		t.Errorf("api may invoke %v, want only the campaigns function", r)
	}
}

// TestWhatIfRunnerIsNamedWhereItIsInvoked: the function the code invokes
// is the one the role may invoke.
func TestWhatIfRunnerIsNamedWhereItIsInvoked(t *testing.T) {
	if EnvWhatIfFunction != campaigns.EnvWhatIfFunction {
		t.Fatalf("stack sets %s, the functions read %s", EnvWhatIfFunction, campaigns.EnvWhatIfFunction)
	}
	s := devStack(t)
	for _, f := range Functions {
		p := s.byName(t, "AWS::Lambda::Function", "FunctionName", "conduit-dev-"+f.Name)
		env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
		got, set := env[EnvWhatIfFunction]
		if f.WhatIfRunner == "" {
			if set {
				t.Errorf("%s: %s = %v without a what-if runner", f.Name, EnvWhatIfFunction, got)
			}
			continue
		}
		if got != "conduit-dev-"+f.WhatIfRunner {
			t.Errorf("%s: %s = %v, want conduit-dev-%s", f.Name, EnvWhatIfFunction, got, f.WhatIfRunner)
		}
	}
	// Without the campaigns function in the stack, nothing may be invoked.
	p := devProps()
	p.Functions = []string{"api", "offer"}
	alone := synth(t, p)
	if r, ok := alone.actionsOf(t, "api")["lambda:InvokeFunction"]; ok {
		t.Errorf("api may invoke %v although no campaigns function is deployed", r)
	}
}

// TestTableUsesNameRealIndexes: a narrowed read names indexes its table has.
func TestTableUsesNameRealIndexes(t *testing.T) {
	for _, f := range Functions {
		for _, use := range f.Tables {
			for _, name := range use.Indexes {
				if !slices.ContainsFunc(use.Table.Indexes, func(ix store.Index) bool { return ix.Name == name }) {
					t.Errorf("%s: table %s has no index %q", f.Name, use.Table.Suffix, name)
				}
			}
			if use.Can&IndexQuery != 0 && len(use.Table.Indexes) == 0 {
				t.Errorf("%s: IndexQuery on %s, which has no index", f.Name, use.Table.Suffix)
			}
		}
	}
}

var (
	prodOnce sync.Once
	prod     synthesized
)

const (
	importedRecords = "arn:aws:kinesis:eu-west-2:111122223333:stream/connect-ctr"
	importedLens    = "arn:aws:kinesis:eu-west-2:111122223333:stream/connect-lens"
	importedKey     = "arn:aws:kms:eu-west-2:111122223333:key/0000aaaa-bbbb-cccc-dddd-eeeeffff0000"
)

// productionStack keeps data, imports Connect's existing streams, warms the
// offer function and uses provisioned streams; no queue ARNs (every queue).
func productionStack(t *testing.T) synthesized {
	t.Helper()
	prodOnce.Do(func() {
		p := devProps()
		p.Stage, p.Production = "prod", true
		p.ConnectQueueArns = nil
		p.ContactRecordsStreamArn, p.ContactRecordsStreamKeyArn = importedRecords, importedKey
		p.ContactLensStreamArn = importedLens
		p.StreamShards, p.OfferProvisioned = 2, 5
		p.CorsOrigins = []string{"https://console.example.com"}
		p.AlarmEmail = ""
		prod = synth(t, p)
	})
	if prod.stack == nil {
		t.Fatal("production stack failed to synthesise")
	}
	return prod
}

func TestProductionKeepsDataAndImportsConnectStreams(t *testing.T) {
	s := productionStack(t)
	for id, r := range s.resources("AWS::DynamoDB::Table") {
		if r["DeletionPolicy"] != "Retain" || props(r)["DeletionProtectionEnabled"] != true {
			t.Errorf("%s: deletion policy %v, protection %v", id, r["DeletionPolicy"], props(r)["DeletionProtectionEnabled"])
		}
	}
	for _, typ := range []string{"AWS::Kinesis::Stream", "AWS::SecretsManager::Secret", "AWS::KMS::Key", "AWS::Logs::LogGroup"} {
		for id, r := range s.resources(typ) {
			if r["DeletionPolicy"] != "Retain" {
				t.Errorf("%s %s is not retained", typ, id)
			}
		}
	}
	streams := s.resources("AWS::Kinesis::Stream")
	if len(streams) != 1 {
		t.Fatalf("%d streams created, want only decisions (the Connect streams are imported)", len(streams))
	}
	for _, r := range streams {
		p := props(r)
		if p["Name"] != "conduit-prod-decisions" || p["ShardCount"] != float64(2) || jsonOf(p["StreamModeDetails"]) != `{"StreamMode":"PROVISIONED"}` {
			t.Errorf("decisions stream %s", jsonOf(p))
		}
	}
	for _, m := range s.resources("AWS::Lambda::EventSourceMapping") {
		arn := props(m)["EventSourceArn"]
		if arn != importedRecords && arn != importedLens {
			t.Errorf("mapping reads %v, want an imported stream", arn)
		}
	}
	ctr := s.actionsOf(t, "ctr")
	if !slices.Equal(ctr["kinesis:GetRecords"], []string{importedRecords}) || !slices.Equal(ctr["kms:Decrypt"], []string{importedKey}) {
		t.Errorf("ctr reads %v with key %v", ctr["kinesis:GetRecords"], ctr["kms:Decrypt"])
	}
	if _, ok := s.actionsOf(t, "speech")["kms:Decrypt"]; ok {
		t.Error("speech decrypts although its imported stream names no key")
	}
	provisioned := 0
	for _, a := range s.resources("AWS::Lambda::Alias") {
		if pc := jsonOf(props(a)["ProvisionedConcurrencyConfig"]); pc == `{"ProvisionedConcurrentExecutions":5}` {
			provisioned++
			if !strings.Contains(jsonOf(props(a)["FunctionName"]), "FnOffer") {
				t.Errorf("provisioned concurrency on %s", jsonOf(props(a)["FunctionName"]))
			}
		}
	}
	if provisioned != 1 {
		t.Errorf("%d aliases with provisioned concurrency, want offer's", provisioned)
	}
	loadwatch := s.actionsOf(t, "loadwatch")
	if r := loadwatch["connect:GetCurrentMetricData"]; !slices.Equal(r, []string{testInstance, testInstance + "/queue/*"}) {
		t.Errorf("loadwatch reads metrics of %v", r)
	}
	for _, a := range s.resources("AWS::ApiGatewayV2::Api") {
		if got := jsonOf(props(a)["CorsConfiguration"]); !strings.Contains(got, "https://console.example.com") {
			t.Errorf("CORS %s", got)
		}
	}
	if n := len(s.resources("AWS::SNS::Subscription")); n != 0 {
		t.Errorf("%d subscriptions without an alarm e-mail", n)
	}
}

func TestProductionHasNoUnsuppressedAwsSolutionsFindings(t *testing.T) {
	s := productionStack(t)
	ann := assertions.Annotations_FromStack(s.stack.Stack)
	for _, found := range []*[]*cxapi.SynthesisMessage{
		ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))),
		ann.FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))),
	} {
		for _, m := range *found {
			t.Errorf("%s: %v", *m.Id, m.Entry.Data)
		}
	}
}

// TestIdentityKeyIsWhatConfigAccepts: the secret Secrets Manager generates
// (44 letters and digits) decodes as standard base64 of 33 bytes, which
// config.EnvIdentityKey requires (≥ 16 bytes), for any draw.
func TestIdentityKeyIsWhatConfigAccepts(t *testing.T) {
	s := devStack(t)
	var gen map[string]any
	for _, r := range s.resources("AWS::SecretsManager::Secret") {
		gen, _ = props(r)["GenerateSecretString"].(map[string]any)
	}
	if gen["PasswordLength"] != float64(44) || gen["ExcludePunctuation"] != true || gen["IncludeSpace"] != false {
		t.Fatalf("generator %s", jsonOf(gen))
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	for seed := range 200 {
		key := make([]byte, 44)
		for i := range key {
			key[i] = alphabet[(seed*7919+i*104729+i*i*31)%len(alphabet)]
		}
		env := map[string]string{config.EnvStage: "dev", config.EnvRegion: "eu-west-2", config.EnvIdentityKey: string(key)}
		cfg, err := config.FromLookup(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		if err != nil || len(cfg.IdentityKey) != 33 {
			t.Fatalf("key %s: %v (%d bytes)", key, err, len(cfg.IdentityKey))
		}
	}
}
