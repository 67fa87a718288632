// Package contacts is what Conduit knows of one contact: the facts of its
// contact record (queue wait, talk, hold, after-contact work, agent,
// disconnect reason), what Contact Lens heard (sentiment per participant,
// matched categories and the signals they stand for), its state timeline
// from contact events, and the decision and outcome of the offer functions.
//
// All of it lives on one item of the contacts table. Several functions write
// that item, each only its own attributes, with UpdateItem SET on its own
// attribute paths, so no writer ever overwrites another:
//
//	attribute       written by            notes
//	contactId       everyone              partition key
//	profileId       offer, ctr            if_not_exists; byProfile index
//	day             ctr, contactevents    YYYY-MM-DD (UTC) of initiation; byDay index
//	initiatedAt     ctr, contactevents    TimeLayout; sort key of every index
//	agentUsername   ctr                   byAgent index
//	channel         ctr, contactevents, offer   voice, chat, task, email
//	queue           ctr, offer            queue name
//	facts           ctr                   Facts; newest LastUpdateTimestamp wins
//	lens            speech                Lens; optimistic on lens.version
//	events          contactevents         Events; newest event wins
//	decision        offer                 Decision
//	outcome         outcome               Outcome
//	survey          survey                Survey; the first answer stays
//	repeatWithin7d  ctr                   on a handled contact the same customer contacted again about within 7 days
//	repeatContact   ctr                   on the contact that followed a handled one within 7 days
//	expiresAt       everyone              if_not_exists; epoch seconds; TTL
//
// The package is plain Go: it knows nothing of DynamoDB, Kinesis or Lambda.
package contacts

import (
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/profiles"
)

// Attribute names of the contact item.
const (
	AttrContactID      = "contactId"
	AttrProfileID      = "profileId"
	AttrDay            = "day"
	AttrInitiatedAt    = "initiatedAt"
	AttrAgentUsername  = "agentUsername"
	AttrChannel        = "channel"
	AttrQueue          = "queue"
	AttrFacts          = "facts"
	AttrLens           = "lens"
	AttrEvents         = "events"
	AttrDecision       = "decision"
	AttrOutcome        = "outcome"
	AttrSurvey         = "survey"
	AttrRepeatWithin7d = "repeatWithin7d"
	AttrRepeatContact  = "repeatContact"
	AttrExpiresAt      = "expiresAt"
)

// Retention is how long a contact item is kept after the contact began:
// thirteen months, so a year can be compared with the one before.
const Retention = 396 * 24 * time.Hour

// RepeatWindow is how soon a new contact by the same customer makes an
// earlier handled contact a repeat (DESIGN section 6, FCR).
const RepeatWindow = 7 * 24 * time.Hour

// TimeLayout is how the contact item writes the times used as index sort
// keys and compared in conditions: RFC 3339 in UTC with a fixed number of
// digits, so string order is time order.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// DayLayout is the layout of the day attribute (byDay index).
const DayLayout = "2006-01-02"

// FormatTime writes t in TimeLayout.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// Day is the day attribute of a contact initiated at t.
func Day(t time.Time) string { return t.UTC().Format(DayLayout) }

// ExpiresAt is the expiresAt attribute (epoch seconds) of a contact
// initiated, or first seen, at t.
func ExpiresAt(t time.Time) int64 { return t.Add(Retention).Unix() }

// Contact is the contact item: everything Conduit knows of one contact.
// Nil parts have not been written yet.
type Contact struct {
	ContactID     string    `dynamo:"contactId" json:"contactId"`
	ProfileID     string    `dynamo:"profileId,omitempty" json:"profileId,omitempty"`
	Day           string    `dynamo:"day,omitempty" json:"day,omitempty"`
	InitiatedAt   string    `dynamo:"initiatedAt,omitempty" json:"initiatedAt,omitempty"`
	AgentUsername string    `dynamo:"agentUsername,omitempty" json:"agentUsername,omitempty"`
	Channel       string    `dynamo:"channel,omitempty" json:"channel,omitempty"`
	Queue         string    `dynamo:"queue,omitempty" json:"queue,omitempty"`
	Facts         *Facts    `dynamo:"facts,omitempty" json:"facts,omitempty"`
	Lens          *Lens     `dynamo:"lens,omitempty" json:"lens,omitempty"`
	Events        *Events   `dynamo:"events,omitempty" json:"events,omitempty"`
	Decision      *Decision `dynamo:"decision,omitempty" json:"decision,omitempty"`
	Outcome       *Outcome  `dynamo:"outcome,omitempty" json:"outcome,omitempty"`
	Survey        *Survey   `dynamo:"survey,omitempty" json:"survey,omitempty"`
	// RepeatWithin7d: this handled contact was followed by another contact of
	// the same customer within RepeatWindow, so it does not count as resolved
	// at first contact.
	RepeatWithin7d bool `dynamo:"repeatWithin7d,omitempty" json:"repeatWithin7d,omitempty"`
	// RepeatContact: this contact followed a handled contact of the same
	// customer within RepeatWindow.
	RepeatContact bool  `dynamo:"repeatContact,omitempty" json:"repeatContact,omitempty"`
	ExpiresAt     int64 `dynamo:"expiresAt,omitempty" json:"-"`
}

