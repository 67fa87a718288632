package connect

import (
	"encoding/json"
	"strings"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// ContactRecordFormats are the contact record format versions this package
// understands. A record of any other version is refused rather than read
// wrongly.
var ContactRecordFormats = []string{"2017-03-10"}

// ContactRecord is a contact record (formerly "contact trace record", CTR) as
// Connect streams it to Kinesis. Connect delivers a contact's record at least
// once and again whenever it changes: the copy with the newest
// LastUpdateTimestamp is the truth. Timestamps carry whole seconds.
type ContactRecord struct {
	AWSAccountID                       string                      `json:"AWSAccountId,omitempty"`
	AWSContactTraceRecordFormatVersion string                      `json:"AWSContactTraceRecordFormatVersion,omitempty"`
	AdditionalEmailRecipients          RawJSON                     `json:"AdditionalEmailRecipients,omitzero"`
	Agent                              *RecordAgent                `json:"Agent,omitempty"`
	AgentConnectionAttempts            int                         `json:"AgentConnectionAttempts,omitempty"`
	AnsweringMachineDetectionStatus    string                      `json:"AnsweringMachineDetectionStatus,omitempty"`
	Attributes                         map[string]string           `json:"Attributes,omitzero"`
	Campaign                           RawJSON                     `json:"Campaign,omitzero"`
	Channel                            Channel                     `json:"Channel,omitempty"`
	ChatMetrics                        RawJSON                     `json:"ChatMetrics,omitzero"`
	ConnectedToSystemTimestamp         Timestamp                   `json:"ConnectedToSystemTimestamp,omitzero"`
	ContactAssociationID               RawJSON                     `json:"ContactAssociationId,omitzero"`
	ContactDetails                     RawJSON                     `json:"ContactDetails,omitzero"`
	ContactEvaluations                 RawJSON                     `json:"ContactEvaluations,omitzero"`
	ContactID                          string                      `json:"ContactId,omitempty"`
	ContactLens                        RawJSON                     `json:"ContactLens,omitzero"`
	Customer                           RawJSON                     `json:"Customer,omitzero"`
	CustomerEndpoint                   *Endpoint                   `json:"CustomerEndpoint,omitempty"`
	CustomerID                         string                      `json:"CustomerId,omitempty"`
	CustomerVoiceActivity              *CustomerVoiceActivity      `json:"CustomerVoiceActivity,omitempty"`
	DisconnectDetails                  *DisconnectDetails          `json:"DisconnectDetails,omitempty"`
	DisconnectReason                   string                      `json:"DisconnectReason,omitempty"`
	DisconnectTimestamp                Timestamp                   `json:"DisconnectTimestamp,omitzero"`
	ExternalThirdParty                 RawJSON                     `json:"ExternalThirdParty,omitzero"`
	InitialContactID                   string                      `json:"InitialContactId,omitempty"`
	InitiationMethod                   string                      `json:"InitiationMethod,omitempty"`
	InitiationTimestamp                Timestamp                   `json:"InitiationTimestamp,omitzero"`
	InstanceARN                        string                      `json:"InstanceARN,omitempty"`
	LastPausedTimestamp                Timestamp                   `json:"LastPausedTimestamp,omitzero"`
	LastResumedTimestamp               Timestamp                   `json:"LastResumedTimestamp,omitzero"`
	LastUpdateTimestamp                Timestamp                   `json:"LastUpdateTimestamp,omitzero"`
	MediaStreams                       []MediaStream               `json:"MediaStreams,omitzero"`
	NextContactID                      string                      `json:"NextContactId,omitempty"`
	OutboundStrategy                   RawJSON                     `json:"OutboundStrategy,omitzero"`
	PreviousContactID                  string                      `json:"PreviousContactId,omitempty"`
	QualityMetrics                     RawJSON                     `json:"QualityMetrics,omitzero"`
	Queue                              *RecordQueue                `json:"Queue,omitempty"`
	Recording                          *Recording                  `json:"Recording,omitempty"`
	Recordings                         []Recording                 `json:"Recordings,omitzero"`
	References                         RawJSON                     `json:"References,omitzero"`
	RelatedContactID                   string                      `json:"RelatedContactId,omitempty"`
	RoutingCriteria                    RawJSON                     `json:"RoutingCriteria,omitzero"`
	ScheduledTimestamp                 Timestamp                   `json:"ScheduledTimestamp,omitzero"`
	SegmentAttributes                  map[string]SegmentAttribute `json:"SegmentAttributes,omitzero"`
	SystemEndpoint                     *Endpoint                   `json:"SystemEndpoint,omitempty"`
	Tags                               map[string]string           `json:"Tags,omitzero"`
	TaskTemplateInfo                   RawJSON                     `json:"TaskTemplateInfo,omitzero"`
	TotalPauseCount                    int                         `json:"TotalPauseCount,omitempty"`
	TotalPauseDurationInSeconds        int                         `json:"TotalPauseDurationInSeconds,omitempty"`
	TransferCompletedTimestamp         Timestamp                   `json:"TransferCompletedTimestamp,omitzero"`
	TransferredToEndpoint              *Endpoint                   `json:"TransferredToEndpoint,omitempty"`
	VoiceIDResult                      RawJSON                     `json:"VoiceIdResult,omitzero"`
	WisdomInfo                         RawJSON                     `json:"WisdomInfo,omitzero"`
}

// RecordAgent is the agent who handled the contact; durations are in whole
// seconds.
type RecordAgent struct {
	ARN                            string           `json:"ARN,omitempty"`
	Username                       string           `json:"Username,omitempty"`
	AcceptedByAgentTimestamp       Timestamp        `json:"AcceptedByAgentTimestamp,omitzero"`
	AfterContactWorkDuration       int              `json:"AfterContactWorkDuration,omitempty"`
	AfterContactWorkEndTimestamp   Timestamp        `json:"AfterContactWorkEndTimestamp,omitzero"`
	AfterContactWorkStartTimestamp Timestamp        `json:"AfterContactWorkStartTimestamp,omitzero"`
	AgentInitiatedHoldDuration     int              `json:"AgentInitiatedHoldDuration,omitempty"`
	AgentInteractionDuration       int              `json:"AgentInteractionDuration,omitempty"`
	AgentPauseDuration             int              `json:"AgentPauseDuration,omitempty"`
	Capabilities                   RawJSON          `json:"Capabilities,omitzero"`
	ConnectedToAgentTimestamp      Timestamp        `json:"ConnectedToAgentTimestamp,omitzero"`
	CustomerHoldDuration           int              `json:"CustomerHoldDuration,omitempty"`
	DeviceInfo                     RawJSON          `json:"DeviceInfo,omitzero"`
	HierarchyGroups                *HierarchyGroups `json:"HierarchyGroups,omitempty"`
	LongestHoldDuration            int              `json:"LongestHoldDuration,omitempty"`
	NumberOfHolds                  int              `json:"NumberOfHolds,omitempty"`
	PreviewEndTimestamp            Timestamp        `json:"PreviewEndTimestamp,omitzero"`
	RoutingProfile                 *RoutingProfile  `json:"RoutingProfile,omitempty"`
	StateTransitions               RawJSON          `json:"StateTransitions,omitzero"`
}

// RoutingProfile is an agent's routing profile.
type RoutingProfile struct {
	ARN  string `json:"ARN,omitempty"`
	Name string `json:"Name,omitempty"`
}

// RecordQueue is the queue a contact waited in. Duration is the whole
// seconds between EnqueueTimestamp and DequeueTimestamp.
type RecordQueue struct {
	ARN              string    `json:"ARN,omitempty"`
	Name             string    `json:"Name,omitempty"`
	EnqueueTimestamp Timestamp `json:"EnqueueTimestamp,omitzero"`
	DequeueTimestamp Timestamp `json:"DequeueTimestamp,omitzero"`
	Duration         int       `json:"Duration,omitempty"`
}

// MediaStream is one kind of media used on the contact (AUDIO, CHAT, ...).
type MediaStream struct {
	Type string `json:"Type,omitempty"`
}

// DisconnectDetails hints at why a call dropped.
type DisconnectDetails struct {
	PotentialDisconnectIssue string `json:"PotentialDisconnectIssue,omitempty"`
}

// Abandoned reports whether the customer left the queue before reaching an
// agent: the record has an enqueue time but no agent connection.
func (r *ContactRecord) Abandoned() bool {
	if r.Queue == nil || r.Queue.EnqueueTimestamp.IsZero() {
		return false
	}
	return r.Agent == nil || r.Agent.ConnectedToAgentTimestamp.IsZero()
}

// DecodeContactRecord decodes and checks a contact record from a Kinesis
// record's data. It requires a ContactId, a LastUpdateTimestamp (the
// deduplication key) and a known AWSContactTraceRecordFormatVersion. The
// error is an apperr.Problems naming each field at fault.
func DecodeContactRecord(b []byte) (ContactRecord, error) {
	var r ContactRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return r, decodeProblems(err)
	}
	return r, r.Validate()
}

// Validate checks what DecodeContactRecord requires.
func (r ContactRecord) Validate() error {
	var p apperr.Problems
	missing(&p, "ContactId", r.ContactID)
	if r.LastUpdateTimestamp.IsZero() {
		p.Add("LastUpdateTimestamp", "missing")
	}
	switch v := r.AWSContactTraceRecordFormatVersion; {
	case isBlank(v):
		p.Add("AWSContactTraceRecordFormatVersion", "missing")
	case !knownFormat(v):
		p.Add("AWSContactTraceRecordFormatVersion", "unsupported format version %s (supported: %s)",
			clip(v), strings.Join(ContactRecordFormats, ", "))
	}
	return p.Err()
}

func knownFormat(v string) bool {
	for _, f := range ContactRecordFormats {
		if v == f {
			return true
		}
	}
	return false
}
