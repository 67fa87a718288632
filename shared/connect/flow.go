package connect

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// FlowEventName is the Name Connect gives every contact flow invocation.
const FlowEventName = "ContactFlowEvent"

// FlowEvent is what an "Invoke AWS Lambda function" block of a contact flow
// sends: the contact's data, and the block's own function input parameters.
type FlowEvent struct {
	Details *FlowDetails `json:"Details,omitempty"`
	Name    string       `json:"Name,omitempty"`
}

// FlowDetails holds the contact and the block's parameters.
type FlowDetails struct {
	ContactData *ContactData `json:"ContactData,omitempty"`
	Parameters  Parameters   `json:"Parameters,omitzero"`
}

// ContactData is the contact as the flow sees it at the moment of the
// invocation. Chat, task and email contacts carry no phone number, and
// CustomerEndpoint and Queue may be absent or null; QueueNull and
// CustomerEndpointNull tell an explicit null from an absent field.
type ContactData struct {
	// Attributes are the user-defined contact attributes set so far in the
	// flow (Set contact attributes); empty when none are set.
	Attributes        map[string]string           `json:"Attributes,omitzero"`
	Channel           Channel                     `json:"Channel,omitempty"`
	ContactID         string                      `json:"ContactId,omitempty"`
	CustomerEndpoint  *Endpoint                   `json:"CustomerEndpoint,omitempty"`
	CustomerID        string                      `json:"CustomerId,omitempty"`
	Description       string                      `json:"Description,omitempty"`
	InitialContactID  string                      `json:"InitialContactId,omitempty"`
	InitiationMethod  string                      `json:"InitiationMethod,omitempty"`
	InstanceARN       string                      `json:"InstanceARN,omitempty"`
	LanguageCode      string                      `json:"LanguageCode,omitempty"`
	MediaStreams      *MediaStreams               `json:"MediaStreams,omitempty"`
	Name              string                      `json:"Name,omitempty"`
	PreviousContactID string                      `json:"PreviousContactId,omitempty"`
	Queue             *Queue                      `json:"Queue,omitempty"`
	References        map[string]Reference        `json:"References,omitzero"`
	RelatedContactID  string                      `json:"RelatedContactId,omitempty"`
	SegmentAttributes map[string]SegmentAttribute `json:"SegmentAttributes,omitzero"`
	SystemEndpoint    *Endpoint                   `json:"SystemEndpoint,omitempty"`
	Tags              map[string]string           `json:"Tags,omitzero"`

	// QueueNull is true when Connect sent "Queue": null (the contact is in
	// no queue yet) rather than leaving Queue out. Queue is then nil.
	QueueNull bool `json:"-"`
	// CustomerEndpointNull is true when Connect sent "CustomerEndpoint":
	// null (typical of chat) rather than leaving it out.
	CustomerEndpointNull bool `json:"-"`
}

// Queue is the contact's current queue, if any.
type Queue struct {
	ARN              string    `json:"ARN,omitempty"`
	Name             string    `json:"Name,omitempty"`
	OutboundCallerID *Endpoint `json:"OutboundCallerId,omitempty"`
}

// MediaStreams locates the customer's audio in Kinesis Video Streams when
// live media streaming was started in the flow.
type MediaStreams struct {
	Customer *CustomerMedia `json:"Customer,omitempty"`
}

// CustomerMedia is the customer's side of the media streams.
type CustomerMedia struct {
	Audio *AudioStream `json:"Audio,omitempty"`
}

// AudioStream is a Kinesis Video Streams stream and where the contact's audio
// starts and stops in it. Connect sends the timestamps as epoch milliseconds
// in strings; they are kept as sent.
type AudioStream struct {
	StartFragmentNumber string `json:"StartFragmentNumber,omitempty"`
	StartTimestamp      string `json:"StartTimestamp,omitempty"`
	StopFragmentNumber  string `json:"StopFragmentNumber,omitempty"`
	StopTimestamp       string `json:"StopTimestamp,omitempty"`
	StreamARN           string `json:"StreamARN,omitempty"`
}

// Reference is a link attached to a contact (URL, attachment, number, ...).
type Reference struct {
	Type   string `json:"Type,omitempty"`
	Value  string `json:"Value,omitempty"`
	Status string `json:"Status,omitempty"`
	Arn    string `json:"Arn,omitempty"`
}

// Presence says whether an optional object was sent, sent as null, or left out.
type Presence uint8

// Presence values.
const (
	Absent Presence = iota
	Null
	Present
)

func (p Presence) String() string {
	switch p {
	case Null:
		return "null"
	case Present:
		return "present"
	default:
		return "absent"
	}
}

// QueuePresence says whether Queue was sent, sent as null, or left out.
func (c *ContactData) QueuePresence() Presence {
	return presence(c.Queue != nil, c.QueueNull)
}

// CustomerEndpointPresence says whether CustomerEndpoint was sent, sent as
// null, or left out.
func (c *ContactData) CustomerEndpointPresence() Presence {
	return presence(c.CustomerEndpoint != nil, c.CustomerEndpointNull)
}

