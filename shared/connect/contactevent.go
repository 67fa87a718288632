package connect

import (
	"encoding/json"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// EventBridge source and detail type of a contact event.
const (
	ContactEventSource     = "aws.connect"
	ContactEventDetailType = "Amazon Connect Contact Event"
)

// Contact event types Connect documents. Others (AMD_DISABLED, WEBRTC_API,
// and new ones) decode unchanged.
const (
	EventInitiated          = "INITIATED"
	EventConnectedToSystem  = "CONNECTED_TO_SYSTEM"
	EventContactDataUpdated = "CONTACT_DATA_UPDATED"
	EventQueued             = "QUEUED"
	EventConnectedToAgent   = "CONNECTED_TO_AGENT"
	EventDisconnected       = "DISCONNECTED"
	EventCompleted          = "COMPLETED"
	EventPaused             = "PAUSED"
	EventResumed            = "RESUMED"
)

// ContactEvent is an EventBridge "Amazon Connect Contact Event": a change of a
// contact's state (queued, connected to an agent, disconnected, ...). Events
// arrive unordered and at least once; ID identifies one event.
type ContactEvent struct {
	Version    string              `json:"version,omitempty"`
	ID         string              `json:"id,omitempty"`
	DetailType string              `json:"detail-type,omitempty"`
	Source     string              `json:"source,omitempty"`
	Account    string              `json:"account,omitempty"`
	Time       Timestamp           `json:"time,omitzero"`
	Region     string              `json:"region,omitempty"`
	Resources  []string            `json:"resources,omitzero"`
	Detail     *ContactEventDetail `json:"detail,omitempty"`
}

// ContactEventDetail is the contact as of the event. AWS's samples write its
// fields in camelCase and PascalCase alike; both decode.
type ContactEventDetail struct {
	EventType                       string                      `json:"eventType,omitempty"`
	ContactID                       string                      `json:"contactId,omitempty"`
	InitialContactID                string                      `json:"initialContactId,omitempty"`
	PreviousContactID               string                      `json:"previousContactId,omitempty"`
	RelatedContactID                string                      `json:"relatedContactId,omitempty"`
	Channel                         Channel                     `json:"channel,omitempty"`
	InstanceARN                     string                      `json:"instanceArn,omitempty"`
	InitiationMethod                string                      `json:"initiationMethod,omitempty"`
	InitiationTimestamp             Timestamp                   `json:"initiationTimestamp,omitzero"`
	ConnectedToSystemTimestamp      Timestamp                   `json:"connectedToSystemTimestamp,omitzero"`
	DisconnectTimestamp             Timestamp                   `json:"disconnectTimestamp,omitzero"`
	ScheduledTimestamp              Timestamp                   `json:"scheduledTimestamp,omitzero"`
	QueueInfo                       *QueueInfo                  `json:"queueInfo,omitempty"`
	AgentInfo                       *AgentInfo                  `json:"agentInfo,omitempty"`
	CustomerVoiceActivity           *CustomerVoiceActivity      `json:"customerVoiceActivity,omitempty"`
	AnsweringMachineDetectionStatus string                      `json:"answeringMachineDetectionStatus,omitempty"`
	DisconnectReason                string                      `json:"disconnectReason,omitempty"`
	UpdatedProperties               []string                    `json:"updatedProperties,omitzero"`
	Tags                            map[string]string           `json:"tags,omitzero"`
	SegmentAttributes               map[string]SegmentAttribute `json:"segmentAttributes,omitzero"`
	CustomerID                      string                      `json:"customerId,omitempty"`
	CustomerEndpoint                *Endpoint                   `json:"customerEndpoint,omitempty"`
	SystemEndpoint                  *Endpoint                   `json:"systemEndpoint,omitempty"`
	Recordings                      []Recording                 `json:"recordings,omitzero"`
	ContactDetails                  RawJSON                     `json:"contactDetails,omitzero"`
	ContactLens                     RawJSON                     `json:"contactLens,omitzero"`
	ContactEvaluations              RawJSON                     `json:"contactEvaluations,omitzero"`
	// RoutingCriteria is an array in some AWS samples and an object in
	// others; it is kept as sent.
	RoutingCriteria  RawJSON `json:"routingCriteria,omitzero"`
	Campaign         RawJSON `json:"campaign,omitzero"`
	ChatMetrics      RawJSON `json:"chatMetrics,omitzero"`
	StateTransitions RawJSON `json:"stateTransitions,omitzero"`
	OutboundStrategy RawJSON `json:"outboundStrategy,omitzero"`
}

// QueueInfo is the queue the contact was placed in.
type QueueInfo struct {
	QueueARN         string    `json:"queueArn,omitempty"`
	QueueType        string    `json:"queueType,omitempty"`
	EnqueueTimestamp Timestamp `json:"enqueueTimestamp,omitzero"`
}

// AgentInfo is the agent the contact was assigned to; durations are in whole
// seconds.
type AgentInfo struct {
	AgentARN                       string           `json:"agentArn,omitempty"`
	ConnectedToAgentTimestamp      Timestamp        `json:"connectedToAgentTimestamp,omitzero"`
	AgentInitiatedHoldDuration     int              `json:"agentInitiatedHoldDuration,omitempty"`
	AfterContactWorkStartTimestamp Timestamp        `json:"afterContactWorkStartTimestamp,omitzero"`
	AfterContactWorkEndTimestamp   Timestamp        `json:"afterContactWorkEndTimestamp,omitzero"`
	AfterContactWorkDuration       int              `json:"afterContactWorkDuration,omitempty"`
	AcceptedByAgentTimestamp       Timestamp        `json:"acceptedByAgentTimestamp,omitzero"`
	PreviewEndTimestamp            Timestamp        `json:"previewEndTimestamp,omitzero"`
	HierarchyGroups                *HierarchyGroups `json:"hierarchyGroups,omitempty"`
	RoutingProfileARN              string           `json:"routingProfileArn,omitempty"`
}

// DecodeContactEvent decodes and checks an EventBridge contact event. It
// requires the event id (the deduplication key), source aws.connect, detail
// type "Amazon Connect Contact Event", and a detail with a contactId and an
// eventType. Event types it does not know are accepted, as AWS adds some;
// consumers skip what they do not handle. The error is an apperr.Problems
// naming each field at fault.
func DecodeContactEvent(b []byte) (ContactEvent, error) {
	var e ContactEvent
	if err := json.Unmarshal(b, &e); err != nil {
		return e, decodeProblems(err)
	}
	return e, e.Validate()
}

// Validate checks what DecodeContactEvent requires.
func (e ContactEvent) Validate() error {
	var p apperr.Problems
	missing(&p, "id", e.ID)
	if e.Source != ContactEventSource {
		p.Add("source", "is %s, want %s", clip(e.Source), ContactEventSource)
	}
	if e.DetailType != ContactEventDetailType {
		p.Add("detail-type", "is %s, want %s", clip(e.DetailType), ContactEventDetailType)
	}
	if e.Detail == nil {
		p.Add("detail", "missing")
	} else {
		missing(&p, "detail.contactId", e.Detail.ContactID)
		missing(&p, "detail.eventType", e.Detail.EventType)
	}
	return p.Err()
}
