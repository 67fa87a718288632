package connect

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// LensEventType is the kind of a Contact Lens real-time analysis event.
type LensEventType string

// Contact Lens event types: one STARTED, zero or more SEGMENTS, then one
// COMPLETED or FAILED per analysis session.
const (
	LensStarted   LensEventType = "STARTED"
	LensSegments  LensEventType = "SEGMENTS"
	LensCompleted LensEventType = "COMPLETED"
	LensFailed    LensEventType = "FAILED"
)

// Sentiment is Contact Lens's reading of one turn of the conversation.
type Sentiment string

// Sentiments Contact Lens reports.
const (
	Positive Sentiment = "POSITIVE"
	Negative Sentiment = "NEGATIVE"
	Neutral  Sentiment = "NEUTRAL"
	Mixed    Sentiment = "MIXED"
)

// Participant roles in a conversation.
const (
	RoleAgent    = "AGENT"
	RoleCustomer = "CUSTOMER"
	RoleSystem   = "SYSTEM"
)

// LensEvent is one Contact Lens real-time analysis event from the Kinesis
// segment stream. Voice events (Version 1.x) carry EventType and
// LanguageCode; chat events (Version 2.x) carry StreamingEventType and the
// language inside StreamingSettings. Type and Language read either.
type LensEvent struct {
	Version      string        `json:"Version,omitempty"`
	Channel      Channel       `json:"Channel,omitempty"`
	AccountID    string        `json:"AccountId,omitempty"`
	InstanceID   string        `json:"InstanceId,omitempty"`
	ContactID    string        `json:"ContactId,omitempty"`
	LanguageCode string        `json:"LanguageCode,omitempty"`
	EventType    LensEventType `json:"EventType,omitempty"`
	Segments     []LensSegment `json:"Segments,omitzero"`

	// Chat (Version 2.x) only.
	StreamingEventType LensEventType      `json:"StreamingEventType,omitempty"`
	OutputType         string             `json:"OutputType,omitempty"`
	StreamingSettings  *StreamingSettings `json:"StreamingSettings,omitempty"`
	// StreamingEventSettings is how AWS's published COMPLETED and FAILED chat
	// samples name StreamingSettings.
	StreamingEventSettings *StreamingSettings `json:"StreamingEventSettings,omitempty"`
}

// StreamingSettings are the Contact Lens settings of a chat contact.
type StreamingSettings struct {
	LanguageCode           string   `json:"LanguageCode,omitempty"`
	Output                 string   `json:"Output,omitempty"`
	RedactionTypes         []string `json:"RedactionTypes,omitzero"`
	RedactionTypesMetadata RawJSON  `json:"RedactionTypesMetadata,omitzero"`
}

// LensSegment is one analysed piece of the conversation; exactly one field is
// set.
type LensSegment struct {
	Utterance          *Utterance          `json:"Utterance,omitempty"`
	Transcript         *Transcript         `json:"Transcript,omitempty"`
	Categories         *Categories         `json:"Categories,omitempty"`
	PostContactSummary *PostContactSummary `json:"PostContactSummary,omitempty"`
	// Chat only.
	Issues      *ChatIssues      `json:"Issues,omitempty"`
	Attachments *ChatAttachments `json:"Attachments,omitempty"`
	Event       *ChatEvent       `json:"Event,omitempty"`
}

// Utterance is a partial transcript of a voice turn, sent as it is spoken; the
// Transcript with TranscriptId completes it.
type Utterance struct {
	ID                string `json:"Id,omitempty"`
	TranscriptID      string `json:"TranscriptId,omitempty"`
	ParticipantID     string `json:"ParticipantId,omitempty"`
	ParticipantRole   string `json:"ParticipantRole,omitempty"`
	PartialContent    string `json:"PartialContent,omitempty"`
	BeginOffsetMillis int64  `json:"BeginOffsetMillis,omitempty"`
	EndOffsetMillis   int64  `json:"EndOffsetMillis,omitempty"`
}

// Transcript is one complete turn with its sentiment.
type Transcript struct {
	ID                string          `json:"Id,omitempty"`
	ParticipantID     string          `json:"ParticipantId,omitempty"`
	ParticipantRole   string          `json:"ParticipantRole,omitempty"`
	DisplayName       string          `json:"DisplayName,omitempty"`
	Content           string          `json:"Content,omitempty"`
	ContentType       string          `json:"ContentType,omitempty"`
	BeginOffsetMillis int64           `json:"BeginOffsetMillis,omitempty"`
	EndOffsetMillis   int64           `json:"EndOffsetMillis,omitempty"`
	Sentiment         Sentiment       `json:"Sentiment,omitempty"`
	IssuesDetected    []IssueDetected `json:"IssuesDetected,omitzero"`
	Time              *ChatTime       `json:"Time,omitempty"`
	Redaction         RawJSON         `json:"Redaction,omitzero"`
}

// IssueDetected marks where in a transcript an issue was heard (voice:
// CharacterOffsets; chat: TranscriptItems).
type IssueDetected struct {
	CharacterOffsets *CharacterOffsets `json:"CharacterOffsets,omitempty"`
	TranscriptItems  []TranscriptItem  `json:"TranscriptItems,omitzero"`
}

// CharacterOffsets locate text inside a transcript.
type CharacterOffsets struct {
	BeginOffsetChar int `json:"BeginOffsetChar"`
	EndOffsetChar   int `json:"EndOffsetChar"`
}

