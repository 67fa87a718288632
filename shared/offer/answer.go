// Package offer is what a contact flow exchanges with Conduit's `offer`,
// `outcome` and `survey` functions — parameter names, answer keys, reason
// codes and the decisions stream's Event — and the outcome and survey
// handlers, which record what the customer said. The decision itself (the
// `offer` function) lives in offer/decision, so outcome and survey do not
// link the decision engine and its rule language.
package offer

// Parameters a contact flow may pass to the offer function (as block
// parameters, or as contact attributes of the same name). The survey
// function reads the customer id as well.
const (
	ParamCustomerID        = "customerId"
	ParamIntent            = "intent"
	ParamSentiment         = "sentiment"
	ParamSelfServiceFailed = "selfServiceFailed"
	ParamLanguage          = "language"
)

// Keys of the answer; a flow reads them as $.External.<key>.
const (
	KeyOffer      = "offer"
	KeyReason     = "reason"
	KeyReasonText = "reasonText"
	KeyDecisionID = "decisionId"
	KeyOfferName  = "offerName"
	KeyCampaign   = "campaignId"
	KeyPitch      = "pitch"
	KeyWhy        = "why"
	KeyScript     = "script"
	KeyVariant    = "variant"
	KeyHoldout    = "holdout"
	KeyValue      = "value"
	KeyFAQ        = "faq"
	KeyObjections = "objections"
	KeyOutcome    = "outcome"
)

// NoOffer is the offer value of an answer without an offer.
const NoOffer = "none"

// Reasons of the answer that the engine does not give.
const (
	ReasonInvalidEvent  = "invalid_event"
	ReasonTimeout       = "timeout"
	ReasonInternalError = "internal_error"
	ReasonStorage       = "storage_unavailable"
	ReasonBusy          = "busy"
)
