package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kintypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/contacts/ingest"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/stream"
)

// TestPublishedContactRecordThroughTheLocalStream puts AWS's published
// example contact record into the local contact-record stream, reads it
// back as the event source mapping would, and finds its queue wait, talk,
// hold and after-contact work on the contact and the contact on the
// caller's profile.
func TestPublishedContactRecordThroughTheLocalStream(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOptions{streams: true})
	ctx := context.Background()
	r.profileFor(t, "p-jane", "+14155550100")
	kin := r.env.Clients.Kinesis
	name := aws.String(r.env.Streams.ContactRecords)
	if _, err := kin.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: name, PartitionKey: aws.String("5ca32fbd-8f92-46af-92a5-6b0f970f0efe"), Data: sample(t, "ctr.json")}); err != nil {
		t.Fatal(err)
	}
	shards, err := kin.ListShards(ctx, &kinesis.ListShardsInput{StreamName: name})
	if err != nil {
		t.Fatal(err)
	}
	it, err := kin.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: name, ShardId: shards.Shards[0].ShardId, ShardIteratorType: kintypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	got, err := kin.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(got.Records) != 1 {
		t.Fatalf("records %d, %v", len(got.Records), err)
	}
	var ev events.KinesisEvent
	for _, k := range got.Records {
		ev.Records = append(ev.Records, events.KinesisEventRecord{
			EventID: aws.ToString(shards.Shards[0].ShardId) + ":" + aws.ToString(k.SequenceNumber), EventSourceArn: "arn:aws:kinesis:local:stream/" + *name,
			Kinesis: events.KinesisRecord{SequenceNumber: aws.ToString(k.SequenceNumber), PartitionKey: aws.ToString(k.PartitionKey),
				Data: k.Data, ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: aws.ToTime(k.ApproximateArrivalTimestamp)}},
		})
	}
	resp, err := r.ctr.Handle(ctx, ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("handle: %+v %v", resp, err)
	}
	c, err := r.contacts.Get(ctx, "5ca32fbd-8f92-46af-92a5-6b0f970f0efe")
	if err != nil {
		t.Fatal(err)
	}
	f := c.Facts
	if f.QueueWaitSeconds != 83 || f.TalkSeconds != 322 || f.HoldSeconds != 38 || f.AfterContactWorkSeconds != 15 || !f.Handled || f.SurveyScore != 5 {
		t.Errorf("facts %+v", f)
	}
	if c.ProfileID != "p-jane" || c.AgentUsername != "agent.jane" || c.Day != "2019-08-21" || c.Queue != "BasicQueue" {
		t.Errorf("contact %+v", c)
	}
	p, err := r.profiles.Get(ctx, "p-jane")
	if err != nil {
		t.Fatal(err)
	}
	if p.ContactCount != 1 || len(p.RecentContacts) != 1 || p.RecentContacts[0].Issue != "high_bill" || !p.RecentContacts[0].Resolved || p.Voice.LastSurveyScore != 5 {
		t.Errorf("profile contacts %+v voice %+v", p.RecentContacts, p.Voice)
	}
}

// snapshot is everything the contact-record consumer leaves behind, for
// comparing two runs.
type snapshot struct {
	Facts    map[string]contacts.Facts
	Flags    map[string][2]bool
	Profiles map[string]profileState
}

type profileState struct {
	Count  int
	Recent []profiles.ContactSummary
	Survey int
}

func (r *rig) snapshot(t *testing.T, records [][]byte, known int) snapshot {
	t.Helper()
	ctx := context.Background()
	s := snapshot{Facts: map[string]contacts.Facts{}, Flags: map[string][2]bool{}, Profiles: map[string]profileState{}}
	for _, b := range records {
		var rec connect.ContactRecord
		_ = json.Unmarshal(b, &rec)
		if _, done := s.Facts[rec.ContactID]; done {
			continue
		}
		c, err := r.contacts.Get(ctx, rec.ContactID)
		if err != nil || c.Facts == nil {
			t.Fatalf("contact %s: %v", rec.ContactID, err)
		}
		s.Facts[rec.ContactID] = *c.Facts
		s.Flags[rec.ContactID] = [2]bool{c.RepeatWithin7d, c.RepeatContact}
	}
	for i := range known {
		p, err := r.profiles.Get(ctx, fmt.Sprintf("p%04d", i))
		if err != nil {
			t.Fatal(err)
		}
		recent := slices.Clone(p.RecentContacts)
		slices.SortFunc(recent, func(a, b profiles.ContactSummary) int { return strings.Compare(a.ContactID, b.ContactID) })
		s.Profiles[p.ID] = profileState{Count: p.ContactCount, Recent: recent, Survey: p.Voice.LastSurveyScore}
	}
	return s
}