func presence(set, null bool) Presence {
	switch {
	case set:
		return Present
	case null:
		return Null
	default:
		return Absent
	}
}

// contactDataFields is ContactData without its methods, so the wire types
// below can embed it.
type contactDataFields ContactData

// contactDataWire decodes ContactData in one pass while recording whether
// Queue and CustomerEndpoint were null, and accepting the older
// "Queue": "name" form. Its fields shadow the embedded ones of the same name.
type contactDataWire struct {
	contactDataFields
	Queue            queueField    `json:"Queue"`
	CustomerEndpoint endpointField `json:"CustomerEndpoint"`
}

func (w *contactDataWire) contactData() *ContactData {
	c := (*ContactData)(&w.contactDataFields)
	c.Queue, c.QueueNull = w.Queue.q, w.Queue.null
	c.CustomerEndpoint, c.CustomerEndpointNull = w.CustomerEndpoint.e, w.CustomerEndpoint.null
	return c
}

// flowWire is FlowEvent as decoded: the whole event in one pass of
// encoding/json, with no nested re-scan of ContactData.
type flowWire struct {
	Details *struct {
		ContactData *contactDataWire `json:"ContactData"`
		Parameters  Parameters       `json:"Parameters"`
	} `json:"Details"`
	Name string `json:"Name"`
}

func (w *flowWire) event() FlowEvent {
	e := FlowEvent{Name: w.Name}
	if w.Details != nil {
		e.Details = &FlowDetails{Parameters: w.Details.Parameters}
		if w.Details.ContactData != nil {
			e.Details.ContactData = w.Details.ContactData.contactData()
		}
	}
	return e
}

// UnmarshalJSON decodes the event as DecodeFlowEvent does, without its checks.
func (e *FlowEvent) UnmarshalJSON(b []byte) error {
	var w flowWire
	err := json.Unmarshal(b, &w)
	*e = w.event()
	return unembed(err)
}

// UnmarshalJSON decodes ContactData, recording whether Queue and
// CustomerEndpoint were null.
func (c *ContactData) UnmarshalJSON(b []byte) error {
	var w contactDataWire
	err := json.Unmarshal(b, &w)
	*c = *w.contactData()
	return unembed(err)
}

// MarshalJSON writes Queue and CustomerEndpoint as null when they were null,
// and leaves them out when they were absent, so a round trip keeps the
// difference.
func (c ContactData) MarshalJSON() ([]byte, error) {
	type plain ContactData
	w := struct {
		plain
		Queue            any `json:"Queue,omitempty"`
		CustomerEndpoint any `json:"CustomerEndpoint,omitempty"`
	}{plain: plain(c)}
	if c.Queue != nil {
		w.Queue = c.Queue
	} else if c.QueueNull {
		w.Queue = json.RawMessage("null")
	}
	if c.CustomerEndpoint != nil {
		w.CustomerEndpoint = c.CustomerEndpoint
	} else if c.CustomerEndpointNull {
		w.CustomerEndpoint = json.RawMessage("null")
	}
	return json.Marshal(w)
}

// unembed drops the embedded type's name that encoding/json puts in the
// field path of an error ("ContactData.contactDataFields.Attributes" becomes
// "ContactData.Attributes").
func unembed(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		te.Field = strings.ReplaceAll(te.Field, "contactDataFields.", "")
	}
	return err
}

type queueField struct {
	q    *Queue
	null bool
}

func (f *queueField) UnmarshalJSON(b []byte) error {
	switch b[0] {
	case 'n':
		f.q, f.null = nil, true
		return nil
	case '"':
		// An older documented form names the queue only.
		s, err := unquote(b, reflect.TypeFor[Queue]())
		if err != nil {
			return err
		}
		f.q, f.null = &Queue{Name: s}, false
		return nil
	}
	// A later key (JSON allows repeats, in any casing) replaces an earlier one.
	f.q, f.null = new(Queue), false
	return json.Unmarshal(b, f.q)
}

type endpointField struct {
	e    *Endpoint
	null bool
}

func (f *endpointField) UnmarshalJSON(b []byte) error {
	if b[0] == 'n' {
		f.e, f.null = nil, true
		return nil
	}
	f.e, f.null = new(Endpoint), false
	return json.Unmarshal(b, f.e)
}

// Parameters are the block's "Function input parameters". Older flows send
// strings only; newer flows may send numbers, booleans and nested JSON.
type Parameters map[string]Value

// Value is one parameter: a string, or any other JSON value kept as compact
// JSON. String gives every value as a string either way.
type Value struct {
	s   string
	raw []byte // nil for a JSON string; compact, HTML-escaped JSON otherwise
}

// StringValue returns a string parameter.
func StringValue(s string) Value { return Value{s: s} }

// JSONValue returns a parameter holding any JSON value.
func JSONValue(raw []byte) (Value, error) {
	var v Value
	if err := v.UnmarshalJSON(bytes.TrimSpace(raw)); err != nil {
		return Value{}, err
	}
	return v, nil
}

