package decide

import (
	"math"
	"slices"
)

// Policy holds the contact-center's settings for every decision. A zero
// field takes the documented default; a negative limit switches that check
// off. DefaultPolicy shows every default.
type Policy struct {
	// Channels on which offers are made at all (lower case: voice, chat,
	// task, email, sms). Default: voice and chat.
	Channels []string `json:"channels,omitempty"`
	// RequireOptIn makes offers only to customers with an explicit opt-in on
	// the contact's channel (so never to anonymous callers). Default: off,
	// only an opt-out stops offers.
	RequireOptIn bool `json:"requireOptIn,omitempty"`

	// MaxOffersPerWindow is how many offers a customer may be shown within
	// FrequencyWindowDays (holdout decisions do not count). Default 3 in 30 days.
	MaxOffersPerWindow  int `json:"maxOffersPerWindow,omitempty"`
	FrequencyWindowDays int `json:"frequencyWindowDays,omitempty"`
	// AcceptedSuppressionDays keeps an offer away from a customer who
	// accepted it this many days ago (they have it). Default 90, the
	// profile's whole offer history.
	AcceptedSuppressionDays int `json:"acceptedSuppressionDays,omitempty"`

	// Empathy look-backs.
	// RecentNegativeHours: negative sentiment on a contact this recent stops
	// offers. Default 24.
	RecentNegativeHours int `json:"recentNegativeHours,omitempty"`
	// RepeatContactDays: an earlier contact about the same issue this recent
	// makes this one a repeat contact. Default 7, the FCR window.
	RepeatContactDays int `json:"repeatContactDays,omitempty"`
	// LowSurveyScore and LowSurveyDays: a survey score at or below this (on
	// 1-5) within these days stops offers. Default 2 within 30 days.
	LowSurveyScore int `json:"lowSurveyScore,omitempty"`
	LowSurveyDays  int `json:"lowSurveyDays,omitempty"`
	// OpenComplaintDays: a social complaint opened this recently counts as
	// open. Default 30.
	OpenComplaintDays int `json:"openComplaintDays,omitempty"`
	// ComplaintIntents and CancelIntents are contact intents that stop
	// offers. Defaults: complaint; cancel, cancellation, close_account.
	ComplaintIntents []string `json:"complaintIntents,omitempty"`
	CancelIntents    []string `json:"cancelIntents,omitempty"`

	// Arbitration.
	// IntentBoost multiplies the context weight of an offer made for the
	// contact's intent; LifeEventBoost of an offer made for one of the
	// customer's active life events. Defaults 2 and 1.5.
	IntentBoost    float64 `json:"intentBoost,omitempty"`
	LifeEventBoost float64 `json:"lifeEventBoost,omitempty"`
	// PriorAcceptance and PriorStrength are the Beta prior of the acceptance
	// rate: a new offer starts at PriorAcceptance and its own outcomes
	// outweigh the prior once it has been shown about PriorStrength times.
	// Defaults 0.1 and 20, that is Beta(2, 18).
	PriorAcceptance float64 `json:"priorAcceptance,omitempty"`
	PriorStrength   float64 `json:"priorStrength,omitempty"`
}

// Defaults of Policy.
const (
	DefaultMaxOffersPerWindow      = 3
	DefaultFrequencyWindowDays     = 30
	DefaultAcceptedSuppressionDays = 90
	DefaultRecentNegativeHours     = 24
	DefaultRepeatContactDays       = 7
	DefaultLowSurveyScore          = 2
	DefaultLowSurveyDays           = 30
	DefaultOpenComplaintDays       = 30
	DefaultIntentBoost             = 2.0
	DefaultLifeEventBoost          = 1.5
	DefaultPriorAcceptance         = 0.1
	DefaultPriorStrength           = 20.0
)

// Default lists, shared and never changed, so filling defaults costs no
// allocation per decision.
var (
	defaultChannels         = []string{"voice", "chat"}
	defaultComplaintIntents = []string{"complaint"}
	defaultCancelIntents    = []string{"cancel", "cancellation", "close_account"}
)

// DefaultPolicy is the policy with every default filled in.
func DefaultPolicy() Policy {
	p := Policy{}.withDefaults()
	p.Channels = slices.Clone(p.Channels)
	p.ComplaintIntents = slices.Clone(p.ComplaintIntents)
	p.CancelIntents = slices.Clone(p.CancelIntents)
	return p
}

// withDefaults fills zero fields and repairs values that would break the
// arithmetic (NaN, a prior outside (0,1), a boost below 1).
func (p Policy) withDefaults() Policy {
	if len(p.Channels) == 0 {
		p.Channels = defaultChannels
	} else if slices.ContainsFunc(p.Channels, func(c string) bool { return lower(c) != c }) {
		// Contacts are compared in lower case; VOICE in a setting means voice.
		cs := make([]string, len(p.Channels))
		for i, c := range p.Channels {
			cs[i] = lower(c)
		}
		p.Channels = cs
	}
	p.MaxOffersPerWindow = orInt(p.MaxOffersPerWindow, DefaultMaxOffersPerWindow)
	p.FrequencyWindowDays = orInt(p.FrequencyWindowDays, DefaultFrequencyWindowDays)
	p.AcceptedSuppressionDays = orInt(p.AcceptedSuppressionDays, DefaultAcceptedSuppressionDays)
	p.RecentNegativeHours = orInt(p.RecentNegativeHours, DefaultRecentNegativeHours)
	p.RepeatContactDays = orInt(p.RepeatContactDays, DefaultRepeatContactDays)
	p.LowSurveyScore = orInt(p.LowSurveyScore, DefaultLowSurveyScore)
	p.LowSurveyDays = orInt(p.LowSurveyDays, DefaultLowSurveyDays)
	p.OpenComplaintDays = orInt(p.OpenComplaintDays, DefaultOpenComplaintDays)
	if len(p.ComplaintIntents) == 0 {
		p.ComplaintIntents = defaultComplaintIntents
	}
	if len(p.CancelIntents) == 0 {
		p.CancelIntents = defaultCancelIntents
	}
	p.IntentBoost = orBoost(p.IntentBoost, DefaultIntentBoost)
	p.LifeEventBoost = orBoost(p.LifeEventBoost, DefaultLifeEventBoost)
	if !(p.PriorAcceptance > 0 && p.PriorAcceptance < 1) {
		p.PriorAcceptance = DefaultPriorAcceptance
	}
	if !(p.PriorStrength > 0) || math.IsInf(p.PriorStrength, 0) {
		p.PriorStrength = DefaultPriorStrength
	}
	return p
}

func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// orBoost keeps a boost at or above 1: a match never lowers an offer.
func orBoost(v, def float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return def
	}
	return max(v, 1)
}

func (p *Policy) offersOn(channel string) bool { return slices.Contains(p.Channels, channel) }
