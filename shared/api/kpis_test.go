package api_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/conduit-cx/conduit/shared/api"
	"github.com/conduit-cx/conduit/shared/api/apitest"
	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/kpi"
	"github.com/conduit-cx/conduit/shared/lambdas/consumers"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/rollup"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/catalogstore"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

// The day of the known contacts, and the rollup's clock: ten days later,
// so every 7-day repeat window of the day has closed.
var (
	kpiDay   = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	kpiClock = kpiDay.Add(10 * 24 * time.Hour)
)

// call is one contact as its contact record tells it.
type call struct {
	id, phone, queue, agent string
	enqueued                time.Time
	wait                    int
	answered                bool
	talk, hold, acw, survey int
}

// record is the contact record Amazon Connect would stream for the call.
func (c call) record() []byte {
	init := c.enqueued.Add(-20 * time.Second)
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	rec := map[string]any{
		"AWSAccountId": "111122223333", "AWSContactTraceRecordFormatVersion": "2017-03-10",
		"ContactId": c.id, "Channel": "VOICE", "InitiationMethod": "INBOUND",
		"InstanceARN":         "arn:aws:connect:us-east-1:111122223333:instance/i-1",
		"InitiationTimestamp": ts(init),
		"CustomerEndpoint":    map[string]any{"Address": c.phone, "Type": "TELEPHONE_NUMBER"},
		"Queue": map[string]any{
			"ARN": "arn:aws:connect:us-east-1:111122223333:instance/i-1/queue/q-" + strings.ToLower(c.queue), "Name": c.queue,
			"EnqueueTimestamp": ts(c.enqueued), "DequeueTimestamp": ts(c.enqueued.Add(time.Duration(c.wait) * time.Second)), "Duration": c.wait,
		},
		"Attributes": map[string]string{},
	}
	end := c.enqueued.Add(time.Duration(c.wait) * time.Second)
	if c.answered {
		rec["Agent"] = map[string]any{
			"Username": c.agent, "ConnectedToAgentTimestamp": ts(end),
			"AgentInteractionDuration": c.talk, "CustomerHoldDuration": c.hold, "AfterContactWorkDuration": c.acw,
		}
		end = end.Add(time.Duration(c.talk+c.hold+c.acw) * time.Second)
		rec["DisconnectReason"] = "CUSTOMER_DISCONNECT"
	} else {
		rec["DisconnectReason"] = "CUSTOMER_DISCONNECT"
	}
	rec["DisconnectTimestamp"] = ts(end)
	rec["LastUpdateTimestamp"] = ts(end.Add(time.Minute))
	if c.survey > 0 {
		rec["Attributes"] = map[string]string{"surveyScore": fmt.Sprint(c.survey)}
	}
	b, _ := json.Marshal(rec)
	return b
}

// kinesisBatch is the event the ctr function receives for the records.
func kinesisBatch(recs ...[]byte) []byte {
	ev := events.KinesisEvent{}
	for i, data := range recs {
		seq := fmt.Sprintf("4959%020d", i)
		ev.Records = append(ev.Records, events.KinesisEventRecord{
			EventID: "shardId-000000000000:" + seq, EventName: "aws:kinesis:record", EventSource: "aws:kinesis",
			EventSourceArn: "arn:aws:kinesis:us-east-1:111122223333:stream/conduit-test-contact-records", AwsRegion: "us-east-1",
			EventVersion: "1.0", InvokeIdentityArn: "arn:aws:iam::111122223333:role/ctr",
			Kinesis: events.KinesisRecord{
				Data: data, PartitionKey: "pk", SequenceNumber: seq, KinesisSchemaVersion: "1.0",
				ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: kpiDay.Add(20 * time.Hour)},
			},
		})
	}
	b, _ := json.Marshal(ev)
	return b
}

