package voice

import "time"

// The routed-post event, in EventBridge terms: a rule matching
// {"source": ["conduit.voice"], "detail-type": ["Social Post Routed"]} and,
// say, {"detail": {"route": ["service"]}} picks up the care team's posts.
const (
	EventSource     = "conduit.voice"
	EventDetailType = "Social Post Routed"
	// EventType names the record on the decisions stream, beside the offer
	// events ("decision", "decision_voided", "outcome").
	EventType          = "social_post_routed"
	EventSchemaVersion = 1
)

// RoutedEvent is one routed post. It carries the EventBridge envelope's
// source and detail type, so that a pipe from the stream to a bus (or a
// direct PutEvents) needs no reshaping: Detail is the event's detail.
// Consumers dedupe on ID: the same post is published again when a retried
// ingest finds it stored but not yet published.
type RoutedEvent struct {
	SchemaVersion int        `json:"schemaVersion"`
	Type          string     `json:"type"`
	ID            string     `json:"id"`
	Source        string     `json:"source"`
	DetailType    string     `json:"detailType"`
	Time          time.Time  `json:"time"`
	Detail        RoutedPost `json:"detail"`
}

// RoutedPost is the event's detail: the post, its triage and the author's
// profile when known. It carries no handle, only what a care agent or a
// marketing tool needs to find the post on its network and act on it.
type RoutedPost struct {
	Network        string    `json:"network"`
	PostID         string    `json:"postId"`
	ProfileID      string    `json:"profileId,omitempty"`
	Text           string    `json:"text"`
	Language       string    `json:"language,omitempty"`
	Followers      int64     `json:"followers"`
	PostedAt       time.Time `json:"postedAt"`
	ReceivedAt     time.Time `json:"receivedAt"`
	Route          Route     `json:"route"`
	Priority       string    `json:"priority,omitempty"`
	Action         string    `json:"action,omitempty"`
	Topic          string    `json:"topic"`
	Topics         []string  `json:"topics"`
	Severity       Severity  `json:"severity"`
	Urgency        Urgency   `json:"urgency"`
	OpensComplaint bool      `json:"opensComplaint"`
	Reasons        []string  `json:"reasons"`
	RulesVersion   string    `json:"rulesVersion"`
}

// EventOf is the routed event of a stored post.
func EventOf(p Post) RoutedEvent {
	t := p.Triage
	return RoutedEvent{
		SchemaVersion: EventSchemaVersion, Type: EventType, ID: "social#" + p.Key(),
		Source: EventSource, DetailType: EventDetailType, Time: p.ReceivedAt,
		Detail: RoutedPost{
			Network: p.Network, PostID: p.PostID, ProfileID: p.ProfileID, Text: p.Text, Language: p.Language,
			Followers: p.Followers, PostedAt: p.PostedAt, ReceivedAt: p.ReceivedAt,
			Route: t.Route, Priority: t.Priority, Action: t.Action, Topic: t.Topic, Topics: t.Topics,
			Severity: t.Severity, Urgency: t.Urgency, OpensComplaint: t.OpensComplaint, Reasons: t.Reasons,
			RulesVersion: t.RulesVersion,
		},
	}
}
