package contacts

import (
	"strconv"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/connect"
)

// Contact statuses, from the contact center's point of view.
const (
	// StatusHandled: an agent took the contact.
	StatusHandled = "handled"
	// StatusAbandoned: the contact waited in a queue and left before an
	// agent took it.
	StatusAbandoned = "abandoned"
	// StatusNotQueued: the contact never reached a queue (self-service,
	// an outbound call not answered, ...).
	StatusNotQueued = "not_queued"
)

// Contact attributes the contact flow sets from Conduit's answers and from a
// post-contact survey. Each list is read in order and the first attribute
// present wins: the conduit_ spelling first, then the plain one that a flow
// gets by storing $.External.<key> under the same name.
var (
	AttributeDecisionID  = []string{"conduit_decisionId", "decisionId"}
	AttributeOffer       = []string{"conduit_offer", "offer"}
	AttributeOutcome     = []string{"conduit_outcome", "outcome"}
	AttributeIntent      = []string{"conduit_intent", "intent"}
	AttributeSurveyScore = []string{"conduit_surveyScore", "surveyScore"}
)

// Survey scores are on a 1 to 5 scale (DESIGN section 6, CSAT).
const (
	MinSurveyScore = 1
	MaxSurveyScore = 5
)

// Facts is what a contact record says about a contact (attribute "facts",
// written by ctr only). Durations are whole seconds, as Connect reports them.
type Facts struct {
	// LastUpdate is the record's LastUpdateTimestamp: the version of these
	// facts. A record with an older one never replaces them.
	LastUpdate       time.Time `dynamo:"lastUpdate,unixtime" json:"lastUpdate"`
	Channel          string    `dynamo:"channel,omitempty" json:"channel,omitempty"`
	InitiationMethod string    `dynamo:"initiationMethod,omitempty" json:"initiationMethod,omitempty"`
	InitiatedAt      time.Time `dynamo:"initiatedAt,omitempty" json:"initiatedAt,omitzero"`
	DisconnectedAt   time.Time `dynamo:"disconnectedAt,omitempty" json:"disconnectedAt,omitzero"`
	DisconnectReason string    `dynamo:"disconnectReason,omitempty" json:"disconnectReason,omitempty"`

	QueueID    string    `dynamo:"queueId,omitempty" json:"queueId,omitempty"`
	Queue      string    `dynamo:"queue,omitempty" json:"queue,omitempty"`
	EnqueuedAt time.Time `dynamo:"enqueuedAt,omitempty" json:"enqueuedAt,omitzero"`
	// AnsweredAt is when an agent was connected (the contact left the queue
	// to an agent).
	AnsweredAt       time.Time `dynamo:"answeredAt,omitempty" json:"answeredAt,omitzero"`
	QueueWaitSeconds int       `dynamo:"queueWaitSeconds" json:"queueWaitSeconds"`

	AgentUsername  string `dynamo:"agentUsername,omitempty" json:"agentUsername,omitempty"`
	RoutingProfile string `dynamo:"routingProfile,omitempty" json:"routingProfile,omitempty"`
	// TalkSeconds is the agent's time with the customer (AgentInteractionDuration).
	TalkSeconds int `dynamo:"talkSeconds" json:"talkSeconds"`
	// HoldSeconds is the customer's time on hold (CustomerHoldDuration).
	HoldSeconds int `dynamo:"holdSeconds" json:"holdSeconds"`
	Holds       int `dynamo:"holds" json:"holds"`
	// AfterContactWorkSeconds is the agent's wrap-up time.
	AfterContactWorkSeconds int `dynamo:"afterContactWorkSeconds" json:"afterContactWorkSeconds"`
	// HandleSeconds is talk + hold + after-contact work (the AHT numerator).
	HandleSeconds int `dynamo:"handleSeconds" json:"handleSeconds"`

	// Status is handled, abandoned or not_queued.
	Status    string `dynamo:"status" json:"status"`
	Handled   bool   `dynamo:"handled" json:"handled"`
	Abandoned bool   `dynamo:"abandoned" json:"abandoned"`
	// Transferred: the contact was passed on (to another agent, queue or
	// number).
	Transferred       bool   `dynamo:"transferred" json:"transferred"`
	PreviousContactID string `dynamo:"previousContactId,omitempty" json:"previousContactId,omitempty"`
	NextContactID     string `dynamo:"nextContactId,omitempty" json:"nextContactId,omitempty"`
	InitialContactID  string `dynamo:"initialContactId,omitempty" json:"initialContactId,omitempty"`

	// The Conduit attributes the flow set.
	DecisionID string `dynamo:"decisionId,omitempty" json:"decisionId,omitempty"`
	Offer      string `dynamo:"offer,omitempty" json:"offer,omitempty"`
	Outcome    string `dynamo:"outcome,omitempty" json:"outcome,omitempty"`
	Intent     string `dynamo:"intent,omitempty" json:"intent,omitempty"`
	// SurveyScore is the post-contact survey answer (1 to 5), 0 when none.
	SurveyScore int `dynamo:"surveyScore,omitempty" json:"surveyScore,omitempty"`
}

