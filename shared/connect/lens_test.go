package connect

import (
	"reflect"
	"testing"

	"github.com/conduit-cx/conduit/shared/apperr"
)

func TestVoiceLensSegments(t *testing.T) {
	e, err := DecodeLensEvent(sample(t, "connect/lens-segments.json"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Type() != LensSegments || e.Language() != "en-US" || e.Channel != Voice || e.InstanceID == "" {
		t.Errorf("type %q language %q channel %q instance %q", e.Type(), e.Language(), e.Channel, e.InstanceID)
	}
	var utterances, transcripts, categories, summaries int
	var customer *Transcript
	for _, s := range e.Segments {
		switch {
		case s.Utterance != nil:
			utterances++
		case s.Transcript != nil:
			transcripts++
			if s.Transcript.ParticipantRole == RoleCustomer {
				customer = s.Transcript
			}
		case s.Categories != nil:
			categories++
			want := []PointOfInterest{{BeginOffsetMillis: 25000, EndOffsetMillis: 29690}}
			if got := s.Categories.MatchedDetails["CardBrokenIssue"].PointsOfInterest; !reflect.DeepEqual(got, want) {
				t.Errorf("points of interest = %+v", got)
			}
			if !reflect.DeepEqual(s.Categories.MatchedCategories, []string{"CreditCardRelated", "CardBrokenIssue"}) {
				t.Errorf("matched = %v", s.Categories.MatchedCategories)
			}
		case s.PostContactSummary != nil:
			summaries++
		}
	}
	if utterances != 2 || transcripts != 2 || categories != 1 || summaries != 1 {
		t.Errorf("segments: %d utterances, %d transcripts, %d categories, %d summaries", utterances, transcripts, categories, summaries)
	}
	if customer == nil || customer.Sentiment != Negative || len(customer.IssuesDetected) != 1 ||
		*customer.IssuesDetected[0].CharacterOffsets != (CharacterOffsets{0, 81}) {
		t.Errorf("customer transcript = %+v", customer)
	}
	u := e.Segments[0].Utterance
	if u.TranscriptID != "121d1581-905f-4169-9804-b841bb4df04a" || u.PartialContent == "" || u.EndOffsetMillis != 22980 {
		t.Errorf("utterance = %+v", u)
	}
}

func TestChatLensSegments(t *testing.T) {
	e, err := DecodeLensEvent(sample(t, "connect/lens-chat-segments.json"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Type() != LensSegments || e.EventType != "" || e.Language() != "en-US" || e.Channel != Chat {
		t.Errorf("type %q language %q channel %q", e.Type(), e.Language(), e.Channel)
	}
	if len(e.Segments) != 6 {
		t.Fatalf("%d segments", len(e.Segments))
	}
	tr := e.Segments[0].Transcript
	if tr.Time == nil || tr.Time.AbsoluteTime != at("2024-03-14T19:39:26.715Z") || tr.Sentiment != Neutral {
		t.Errorf("transcript = %+v", tr)
	}
	poi := e.Segments[1].Categories.MatchedDetails["Hi"].PointsOfInterest[0]
	if poi.TranscriptItems[0].CharacterOffsets.EndOffsetChar != 40 {
		t.Errorf("point of interest = %+v", poi)
	}
	if got := e.Segments[2].Issues.IssuesDetected[0].TranscriptItems[0].Content; got != "I have an issue with my bank account" {
		t.Errorf("issue = %q", got)
	}
	if got := e.Segments[3].Attachments.Attachments[0].Status; got != "APPROVED" {
		t.Errorf("attachment status = %q", got)
	}
	if got := e.Segments[4].Event.EventType; got != "application/vnd.amazonaws.connect.event.participant.left" {
		t.Errorf("event = %q", got)
	}
}

func TestChatLensCompletedReadsEitherSettingsName(t *testing.T) {
	e, err := DecodeLensEvent(sample(t, "connect/lens-chat-completed.json"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Type() != LensCompleted || e.Language() != "en-US" {
		t.Errorf("type %q language %q", e.Type(), e.Language())
	}
}

func TestLensSentimentAndTypeCasing(t *testing.T) {
	e, err := DecodeLensEvent([]byte(`{"version":"1.0.0","contactId":"c","eventType":"segments","segments":[{"transcript":{"sentiment":"mixed"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if e.Type() != LensSegments || e.Segments[0].Transcript.Sentiment != Mixed {
		t.Errorf("type %q sentiment %q", e.Type(), e.Segments[0].Transcript.Sentiment)
	}
}

func TestLensAcceptsNewEventTypes(t *testing.T) {
	e, err := DecodeLensEvent([]byte(`{"Version":"1.1.0","ContactId":"c","EventType":"PAUSED"}`))
	if err != nil {
		t.Fatal(err)
	}
	if e.Type() != "PAUSED" {
		t.Errorf("type %q", e.Type())
	}
}

func TestDecodeLensEventProblems(t *testing.T) {
	cases := []struct {
		name string
		body string
		want []apperr.Problem
	}{
		{"not json", `not json`, []apperr.Problem{{Field: "body", Problem: "not valid JSON"}}},
		{"nothing", `{}`, []apperr.Problem{
			{Field: "ContactId", Problem: "missing"},
			{Field: "EventType", Problem: "missing"},
			{Field: "Version", Problem: "missing"},
		}},
		{"unknown major version", `{"Version":"3.0.0","ContactId":"c","EventType":"STARTED"}`,
			[]apperr.Problem{{Field: "Version", Problem: "unsupported major version 3"}}},
		{"version not a version", `{"Version":"latest","ContactId":"c","EventType":"STARTED"}`,
			[]apperr.Problem{{Field: "Version", Problem: `"latest" is not a version`}}},
		{"offset not a number", `{"Version":"1.0.0","ContactId":"c","EventType":"SEGMENTS","Segments":[{"Utterance":{"BeginOffsetMillis":"x"}}]}`,
			[]apperr.Problem{{Field: "Segments.Utterance.BeginOffsetMillis", Problem: "got string, want a whole number"}}},
		{"segments not an array", `{"Version":"1.0.0","ContactId":"c","EventType":"SEGMENTS","Segments":{}}`,
			[]apperr.Problem{{Field: "Segments", Problem: "got object, want an array"}}},
		{"sentiment not a string", `{"Version":"1.0.0","ContactId":"c","EventType":"SEGMENTS","Segments":[{"Transcript":{"Sentiment":1}}]}`,
			[]apperr.Problem{{Field: "Segments.Transcript.Sentiment", Problem: "got number, want a string"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeLensEvent([]byte(c.body))
			assertProblems(t, err, c.want)
		})
	}
}
