package rollup

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
)

var parseNow = time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)

func TestParseRequest(t *testing.T) {
	cases := []struct {
		name     string
		payload  string
		want     Request
		problems []string // fields
	}{
		{"empty payload is a scheduled run", "", Request{}, nil},
		{"null is a scheduled run", "null", Request{}, nil},
		{"empty object is a scheduled run", "{}", Request{}, nil},
		{"EventBridge scheduled event", `{"version":"0","id":"1","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012",` +
			`"time":"2026-03-20T11:45:00Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:123456789012:rule/r"],"detail":{}}`,
			Request{ScheduledAt: time.Date(2026, 3, 20, 11, 45, 0, 0, time.UTC)}, nil},
		{"Scheduler event with attempt", `{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.scheduler","time":"2026-03-20T11:45:00Z","resources":["s"],"detail":{"attempt":"1"}}`,
			Request{ScheduledAt: time.Date(2026, 3, 20, 11, 45, 0, 0, time.UTC)}, nil},
		{"backfill in the event detail", `{"detail-type":"Scheduled Event","source":"aws.events","detail":{"from":"2026-03-01T00:00:00Z","to":"2026-03-02T00:00:00Z"}}`,
			Request{Backfill: true, From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}, nil},
		{"bare backfill", `{"from":"2026-03-01T00:00:00+01:00","to":"2026-03-02T00:00:00Z"}`,
			Request{Backfill: true, From: time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}, nil},
		{"a future end is cut to now", `{"from":"2026-03-19T00:00:00Z","to":"2026-04-01T00:00:00Z"}`,
			Request{Backfill: true, From: time.Date(2026, 3, 19, 0, 0, 0, 0, time.UTC), To: parseNow}, nil},
		{"from after to", `{"from":"2026-03-02T00:00:00Z","to":"2026-03-01T00:00:00Z"}`, Request{}, []string{"from"}},
		{"range too long names the limit", `{"from":"2026-03-01T00:00:00Z","to":"2026-03-15T00:00:00Z"}`, Request{}, []string{"to"}},
		{"malformed dates", `{"from":"yesterday","to":20260301}`, Request{}, []string{"from", "to"}},
		{"only one end", `{"from":"2026-03-01T00:00:00Z"}`, Request{}, []string{"to"}},
		{"unknown field of a backfill", `{"from":"2026-03-01T00:00:00Z","to":"2026-03-02T00:00:00Z","grain":"day"}`, Request{}, []string{"grain"}},
		{"other event type", `{"detail-type":"Amazon Connect Contact Event","source":"aws.connect","detail":{}}`, Request{}, []string{"detail-type", "source"}},
		{"unknown detail field", `{"detail-type":"Scheduled Event","source":"aws.events","detail":{"since":"x"}}`, Request{}, []string{"detail.since"}},
		{"not an object", `[1,2]`, Request{}, []string{"payload"}},
		{"trailing data", `{} {}`, Request{}, []string{"payload"}},
		{"before retention", `{"from":"2024-01-01T00:00:00Z","to":"2024-01-02T00:00:00Z"}`, Request{}, []string{"from"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Options{}.ParseRequest([]byte(c.payload), parseNow)
			if len(c.problems) == 0 {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if got != c.want {
					t.Errorf("got %+v, want %+v", got, c.want)
				}
				return
			}
			p, ok := apperr.AsProblems(err)
			if !ok {
				t.Fatalf("error %v, want problems on %v", err, c.problems)
			}
			var fields []string
			for _, x := range p {
				fields = append(fields, x.Field)
			}
			slices.Sort(fields)
			if !slices.Equal(fields, c.problems) {
				t.Errorf("problems %v, want fields %v", p, c.problems)
			}
		})
	}
}

func TestParseRequestNamesTheBackfillLimit(t *testing.T) {
	_, err := Options{}.ParseRequest([]byte(`{"from":"2026-03-01T00:00:00Z","to":"2026-03-15T00:00:00Z"}`), parseNow)
	if err == nil || !strings.Contains(err.Error(), "at most 8 days") {
		t.Errorf("error %v, want the 8-day limit named", err)
	}
}

func TestSampleEventParses(t *testing.T) {
	raw, err := os.ReadFile("../../events/rollup/scheduled.json")
	if err != nil {
		t.Fatal(err)
	}
	req, err := Options{}.ParseRequest(raw, parseNow)
	if err != nil || req.Backfill || req.ScheduledAt.IsZero() {
		t.Errorf("sample scheduled event: %+v %v", req, err)
	}
	raw, err = os.ReadFile("../../events/rollup/backfill.json")
	if err != nil {
		t.Fatal(err)
	}
	if req, err := (Options{}).ParseRequest(raw, parseNow); err != nil || !req.Backfill {
		t.Errorf("sample backfill: %+v %v", req, err)
	}
}

func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{"", "{}", `{"from":"2026-03-01T00:00:00Z","to":"2026-03-02T00:00:00Z"}`,
		`{"detail-type":"Scheduled Event","source":"aws.events","time":"2026-03-20T11:45:00Z","detail":{"from":"x"}}`, `[`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		req, err := Options{}.ParseRequest(payload, parseNow)
		if err != nil {
			if _, ok := apperr.AsProblems(err); !ok {
				t.Fatalf("error is not a list of problems: %v", err)
			}
			return
		}
		if req.Backfill {
			if !req.From.Before(req.To) || req.To.After(parseNow) || req.To.Sub(req.From) > DefaultMaxBackfill {
				t.Fatalf("accepted a bad range %+v", req)
			}
		}
	})
}