func kinesisBatch(records [][]byte, order []int) []events.KinesisEventRecord {
	out := make([]events.KinesisEventRecord, len(order))
	for i, j := range order {
		out[i] = kinesisRecord(i, records[j], day0.Add(time.Duration(j)*time.Second))
	}
	return out
}

// TestReplayInShuffledBatchesWithFailuresMatchesOneCleanPass delivers 1,000
// contact records once, cleanly, in stream order; then delivers the same
// records three times, each time shuffled into batches of random sizes,
// while one DynamoDB write in seven fails (half of them after the
// write happened). Every contact's facts, repeat marks and every profile must
// come out the same. It runs with the idempotency keys and without them, to
// show the consumers' own conditional writes suffice.
func TestReplayInShuffledBatchesWithFailuresMatchesOneCleanPass(t *testing.T) {
	t.Parallel()
	const known = 40
	records := synthetic(1000, 7, known)
	setup := func(t *testing.T, o rigOptions) *rig {
		every := o.failEvery
		o.failEvery = 0
		r := newRig(t, o)
		for i := range known {
			r.profileFor(t, fmt.Sprintf("p%04d", i), fmt.Sprintf("+1415555%04d", i))
		}
		r.db.every = every
		return r
	}

	began := time.Now()
	clean := setup(t, rigOptions{})
	t.Logf("set up in %s", time.Since(began))
	began = time.Now()
	order := make([]int, len(records))
	for i := range order {
		order[i] = i
	}
	for start := 0; start < len(order); start += 100 {
		if retries := deliver(t, clean.ctr.Handle, kinesisBatch(records, order[start:start+100])); retries != 0 {
			t.Fatalf("clean pass needed %d retries", retries)
		}
	}
	t.Logf("clean pass in %s", time.Since(began))
	want := clean.snapshot(t, records, known)
	repeats := 0
	for _, fl := range want.Flags {
		if fl[0] {
			repeats++
		}
	}
	if repeats == 0 {
		t.Fatal("the synthetic records hold no repeat contacts; the test would prove little")
	}

	// Three shuffled passes as the function runs: applied records are not
	// remembered, so every redelivery applies its records again and only
	// the handler's own conditional writes keep the result one clean pass.
	const passes = 3
	r := setup(t, rigOptions{failEvery: 7})
	rng := rand.New(rand.NewPCG(11, passes))
	retries := 0
	for range passes {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for start := 0; start < len(order); {
			size := min(50+rng.IntN(150), len(order)-start)
			retries += deliver(t, r.ctr.Handle, kinesisBatch(records, order[start:start+size]))
			start += size
		}
	}
	if r.db.failed.Load() == 0 || retries == 0 {
		t.Fatalf("no failures were injected (%d) or retried (%d)", r.db.failed.Load(), retries)
	}
	got := r.snapshot(t, records, known)
	for id, f := range want.Facts {
		if !reflect.DeepEqual(got.Facts[id], f) {
			t.Errorf("contact %s facts differ\n got %+v\nwant %+v", id, got.Facts[id], f)
		}
		if got.Flags[id] != want.Flags[id] {
			t.Errorf("contact %s repeat marks %v, want %v", id, got.Flags[id], want.Flags[id])
		}
	}
	for id, p := range want.Profiles {
		if !reflect.DeepEqual(got.Profiles[id], p) {
			t.Errorf("profile %s differs\n got %+v\nwant %+v", id, got.Profiles[id], p)
		}
	}
	t.Logf("%d contacts, %d repeats, %d injected failures, %d redeliveries", len(want.Facts), repeats, r.db.failed.Load(), retries)
}