// The known day. T = 20 s.
//
//	id   queue   agent wait answered talk hold acw survey customer decision
//	c01  Sales   jane   10  yes      300    0  60   5      P1       treated, accepted 30.00
//	c02  Sales   jane   30  yes      200   30  70   3      P2       treated, declined
//	c03  Sales   jane   20  yes      400   20  60   4      P1 (2 h after c01: c01 repeated)  holdout
//	c04  Sales   -      45  abandoned                      P2
//	c05  Sales   -       5  abandoned                      unknown
//	c06  Billing bob    50  yes      100    0  20   -      P3       holdout, accepted (organic, value 25)
//	c07  Sales   bob    15  yes      durations missing  2   unknown
//
// By hand: offered 7, answered 5, abandoned 2.
// ASA = (10+30+20+50+15)/5 = 25 s.
// SL(20) = answered within 20 s {c01,c03,c07} / (5 answered + 1 abandoned after 20 s) = 3/6 = 0.5.
// Abandon rate = 2/7. AHT = (360+300+480+120)/4 = 315 s (c07 excluded: missing durations).
// FCR = {c03,c06} / {c01,c02,c03,c06} = 2/4: c01's customer came back in c03
// and c02's in c04 (abandoned, but a contact again); c07's customer is unknown.
// CSAT = {5,4} of {5,3,4,2} = 2/4 = 0.5.
var knownCalls = []call{
	{"c01", "+14155550101", "Sales", "jane", kpiDay.Add(9 * time.Hour), 10, true, 300, 0, 60, 5},
	{"c02", "+14155550102", "Sales", "jane", kpiDay.Add(9*time.Hour + 5*time.Minute), 30, true, 200, 30, 70, 3},
	{"c03", "+14155550101", "Sales", "jane", kpiDay.Add(11 * time.Hour), 20, true, 400, 20, 60, 4},
	{"c04", "+14155550102", "Sales", "", kpiDay.Add(12 * time.Hour), 45, false, 0, 0, 0, 0},
	{"c05", "+14155550199", "Sales", "", kpiDay.Add(12*time.Hour + time.Minute), 5, false, 0, 0, 0, 0},
	{"c06", "+14155550103", "Billing", "bob", kpiDay.Add(14 * time.Hour), 50, true, 100, 0, 20, 0},
	{"c07", "+14155550198", "Sales", "bob", kpiDay.Add(15 * time.Hour), 15, true, 0, 0, 0, 2},
}

type kpiFixture struct {
	env       storetest.Env
	srv       *api.Server
	kpis      *store.KPIs
	job       *rollup.Job
	ctr       func([]byte)
	decisions *store.Decisions
}

func newKPIFixture(t *testing.T) *kpiFixture {
	t.Helper()
	env := storetest.New(t)
	ctx := context.Background()
	kpis := store.NewKPIs(env.Clients.Dynamo, env.Tables)
	cat := catalogstore.NewCatalog(env.Clients.Dynamo, env.Tables)
	c := catalog.Campaign{ID: "spring", Status: catalog.CampaignLive}
	c.Name, c.LaunchAt, c.EndAt, c.HoldoutShare = "Spring upgrade", kpiDay, kpiDay.Add(60*24*time.Hour), 0.5
	if _, err := cat.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	o := catalog.Offer{ID: "fibre", Status: catalog.OfferActive}
	o.Name, o.CampaignID, o.Channels, o.ValidFrom = "Fibre upgrade", "spring", []string{"voice"}, kpiDay
	o.Value, o.BusinessLever, o.PriorityWeight = catalog.Money{Amount: "30.00", Currency: "USD"}, 1, 1
	o.Content.Pitch = "Faster internet for the same price for three months."
	if _, err := cat.CreateOffer(ctx, o); err != nil {
		t.Fatal(err)
	}
	h, err := consumers.CTR(ctx, env.Config, env.Clients)
	if err != nil {
		t.Fatal(err)
	}
	now := kpiClock
	f := &kpiFixture{
		env: env, kpis: kpis,
		srv: api.NewServer(api.Deps{KPIs: kpis, Benchmarks: kpis, CatalogStore: cat, Clock: func() time.Time { return kpiClock }}),
		job: &rollup.Job{Contacts: kpis, Buckets: kpis, Watermarks: kpis, Clock: func() time.Time { return now }},
		ctr: func(batch []byte) {
			out, err := h.Invoke(ctx, batch)
			if err != nil || !strings.Contains(string(out), `"batchItemFailures":[]`) {
				t.Fatalf("ctr: %s %v", out, err)
			}
		},
		decisions: store.NewDecisions(env.Clients.Dynamo, env.Tables),
	}
	return f
}

