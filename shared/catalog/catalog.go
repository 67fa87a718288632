// Package catalog is what marketing plans with the contact center: offers
// (what is offered, to whom, in which words, within which caps) and the
// campaigns they belong to (audience, holdout, launch dates, load gate and
// the readiness checklist). It holds plain values; the store, the API and
// the decision engine all work on these types.
package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/profiles"
)

// Kinds of catalog items (the catalog table's partition key).
const (
	KindOffer    = "offer"
	KindCampaign = "campaign"
)

// OfferStatus is where an offer is in its life.
type OfferStatus string

// Offer statuses. Only active offers are ever made to a customer.
const (
	OfferDraft   OfferStatus = "draft"
	OfferActive  OfferStatus = "active"
	OfferPaused  OfferStatus = "paused"
	OfferRetired OfferStatus = "retired"
)

// CampaignStatus is where a campaign is in its life.
type CampaignStatus string

// Campaign statuses: planned → ready → live ⇄ held → ended.
const (
	CampaignPlanned CampaignStatus = "planned"
	CampaignReady   CampaignStatus = "ready"
	CampaignLive    CampaignStatus = "live"
	CampaignHeld    CampaignStatus = "held"
	CampaignEnded   CampaignStatus = "ended"
)

// Limits of the agent content and of the model.
const (
	MaxPitchChars     = 200
	MaxScriptChars    = 2000
	MaxNameChars      = 120
	MaxFAQ            = 20
	MaxObjections     = 20
	MaxVariants       = 10
	MaxAnswerChars    = 1000
	MaxWhyItFitsChars = 300
	MaxHoldoutShare   = 0.5
	MaxRuleChars      = 4000
)

// Offer is something an agent can offer a customer during a contact.
type Offer struct {
	ID string `json:"id" dynamo:"id"`
	OfferSpec
	Status OfferStatus `json:"status" dynamo:"status"`
	// Version increases by one on every change; updates must name the
	// version they read (optimistic locking).
	Version   int       `json:"version" dynamo:"version"`
	CreatedAt time.Time `json:"createdAt" dynamo:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt" dynamo:"updatedAt"`
	CreatedBy string    `json:"createdBy" dynamo:"createdBy"`
	UpdatedBy string    `json:"updatedBy" dynamo:"updatedBy"`
	// Transitions is the status history, oldest first.
	Transitions []Transition `json:"transitions" dynamo:"transitions"`
	// Referenced is set once a decision named the offer; from then on it
	// can only be soft-deleted, so past decisions keep their meaning.
	Referenced bool      `json:"referenced" dynamo:"referenced"`
	Deleted    bool      `json:"deleted" dynamo:"deleted"`
	DeletedAt  time.Time `json:"deletedAt,omitzero" dynamo:"deletedAt,omitempty"`
}

// OfferSpec is the part of an offer a marketer writes.
type OfferSpec struct {
	Name       string `json:"name" dynamo:"name"`
	CampaignID string `json:"campaignId" dynamo:"campaignId"`
	// Channels are the contact channels the offer may be made on
	// (profiles.ChannelVoice, ...).
	Channels []string `json:"channels" dynamo:"channels"`
	// ValidFrom and ValidTo bound when the offer may be made; a zero ValidTo
	// means until the campaign ends.
	ValidFrom time.Time `json:"validFrom" dynamo:"validFrom"`
	ValidTo   time.Time `json:"validTo,omitzero" dynamo:"validTo,omitempty"`
	Value     Money     `json:"value" dynamo:"value"`
	// BusinessLever scales the offer's priority: 1 is normal, 1.5 pushes it,
	// 0.5 holds it back, 0 never wins arbitration.
	BusinessLever float64 `json:"businessLever" dynamo:"businessLever"`
	// PriorityWeight is the marketer's static weight in arbitration.
	PriorityWeight float64 `json:"priorityWeight" dynamo:"priorityWeight"`
	// Eligibility is a CEL rule over the variables of package rules; empty
	// means every customer of the campaign's audience.
	Eligibility string `json:"eligibility,omitempty" dynamo:"eligibility,omitempty"`
	// Intents the offer fits (the contact's intent, e.g. "high_bill").
	Intents []string `json:"intents,omitempty" dynamo:"intents,omitempty"`
	// LifeEvents the offer fits; a match boosts the context weight.
	LifeEvents []string `json:"lifeEvents,omitempty" dynamo:"lifeEvents,omitempty"`
	Caps       Caps     `json:"caps" dynamo:"caps"`
	// SuppressionDaysAfterDecline keeps the offer from a customer who
	// declined it for this many days; 0 means no suppression.
	SuppressionDaysAfterDecline int     `json:"suppressionDaysAfterDecline" dynamo:"suppressionDaysAfterDecline"`
	Content                     Content `json:"content" dynamo:"content"`
}

// Money is an amount in a currency. Amount is a decimal string ("19.99")
// with no more fraction digits than the currency has (ISO 4217), so no
// value is ever rounded through a float on its way in or out.
type Money struct {
	Amount   string `json:"amount" dynamo:"amount"`
	Currency string `json:"currency" dynamo:"currency"`
}

