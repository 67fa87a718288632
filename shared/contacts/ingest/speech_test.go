package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/contacts/ingest"
	"github.com/conduit-cx/conduit/shared/stream"
)

func lensJSON(t testing.TB, contactID string, segs ...connect.LensSegment) []byte {
	t.Helper()
	b, err := json.Marshal(connect.LensEvent{Version: "1.0.0", Channel: connect.Voice, ContactID: contactID, LanguageCode: "en-US",
		EventType: connect.LensSegments, Segments: segs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func transcript(id, role string, offset int64, s connect.Sentiment) connect.LensSegment {
	return connect.LensSegment{Transcript: &connect.Transcript{ID: id, ParticipantID: role, ParticipantRole: role,
		Content: "…", BeginOffsetMillis: offset, EndOffsetMillis: offset + 900, Sentiment: s}}
}

func categories(names ...string) connect.LensSegment {
	d := map[string]connect.CategoryDetails{}
	for i, n := range names {
		d[n] = connect.CategoryDetails{PointsOfInterest: []connect.PointOfInterest{{BeginOffsetMillis: int64(1000 * (i + 1))}}}
	}
	return connect.LensSegment{Categories: &connect.Categories{MatchedCategories: names, MatchedDetails: d}}
}

// TestSpeechPutsSentimentAndSignalsOnContactAndProfile follows one call:
// the contact's lens builds up as segments arrive (so a second offer call
// would see it), and once the contact is linked to the caller's profile the
// life event and the sentiment reach the profile. Redelivered segments
// change nothing.
func TestSpeechPutsSentimentAndSignalsOnContactAndProfile(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	r.profileFor(t, "p-ana", "+14155550111")
	arrived := day0.Add(10 * time.Minute)
	first := []events.KinesisEventRecord{
		kinesisRecord(1, sample(t, "lens-started.json"), arrived),
		kinesisRecord(2, lensJSON(t, "call-1", transcript("t1", "AGENT", 1000, connect.Neutral), transcript("t2", "CUSTOMER", 2000, connect.Neutral)), arrived),
		kinesisRecord(3, lensJSON(t, "call-1", transcript("t3", "CUSTOMER", 5000, connect.Negative), categories("complaint")), arrived),
	}
	deliver(t, r.speech.Handle, first)
	c, err := r.contacts.Get(ctx, "call-1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Lens.Sentiment != "negative" || !c.Lens.Has(contacts.SignalComplaint) || c.Lens.Participants["customer"].Turns != 2 {
		t.Fatalf("lens after first segments: %+v", c.Lens)
	}

	// The offer function links the contact to the caller; the next segments
	// reach the profile.
	if err := r.contacts.SetProfile(ctx, "call-1", "p-ana"); err != nil {
		t.Fatal(err)
	}
	later := day0.Add(12 * time.Minute)
	second := []events.KinesisEventRecord{
		kinesisRecord(4, lensJSON(t, "call-1", transcript("t4", "CUSTOMER", 9000, connect.Positive), categories("life_event_marriage")), later),
		kinesisRecord(5, lensJSON(t, "call-1", transcript("t5", "CUSTOMER", 12000, connect.Positive)), later),
	}
	deliver(t, r.speech.Handle, second)
	// Everything again, as a redelivery would.
	deliver(t, r.speech.Handle, append(first, second...))

	c, _ = r.contacts.Get(ctx, "call-1")
	cust := c.Lens.Participants["customer"]
	if cust.Turns != 4 || cust.Negative != 1 || cust.Positive != 2 || cust.Neutral != 1 || c.Lens.Sentiment != "positive" {
		t.Errorf("customer sentiment %+v, overall %s", cust, c.Lens.Sentiment)
	}
	if len(c.Lens.Categories) != 2 || len(c.Lens.Signals) != 2 {
		t.Errorf("categories %+v signals %+v", c.Lens.Categories, c.Lens.Signals)
	}
	p, err := r.profiles.Get(ctx, "p-ana")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.LifeEvents) != 1 || p.LifeEvents[0].Kind != "marriage" || !p.LifeEvents[0].ExpiresAt.Equal(later.Add(180*24*time.Hour)) {
		t.Errorf("life events %+v", p.LifeEvents)
	}
	if p.LastSentiment != "positive" || !p.LastSentimentAt.Equal(later) {
		t.Errorf("last sentiment %s at %s", p.LastSentiment, p.LastSentimentAt)
	}
}

// TestSpeechUnderFailuresCountsEveryTurnOnce delivers many segments of many
// calls in Lambda batches while one write in five fails, and finds every
// participant's counts exactly as the segments say.
func TestSpeechUnderFailuresCountsEveryTurnOnce(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOptions{failEvery: 5})
	rng := rand.New(rand.NewPCG(3, 3))
	want := map[string]int{}
	var recs []events.KinesisEventRecord
	for i := range 300 {
		call := fmt.Sprintf("call-%02d", i%30)
		offset := int64(1000 * (i/30 + 1))
		s := []connect.Sentiment{connect.Positive, connect.Neutral, connect.Negative}[rng.IntN(3)]
		recs = append(recs, kinesisRecord(i, lensJSON(t, call, transcript(fmt.Sprintf("t%d", i), "CUSTOMER", offset, s)), day0))
		want[call+string(s)]++
	}
	for start := 0; start < len(recs); start += 50 {
		deliver(t, r.speech.Handle, recs[start:start+50])
	}
	if r.db.failed.Load() == 0 {
		t.Fatal("no failures injected")
	}
	for i := range 30 {
		call := fmt.Sprintf("call-%02d", i)
		c, err := r.contacts.Get(context.Background(), call)
		if err != nil {
			t.Fatal(err)
		}
		p := c.Lens.Participants["customer"]
		if p.Turns != 10 || p.Positive != want[call+"POSITIVE"] || p.Neutral != want[call+"NEUTRAL"] || p.Negative != want[call+"NEGATIVE"] {
			t.Errorf("%s: %+v, want %d/%d/%d", call, p, want[call+"POSITIVE"], want[call+"NEUTRAL"], want[call+"NEGATIVE"])
		}
	}
}

func TestLensKeyTellsEventsApart(t *testing.T) {
	a := connect.LensEvent{ContactID: "c", EventType: connect.LensSegments, Segments: []connect.LensSegment{transcript("t1", "AGENT", 1, connect.Neutral)}}
	b := connect.LensEvent{ContactID: "c", EventType: connect.LensSegments, Segments: []connect.LensSegment{transcript("t2", "AGENT", 1, connect.Neutral)}}
	keys := []string{ingest.LensKey(&a), ingest.LensKey(&b), ingest.LensKey(&connect.LensEvent{ContactID: "c", EventType: connect.LensCompleted})}
	if keys[0] == keys[1] || keys[0] != ingest.LensKey(&a) || keys[2] != "c#COMPLETED" {
		t.Errorf("keys %v", keys)
	}
}

func FuzzSpeechDecode(f *testing.F) {
	f.Add([]byte(`{"Version":"1.0.0","ContactId":"c","EventType":"SEGMENTS","Segments":[{"Transcript":{"Id":"t","ParticipantRole":"CUSTOMER","Sentiment":"NEGATIVE"}}]}`))
	f.Add([]byte(`{"Version":"9.0.0","ContactId":"c","EventType":"SEGMENTS"}`))
	f.Add([]byte(`{"Version":"1.0.0","ContactId":"c","EventType":"SEG`))
	h := &ingest.Speech{}
	f.Fuzz(func(t *testing.T, data []byte) {
		it, err := h.Decode(stream.Record{Data: data})
		if err != nil {
			if _, ok := stream.IsPermanent(err); !ok {
				t.Fatalf("a decoding error must be permanent: %v", err)
			}
			return
		}
		if it.Key == "" || it.Group == "" {
			t.Fatalf("decoded without identity: %+v", it)
		}
		var l contacts.Lens
		l.Apply(it.Value, day0, contacts.DefaultSignalTable(), 0)
		l.Apply(it.Value, day0, contacts.DefaultSignalTable(), 0)
	})
}
