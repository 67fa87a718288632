package connect

import "encoding/json"

// Kind is which Connect payload a JSON document is.
type Kind string

// Kinds of payload.
const (
	KindUnknown       Kind = ""
	KindFlowEvent     Kind = "flow-event"
	KindContactRecord Kind = "contact-record"
	KindLensEvent     Kind = "lens-event"
	KindContactEvent  Kind = "contact-event"
)

// Sniff tells which Connect payload b looks like, by its top-level fields, so
// a tool given a sample file (or a mixed stream) can pick the decoder. It
// does not validate: decode the payload to check it.
func Sniff(b []byte) Kind {
	var s struct {
		Details            json.RawMessage `json:"Details"`
		Name               string          `json:"Name"`
		FormatVersion      string          `json:"AWSContactTraceRecordFormatVersion"`
		DetailType         string          `json:"detail-type"`
		Source             string          `json:"source"`
		Detail             json.RawMessage `json:"detail"`
		StreamingEventType string          `json:"StreamingEventType"`
		EventType          string          `json:"EventType"`
		ContactID          string          `json:"ContactId"`
		Segments           json.RawMessage `json:"Segments"`
	}
	if json.Unmarshal(b, &s) != nil {
		return KindUnknown
	}
	switch {
	case s.DetailType == ContactEventDetailType, s.Source == ContactEventSource && len(s.Detail) > 0:
		return KindContactEvent
	case s.FormatVersion != "":
		return KindContactRecord
	case len(s.Details) > 0 || s.Name == FlowEventName:
		return KindFlowEvent
	case s.StreamingEventType != "", s.EventType != "" && (s.ContactID != "" || len(s.Segments) > 0):
		return KindLensEvent
	}
	return KindUnknown
}