func (f *kpiFixture) decide(t *testing.T, contactID string, at time.Time, holdout bool, outcome string, value float64) {
	t.Helper()
	ctx := context.Background()
	d := contacts.Decision{DecisionID: "d-" + contactID, At: at, OfferID: "fibre", CampaignID: "spring", Shown: !holdout, Holdout: holdout, Value: 25}
	if err := f.decisions.RecordDecision(ctx, store.DecisionRecord{ContactID: contactID, Channel: "voice", InitiatedAt: at, Decision: d}); err != nil {
		t.Fatal(err)
	}
	if outcome != "" {
		if _, err := f.decisions.RecordOutcome(ctx, contactID, "fibre", contacts.Outcome{DecisionID: d.DecisionID, Outcome: outcome, At: at.Add(time.Minute), Value: value}); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *kpiFixture) backfill(t *testing.T) rollup.Report {
	t.Helper()
	rep, err := f.job.Run(context.Background(), rollup.Request{Backfill: true, From: kpiDay, To: kpiDay.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// scan reads every item of the kpis table.
func (f *kpiFixture) scan(t *testing.T) map[string]map[string]types.AttributeValue {
	t.Helper()
	out := map[string]map[string]types.AttributeValue{}
	var start map[string]types.AttributeValue
	for {
		page, err := f.env.Clients.DynamoDB.Scan(context.Background(), &dynamodb.ScanInput{
			TableName: aws.String(f.env.Tables.KPIs), ExclusiveStartKey: start, ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range page.Items {
			s, _ := item["series"].(*types.AttributeValueMemberS)
			b, _ := item["bucket"].(*types.AttributeValueMemberS)
			out[s.Value+"|"+b.Value] = item
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out
		}
		start = page.LastEvaluatedKey
	}
}

// seedKnownDay records the known day through the offer store and the real
// ctr consumer.
func (f *kpiFixture) seedKnownDay(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	hasher := identity.NewHasher(f.env.Config.IdentityKey)
	profileStore := store.NewProfiles(f.env.Clients.Dynamo, f.env.Tables)
	for i, phone := range []string{"+14155550101", "+14155550102", "+14155550103"} {
		p, err := profiles.Input{Phone: phone}.Build(hasher, kpiDay)
		if err != nil {
			t.Fatal(err)
		}
		p.ID = fmt.Sprintf("P%d", i+1)
		if _, err := profileStore.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	at := func(id string) time.Time {
		for _, c := range knownCalls {
			if c.id == id {
				return c.enqueued.Add(-20 * time.Second)
			}
		}
		panic(id)
	}
	f.decide(t, "c01", at("c01"), false, contacts.OutcomeAccepted, 30)
	f.decide(t, "c02", at("c02"), false, contacts.OutcomeDeclined, 0)
	f.decide(t, "c03", at("c03"), true, "", 0)
	f.decide(t, "c06", at("c06"), true, contacts.OutcomeAccepted, 0)
	var recs [][]byte
	for _, c := range knownCalls {
		recs = append(recs, c.record())
	}
	f.ctr(kinesisBatch(recs...))
}

type kpiAnswer struct {
	Metric string `json:"metric"`
	Grain  string `json:"grain"`
	Points []struct {
		Start     time.Time `json:"start"`
		Value     *float64  `json:"value"`
		Count     int64     `json:"count"`
		Benchmark *struct{ Target, Warning float64 }
		Status    string            `json:"status"`
		Dims      map[string]string `json:"dims"`
	} `json:"points"`
}

func getKPIs(t *testing.T, srv http.Handler, query string) kpiAnswer {
	t.Helper()
	resp := apitest.Do(t, srv, apitest.Request(http.MethodGet, "/v1/kpis?"+query, nil, api.ScopeAnalyst))
	if resp.Status != http.StatusOK {
		t.Fatalf("GET /v1/kpis?%s: %d %s", query, resp.Status, resp.Body)
	}
	var out kpiAnswer
	resp.JSON(t, &out)
	return out
}

func TestKPIsOfKnownContactsThroughCTRAndRollup(t *testing.T) {
	f := newKPIFixture(t)
	f.seedKnownDay(t)
	rep := f.backfill(t)
	if rep.Contacts != 7 || rep.Excluded["missing_durations"] != 1 {
		t.Fatalf("rollup report %+v", rep)
	}
	day := "grain=day&from=2026-03-02&to=2026-03-03"
	cases := []struct {
		metric string
		value  float64
		count  int64
		status string
	}{
		{"contacts_offered", 7, 7, "unknown"},
		{"asa", 25, 5, "good"},
		{"service_level", 0.5, 6, "bad"},
		{"abandon_rate", 2.0 / 7, 7, "bad"},
		{"aht", 315, 4, "good"},
		{"fcr", 0.5, 4, "bad"},
		{"csat", 0.5, 4, "bad"},
		{"offer_rate", 0.5, 4, "good"},
		{"acceptance", 0.5, 2, "good"},
		{"conversion", 0.5, 4, "good"},
		{"revenue_per_contact", 13.75, 4, "unknown"},
	}
	for _, c := range cases {
		got := getKPIs(t, f.srv, "metric="+c.metric+"&"+day)
		if len(got.Points) != 1 || got.Points[0].Value == nil {
			t.Errorf("%s: points %+v", c.metric, got.Points)
			continue
		}
		p := got.Points[0]
		if *p.Value != c.value || p.Count != c.count || p.Status != c.status || !p.Start.Equal(kpiDay) {
			t.Errorf("%s = %v (n %d, %s), want exactly %v (n %d, %s)", c.metric, *p.Value, p.Count, p.Status, c.value, c.count, c.status)
		}
	}
	// The same by queue and by hour.
	byQueue := getKPIs(t, f.srv, "metric=contacts_offered&by=queue&"+day)
	if len(byQueue.Points) != 2 || byQueue.Points[0].Dims["queue"] != "Billing" || *byQueue.Points[0].Value != 1 || *byQueue.Points[1].Value != 6 {
		t.Errorf("by queue: %+v", byQueue.Points)
	}
	hours := getKPIs(t, f.srv, "metric=asa&grain=hour&from=2026-03-02T09:00:00Z&to=2026-03-02T12:00:00Z")
	if len(hours.Points) != 3 || *hours.Points[0].Value != 20 || hours.Points[1].Value != nil || *hours.Points[2].Value != 20 {
		t.Errorf("hourly ASA: %+v", hours.Points)
	}
	sales := getKPIs(t, f.srv, "metric=aht&by=queue&queue=Sales&"+day)
	if len(sales.Points) != 1 || *sales.Points[0].Value != (360+300+480)/3.0 {
		t.Errorf("Sales AHT: %+v", sales.Points)
	}

	// Running rollup again — as a backfill, as the scheduled run during
	// which the day settles, and after the contact records are delivered
	// again — changes no KPI item.
	before := f.scan(t)
	if len(before) == 0 {
		t.Fatal("no KPI items")
	}
	again := f.backfill(t)
	if again.Written != 0 || again.Deleted != 0 {
		t.Errorf("second backfill wrote %d, deleted %d", again.Written, again.Deleted)
	}
	if _, err := f.job.Run(context.Background(), rollup.Request{}); err != nil {
		t.Fatal(err)
	}
	var recs [][]byte
	for _, c := range knownCalls {
		recs = append(recs, c.record())
	}
	f.ctr(kinesisBatch(recs...))
	f.backfill(t)
	if after := f.scan(t); !reflect.DeepEqual(before, after) {
		t.Errorf("KPI items changed on rerun: %d items before, %d after", len(before), len(after))
	}
}

func TestKPIsCSV(t *testing.T) {
	f := newKPIFixture(t)
	f.seedKnownDay(t)
	f.backfill(t)
	for _, ev := range []events.APIGatewayV2HTTPRequest{
		apitest.Request(http.MethodGet, "/v1/kpis?metric=asa&by=queue&grain=day&from=2026-03-02&to=2026-03-03&format=csv", nil, api.ScopeAnalyst),
		apitest.WithHeader(apitest.Request(http.MethodGet, "/v1/kpis?metric=asa&by=queue&grain=day&from=2026-03-02&to=2026-03-03", nil, api.ScopeAnalyst), "Accept", "text/csv"),
	} {
		resp := apitest.Do(t, f.srv, ev)
		if resp.Status != http.StatusOK || !strings.HasPrefix(resp.Headers.Get("Content-Type"), "text/csv") {
			t.Fatalf("%d %s %s", resp.Status, resp.Headers.Get("Content-Type"), resp.Body)
		}
		rows, err := csv.NewReader(strings.NewReader(string(resp.Body))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{
			{"start", "metric", "grain", "queue", "value", "count", "unit", "benchmark_target", "benchmark_warning", "status"},
			{"2026-03-02T00:00:00Z", "asa", "day", "Billing", "50", "1", "seconds", "30", "60", "warning"},
			{"2026-03-02T00:00:00Z", "asa", "day", "Sales", "18.75", "4", "seconds", "30", "60", "good"},
		}
		if !reflect.DeepEqual(rows, want) {
			t.Errorf("csv:\n%v\nwant\n%v", rows, want)
		}
	}
}

// noReads is a KPI store that bad input must never reach.
type noReads struct{ t *testing.T }

func (n noReads) Series(context.Context, kpi.Grain, kpi.Key, time.Time, time.Time) ([]rollup.Bucket, error) {
	n.t.Error("bad input reached the store")
	return nil, nil
}

func (n noReads) Dimension(context.Context, kpi.Grain, kpi.Dimension, time.Time, time.Time, func(kpi.Key) bool, int) ([]rollup.Bucket, error) {
	n.t.Error("bad input reached the store")
	return nil, nil
}

func TestKPIsBadInput(t *testing.T) {
	srv := api.NewServer(api.Deps{KPIs: noReads{t}, Clock: func() time.Time { return kpiClock }})
	cases := []struct {
		name, query string
		fields      []string
		mention     string
	}{
		{"no metric", "grain=hour", []string{"metric"}, "asa"},
		{"unknown metric", "metric=speed", []string{"metric"}, "service_level"},
		{"unknown grain", "metric=asa&grain=week", []string{"grain"}, "15m, hour or day"},
		{"unknown dimension", "metric=asa&by=region", []string{"by"}, "queue"},
		{"from after to", "metric=asa&from=2026-03-03&to=2026-03-02", []string{"from"}, "before"},
		{"malformed dates", "metric=asa&from=yesterday&to=03/02/2026", []string{"to", "from"}, "RFC 3339"},
		{"range too large names the limit", "metric=asa&grain=15m&from=2026-03-01&to=2026-03-31", []string{"to"}, "more than 744"},
		{"unknown parameter", "metric=asa&metrc=aht", []string{"metrc"}, "known"},
		{"filter not of the dimension", "metric=asa&by=queue&agent=jane", []string{"agent"}, "queue"},
		{"lift by queue", "metric=lift&by=queue&from=2026-03-02&to=2026-03-03", []string{"by"}, "by=campaign"},
		{"unknown format", "metric=asa&format=xml", []string{"format"}, "csv"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := apitest.Do(t, srv, apitest.Request(http.MethodGet, "/v1/kpis?"+c.query, nil, api.ScopeAnalyst))
			if resp.Status != http.StatusBadRequest {
				t.Fatalf("status %d: %s", resp.Status, resp.Body)
			}
			var e apitest.Error
			resp.JSON(t, &e)
			if !reflect.DeepEqual(e.Fields(), c.fields) || !strings.Contains(string(resp.Body), c.mention) {
				t.Errorf("fields %v, want %v mentioning %q: %s", e.Fields(), c.fields, c.mention, resp.Body)
			}
		})
	}
	if resp := apitest.Do(t, srv, apitest.Request(http.MethodGet, "/v1/kpis?metric=asa", nil)); resp.Status != http.StatusUnauthorized {
		t.Errorf("no token: %d", resp.Status)
	}
}

func TestMetricsCatalogAndBenchmarks(t *testing.T) {
	env := storetest.New(t)
	kpis := store.NewKPIs(env.Clients.Dynamo, env.Tables)
	srv := api.NewServer(api.Deps{KPIs: kpis, Benchmarks: kpis, Clock: func() time.Time { return kpiClock }})
	type metric struct {
		Name             string
		Unit             string
		Direction        string
		Benchmark        *struct{ Target, Warning float64 }
		DefaultBenchmark *struct{ Target, Warning float64 }
		BenchmarkVersion int
		Formula          string
	}
	list := func() map[string]metric {
		resp := apitest.Do(t, srv, apitest.Request(http.MethodGet, "/v1/metrics", nil, api.ScopeMarketer))
		if resp.Status != http.StatusOK {
			t.Fatalf("%d %s", resp.Status, resp.Body)
		}
		var page struct{ Items []metric }
		resp.JSON(t, &page)
		out := map[string]metric{}
		for _, m := range page.Items {
			out[m.Name] = m
		}
		return out
	}
	all := list()
	for _, name := range []string{"asa", "service_level", "abandon_rate", "aht", "fcr", "csat", "offer_rate", "acceptance", "revenue_per_contact", "lift"} {
		if _, ok := all[name]; !ok || all[name].Formula == "" {
			t.Errorf("catalog lacks %s", name)
		}
	}
	if m := all["asa"]; m.Benchmark == nil || m.Benchmark.Target != 30 || m.BenchmarkVersion != 0 || m.Unit != "seconds" || m.Direction != "lower" {
		t.Errorf("asa %+v", m)
	}
	put := func(name string, body any, scope string) apitest.Response {
		return apitest.Do(t, srv, apitest.Request(http.MethodPut, "/v1/metrics/"+name+"/benchmark", body, scope))
	}
	if r := put("asa", map[string]any{"target": 25, "warning": 40, "version": 0}, api.ScopeAnalyst); r.Status != http.StatusForbidden {
		t.Errorf("analyst set a benchmark: %d", r.Status)
	}
	if r := put("asa", map[string]any{"target": 25, "warning": 40, "version": 0}, api.ScopeAdmin); r.Status != http.StatusOK {
		t.Fatalf("set: %d %s", r.Status, r.Body)
	}
	if r := put("asa", map[string]any{"target": 20, "warning": 40, "version": 0}, api.ScopeAdmin); r.Status != http.StatusConflict {
		t.Errorf("stale version: %d %s", r.Status, r.Body)
	}
	bad := []struct {
		name   string
		body   any
		fields []string
	}{
		{"asa", map[string]any{"target": 60, "warning": 30, "version": 1}, []string{"warning"}},
		{"service_level", map[string]any{"target": 80, "warning": 0.7, "version": 0}, []string{"target"}},
		{"contacts_offered", map[string]any{"target": 1, "warning": 1, "version": 0}, []string{"benchmark"}},
		{"asa", map[string]any{"target": 20}, []string{"warning", "version"}},
		{"asa", map[string]any{"target": "fast", "warning": 1, "version": 1}, []string{"target"}},
	}
	for _, b := range bad {
		r := put(b.name, b.body, api.ScopeAdmin)
		var e apitest.Error
		r.JSON(t, &e)
		if r.Status != http.StatusBadRequest || !reflect.DeepEqual(e.Fields(), b.fields) {
			t.Errorf("%s %v: %d %v, want 400 on %v", b.name, b.body, r.Status, e.Fields(), b.fields)
		}
	}
	if r := put("speed", map[string]any{"target": 1, "warning": 1, "version": 0}, api.ScopeAdmin); r.Status != http.StatusNotFound {
		t.Errorf("unknown metric: %d", r.Status)
	}
	asa := list()["asa"]
	if asa.Benchmark.Target != 25 || asa.DefaultBenchmark.Target != 30 || asa.BenchmarkVersion != 1 {
		t.Errorf("after set: %+v", asa)
	}
	// KPI points are judged against the benchmark in force.
	f := getKPIs(t, srv, "metric=asa&grain=day&from=2026-03-02&to=2026-03-03")
	if f.Points[0].Benchmark == nil || f.Points[0].Benchmark.Target != 25 {
		t.Errorf("point benchmark %+v", f.Points[0].Benchmark)
	}
}

// Newcombe (1998), example (a): 56/70 treated against 48/80 holdout. The
// published hybrid score interval for the difference is 0.0524 to 0.3339;
// the lift is 0.8/0.6 − 1 = 1/3 with the Katz log interval
// exp(ln(4/3) ± 1.959964·sqrt(1/56 − 1/70 + 1/48 − 1/80)) − 1.
func TestCampaignImpactOfATextbookExample(t *testing.T) {
	f := newKPIFixture(t)
	at := kpiDay.Add(10 * time.Hour)
	for i := range 70 {
		outcome := ""
		if i < 56 {
			outcome = contacts.OutcomeAccepted
		}
		f.decide(t, fmt.Sprintf("t%03d", i), at.Add(time.Duration(i)*time.Second), false, outcome, 20)
	}
	for i := range 80 {
		outcome := ""
		if i < 48 {
			outcome = contacts.OutcomeAccepted
		}
		f.decide(t, fmt.Sprintf("h%03d", i), at.Add(time.Duration(i)*time.Second), true, outcome, 20)
	}
	f.backfill(t)
	resp := apitest.Do(t, f.srv, apitest.Request(http.MethodGet, "/v1/campaigns/spring/impact?from=2026-03-02&to=2026-03-03", nil, api.ScopeMarketer))
	if resp.Status != http.StatusOK {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	var out struct {
		Campaign struct{ ID, Name string }
		Impact   struct {
			Treated, Holdout struct{ Contacts, Accepted int64 }
			Acceptance       struct{ Value float64 }
			Conversion       struct {
				Lift               float64
				LiftInterval       struct{ Lower, Upper float64 }
				DifferenceInterval struct{ Lower, Upper float64 }
				Verdict            string
			}
			RevenuePerContact struct{ Difference float64 }
			AHT               struct{ Verdict string }
			Summary           string
		}
		Offers []struct {
			Offer  struct{ ID string }
			Impact struct{ Treated struct{ Contacts int64 } }
		}
	}
	resp.JSON(t, &out)
	im := out.Impact
	if out.Campaign.Name != "Spring upgrade" || im.Treated.Contacts != 70 || im.Treated.Accepted != 56 || im.Holdout.Contacts != 80 || im.Holdout.Accepted != 48 {
		t.Fatalf("arms %+v", out)
	}
	near := func(what string, got, want, tol float64) {
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.6f, want %.6f", what, got, want)
		}
	}
	near("difference lower (published)", im.Conversion.DifferenceInterval.Lower, 0.0524, 5e-5)
	near("difference upper (published)", im.Conversion.DifferenceInterval.Upper, 0.3339, 5e-5)
	se := math.Sqrt(1.0/56 - 1.0/70 + 1.0/48 - 1.0/80)
	near("lift", im.Conversion.Lift, 1.0/3, 1e-12)
	near("lift lower", im.Conversion.LiftInterval.Lower, 4.0/3*math.Exp(-1.959963984540054*se)-1, 1e-9)
	near("lift upper", im.Conversion.LiftInterval.Upper, 4.0/3*math.Exp(1.959963984540054*se)-1, 1e-9)
	near("acceptance", im.Acceptance.Value, 0.8, 1e-12)
	near("revenue per contact difference", im.RevenuePerContact.Difference, 0.8*20-0.6*20, 1e-9)
	if im.Conversion.Verdict != "significant" || im.AHT.Verdict != "insufficient data" || !strings.Contains(im.Summary, "significant") {
		t.Errorf("verdicts: conversion %q, aht %q, summary %q", im.Conversion.Verdict, im.AHT.Verdict, im.Summary)
	}
	if len(out.Offers) != 1 || out.Offers[0].Offer.ID != "fibre" || out.Offers[0].Impact.Treated.Contacts != 70 {
		t.Errorf("offers %+v", out.Offers)
	}
	if resp := apitest.Do(t, f.srv, apitest.Request(http.MethodGet, "/v1/campaigns/autumn/impact", nil, api.ScopeMarketer)); resp.Status != http.StatusNotFound {
		t.Errorf("unknown campaign: %d", resp.Status)
	}
	if resp := apitest.Do(t, f.srv, apitest.Request(http.MethodGet, "/v1/campaigns/spring/impact?from=2026-03-05&to=2026-03-01", nil, api.ScopeMarketer)); resp.Status != http.StatusBadRequest {
		t.Errorf("from after to: %d", resp.Status)
	}
	// Lift over time by campaign, as the report charts it.
	lift := getKPIs(t, f.srv, "metric=lift&by=campaign&grain=day&from=2026-03-02&to=2026-03-03")
	if len(lift.Points) != 1 || lift.Points[0].Dims["campaign"] != "spring" || math.Abs(*lift.Points[0].Value-1.0/3) > 1e-12 {
		t.Errorf("lift points %+v", lift.Points)
	}
}

func TestAgentScorecard(t *testing.T) {
	f := newKPIFixture(t)
	f.seedKnownDay(t)
	f.backfill(t)
	resp := apitest.Do(t, f.srv, apitest.Request(http.MethodGet, "/v1/agents/jane/scorecard?from=2026-03-02&to=2026-03-03", nil, api.ScopeAnalyst))
	if resp.Status != http.StatusOK {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	var sc struct {
		Agent  string
		Offers struct {
			Presented, Accepted int64
			Acceptance, Team    struct{ Value float64 }
			VsRestOfTeam        struct{ Verdict string }
		}
		WithOffer, WithoutOffer struct {
			Handled   int64
			AHT, CSAT *float64
		}
		// Welch's interval needs two contacts a side: null here.
		AHTDifference struct{ Difference *float64 }
	}
	resp.JSON(t, &sc)
	// Jane: c01 (shown, accepted), c02 (shown, declined), c03 (holdout).
	if sc.Agent != "jane" || sc.Offers.Presented != 2 || sc.Offers.Accepted != 1 || sc.Offers.Acceptance.Value != 0.5 || sc.Offers.Team.Value != 0.5 {
		t.Errorf("offers %+v", sc.Offers)
	}
	if sc.WithOffer.Handled != 2 || *sc.WithOffer.AHT != 330 || *sc.WithOffer.CSAT != 0.5 ||
		sc.WithoutOffer.Handled != 1 || *sc.WithoutOffer.AHT != 480 || *sc.WithoutOffer.CSAT != 1 || sc.AHTDifference.Difference != nil {
		t.Errorf("service: with AHT %v CSAT %v, without AHT %v CSAT %v, diff %v", *sc.WithOffer.AHT, *sc.WithOffer.CSAT, *sc.WithoutOffer.AHT, *sc.WithoutOffer.CSAT, sc.AHTDifference.Difference != nil)
	}
	if sc.Offers.VsRestOfTeam.Verdict != "insufficient data" {
		t.Errorf("verdict %q", sc.Offers.VsRestOfTeam.Verdict)
	}
	bad := apitest.Do(t, f.srv, apitest.Request(http.MethodGet, "/v1/agents/jane/scorecard?from=2026-03-02&to=2027-06-01", nil, api.ScopeAnalyst))
	if bad.Status != http.StatusBadRequest || !strings.Contains(string(bad.Body), "more than 400 days") {
		t.Errorf("range too large: %d %s", bad.Status, bad.Body)
	}
}

// emptyStore is a KPI store with nothing stored.
type emptyStore struct{}

func (emptyStore) Series(context.Context, kpi.Grain, kpi.Key, time.Time, time.Time) ([]rollup.Bucket, error) {
	return nil, nil
}

func (emptyStore) Dimension(context.Context, kpi.Grain, kpi.Dimension, time.Time, time.Time, func(kpi.Key) bool, int) ([]rollup.Bucket, error) {
	return nil, nil
}

// Any query string gets an answer or a 400 naming fields, never a 500.
func FuzzKPIsQuery(f *testing.F) {
	for _, q := range []string{"metric=asa", "metric=lift&by=campaign&campaign=spring&grain=day&from=2026-03-01&to=2026-03-02",
		"metric=aht&by=queue&queue=%2F%23&format=csv", "metric=asa&from=2026-03-02T00:00:00%2B14:00&to=2026-03-02T00:00:01Z", "%zz&&=",
		"metric=csat&grain=15m&from=0001-01-01&to=9999-12-31",
		// Found by fuzzing: a bucket count that overflowed and let the range through.
		"metric=csat&grain=15m&from=0081-01-01&to=9999-12-31"} {
		f.Add(q)
	}
	srv := api.NewServer(api.Deps{KPIs: emptyStore{}, Clock: func() time.Time { return kpiClock }})
	f.Fuzz(func(t *testing.T, query string) {
		if _, err := url.ParseQuery(query); err != nil || strings.ContainsFunc(query, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '#' }) {
			return // API Gateway passes on only well-formed, encoded query strings
		}
		resp := apitest.Do(t, srv, apitest.Request(http.MethodGet, "/v1/kpis?"+query, nil, api.ScopeAnalyst))
		if resp.Status != http.StatusOK && resp.Status != http.StatusBadRequest {
			t.Fatalf("%q: status %d %s", query, resp.Status, resp.Body)
		}
	})
}
