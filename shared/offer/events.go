package offer

import (
	"context"
	"time"
)

// Event types on the decisions stream.
const (
	EventDecision = "decision"
	// EventDecisionVoided retracts a decision event whose decision was not
	// recorded after all (the event goes out while the decision is written).
	EventDecisionVoided = "decision_voided"
	EventOutcome        = "outcome"
)

// EventSchemaVersion is the version of Event's shape.
const EventSchemaVersion = 1

// Event is one record of the decisions stream: a decision, its voiding, or
// an outcome. Consumers key on DecisionID; the partition key is the contact
// id, so one contact's events stay in order.
type Event struct {
	SchemaVersion int       `json:"schemaVersion"`
	Type          string    `json:"type"`
	DecisionID    string    `json:"decisionId"`
	ContactID     string    `json:"contactId"`
	ProfileID     string    `json:"profileId,omitempty"`
	At            time.Time `json:"at"`
	Channel       string    `json:"channel,omitempty"`
	Queue         string    `json:"queue,omitempty"`
	OfferID       string    `json:"offerId,omitempty"`
	CampaignID    string    `json:"campaignId,omitempty"`
	Variant       string    `json:"variant,omitempty"`
	Shown         bool      `json:"shown"`
	Holdout       bool      `json:"holdout"`
	Reason        string    `json:"reason,omitempty"`
	// Outcome (accepted, declined, later) and Value are set on outcome events.
	Outcome string  `json:"outcome,omitempty"`
	Value   float64 `json:"value,omitempty"`
}

// Publisher sends decision and outcome events to the decisions stream.
type Publisher interface {
	Publish(ctx context.Context, events ...Event) error
}