// String is the value as text: a JSON string unquoted, anything else as its
// compact JSON (10, true, {"a":1}); null is "".
func (v Value) String() string {
	switch {
	case v.raw == nil:
		return v.s
	case string(v.raw) == "null":
		return ""
	default:
		return string(v.raw)
	}
}

// IsString reports whether the value was sent as a JSON string.
func (v Value) IsString() bool { return v.raw == nil }

// JSON is the value as JSON (a string is quoted).
func (v Value) JSON() json.RawMessage {
	b, _ := v.MarshalJSON()
	return b
}

// UnmarshalJSON keeps a string as a string and anything else as compact JSON.
func (v *Value) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		s, err := unquote(b, reflect.TypeFor[Value]())
		if err != nil {
			return err
		}
		*v = Value{s: s}
		return nil
	}
	raw, err := normalJSON(b)
	if err != nil {
		return err
	}
	if len(raw) == 0 {
		return &json.UnmarshalTypeError{Value: "nothing", Type: reflect.TypeFor[Value]()}
	}
	*v = Value{raw: raw}
	return nil
}

// MarshalJSON writes the value back as it came.
func (v Value) MarshalJSON() ([]byte, error) {
	if v.raw != nil {
		return v.raw, nil
	}
	return json.Marshal(v.s)
}

// Get returns a parameter as a string.
func (p Parameters) Get(key string) (string, bool) {
	v, ok := p[key]
	if !ok {
		return "", false
	}
	return v.String(), true
}

// Strings returns every parameter as a string (nested JSON as its text).
func (p Parameters) Strings() map[string]string {
	out := make(map[string]string, len(p))
	for k, v := range p {
		out[k] = v.String()
	}
	return out
}

// DecodeFlowEvent decodes and checks a contact flow invocation. It requires
// Details, Details.ContactData and a ContactId, and a Name of
// ContactFlowEvent when Name is sent. The error is an apperr.Problems naming
// each field at fault. On a JSON error the returned event holds what could be
// read (for logging the contact id), and must not be acted on.
//
// A handler should take the raw payload (json.RawMessage) and call
// DecodeFlowEvent: a malformed event then still gets an answer instead of a
// runtime error, and the payload is scanned once.
func DecodeFlowEvent(b []byte) (FlowEvent, error) {
	var w flowWire
	err := json.Unmarshal(b, &w)
	e := w.event()
	if err != nil {
		return e, decodeProblems(unembed(err))
	}
	return e, e.Validate()
}

// Validate checks what DecodeFlowEvent requires.
func (e FlowEvent) Validate() error {
	var p apperr.Problems
	if e.Name != "" && e.Name != FlowEventName {
		p.Add("Name", "is %s, want %s", clip(e.Name), FlowEventName)
	}
	switch {
	case e.Details == nil:
		p.Add("Details", "missing")
	case e.Details.ContactData == nil:
		p.Add("Details.ContactData", "missing")
	default:
		missing(&p, "Details.ContactData.ContactId", e.Details.ContactData.ContactID)
	}
	return p.Err()
}

// Contact returns the contact data, or nil when the event has none.
func (e FlowEvent) Contact() *ContactData {
	if e.Details == nil {
		return nil
	}
	return e.Details.ContactData
}

// ContactID returns the contact's id, or "".
func (e FlowEvent) ContactID() string {
	if c := e.Contact(); c != nil {
		return c.ContactID
	}
	return ""
}

// Channel returns the contact's channel (upper case), or "".
func (e FlowEvent) Channel() Channel {
	if c := e.Contact(); c != nil {
		return c.Channel
	}
	return ""
}

// CustomerPhone returns the customer's phone number as Connect sent it, when
// the customer endpoint is a telephone number. It is not checked for E.164.
func (e FlowEvent) CustomerPhone() (string, bool) {
	if c := e.Contact(); c != nil && c.CustomerEndpoint.IsPhone() {
		return c.CustomerEndpoint.Address, true
	}
	return "", false
}

// Param returns one of the block's parameters as a string.
func (e FlowEvent) Param(key string) (string, bool) {
	if e.Details == nil {
		return "", false
	}
	return e.Details.Parameters.Get(key)
}

// Params returns the block's parameters as strings (never nil).
func (e FlowEvent) Params() map[string]string {
	if e.Details == nil {
		return map[string]string{}
	}
	return e.Details.Parameters.Strings()
}

// Attribute returns a user-defined contact attribute.
func (e FlowEvent) Attribute(key string) (string, bool) {
	c := e.Contact()
	if c == nil {
		return "", false
	}
	v, ok := c.Attributes[key]
	return v, ok
}

// Lookup returns a block parameter, or else a contact attribute, of that
// name: the block's parameters speak for this invocation, attributes for the
// contact so far.
func (e FlowEvent) Lookup(key string) (string, bool) {
	if v, ok := e.Param(key); ok {
		return v, true
	}
	return e.Attribute(key)
}
