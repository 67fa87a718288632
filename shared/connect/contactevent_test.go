package connect

import (
	"reflect"
	"testing"

	"github.com/conduit-cx/conduit/shared/apperr"
)

func TestContactEventSamples(t *testing.T) {
	const agent = "arn:aws::connect:us-west-2:123456789012:instance/12345678-1234-1234-1234-123456789012/agent/12345678-1234-1234-1234-123456789012"
	const queue = "arn:aws::connect:us-west-2:123456789012:instance/12345678-1234-1234-1234-123456789012/queue/12345678-1234-1234-1234-123456789012"
	cases := []struct {
		file      string
		eventType string
		channel   Channel
		agentARN  string
		queueARN  string
		enqueued  Timestamp
		connected Timestamp
	}{
		{"connect/contact-event-queued.json", EventQueued, Voice, "",
			"arn:aws:connect:us-west-2:111122223333:instance/12345678-1234-1234-1234-123456789012/queue/12345678-1234-1234-1234-123456789012",
			at("2021-08-04T17:29:04Z"), Timestamp{}},
		{"connect/contact-event-connected.json", EventConnectedToAgent, Voice, agent, queue,
			at("2021-08-04T17:29:04Z"), at("2021-08-04T17:29:09Z")},
		// PascalCase QueueInfo/AgentInfo/AgentArn and channel "Voice".
		{"connect/contact-event-disconnected.json", EventDisconnected, Voice, agent, queue,
			at("2021-08-04T17:29:04Z"), at("2021-08-04T17:29:09Z")},
		// PascalCase everything.
		{"connect/contact-event-routing-criteria.json", EventConnectedToAgent, Voice, agent, queue,
			at("2021-08-04T17:29:04Z"), at("2021-08-04T17:29:09Z")},
		{"connect/contact-event-data-updated.json", EventContactDataUpdated, Chat, "",
			"arn:aws:connect:us-west-2:123456789012:instance/12345678-1234-1234-1234-123456789012/queue/12345678-1234-1234-1234-123456789012",
			at("2023-11-01T18:33:03.062Z"), Timestamp{}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			e, err := DecodeContactEvent(sample(t, c.file))
			if err != nil {
				t.Fatal(err)
			}
			d := e.Detail
			if d.EventType != c.eventType || d.Channel != c.channel {
				t.Errorf("event %q channel %q", d.EventType, d.Channel)
			}
			var agentARN string
			var connected Timestamp
			if d.AgentInfo != nil {
				agentARN, connected = d.AgentInfo.AgentARN, d.AgentInfo.ConnectedToAgentTimestamp
			}
			if agentARN != c.agentARN || connected != c.connected {
				t.Errorf("agent %q connected %v", agentARN, connected)
			}
			if d.QueueInfo == nil || d.QueueInfo.QueueARN != c.queueARN || d.QueueInfo.EnqueueTimestamp != c.enqueued {
				t.Errorf("queue %+v", d.QueueInfo)
			}
			if d.Tags["aws:connect:instanceId"] == "" {
				t.Error("tags lost")
			}
		})
	}
}

func TestDisconnectedSampleDetails(t *testing.T) {
	e, err := DecodeContactEvent(sample(t, "connect/contact-event-disconnected.json"))
	if err != nil {
		t.Fatal(err)
	}
	d := e.Detail
	checks := []struct {
		name      string
		got, want any
	}{
		{"event id", e.ID, "7f1e2d3c-4b5a-4968-8776-655443322110"},
		{"time", e.Time, at("2021-08-04T17:43:48Z")},
		{"disconnected", d.DisconnectTimestamp, at("2021-08-04T17:43:37Z")},
		{"greeting", d.CustomerVoiceActivity.GreetingEndTimestamp, at("2021-08-04T17:29:22Z")},
		{"routing profile", d.AgentInfo.RoutingProfileARN != "", true},
		{"queue type", d.QueueInfo.QueueType, "STANDARD"},
		{"tag", d.Tags["Dept"], "Finance"},
		{"resources", len(e.Resources), 3},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestRoutingCriteriaKeptInBothShapes(t *testing.T) {
	arr, err := DecodeContactEvent(sample(t, "connect/contact-event-routing-criteria.json"))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := DecodeContactEvent(sample(t, "connect/contact-event-data-updated.json"))
	if err != nil {
		t.Fatal(err)
	}
	if rc := arr.Detail.RoutingCriteria; len(rc) == 0 || rc[0] != '[' {
		t.Errorf("array routing criteria = %s", rc)
	}
	if rc := obj.Detail.RoutingCriteria; len(rc) == 0 || rc[0] != '{' {
		t.Errorf("object routing criteria = %s", rc)
	}
	if !reflect.DeepEqual(obj.Detail.UpdatedProperties, []string{"RoutingCriteria.Step.Status"}) {
		t.Errorf("updated properties = %v", obj.Detail.UpdatedProperties)
	}
}

func TestDecodeContactEventProblems(t *testing.T) {
	const envelope = `"id":"e-1","source":"aws.connect","detail-type":"Amazon Connect Contact Event"`
	cases := []struct {
		name string
		body string
		want []apperr.Problem
	}{
		{"not json", `{"id":`, []apperr.Problem{{Field: "body", Problem: "not valid JSON"}}},
		{"empty object", `{}`, []apperr.Problem{
			{Field: "id", Problem: "missing"},
			{Field: "source", Problem: `is "", want aws.connect`},
			{Field: "detail-type", Problem: `is "", want Amazon Connect Contact Event`},
			{Field: "detail", Problem: "missing"},
		}},
		{"another service", `{"id":"e","source":"aws.events","detail-type":"Scheduled Event","detail":{}}`, []apperr.Problem{
			{Field: "source", Problem: `is "aws.events"`},
			{Field: "detail-type", Problem: `is "Scheduled Event"`},
			{Field: "detail.contactId", Problem: "missing"},
			{Field: "detail.eventType", Problem: "missing"},
		}},
		{"null detail", `{` + envelope + `,"detail":null}`, []apperr.Problem{{Field: "detail", Problem: "missing"}}},
		{"no contact id", `{` + envelope + `,"detail":{"eventType":"QUEUED"}}`, []apperr.Problem{{Field: "detail.contactId", Problem: "missing"}}},
		{"bad time", `{` + envelope + `,"time":"noon","detail":{"eventType":"QUEUED","contactId":"c"}}`,
			[]apperr.Problem{{Field: "time", Problem: "want an RFC 3339 time"}}},
		{"bad enqueue time", `{` + envelope + `,"detail":{"eventType":"QUEUED","contactId":"c","queueInfo":{"enqueueTimestamp":"x"}}}`,
			[]apperr.Problem{{Field: "detail.queueInfo.enqueueTimestamp", Problem: "want an RFC 3339 time"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeContactEvent([]byte(c.body))
			assertProblems(t, err, c.want)
		})
	}
}

func TestContactEventAcceptsNewEventTypes(t *testing.T) {
	e, err := DecodeContactEvent([]byte(`{"id":"e","source":"aws.connect","detail-type":"Amazon Connect Contact Event","detail":{"eventType":"WEBRTC_API","contactId":"c","channel":"voice"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if e.Detail.EventType != "WEBRTC_API" || e.Detail.Channel != Voice {
		t.Errorf("detail = %+v", e.Detail)
	}
}
