package connect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
)

// Channel is how a contact reached the contact center. Connect writes it as
// VOICE in some places and Voice in others; decoding normalises it to upper
// case so comparisons with the constants below always work.
type Channel string

// Channels Connect documents. Others may appear; they decode unchanged
// (upper-cased).
const (
	Voice Channel = "VOICE"
	Chat  Channel = "CHAT"
	Task  Channel = "TASK"
	Email Channel = "EMAIL"
)

// UnmarshalJSON accepts any casing and surrounding spaces.
func (c *Channel) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s, err := unquote(b, reflect.TypeFor[Channel]())
	if err != nil {
		return err
	}
	*c = Channel(strings.ToUpper(strings.TrimSpace(s)))
	return nil
}

// Timestamp is a point in time as Connect writes it: RFC 3339 in UTC, with
// fractional seconds (contact events, "2021-08-04T17:17:53.000Z") or without
// (contact records, "2019-08-21T17:46:06Z"). null and "" decode to the zero
// Timestamp, which encodes as null (and is left out by omitzero).
type Timestamp struct{ time.Time }

// NewTimestamp returns t as a Timestamp in UTC.
func NewTimestamp(t time.Time) Timestamp { return Timestamp{t.UTC()} }

// UnmarshalJSON parses an RFC 3339 string, with or without fractional seconds.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = Timestamp{}
		return nil
	}
	s, err := unquote(b, reflect.TypeFor[Timestamp]())
	if err != nil {
		return err
	}
	if s == "" {
		*t = Timestamp{}
		return nil
	}
	// time.RFC3339 also accepts fractional seconds when parsing.
	p, err := time.Parse(time.RFC3339, s)
	// An offset can move a time outside years 0000-9999 in UTC, which RFC
	// 3339 cannot write back.
	if u := p.UTC(); err != nil || u.Year() < 0 || u.Year() > 9999 {
		return &json.UnmarshalTypeError{Value: "string " + clip(s), Type: reflect.TypeFor[Timestamp]()}
	}
	t.Time = p.UTC()
	return nil
}

// MarshalJSON writes RFC 3339 in UTC with only the fractional digits needed.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	u := t.UTC()
	if y := u.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("connect.Timestamp: year %d outside 0000-9999 cannot be written in RFC 3339", y)
	}
	b := make([]byte, 0, len(time.RFC3339Nano)+2)
	b = append(b, '"')
	b = u.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

// RawJSON keeps a part of an event Conduit does not model field by field
// (routing criteria, Contact Lens configuration, quality metrics, ...), so it
// is carried along instead of lost. It is stored compact and HTML-escaped,
// exactly as encoding/json writes it back, so decoding is stable.
type RawJSON []byte

// UnmarshalJSON keeps a normalised copy of b; null becomes nil.
func (r *RawJSON) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*r = nil
		return nil
	}
	n, err := normalJSON(b)
	if err != nil {
		return err
	}
	*r = n
	return nil
}

// MarshalJSON writes the kept JSON back; an empty RawJSON is null.
func (r RawJSON) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return r, nil
}

// Endpoint is a customer or contact-center address: a phone number in E.164
// (TELEPHONE_NUMBER), an email address (EMAIL_ADDRESS), ...
type Endpoint struct {
	Address     string `json:"Address,omitempty"`
	Type        string `json:"Type,omitempty"`
	DisplayName string `json:"DisplayName,omitempty"`
}

// Endpoint types Connect documents.
const (
	EndpointPhone = "TELEPHONE_NUMBER"
	EndpointEmail = "EMAIL_ADDRESS"
)

// IsPhone reports whether the endpoint is a telephone number with an address.
func (e *Endpoint) IsPhone() bool {
	return e != nil && e.Address != "" && strings.EqualFold(e.Type, EndpointPhone)
}

// SegmentAttribute is one system-defined attribute of a contact segment, such
// as "connect:Subtype" = {"ValueString": "connect:Chat"}.
type SegmentAttribute struct {
	ValueString  string                      `json:"ValueString,omitempty"`
	ValueInteger *int64                      `json:"ValueInteger,omitempty"`
	ValueArn     string                      `json:"ValueArn,omitempty"`
	ValueMap     map[string]SegmentAttribute `json:"ValueMap,omitempty"`
	ValueList    []SegmentAttribute          `json:"ValueList,omitempty"`
}

// HierarchyGroups is an agent's place in the agent hierarchy (up to 5 levels).
type HierarchyGroups struct {
	Level1 *HierarchyGroup `json:"Level1,omitempty"`
	Level2 *HierarchyGroup `json:"Level2,omitempty"`
	Level3 *HierarchyGroup `json:"Level3,omitempty"`
	Level4 *HierarchyGroup `json:"Level4,omitempty"`
	Level5 *HierarchyGroup `json:"Level5,omitempty"`
}

// HierarchyGroup is one level of the agent hierarchy.
type HierarchyGroup struct {
	ARN       string `json:"ARN,omitempty"`
	GroupName string `json:"GroupName,omitempty"`
}

// Recording is a voice recording, chat transcript or screen recording of a
// contact (contact records' Recording and Recordings, contact events'
// recordings).
type Recording struct {
	DeletionReason      string    `json:"DeletionReason,omitempty"`
	FragmentStartNumber string    `json:"FragmentStartNumber,omitempty"`
	FragmentStopNumber  string    `json:"FragmentStopNumber,omitempty"`
	Location            string    `json:"Location,omitempty"`
	MediaStreamType     string    `json:"MediaStreamType,omitempty"`
	ParticipantType     string    `json:"ParticipantType,omitempty"`
	StartTimestamp      Timestamp `json:"StartTimestamp,omitzero"`
	Status              string    `json:"Status,omitempty"`
	StopTimestamp       Timestamp `json:"StopTimestamp,omitzero"`
	StorageType         string    `json:"StorageType,omitempty"`
	Type                string    `json:"Type,omitempty"`
}

// CustomerVoiceActivity is the greeting an outbound campaign call detected.
type CustomerVoiceActivity struct {
	GreetingStartTimestamp Timestamp `json:"GreetingStartTimestamp,omitzero"`
	GreetingEndTimestamp   Timestamp `json:"GreetingEndTimestamp,omitzero"`
}

// unquote decodes a JSON string literal, answering anything else with an
// UnmarshalTypeError so encoding/json adds the field path to it.
func unquote(b []byte, t reflect.Type) (string, error) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", &json.UnmarshalTypeError{Value: jsonKind(b), Type: t}
	}
	inner := b[1 : len(b)-1]
	// Fast path: no escapes and valid UTF-8 is the string itself.
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return "", err
	}
	return s, nil
}

// jsonKind names the JSON type of a value for error messages.
func jsonKind(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// normalJSON returns b compact and HTML-escaped: the bytes encoding/json
// writes for it, so a decode-encode-decode round trip keeps them equal.
func normalJSON(b []byte) ([]byte, error) {
	var c bytes.Buffer
	c.Grow(len(b))
	if err := json.Compact(&c, b); err != nil {
		return nil, err
	}
	if bytes.IndexAny(c.Bytes(), "<>&\u2028\u2029") < 0 {
		return c.Bytes(), nil
	}
	var h bytes.Buffer
	h.Grow(c.Len() + 16)
	json.HTMLEscape(&h, c.Bytes())
	return h.Bytes(), nil
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return `"` + s + `"`
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return `"` + s[:cut] + `…"`
}