// Caps bound how often an offer is made.
type Caps struct {
	PerCustomer PerCustomerCap `json:"perCustomer" dynamo:"perCustomer"`
	// Global is the total number of times the offer may be made (shown to a
	// customer); 0 means no global cap.
	Global int64 `json:"global" dynamo:"global"`
}

// PerCustomerCap is at most Max offers of this offer per customer within
// WindowDays; Max 0 means no per-customer cap.
type PerCustomerCap struct {
	Max        int `json:"max" dynamo:"max"`
	WindowDays int `json:"windowDays" dynamo:"windowDays"`
}

// Content is what the agent sees and says.
type Content struct {
	// Pitch is one plain-language line, at most MaxPitchChars characters.
	Pitch      string      `json:"pitch" dynamo:"pitch"`
	Script     string      `json:"script,omitempty" dynamo:"script,omitempty"`
	FAQ        []FAQ       `json:"faq,omitempty" dynamo:"faq,omitempty"`
	Objections []Objection `json:"objections,omitempty" dynamo:"objections,omitempty"`
	// WhyItFits is a template of why this offer fits this customer, with
	// placeholders among WhyItFitsPlaceholders, e.g.
	// "You mentioned {intent}; as a {valueTier} customer for {tenureMonths} months ...".
	WhyItFits string `json:"whyItFits,omitempty" dynamo:"whyItFits,omitempty"`
	// Variants are alternative scripts for A/B tests; the weights set the
	// share of each. No variants means the script above for everyone.
	Variants []Variant `json:"variants,omitempty" dynamo:"variants,omitempty"`
}

// FAQ is a question customers ask about the offer and the agent's answer.
type FAQ struct {
	Question string `json:"question" dynamo:"question"`
	Answer   string `json:"answer" dynamo:"answer"`
}

// Objection is what a customer may object and how the agent answers.
type Objection struct {
	Objection string `json:"objection" dynamo:"objection"`
	Response  string `json:"response" dynamo:"response"`
}

// Variant is one script of an A/B test.
type Variant struct {
	ID     string `json:"id" dynamo:"id"`
	Script string `json:"script" dynamo:"script"`
	// Weight is the variant's relative share (> 0).
	Weight float64 `json:"weight" dynamo:"weight"`
}

// Campaign is a marketing push planned with the contact center.
type Campaign struct {
	ID string `json:"id" dynamo:"id"`
	CampaignSpec
	Status    CampaignStatus `json:"status" dynamo:"status"`
	Checklist Checklist      `json:"checklist" dynamo:"checklist"`
	// Transitions is the status history, oldest first: who moved the
	// campaign, when and why.
	Transitions []Transition `json:"transitions" dynamo:"transitions"`
	Version     int          `json:"version" dynamo:"version"`
	CreatedAt   time.Time    `json:"createdAt" dynamo:"createdAt"`
	UpdatedAt   time.Time    `json:"updatedAt" dynamo:"updatedAt"`
	CreatedBy   string       `json:"createdBy" dynamo:"createdBy"`
	UpdatedBy   string       `json:"updatedBy" dynamo:"updatedBy"`
	Referenced  bool         `json:"referenced" dynamo:"referenced"`
	Deleted     bool         `json:"deleted" dynamo:"deleted"`
	DeletedAt   time.Time    `json:"deletedAt,omitzero" dynamo:"deletedAt,omitempty"`
}

// CampaignSpec is the part of a campaign a marketer writes.
type CampaignSpec struct {
	Name string `json:"name" dynamo:"name"`
	// Goal says what the campaign is for, in the marketer's words.
	Goal     string    `json:"goal" dynamo:"goal"`
	Owner    string    `json:"owner" dynamo:"owner"`
	LaunchAt time.Time `json:"launchAt" dynamo:"launchAt"`
	EndAt    time.Time `json:"endAt" dynamo:"endAt"`
	// Audience is a CEL rule over the variables of package rules; empty
	// means every customer.
	Audience string `json:"audience,omitempty" dynamo:"audience,omitempty"`
	// HoldoutShare is the share of the audience kept as a control group,
	// 0 to MaxHoldoutShare.
	HoldoutShare float64 `json:"holdoutShare" dynamo:"holdoutShare"`
	// ExpectedResponseRate (0–1) and AudienceSize forecast the extra
	// contacts the campaign brings: about AudienceSize × ExpectedResponseRate.
	ExpectedResponseRate float64  `json:"expectedResponseRate" dynamo:"expectedResponseRate"`
	AudienceSize         int64    `json:"audienceSize" dynamo:"audienceSize"`
	LoadGate             LoadGate `json:"loadGate" dynamo:"loadGate"`
}

