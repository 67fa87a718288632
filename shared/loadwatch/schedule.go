package loadwatch

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// ScheduledEvent is what a schedule sends a scheduled job: the EventBridge
// "Scheduled Event" (source aws.events locally, aws.scheduler from
// EventBridge Scheduler in the cloud).
type ScheduledEvent struct {
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Time       time.Time       `json:"time"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// Scheduled-event sources.
const (
	SourceEvents    = "aws.events"
	SourceScheduler = "aws.scheduler"
)

// maxScheduledEventBytes bounds what is read of a scheduled event; the
// real ones are a few hundred bytes.
const maxScheduledEventBytes = 64 << 10

// ParseScheduledEvent reads and checks a scheduled event, naming every
// field that is wrong. A job refuses anything else, so a misrouted event
// (an API request, a stream batch) never runs it.
func ParseScheduledEvent(payload []byte) (ScheduledEvent, error) {
	var p apperr.Problems
	if len(payload) > maxScheduledEventBytes {
		p.Add("event", "is %d bytes; a scheduled event is a few hundred", len(payload))
		return ScheduledEvent{}, p
	}
	var raw struct {
		ID         *string         `json:"id"`
		DetailType *string         `json:"detail-type"`
		Source     *string         `json:"source"`
		Time       *string         `json:"time"`
		Resources  []string        `json:"resources"`
		Detail     json.RawMessage `json:"detail"`
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&raw); err != nil {
		p.Add("event", "is not a JSON object: %v", err)
		return ScheduledEvent{}, p
	}
	if dec.More() {
		p.Add("event", "holds more than one JSON value")
		return ScheduledEvent{}, p
	}
	ev := ScheduledEvent{Resources: raw.Resources, Detail: raw.Detail}
	if raw.ID == nil || *raw.ID == "" {
		p.Add("id", "is required")
	} else {
		ev.ID = *raw.ID
	}
	if raw.DetailType == nil || *raw.DetailType != "Scheduled Event" {
		p.Add("detail-type", `must be "Scheduled Event"`)
	} else {
		ev.DetailType = *raw.DetailType
	}
	if raw.Source == nil || (*raw.Source != SourceEvents && *raw.Source != SourceScheduler) {
		p.Add("source", "must be %s or %s", SourceEvents, SourceScheduler)
	} else {
		ev.Source = *raw.Source
	}
	if raw.Time == nil {
		p.Add("time", "is required")
	} else if t, err := time.Parse(time.RFC3339, *raw.Time); err != nil {
		p.Add("time", "must be an RFC 3339 time, not %q", *raw.Time)
	} else {
		ev.Time = t.UTC()
	}
	if len(raw.Detail) > 0 && raw.Detail[0] != '{' && string(raw.Detail) != "null" {
		p.Add("detail", "must be an object")
	}
	return ev, p.Err()
}
