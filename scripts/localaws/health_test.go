package localaws

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

func TestHealth(t *testing.T) {
	env := storetest.NewWithStreams(t)
	// A port nothing listens on stands for a server that is down.
	down := env.Config
	down.DynamoDBEndpoint, down.KinesisEndpoint = "http://127.0.0.1:1", "http://127.0.0.1:1"
	downClients, err := awsclients.New(context.Background(), down)
	if err != nil {
		t.Fatal(err)
	}
	up := env.Clients
	cases := []struct {
		name   string
		health *Health
		status int
		report HealthReport
	}{
		{"both answer", &Health{DynamoDB: up.DynamoDB, Kinesis: up.Kinesis, Table: env.Tables.Profiles, Stream: env.Streams.ContactRecords},
			200, HealthReport{Status: "ok", DynamoDB: "ok", Kinesis: "ok"}},
		{"DynamoDB down", &Health{DynamoDB: downClients.DynamoDB, Kinesis: up.Kinesis, Table: env.Tables.Profiles, Stream: env.Streams.ContactRecords},
			503, HealthReport{Status: "down", DynamoDB: "down", Kinesis: "ok"}},
		{"Kinesis down", &Health{DynamoDB: up.DynamoDB, Kinesis: downClients.Kinesis, Table: env.Tables.Profiles, Stream: env.Streams.ContactRecords},
			503, HealthReport{Status: "down", DynamoDB: "ok", Kinesis: "down"}},
		{"a missing table is down", &Health{DynamoDB: up.DynamoDB, Kinesis: up.Kinesis, Table: "conduit-nowhere-profiles", Stream: env.Streams.ContactRecords},
			503, HealthReport{Status: "down", DynamoDB: "down", Kinesis: "ok"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			c.health.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
			var got HealthReport
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if rec.Code != c.status || got.Status != c.report.Status ||
				!strings.HasPrefix(got.DynamoDB, c.report.DynamoDB) || !strings.HasPrefix(got.Kinesis, c.report.Kinesis) {
				t.Fatalf("got %d %+v, want %d %+v", rec.Code, got, c.status, c.report)
			}
		})
	}
}
