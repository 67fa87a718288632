package connect

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
)

func at(s string) Timestamp {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return NewTimestamp(t)
}

func TestContactRecordSample(t *testing.T) {
	r, err := DecodeContactRecord(sample(t, "connect/ctr.json"))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"contact", r.ContactID, "5ca32fbd-8f92-46af-92a5-6b0f970f0efe"},
		{"account", r.AWSAccountID, "111122223333"},
		{"channel", r.Channel, Voice},
		{"last update", r.LastUpdateTimestamp, at("2019-08-21T17:53:27Z")},
		{"enqueued", r.Queue.EnqueueTimestamp, at("2019-08-21T17:44:43Z")},
		{"dequeued", r.Queue.DequeueTimestamp, at("2019-08-21T17:46:06Z")},
		{"queue wait", r.Queue.Duration, 83},
		{"queue", r.Queue.Name, "BasicQueue"},
		{"agent", r.Agent.Username, "agent.jane"},
		{"talk", r.Agent.AgentInteractionDuration, 322},
		{"hold", r.Agent.CustomerHoldDuration, 38},
		{"holds", r.Agent.NumberOfHolds, 2},
		{"acw", r.Agent.AfterContactWorkDuration, 15},
		{"connected", r.Agent.ConnectedToAgentTimestamp, at("2019-08-21T17:46:06Z")},
		{"routing profile", r.Agent.RoutingProfile.Name, "Basic Routing Profile"},
		{"hierarchy", r.Agent.HierarchyGroups.Level2.GroupName, "Billing"},
		{"hierarchy level 3 null", r.Agent.HierarchyGroups.Level3, (*HierarchyGroup)(nil)},
		{"disconnect", r.DisconnectReason, "CUSTOMER_DISCONNECT"},
		{"initial contact null", r.InitialContactID, ""},
		{"attribute", r.Attributes["surveyScore"], "5"},
		{"media", r.MediaStreams, []MediaStream{{Type: "AUDIO"}}},
		{"recordings", len(r.Recordings), 1},
		{"recording stop", r.Recordings[0].StopTimestamp, at("2019-08-21T17:52:06Z")},
		{"campaign kept", string(r.Campaign), `{"CampaignId":null}`},
		{"references kept", string(r.References), `[]`},
		{"voice id null", r.VoiceIDResult, RawJSON(nil)},
		{"abandoned", r.Abandoned(), false},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestContactRecordTimestamps(t *testing.T) {
	cases := []struct {
		name string
		ts   string
		want string // RFC 3339 in UTC, "" for zero
	}{
		{"whole seconds", `"2019-08-21T17:46:06Z"`, "2019-08-21T17:46:06Z"},
		{"milliseconds", `"2021-08-04T17:17:53.000Z"`, "2021-08-04T17:17:53Z"},
		{"fraction kept", `"2021-08-04T17:17:53.250Z"`, "2021-08-04T17:17:53.25Z"},
		{"offset made UTC", `"2019-08-21T19:46:06+02:00"`, "2019-08-21T17:46:06Z"},
		{"null", `null`, ""},
		{"empty", `""`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := `{"AWSContactTraceRecordFormatVersion":"2017-03-10","ContactId":"c","LastUpdateTimestamp":"2019-08-21T17:53:27Z","DisconnectTimestamp":` + c.ts + `}`
			r := roundTrip(t, []byte(body), DecodeContactRecord)
			got := ""
			if !r.DisconnectTimestamp.IsZero() {
				got = r.DisconnectTimestamp.Format(time.RFC3339Nano)
			}
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
			if r.DisconnectTimestamp.Location() != time.UTC {
				t.Errorf("location %v, want UTC", r.DisconnectTimestamp.Location())
			}
		})
	}
}

func TestTimestampEncoding(t *testing.T) {
	b, _ := json.Marshal(struct {
		A Timestamp `json:"a"`
		B Timestamp `json:"b,omitzero"`
		C Timestamp `json:"c"`
	}{A: at("2019-08-21T17:46:06Z"), C: Timestamp{}})
	if string(b) != `{"a":"2019-08-21T17:46:06Z","c":null}` {
		t.Errorf("encoded %s", b)
	}
}