func ctrJSON(t testing.TB, mutate func(*connect.ContactRecord)) []byte {
	t.Helper()
	rec, err := connect.DecodeContactRecord(sample(t, "ctr.json"))
	if err != nil {
		t.Fatal(err)
	}
	mutate(&rec)
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOlderContactRecordAfterANewerOneChangesNothing(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	r.profileFor(t, "p-jane", "+14155550100")
	newer := ctrJSON(t, func(c *connect.ContactRecord) {
		c.Agent.AfterContactWorkDuration = 40
		c.LastUpdateTimestamp = connect.NewTimestamp(c.LastUpdateTimestamp.Add(5 * time.Minute))
	})
	older := ctrJSON(t, func(c *connect.ContactRecord) {
		c.Agent.AfterContactWorkDuration = 15
		c.Attributes["intent"] = "older_intent"
		delete(c.Attributes, "surveyScore")
	})
	deliver(t, r.ctr.Handle, []events.KinesisEventRecord{kinesisRecord(1, newer, day0)})
	before, _ := r.profiles.Get(ctx, "p-jane")
	deliver(t, r.ctr.Handle, []events.KinesisEventRecord{kinesisRecord(2, older, day0)})
	c, _ := r.contacts.Get(ctx, "5ca32fbd-8f92-46af-92a5-6b0f970f0efe")
	after, _ := r.profiles.Get(ctx, "p-jane")
	if c.Facts.AfterContactWorkSeconds != 40 || c.Facts.Intent != "high_bill" || c.Facts.SurveyScore != 5 {
		t.Errorf("an older record changed the facts: %+v", c.Facts)
	}
	if after.Revision != before.Revision || after.RecentContacts[0].Issue != "high_bill" {
		t.Errorf("an older record changed the profile: revision %d→%d %+v", before.Revision, after.Revision, after.RecentContacts)
	}
	// A newer version that only adds after-contact work updates the facts
	// and writes no profile.
	newest := ctrJSON(t, func(c *connect.ContactRecord) {
		c.Agent.AfterContactWorkDuration = 60
		c.LastUpdateTimestamp = connect.NewTimestamp(c.LastUpdateTimestamp.Add(10 * time.Minute))
	})
	deliver(t, r.ctr.Handle, []events.KinesisEventRecord{kinesisRecord(3, newest, day0)})
	c, _ = r.contacts.Get(ctx, "5ca32fbd-8f92-46af-92a5-6b0f970f0efe")
	last, _ := r.profiles.Get(ctx, "p-jane")
	if c.Facts.AfterContactWorkSeconds != 60 || last.Revision != before.Revision {
		t.Errorf("newest: ACW %d, profile revision %d→%d", c.Facts.AfterContactWorkSeconds, before.Revision, last.Revision)
	}
}

// TestEveryKindOfBadContactRecordIsSkippedAndTheRestApplied checks that a
// batch full of poison records applies its good records, fails nothing,
// and counts each bad one under its reason.
func TestEveryKindOfBadContactRecordIsSkippedAndTheRestApplied(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOptions{maxRecordBytes: 64 << 10})
	good := func(id string) []byte {
		return ctrJSON(t, func(c *connect.ContactRecord) { c.ContactID = id; c.CustomerEndpoint = nil })
	}
	full := string(good("x"))
	bad := map[string][]byte{
		stream.ReasonNotJSON:        []byte("AWSContactTraceRecordFormatVersion=2017-03-10"),
		stream.ReasonTruncated:      []byte(full[:len(full)/2]),
		stream.ReasonUnknownVersion: ctrJSON(t, func(c *connect.ContactRecord) { c.AWSContactTraceRecordFormatVersion = "2099-01-01" }),
		stream.ReasonMissingField:   ctrJSON(t, func(c *connect.ContactRecord) { c.ContactID = "" }),
		stream.ReasonOversized: ctrJSON(t, func(c *connect.ContactRecord) {
			c.Attributes["notes"] = strings.Repeat("long note ", 10000)
		}),
		stream.ReasonInvalid: []byte(`{"AWSContactTraceRecordFormatVersion":"2017-03-10","ContactId":"c-bad","LastUpdateTimestamp":"yesterday"}`),
	}
	noTimestamp := ctrJSON(t, func(c *connect.ContactRecord) { c.LastUpdateTimestamp = connect.Timestamp{} })
	batch := []events.KinesisEventRecord{kinesisRecord(0, good("good-1"), day0)}
	n := 1
	for _, reason := range []string{stream.ReasonNotJSON, stream.ReasonTruncated, stream.ReasonUnknownVersion, stream.ReasonMissingField, stream.ReasonOversized, stream.ReasonInvalid} {
		batch = append(batch, kinesisRecord(n, bad[reason], day0))
		n++
	}
	batch = append(batch, kinesisRecord(n, noTimestamp, day0), kinesisRecord(n+1, good("good-2"), day0))
	resp, err := r.ctr.Handle(context.Background(), events.KinesisEvent{Records: batch})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("%+v %v", resp, err)
	}
	for _, id := range []string{"good-1", "good-2"} {
		if c, err := r.contacts.Get(context.Background(), id); err != nil || c.Facts == nil {
			t.Errorf("%s not applied: %v", id, err)
		}
	}
	want := map[string]int{stream.ReasonNotJSON: 1, stream.ReasonTruncated: 1, stream.ReasonUnknownVersion: 1,
		stream.ReasonMissingField: 2, stream.ReasonOversized: 1, stream.ReasonInvalid: 1}
	if !reflect.DeepEqual(r.skipped.m, want) {
		t.Errorf("skipped %v, want %v", r.skipped.m, want)
	}
	// Redelivered, nothing is counted twice.
	r.ctr.Handle(context.Background(), events.KinesisEvent{Records: batch})
	if !reflect.DeepEqual(r.skipped.m, want) {
		t.Errorf("after redelivery skipped %v", r.skipped.m)
	}
}