// LoadGate holds the campaign while any of its queues is worse than the
// thresholds; a zero threshold is not checked.
type LoadGate struct {
	// MaxASASeconds: hold while the average speed of answer is above it.
	MaxASASeconds float64 `json:"maxASASeconds" dynamo:"maxASASeconds"`
	// MinServiceLevel (0–1): hold while the service level is below it.
	MinServiceLevel float64 `json:"minServiceLevel" dynamo:"minServiceLevel"`
	// Queues the gate watches: queue names, or AllQueues.
	Queues []string `json:"queues" dynamo:"queues"`
}

// AllQueues in LoadGate.Queues watches every queue.
const AllQueues = "all"

// Watches reports whether the gate watches queue.
func (g LoadGate) Watches(queue string) bool {
	for _, q := range g.Queues {
		if q == AllQueues || q == queue {
			return true
		}
	}
	return false
}

// Checklist is the readiness checklist a campaign must complete before it
// goes ready or live.
type Checklist struct {
	AgentBriefingPublished ChecklistItem `json:"agentBriefingPublished" dynamo:"agentBriefingPublished"`
	ScriptsApproved        ChecklistItem `json:"scriptsApproved" dynamo:"scriptsApproved"`
	FAQPublished           ChecklistItem `json:"faqPublished" dynamo:"faqPublished"`
	StaffingConfirmed      ChecklistItem `json:"staffingConfirmed" dynamo:"staffingConfirmed"`
}

// Checklist item names, as the API spells them.
const (
	ItemAgentBriefingPublished = "agentBriefingPublished"
	ItemScriptsApproved        = "scriptsApproved"
	ItemFAQPublished           = "faqPublished"
	ItemStaffingConfirmed      = "staffingConfirmed"
)

// ChecklistItems lists the checklist items in the order they are shown.
var ChecklistItems = []string{ItemAgentBriefingPublished, ItemScriptsApproved, ItemFAQPublished, ItemStaffingConfirmed}

// ChecklistItem is one readiness item: done or not, by whom and when.
type ChecklistItem struct {
	Done bool      `json:"done" dynamo:"done"`
	By   string    `json:"by,omitempty" dynamo:"by,omitempty"`
	At   time.Time `json:"at,omitzero" dynamo:"at,omitempty"`
}

// Transition is one recorded status change.
type Transition struct {
	From   string    `json:"from" dynamo:"from"`
	To     string    `json:"to" dynamo:"to"`
	At     time.Time `json:"at" dynamo:"at"`
	By     string    `json:"by" dynamo:"by"`
	Reason string    `json:"reason,omitempty" dynamo:"reason,omitempty"`
}

// Channels an offer may name: the contact channels of package profiles.
var Channels = profiles.Channels

// OpenAt reports whether the offer may be made at now: active, not
// deleted, and within its dates. It checks nothing about the customer.
func (o *Offer) OpenAt(now time.Time) bool {
	return o.Status == OfferActive && !o.Deleted && !now.Before(o.ValidFrom) &&
		(o.ValidTo.IsZero() || now.Before(o.ValidTo))
}

// OnChannel reports whether the offer may be made on channel.
func (o *Offer) OnChannel(channel string) bool {
	for _, c := range o.Channels {
		if c == channel {
			return true
		}
	}
	return false
}

// LiveAt reports whether the campaign is live and within its dates at now.
func (c *Campaign) LiveAt(now time.Time) bool {
	return c.Status == CampaignLive && !c.Deleted && !now.Before(c.LaunchAt) && now.Before(c.EndAt)
}

// ExpectedContacts forecasts the extra contacts the campaign brings.
func (c *Campaign) ExpectedContacts() float64 {
	return float64(c.AudienceSize) * c.ExpectedResponseRate
}

// OfferFilter narrows a list of offers; empty fields match everything.
type OfferFilter struct {
	Status     OfferStatus
	CampaignID string
	Channel    string
}

// CampaignFilter narrows a list of campaigns; empty fields match everything.
type CampaignFilter struct {
	Status CampaignStatus
}

// CampaignLister is a store that lists campaigns a page at a time.
type CampaignLister interface {
	ListCampaigns(ctx context.Context, f CampaignFilter, limit int, cursor string) ([]Campaign, string, error)
}

// AllCampaigns reads every campaign in the statuses, all pages, ordered
// by id, for the jobs that walk the whole catalog.
func AllCampaigns(ctx context.Context, s CampaignLister, statuses ...CampaignStatus) ([]Campaign, error) {
	var out []Campaign
	for _, st := range statuses {
		cursor := ""
		for {
			page, next, err := s.ListCampaigns(ctx, CampaignFilter{Status: st}, 100, cursor)
			if err != nil {
				return nil, fmt.Errorf("list %s campaigns: %w", st, err)
			}
			out = append(out, page...)
			if next == "" {
				break
			}
			cursor = next
		}
	}
	slices.SortFunc(out, func(a, b Campaign) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// OfferCounts are an offer's outcomes so far: how often it was shown and
// how often accepted. They are learned from outcomes and feed its
// propensity in the decision engine; they are defined here, with the offer,
// so the store that keeps them needs no part of the engine.
type OfferCounts struct {
	Shown    int64 `json:"shown"`
	Accepted int64 `json:"accepted"`
}
