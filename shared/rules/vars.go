package rules

import (
	"time"

	"github.com/conduit-cx/conduit/shared/profiles"
)

// Vars is the documented set of variables a rule can read. In a rule they
// are spelled as the cel tags say, e.g.
//
//	"broadband" in profile.products && profile.tenure_months >= 12
//	contact.channel == "voice" && contact.intent == "high_bill"
//	"move" in profile.life_events && profile.life_event_days["move"] <= 60
//	voice.last_survey_score >= 4 || campaign.id == "fibre-upgrade"
type Vars struct {
	Profile  Profile
	Contact  Contact
	Campaign Campaign
	Voice    Voice
}

// Profile is the customer as rules see them (variable `profile`).
type Profile struct {
	// Segments the customer belongs to, e.g. "broadband", "young_family".
	Segments []string `cel:"segments"`
	// TenureMonths is how long they have been a customer, in whole months.
	TenureMonths int `cel:"tenure_months"`
	// Products they hold, e.g. "broadband_100", "mobile".
	Products []string `cel:"products"`
	// ValueTier is one of profiles.ValueTiers ("standard" ... "platinum").
	ValueTier string `cel:"value_tier"`
	// LifeEvents are the kinds of the life events still active, e.g. "move".
	LifeEvents []string `cel:"life_events"`
	// LifeEventDays is the number of whole days since each active life
	// event, by kind. Guard with `"move" in profile.life_event_days`.
	LifeEventDays map[string]int `cel:"life_event_days"`
	// LastSentiment is the last overall sentiment seen on a contact
	// (positive, neutral, mixed, negative), or "".
	LastSentiment string `cel:"last_sentiment"`
	// ContactCount is the number of contacts recorded for the customer.
	ContactCount int `cel:"contact_count"`
	// Language is the customer's preferred language (BCP 47), or "".
	Language string `cel:"language"`
}

// Contact is the contact in progress (variable `contact`).
type Contact struct {
	// Channel is one of profiles.Channels.
	Channel string `cel:"channel"`
	// Queue is the queue name, or "" when the contact was not queued.
	Queue string `cel:"queue"`
	// Intent is what the customer called about, e.g. "high_bill", "move".
	Intent string `cel:"intent"`
	// Language is the contact's language (BCP 47), or "".
	Language string `cel:"language"`
	// Hour is the hour of day, 0-23, in the contact center's time zone.
	Hour int `cel:"hour"`
	// Weekday is the lower-case English day name, e.g. "monday".
	Weekday string `cel:"weekday"`
}

// Campaign is the campaign of the offer being checked (variable `campaign`).
type Campaign struct {
	ID   string `cel:"id"`
	Name string `cel:"name"`
}

// Voice holds voice-of-customer signals (variable `voice`).
type Voice struct {
	// LastSurveyScore is the last survey answer (1-5), 0 when none.
	LastSurveyScore int `cel:"last_survey_score"`
	// LastSocialTopic is the topic of the last social post seen, or "".
	LastSocialTopic string `cel:"last_social_topic"`
}

// ContactFacts is what the decision knows of the contact in progress.
type ContactFacts struct {
	Channel  string
	Queue    string
	Intent   string
	Language string
	// At is when the contact happens; Hour and Weekday come from it in
	// its own location, so pass it in the contact center's time zone.
	At time.Time
}

// VarsFrom builds the variables of a decision from the customer's profile
// and the contact. Compute them once per decision.
func VarsFrom(p profiles.Profile, c ContactFacts, now time.Time) Vars {
	active := p.ActiveLifeEvents(now)
	kinds := make([]string, 0, len(active))
	days := make(map[string]int, len(active))
	for _, e := range active {
		d := 0
		if now.After(e.At) {
			d = int(now.Sub(e.At) / (24 * time.Hour))
		}
		if old, seen := days[e.Kind]; seen {
			days[e.Kind] = min(old, d)
			continue
		}
		kinds = append(kinds, e.Kind)
		days[e.Kind] = d
	}
	at := c.At
	if at.IsZero() {
		at = now
	}
	return Vars{
		Profile: Profile{
			Segments:      nonNil(p.Segments),
			TenureMonths:  p.TenureMonths(now),
			Products:      nonNil(p.Products),
			ValueTier:     p.ValueTier,
			LifeEvents:    kinds,
			LifeEventDays: days,
			LastSentiment: p.LastSentiment,
			ContactCount:  p.ContactCount,
			Language:      p.Language,
		},
		Contact: Contact{
			Channel:  c.Channel,
			Queue:    c.Queue,
			Intent:   c.Intent,
			Language: c.Language,
			Hour:     at.Hour(),
			Weekday:  weekdays[at.Weekday()],
		},
		Voice: Voice{
			LastSurveyScore: p.Voice.LastSurveyScore,
			LastSocialTopic: p.Voice.LastSocialTopic,
		},
	}
}

var weekdays = [...]string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Variable describes one variable for people writing rules (the API's
// rule help and the README).
type Variable struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description"`
}

// Variables documents every variable a rule can read.
var Variables = []Variable{
	{"profile.segments", "list<string>", "segments the customer belongs to"},
	{"profile.tenure_months", "int", "whole months as a customer"},
	{"profile.products", "list<string>", "products the customer holds"},
	{"profile.value_tier", "string", "standard, silver, gold or platinum"},
	{"profile.life_events", "list<string>", "kinds of active life events, e.g. move, marriage, new_baby"},
	{"profile.life_event_days", "map<string,int>", "days since each active life event, by kind"},
	{"profile.last_sentiment", "string", "last overall sentiment: positive, neutral, mixed, negative or empty"},
	{"profile.contact_count", "int", "contacts recorded for the customer"},
	{"profile.language", "string", "preferred language (BCP 47) or empty"},
	{"contact.channel", "string", "voice, chat, task, email or sms"},
	{"contact.queue", "string", "queue name, or empty"},
	{"contact.intent", "string", "why the customer got in touch, e.g. high_bill, move"},
	{"contact.language", "string", "language of the contact (BCP 47) or empty"},
	{"contact.hour", "int", "hour of day 0-23 in the contact center's time zone"},
	{"contact.weekday", "string", "lower-case day name, e.g. monday"},
	{"campaign.id", "string", "id of the offer's campaign"},
	{"campaign.name", "string", "name of the offer's campaign"},
	{"voice.last_survey_score", "int", "last survey answer 1-5, 0 when none"},
	{"voice.last_social_topic", "string", "topic of the last social post seen, or empty"},
}