func TestRepeatContactWithinSevenDaysMarksBothInEitherOrder(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	r.profileFor(t, "p-jane", "+14155550100")
	at := func(id string, start time.Time) []byte {
		return ctrJSON(t, func(c *connect.ContactRecord) {
			c.ContactID = id
			c.InitiationTimestamp = connect.NewTimestamp(start)
			c.LastUpdateTimestamp = connect.NewTimestamp(start.Add(time.Hour))
		})
	}
	// The later contact's record comes first.
	deliver(t, r.ctr.Handle, []events.KinesisEventRecord{kinesisRecord(1, at("second", day0.Add(72*time.Hour)), day0)})
	deliver(t, r.ctr.Handle, []events.KinesisEventRecord{kinesisRecord(2, at("first", day0), day0)})
	deliver(t, r.ctr.Handle, []events.KinesisEventRecord{kinesisRecord(3, at("third", day0.Add(20*24*time.Hour)), day0)})
	first, _ := r.contacts.Get(ctx, "first")
	second, _ := r.contacts.Get(ctx, "second")
	third, _ := r.contacts.Get(ctx, "third")
	if !first.RepeatWithin7d || first.RepeatContact || !second.RepeatContact || second.RepeatWithin7d || third.RepeatContact || third.RepeatWithin7d {
		t.Errorf("marks: first %v/%v second %v/%v third %v/%v", first.RepeatWithin7d, first.RepeatContact,
			second.RepeatWithin7d, second.RepeatContact, third.RepeatWithin7d, third.RepeatContact)
	}
	p, _ := r.profiles.Get(ctx, "p-jane")
	resolved := map[string]bool{}
	for _, c := range p.RecentContacts {
		resolved[c.ContactID] = c.Resolved
	}
	if resolved["first"] || !resolved["second"] || !resolved["third"] || p.ContactCount != 3 {
		t.Errorf("resolved %v count %d", resolved, p.ContactCount)
	}
}

func FuzzCTRDecode(f *testing.F) {
	f.Add([]byte(`{"AWSContactTraceRecordFormatVersion":"2017-03-10","ContactId":"c","LastUpdateTimestamp":"2019-08-21T17:53:27Z"}`))
	f.Add([]byte(`{"AWSContactTraceRecordFormatVersion":"2017-03-10","ContactId":"c"`))
	f.Add([]byte(`[]`))
	h := &ingest.CTR{}
	f.Fuzz(func(t *testing.T, data []byte) {
		it, err := h.Decode(stream.Record{Data: data})
		if err != nil {
			if _, ok := stream.IsPermanent(err); !ok {
				t.Fatalf("a decoding error must be permanent: %v", err)
			}
			return
		}
		if it.Key == "" || it.Group == "" || it.Value == nil {
			t.Fatalf("decoded without identity: %+v", it)
		}
		contacts.FactsOf(it.Value)
	})
}
