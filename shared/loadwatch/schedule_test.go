package loadwatch

import (
	"os"
	"strings"
	"testing"

	"github.com/conduit-cx/conduit/shared/apperr"
)

func TestParseScheduledEvent(t *testing.T) {
	cases := []struct {
		name    string
		payload string
		fields  []string // fields named in the problems; none: valid
	}{
		{"local runner's event", `{"version":"0","id":"a1","detail-type":"Scheduled Event","source":"aws.events","account":"000000000000",
			"time":"2026-03-02T09:00:00Z","region":"us-east-1","resources":["arn:aws:scheduler:us-east-1:000000000000:schedule/default/conduit-local-loadwatch"],"detail":{}}`, nil},
		{"EventBridge Scheduler's input", `{"version":"0","id":"e-1","detail-type":"Scheduled Event","source":"aws.scheduler",
			"time":"2026-03-02T09:00:00Z","resources":["arn"],"detail":{"attempt":"1"}}`, nil},
		{"an API request", `{"version":"2.0","routeKey":"GET /v1/queues","rawPath":"/v1/queues"}`, []string{"id", "detail-type", "source", "time"}},
		{"wrong source", `{"id":"x","detail-type":"Scheduled Event","source":"aws.connect","time":"2026-03-02T09:00:00Z"}`, []string{"source"}},
		{"bad time", `{"id":"x","detail-type":"Scheduled Event","source":"aws.events","time":"yesterday"}`, []string{"time"}},
		{"detail not an object", `{"id":"x","detail-type":"Scheduled Event","source":"aws.events","time":"2026-03-02T09:00:00Z","detail":[1]}`, []string{"detail"}},
		{"not JSON", `Scheduled Event`, []string{"event"}},
		{"two values", `{} {}`, []string{"event"}},
		{"an array", `[]`, []string{"event"}},
		{"too large", `{"id":"` + strings.Repeat("x", 70<<10) + `"}`, []string{"event"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := ParseScheduledEvent([]byte(tc.payload))
			if len(tc.fields) == 0 {
				if err != nil || ev.Time.IsZero() || ev.ID == "" {
					t.Fatalf("%+v %v", ev, err)
				}
				return
			}
			p, ok := apperr.AsProblems(err)
			if !ok {
				t.Fatalf("not an input error: %v", err)
			}
			var got []string
			for _, pr := range p {
				got = append(got, pr.Field)
			}
			if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
				t.Fatalf("fields %v, want %v (%v)", got, tc.fields, err)
			}
		})
	}
}

func TestSampleEventsAreValid(t *testing.T) {
	for _, path := range []string{"../../events/loadwatch/scheduled.json", "../../events/campaigns/scheduled.json"} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseScheduledEvent(b); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
}

func FuzzParseScheduledEvent(f *testing.F) {
	f.Add([]byte(`{"id":"a","detail-type":"Scheduled Event","source":"aws.events","time":"2026-03-02T09:00:00Z","detail":{}}`))
	f.Add([]byte(`{"detail":null}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := ParseScheduledEvent(b)
		if err == nil && (ev.ID == "" || ev.Time.IsZero() || ev.DetailType != "Scheduled Event") {
			t.Fatalf("accepted an incomplete event: %+v", ev)
		}
		if err != nil {
			if _, ok := apperr.AsProblems(err); !ok {
				t.Fatalf("not an input error: %v", err)
			}
		}
	})
}