// TranscriptItem points into a chat transcript.
type TranscriptItem struct {
	ID               string            `json:"Id,omitempty"`
	Content          string            `json:"Content,omitempty"`
	CharacterOffsets *CharacterOffsets `json:"CharacterOffsets,omitempty"`
}

// Categories are the Contact Lens rules the conversation matched so far.
type Categories struct {
	MatchedCategories []string                   `json:"MatchedCategories,omitzero"`
	MatchedDetails    map[string]CategoryDetails `json:"MatchedDetails,omitzero"`
}

// CategoryDetails says where a category matched.
type CategoryDetails struct {
	PointsOfInterest []PointOfInterest `json:"PointsOfInterest,omitzero"`
}

// PointOfInterest is one place a category matched (voice: offsets in
// milliseconds; chat: transcript items).
type PointOfInterest struct {
	BeginOffsetMillis int64            `json:"BeginOffsetMillis,omitempty"`
	EndOffsetMillis   int64            `json:"EndOffsetMillis,omitempty"`
	TranscriptItems   []TranscriptItem `json:"TranscriptItems,omitzero"`
}

// PostContactSummary is the generated summary of the contact.
type PostContactSummary struct {
	Content     string `json:"Content,omitempty"`
	Status      string `json:"Status,omitempty"`
	FailureCode string `json:"FailureCode,omitempty"`
}

// ChatTime is when a chat item happened.
type ChatTime struct {
	AbsoluteTime Timestamp `json:"AbsoluteTime,omitzero"`
}

// ChatIssues are issues detected in a chat.
type ChatIssues struct {
	IssuesDetected []IssueDetected `json:"IssuesDetected,omitzero"`
}

// ChatAttachments are files a chat participant sent.
type ChatAttachments struct {
	ID              string           `json:"Id,omitempty"`
	ParticipantID   string           `json:"ParticipantId,omitempty"`
	ParticipantRole string           `json:"ParticipantRole,omitempty"`
	DisplayName     string           `json:"DisplayName,omitempty"`
	Attachments     []ChatAttachment `json:"Attachments,omitzero"`
	Time            *ChatTime        `json:"Time,omitempty"`
}

// ChatAttachment is one attached file.
type ChatAttachment struct {
	AttachmentName string `json:"AttachmentName,omitempty"`
	ContentType    string `json:"ContentType,omitempty"`
	AttachmentID   string `json:"AttachmentId,omitempty"`
	Status         string `json:"Status,omitempty"`
}

// ChatEvent is a chat happening such as a participant joining or leaving.
type ChatEvent struct {
	ID              string    `json:"Id,omitempty"`
	ParticipantID   string    `json:"ParticipantId,omitempty"`
	ParticipantRole string    `json:"ParticipantRole,omitempty"`
	DisplayName     string    `json:"DisplayName,omitempty"`
	EventType       string    `json:"EventType,omitempty"`
	Time            *ChatTime `json:"Time,omitempty"`
}

// Type is the event type, from EventType (voice) or StreamingEventType
// (chat), in upper case.
func (e LensEvent) Type() LensEventType {
	t := e.EventType
	if t == "" {
		t = e.StreamingEventType
	}
	return LensEventType(strings.ToUpper(strings.TrimSpace(string(t))))
}

// Language is the contact's language code, wherever the event carries it.
func (e LensEvent) Language() string {
	switch {
	case e.LanguageCode != "":
		return e.LanguageCode
	case e.StreamingSettings != nil && e.StreamingSettings.LanguageCode != "":
		return e.StreamingSettings.LanguageCode
	case e.StreamingEventSettings != nil:
		return e.StreamingEventSettings.LanguageCode
	}
	return ""
}

// LensVersions are the major schema versions this package understands:
// 1 for voice, 2 for chat.
var LensVersions = []int{1, 2}

// DecodeLensEvent decodes and checks a Contact Lens real-time event from a
// Kinesis record's data. It requires a ContactId, an event type, and a
// Version of a known major version. Event types other than the four known
// ones are accepted, as AWS may add some; consumers skip what they do not
// handle. The error is an apperr.Problems naming each field at fault.
func DecodeLensEvent(b []byte) (LensEvent, error) {
	var e LensEvent
	if err := json.Unmarshal(b, &e); err != nil {
		return e, decodeProblems(err)
	}
	return e, e.Validate()
}

// Validate checks what DecodeLensEvent requires.
func (e LensEvent) Validate() error {
	var p apperr.Problems
	missing(&p, "ContactId", e.ContactID)
	if e.Type() == "" {
		p.Add("EventType", "missing (neither EventType nor StreamingEventType is set)")
	}
	switch major, ok := majorVersion(e.Version); {
	case isBlank(e.Version):
		p.Add("Version", "missing")
	case !ok:
		p.Add("Version", "%s is not a version like 1.0.0", clip(e.Version))
	case !knownLensVersion(major):
		p.Add("Version", "unsupported major version %d (supported: 1 voice, 2 chat)", major)
	}
	return p.Err()
}

func majorVersion(v string) (int, bool) {
	head, _, _ := strings.Cut(strings.TrimSpace(v), ".")
	n, err := strconv.Atoi(head)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

func knownLensVersion(major int) bool {
	for _, v := range LensVersions {
		if v == major {
			return true
		}
	}
	return false
}

// UnmarshalJSON accepts any casing.
func (s *Sentiment) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	v, err := unquote(b, reflect.TypeFor[Sentiment]())
	if err != nil {
		return err
	}
	*s = Sentiment(strings.ToUpper(strings.TrimSpace(v)))
	return nil
}