// Decision is what the offer function decided on the contact (attribute
// "decision", written by offer only).
type Decision struct {
	DecisionID string    `dynamo:"decisionId" json:"decisionId"`
	At         time.Time `dynamo:"at" json:"at"`
	ProfileID  string    `dynamo:"profileId,omitempty" json:"profileId,omitempty"`
	// OfferID is the offer chosen; empty when none was.
	OfferID    string `dynamo:"offerId,omitempty" json:"offerId,omitempty"`
	CampaignID string `dynamo:"campaignId,omitempty" json:"campaignId,omitempty"`
	// Shown: the offer was put in front of the agent (false for holdout and
	// for no offer).
	Shown bool `dynamo:"shown" json:"shown"`
	// Holdout: the customer is in the campaign's control group; OfferID is
	// what would have been offered.
	Holdout bool   `dynamo:"holdout" json:"holdout"`
	Variant string `dynamo:"variant,omitempty" json:"variant,omitempty"`
	// Reason is the reason code of the answer: why this offer, or which gate
	// stopped every offer.
	Reason  string   `dynamo:"reason,omitempty" json:"reason,omitempty"`
	Reasons []string `dynamo:"reasons,omitempty" json:"reasons,omitempty"`
	// Value is the offer's expected value in the catalog's currency.
	Value float64 `dynamo:"value,omitempty" json:"value,omitempty"`
	// Invocations counts offer calls on this contact (a flow may ask again).
	Invocations int `dynamo:"invocations,omitempty" json:"invocations,omitempty"`
}

// Outcomes of an offer.
const (
	OutcomeAccepted = "accepted"
	OutcomeDeclined = "declined"
	OutcomeLater    = "later"
)

// Outcome is what came of the decision (attribute "outcome", written by
// the outcome function only).
type Outcome struct {
	DecisionID string    `dynamo:"decisionId" json:"decisionId"`
	Outcome    string    `dynamo:"outcome" json:"outcome"`
	At         time.Time `dynamo:"at" json:"at"`
	// Value is the value of an accepted offer.
	Value float64 `dynamo:"value,omitempty" json:"value,omitempty"`
	// Source says who recorded it: flow, agent.
	Source string `dynamo:"source,omitempty" json:"source,omitempty"`
}

// Survey is the customer's post-contact survey answer (attribute "survey",
// written by the survey function and the API's survey operation only).
type Survey struct {
	// Score is 1 to 5 (MinSurveyScore to MaxSurveyScore).
	Score int `dynamo:"score" json:"score"`
	// Comment is the customer's own words, if any; never logged.
	Comment string    `dynamo:"comment,omitempty" json:"comment,omitempty"`
	At      time.Time `dynamo:"at" json:"at"`
	// Source says how it was taken: flow, sms, email, web...
	Source string `dynamo:"source,omitempty" json:"source,omitempty"`
}

// ChannelOf turns Connect's channel (VOICE, CHAT, ...) into Conduit's
// (voice, chat, ...), the words profiles and offers use.
func ChannelOf(c connect.Channel) string {
	switch c {
	case connect.Voice:
		return profiles.ChannelVoice
	case connect.Chat:
		return profiles.ChannelChat
	case connect.Task:
		return profiles.ChannelTask
	case connect.Email:
		return profiles.ChannelEmail
	}
	return strings.ToLower(string(c))
}

// QueueID is the id at the end of a queue ARN
// (arn:aws:connect:...:instance/<id>/queue/<queue id>); an id passes through.
func QueueID(arn string) string {
	if i := strings.LastIndex(arn, "/queue/"); i >= 0 {
		return arn[i+len("/queue/"):]
	}
	return arn
}