// FactsWrite is what writing a contact record's facts did.
type FactsWrite struct {
	// Contact is the item after the write (as it is, when not Applied).
	Contact Contact
	// Applied: the facts were written; false when facts of a newer record
	// are there.
	Applied bool
	// First: these are the contact's first facts (the item had none, or
	// only these same ones from an earlier try).
	First bool
}

// FactsOf reads the facts of a decoded contact record. Problems with single
// values (a survey score that is not 1 to 5) do not stop the rest: they
// are returned for the caller to log, and the value is left out.
func FactsOf(r *connect.ContactRecord) (Facts, apperr.Problems) {
	var notes apperr.Problems
	f := Facts{
		LastUpdate:        r.LastUpdateTimestamp.Time,
		Channel:           ChannelOf(r.Channel),
		InitiationMethod:  r.InitiationMethod,
		InitiatedAt:       r.InitiationTimestamp.Time,
		DisconnectedAt:    r.DisconnectTimestamp.Time,
		DisconnectReason:  r.DisconnectReason,
		PreviousContactID: r.PreviousContactID,
		NextContactID:     r.NextContactID,
		InitialContactID:  r.InitialContactID,
	}
	if q := r.Queue; q != nil {
		f.QueueID, f.Queue = QueueID(q.ARN), q.Name
		f.EnqueuedAt = q.EnqueueTimestamp.Time
		f.QueueWaitSeconds = q.Duration
		if f.QueueWaitSeconds == 0 && !q.EnqueueTimestamp.IsZero() && !q.DequeueTimestamp.IsZero() {
			f.QueueWaitSeconds = int(q.DequeueTimestamp.Sub(q.EnqueueTimestamp.Time) / time.Second)
		}
	}
	if a := r.Agent; a != nil {
		f.AgentUsername = a.Username
		if a.RoutingProfile != nil {
			f.RoutingProfile = a.RoutingProfile.Name
		}
		f.AnsweredAt = a.ConnectedToAgentTimestamp.Time
		f.TalkSeconds = a.AgentInteractionDuration
		f.HoldSeconds = a.CustomerHoldDuration
		f.Holds = a.NumberOfHolds
		f.AfterContactWorkSeconds = a.AfterContactWorkDuration
	}
	f.HandleSeconds = f.TalkSeconds + f.HoldSeconds + f.AfterContactWorkSeconds
	f.Handled = !f.AnsweredAt.IsZero()
	f.Abandoned = r.Abandoned()
	switch {
	case f.Handled:
		f.Status = StatusHandled
	case f.Abandoned:
		f.Status = StatusAbandoned
	default:
		f.Status = StatusNotQueued
	}
	f.Transferred = !r.TransferCompletedTimestamp.IsZero() || r.TransferredToEndpoint != nil && r.TransferredToEndpoint.Address != "" ||
		r.NextContactID != ""

	f.DecisionID = attribute(r.Attributes, AttributeDecisionID)
	f.Offer = attribute(r.Attributes, AttributeOffer)
	f.Outcome = attribute(r.Attributes, AttributeOutcome)
	f.Intent = strings.ToLower(attribute(r.Attributes, AttributeIntent))
	if raw := attribute(r.Attributes, AttributeSurveyScore); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < MinSurveyScore || n > MaxSurveyScore {
			notes.Add("Attributes.surveyScore", "%q is not a whole number from %d to %d; left out", clip(raw), MinSurveyScore, MaxSurveyScore)
		} else {
			f.SurveyScore = n
		}
	}
	return f, notes
}

// attribute is the first of names present (and not blank) in attrs.
func attribute(attrs map[string]string, names []string) string {
	for _, n := range names {
		if v := strings.TrimSpace(attrs[n]); v != "" {
			return v
		}
	}
	return ""
}

func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
