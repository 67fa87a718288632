package decide

// Step is the stage of the decision path that let an offer through or stopped
// it, in the order the engine runs them.
type Step string

// Steps of the decision path (DESIGN section 4).
const (
	StepInput       Step = "input"
	StepConsent     Step = "consent"
	StepEmpathy     Step = "empathy"
	StepLoad        Step = "load"
	StepChannel     Step = "channel"
	StepEligibility Step = "eligibility"
	StepPolicy      Step = "policy"
	StepCap         Step = "cap"
	StepHoldout     Step = "holdout"
	StepArbitration Step = "arbitration"
)

// Reason is the machine code of a why: stable, snake_case, safe to put in a
// Connect attribute and to group by in reports.
type Reason string

// Reasons a gate stops every offer.
const (
	ReasonNone Reason = ""

	// Consent.
	ReasonSuppressed Reason = "suppressed"
	ReasonOptedOut   Reason = "opted_out"
	ReasonNoOptIn    Reason = "no_opt_in"

	// Empathy.
	ReasonUpset                 Reason = "negative_sentiment"
	ReasonComplaint             Reason = "complaint"
	ReasonCancellation          Reason = "cancellation"
	ReasonSelfServiceFailed     Reason = "self_service_failed"
	ReasonRepeatContact         Reason = "repeat_contact"
	ReasonRecentNegativeContact Reason = "recent_negative_contact"
	ReasonLowSurveyScore        Reason = "low_survey_score"
	ReasonOpenComplaint         Reason = "open_complaint"

	// Load.
	ReasonLoadHeld Reason = "load_held"

	// Channel.
	ReasonChannelNotOffered Reason = "channel_not_offered"
)

// Reasons one offer is dropped.
const (
	ReasonOfferInactive      Reason = "offer_inactive"
	ReasonOfferNotStarted    Reason = "offer_not_started"
	ReasonOfferEnded         Reason = "offer_ended"
	ReasonCampaignMissing    Reason = "campaign_missing"
	ReasonCampaignNotLive    Reason = "campaign_not_live"
	ReasonCampaignHeld       Reason = "campaign_held"
	ReasonCampaignNotStarted Reason = "campaign_not_started"
	ReasonCampaignEnded      Reason = "campaign_ended"
	ReasonOfferChannel       Reason = "offer_channel"
	ReasonAudienceRule       Reason = "audience_rule"
	ReasonOfferRule          Reason = "offer_rule"
	ReasonRuleError          Reason = "rule_error"
	ReasonGlobalCap          Reason = "global_cap_exhausted"
	ReasonFrequencyCap       Reason = "frequency_cap"
	ReasonDeclinedRecently   Reason = "declined_recently"
	ReasonCustomerCap        Reason = "customer_cap"
	ReasonAlreadyAccepted    Reason = "already_accepted"
	ReasonZeroPriority       Reason = "zero_priority"
	ReasonNoOffers           Reason = "no_offers"
	ReasonNoEligibleOffer    Reason = "no_eligible_offer"
	ReasonHoldout            Reason = "holdout"
	ReasonIntentMatch        Reason = "intent_match"
	ReasonLifeEventMatch     Reason = "life_event_match"
	ReasonBestFit            Reason = "best_fit"
	ReasonInvalidInput       Reason = "invalid_input"
	ReasonSubjectMissing     Reason = "subject_missing"
	ReasonCatalogNotLoaded   Reason = "catalog_not_loaded"
)

// words are the plain-language sentences for each reason: for the agent when
// a gate stops everything, for the marketer in a simulation otherwise.
var words = map[Reason]string{
	ReasonSuppressed:            "Customer asked to be forgotten or is suppressed: no offer, ever.",
	ReasonOptedOut:              "Customer opted out of marketing on this channel: no offer.",
	ReasonNoOptIn:               "Customer has not opted in to marketing on this channel: no offer.",
	ReasonUpset:                 "Customer is upset: focus on service, no offer.",
	ReasonComplaint:             "Customer is making a complaint: focus on service, no offer.",
	ReasonCancellation:          "Customer wants to cancel: focus on service, no offer.",
	ReasonSelfServiceFailed:     "Self-service just failed for this customer: focus on service, no offer.",
	ReasonRepeatContact:         "Customer is calling again about the same issue: resolve it, no offer.",
	ReasonRecentNegativeContact: "Customer was upset on a recent contact: focus on service, no offer.",
	ReasonLowSurveyScore:        "Customer gave a low survey score recently: focus on service, no offer.",
	ReasonOpenComplaint:         "Customer has an open complaint: focus on service, no offer.",
	ReasonLoadHeld:              "Queues are busy: keep the contact short, no offer.",
	ReasonChannelNotOffered:     "Offers are not made on this channel.",
	ReasonOfferInactive:         "The offer is not active.",
	ReasonOfferNotStarted:       "The offer has not started yet.",
	ReasonOfferEnded:            "The offer has ended.",
	ReasonCampaignMissing:       "The offer's campaign is not in the catalog.",
	ReasonCampaignNotLive:       "The offer's campaign is not live.",
	ReasonCampaignHeld:          "The offer's campaign is on hold.",
	ReasonCampaignNotStarted:    "The offer's campaign has not started yet.",
	ReasonCampaignEnded:         "The offer's campaign has ended.",
	ReasonOfferChannel:          "The offer is not made on this channel.",
	ReasonAudienceRule:          "The customer is not in the campaign's audience.",
	ReasonOfferRule:             "The customer does not meet the offer's eligibility rule.",
	ReasonRuleError:             "A rule could not be evaluated for this customer.",
	ReasonGlobalCap:             "The offer has reached its overall cap.",
	ReasonFrequencyCap:          "Customer already had the most offers allowed in this period: no offer.",
	ReasonDeclinedRecently:      "Customer declined this offer recently.",
	ReasonCustomerCap:           "Customer has been made this offer the most times allowed.",
	ReasonAlreadyAccepted:       "Customer already accepted this offer.",
	ReasonZeroPriority:          "The offer's value or business lever is zero, so it never wins.",
	ReasonNoOffers:              "No offers are active: no offer.",
	ReasonNoEligibleOffer:       "No offer fits this customer right now: no offer.",
	ReasonHoldout:               "Customer is in the campaign's control group: make no offer.",
	ReasonInvalidInput:          "The decision input was not usable: no offer.",
	ReasonSubjectMissing:        "Neither a customer nor a contact id is known: no offer.",
	ReasonCatalogNotLoaded:      "The offer catalog is not loaded: no offer.",
}

// Words is the plain-language sentence for a reason.
func (r Reason) Words() string {
	if w, ok := words[r]; ok {
		return w
	}
	return string(r)
}

// Why is one stage's verdict: which step, its reason code, and the words a
// person reads. It is the unit of every explanation.
type Why struct {
	Step   Step   `json:"step"`
	Reason Reason `json:"reason"`
	Words  string `json:"words"`
}

func why(step Step, r Reason) Why {
	return Why{Step: step, Reason: r, Words: r.Words()}
}
