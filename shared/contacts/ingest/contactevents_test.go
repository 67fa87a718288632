package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/stream"
)

func contactEventJSON(t testing.TB, id, contactID, typ, queue string, at time.Time) []byte {
	t.Helper()
	d := &connect.ContactEventDetail{EventType: typ, ContactID: contactID, Channel: connect.Voice, InitiationMethod: "INBOUND",
		InitiationTimestamp: connect.NewTimestamp(day0)}
	if queue != "" {
		d.QueueInfo = &connect.QueueInfo{QueueARN: "arn:aws:connect:us-west-2:1:instance/i/queue/" + queue, QueueType: "STANDARD"}
	}
	switch typ {
	case connect.EventQueued:
		d.QueueInfo.EnqueueTimestamp = connect.NewTimestamp(at)
	case connect.EventConnectedToAgent:
		d.AgentInfo = &connect.AgentInfo{AgentARN: "arn:agent", ConnectedToAgentTimestamp: connect.NewTimestamp(at)}
	case connect.EventDisconnected:
		d.DisconnectTimestamp = connect.NewTimestamp(at)
		d.DisconnectReason = "CUSTOMER_DISCONNECT"
	case connect.EventInitiated:
		d.InitiationTimestamp = connect.NewTimestamp(at)
	}
	b, err := json.Marshal(connect.ContactEvent{Version: "0", ID: id, DetailType: connect.ContactEventDetailType, Source: connect.ContactEventSource,
		Account: "111122223333", Time: connect.NewTimestamp(at.Truncate(time.Second)), Region: "us-west-2", Detail: d})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestContactEventsOutOfOrderKeepQueueCountersRight plays the events of
// 120 contacts (queued, some answered, some abandoned, some still waiting,
// some moved to another queue) shuffled, each delivered twice, while one
// write in six fails and Lambda retries: the queues' waiting lists end up
// exactly the contacts still waiting, with the time they were queued.
func TestContactEventsOutOfOrderKeepQueueCountersRight(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOptions{failEvery: 6})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 5))
	now := time.Now().UTC().Truncate(time.Millisecond)
	type delivery struct{ raw []byte }
	var all []delivery
	want := map[string][]string{}
	since := map[string]time.Time{}
	for i := range 120 {
		id := fmt.Sprintf("ev-contact-%03d", i)
		start := now.Add(-time.Duration(30+rng.IntN(600)) * time.Second)
		queue := fmt.Sprintf("queue-%d", rng.IntN(2))
		add := func(typ, q string, at time.Time) {
			all = append(all, delivery{contactEventJSON(t, fmt.Sprintf("%s-%s-%d", id, typ, at.UnixMilli()), id, typ, q, at)})
		}
		add(connect.EventInitiated, "", start)
		queued := start.Add(2 * time.Second)
		add(connect.EventQueued, queue, queued)
		if rng.IntN(6) == 0 {
			queue = "queue-moved"
			queued = queued.Add(5 * time.Second)
			add(connect.EventQueued, queue, queued)
		}
		switch rng.IntN(3) {
		case 0: // answered
			add(connect.EventConnectedToAgent, queue, queued.Add(10*time.Second))
			add(connect.EventDisconnected, queue, queued.Add(20*time.Second))
		case 1: // abandoned in queue
			add(connect.EventDisconnected, queue, queued.Add(15*time.Second))
		default: // still waiting
			want[queue] = append(want[queue], id)
			since[id] = queued
		}
		// Events the timeline does not order arrive too.
		add(connect.EventContactDataUpdated, "", start.Add(time.Second))
	}
	all = append(all, all...)
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	for _, d := range all {
		for attempt := 0; ; attempt++ {
			err := r.events.Handle(ctx, d.raw)
			if err == nil {
				break
			}
			if attempt > 30 {
				t.Fatalf("event still failing: %v", err)
			}
		}
	}
	if r.db.failed.Load() == 0 {
		t.Fatal("no failures injected")
	}
	for _, q := range []string{"queue-0", "queue-1", "queue-moved"} {
		list, err := r.contacts.QueueWaiting(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range list {
			got = append(got, e.ContactID)
			if !e.Since.Equal(since[e.ContactID]) {
				t.Errorf("%s waits since %s, want %s", e.ContactID, e.Since, since[e.ContactID])
			}
		}
		slices.Sort(got)
		slices.Sort(want[q])
		if !slices.Equal(got, want[q]) {
			t.Errorf("%s waiting\n got %v\nwant %v", q, got, want[q])
		}
		n, oldest, err := r.contacts.QueueCounters(ctx, q)
		if err != nil || n != len(want[q]) || (n > 0 && oldest < 10*time.Second) {
			t.Errorf("%s counters %d %s %v", q, n, oldest, err)
		}
	}
	c, err := r.contacts.Get(ctx, "ev-contact-000")
	if err != nil || c.Events == nil || c.Events.States[connect.EventInitiated].IsZero() || c.Events.States[connect.EventQueued].IsZero() {
		t.Errorf("timeline %+v %v", c.Events, err)
	}
	if c.Day != contacts.Day(day0) || c.Channel != "voice" {
		t.Errorf("index attributes %q %q", c.Day, c.Channel)
	}
}

func TestBadContactEventsAreSkippedWithAReason(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOptions{})
	good := contactEventJSON(t, "e1", "c1", connect.EventQueued, "q1", time.Now().UTC())
	cases := map[string][]byte{
		"not json":          []byte("QUEUED c1"),
		"truncated":         good[:len(good)-10],
		"no event id":       []byte(`{"source":"aws.connect","detail-type":"Amazon Connect Contact Event","detail":{"contactId":"c1","eventType":"QUEUED"}}`),
		"another source":    []byte(`{"id":"x","source":"aws.ec2","detail-type":"EC2 Instance State-change Notification","detail":{"contactId":"c1","eventType":"QUEUED"}}`),
		"no time anywhere":  []byte(`{"id":"x2","source":"aws.connect","detail-type":"Amazon Connect Contact Event","detail":{"contactId":"c1","eventType":"DISCONNECTED"}}`),
		"wrongly typed":     []byte(`{"id":"x3","source":"aws.connect","detail-type":"Amazon Connect Contact Event","time":"soon","detail":{"contactId":"c1","eventType":"QUEUED"}}`),
		"detail not object": []byte(`{"id":"x4","source":"aws.connect","detail-type":"Amazon Connect Contact Event","detail":"QUEUED"}`),
	}
	for name, raw := range cases {
		if err := r.events.Handle(context.Background(), raw); err != nil {
			t.Errorf("%s: %v (a bad event must be skipped, not retried)", name, err)
		}
	}
	want := map[string]int{stream.ReasonNotJSON: 1, stream.ReasonTruncated: 1, stream.ReasonMissingField: 2, stream.ReasonInvalid: 3}
	for reason, n := range want {
		if r.skipped.m[reason] != n {
			t.Errorf("skipped %v, want %v", r.skipped.m, want)
			break
		}
	}
	if err := r.events.Handle(context.Background(), good); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := r.contacts.QueueCounters(context.Background(), "q1"); n != 1 {
		t.Errorf("the good event was not applied: %d waiting", n)
	}
}