func TestTimestampRefusesYearsRFC3339CannotWrite(t *testing.T) {
	ts := NewTimestamp(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
	if _, err := json.Marshal(ts); err == nil {
		t.Error("year 10000 encoded")
	}
}

func TestDecodeContactRecordProblems(t *testing.T) {
	const ok = `"AWSContactTraceRecordFormatVersion":"2017-03-10","ContactId":"c","LastUpdateTimestamp":"2019-08-21T17:53:27Z"`
	cases := []struct {
		name string
		body string
		want []apperr.Problem
	}{
		{"not json", `{"ContactId":`, []apperr.Problem{{Field: "body", Problem: "not valid JSON"}}},
		{"everything missing", `{}`, []apperr.Problem{
			{Field: "ContactId", Problem: "missing"},
			{Field: "LastUpdateTimestamp", Problem: "missing"},
			{Field: "AWSContactTraceRecordFormatVersion", Problem: "missing"},
		}},
		{"no contact id", `{"AWSContactTraceRecordFormatVersion":"2017-03-10","LastUpdateTimestamp":"2019-08-21T17:53:27Z"}`,
			[]apperr.Problem{{Field: "ContactId", Problem: "missing"}}},
		{"no last update", `{"AWSContactTraceRecordFormatVersion":"2017-03-10","ContactId":"c"}`,
			[]apperr.Problem{{Field: "LastUpdateTimestamp", Problem: "missing"}}},
		{"null last update", `{"AWSContactTraceRecordFormatVersion":"2017-03-10","ContactId":"c","LastUpdateTimestamp":null}`,
			[]apperr.Problem{{Field: "LastUpdateTimestamp", Problem: "missing"}}},
		{"bad last update", `{"AWSContactTraceRecordFormatVersion":"2017-03-10","ContactId":"c","LastUpdateTimestamp":"yesterday"}`,
			[]apperr.Problem{{Field: "LastUpdateTimestamp", Problem: `got string "yesterday", want an RFC 3339 time`}}},
		{"epoch last update", `{"AWSContactTraceRecordFormatVersion":"2017-03-10","ContactId":"c","LastUpdateTimestamp":1566409986}`,
			[]apperr.Problem{{Field: "LastUpdateTimestamp", Problem: "got number, want an RFC 3339 time"}}},
		{"bad nested time", `{` + ok + `,"Agent":{"ConnectedToAgentTimestamp":"2019-13-01T00:00:00Z"}}`,
			[]apperr.Problem{{Field: "Agent.ConnectedToAgentTimestamp", Problem: "want an RFC 3339 time"}}},
		{"time out of range in UTC", `{` + ok + `,"DisconnectTimestamp":"0000-01-01T00:30:00+01:00"}`,
			[]apperr.Problem{{Field: "DisconnectTimestamp", Problem: "want an RFC 3339 time"}}},
		{"unknown format", `{"AWSContactTraceRecordFormatVersion":"2099-01-01","ContactId":"c","LastUpdateTimestamp":"2019-08-21T17:53:27Z"}`,
			[]apperr.Problem{{Field: "AWSContactTraceRecordFormatVersion", Problem: `unsupported format version "2099-01-01"`}}},
		{"duration not a number", `{` + ok + `,"Queue":{"Duration":"83"}}`,
			[]apperr.Problem{{Field: "Queue.Duration", Problem: "got string, want a whole number"}}},
		{"duration out of range", `{` + ok + `,"Queue":{"Duration":1e40}}`,
			[]apperr.Problem{{Field: "Queue.Duration", Problem: "want a whole number"}}},
		{"attributes not an object", `{` + ok + `,"Attributes":["a"]}`,
			[]apperr.Problem{{Field: "Attributes", Problem: "got array, want an object"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeContactRecord([]byte(c.body))
			assertProblems(t, err, c.want)
		})
	}
}

func TestAbandoned(t *testing.T) {
	cases := []struct {
		name string
		rec  string
		want bool
	}{
		{"left the queue", `"Queue":{"EnqueueTimestamp":"2019-08-21T17:44:43Z","DequeueTimestamp":"2019-08-21T17:45:10Z"}`, true},
		{"agent without connection time", `"Queue":{"EnqueueTimestamp":"2019-08-21T17:44:43Z"},"Agent":{"ARN":"a"}`, true},
		{"answered", `"Queue":{"EnqueueTimestamp":"2019-08-21T17:44:43Z"},"Agent":{"ConnectedToAgentTimestamp":"2019-08-21T17:46:06Z"}`, false},
		{"never queued", `"Agent":null`, false},
	}
	for _, c := range cases {
		body := `{"AWSContactTraceRecordFormatVersion":"2017-03-10","ContactId":"c","LastUpdateTimestamp":"2019-08-21T17:53:27Z",` + c.rec + `}`
		r, err := DecodeContactRecord([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if r.Abandoned() != c.want {
			t.Errorf("%s: Abandoned = %v, want %v", c.name, r.Abandoned(), c.want)
		}
	}
}

func TestContactRecordChannelCasing(t *testing.T) {
	// Early documentation listed "Voice" and "Chat".
	r, err := DecodeContactRecord([]byte(`{"awsContactTraceRecordFormatVersion":"2017-03-10","contactId":"c","lastUpdateTimestamp":"2019-08-21T17:53:27Z","channel":"Chat"}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.Channel != Chat {
		t.Errorf("channel = %q", r.Channel)
	}
}

func TestRawJSONIsStable(t *testing.T) {
	var r RawJSON
	if err := json.Unmarshal([]byte("{ \"a\" : \"<x>\" ,\n \"b\": [ 1 ] }"), &r); err != nil {
		t.Fatal(err)
	}
	if string(r) != `{"a":"\u003cx\u003e","b":[1]}` {
		t.Errorf("kept %s", r)
	}
	b, _ := json.Marshal(r)
	if string(b) != string(r) {
		t.Errorf("encoded %s", b)
	}
	if !strings.Contains(describe(reflectTypeOf(r)), "JSON") {
		t.Error("describe RawJSON")
	}
}

func reflectTypeOf(v any) reflect.Type { return reflect.TypeOf(v) }
