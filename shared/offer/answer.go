// Package offer is the live decision path of the `offer` and `outcome`
// functions: a contact flow asks, Conduit identifies the customer, runs the
// decision engine over a cached catalog, records the decision with one
// batched read and one write, and answers a flat string map the flow and
// the agent's workspace read. It never fails the flow: any error, panic or
// missed deadline answers "no offer" with a reason.
package offer

import (
	"strconv"
	"strings"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/connect"
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

var reasonWords = map[string]string{
	ReasonInvalidEvent:  "The contact flow sent an event Conduit cannot read: no offer.",
	ReasonTimeout:       "Conduit could not decide in time: no offer.",
	ReasonInternalError: "Conduit hit an error: no offer.",
	ReasonStorage:       "Customer data could not be read: no offer.",
	ReasonBusy:          "The customer's profile was busy: no offer.",
}

// noOffer is the answer with no offer, for a reason.
func noOffer(reason, words, decisionID string) connect.Response {
	if words == "" {
		words = reasonWords[reason]
	}
	r, _ := connect.NewResponse(
		connect.Pair{Key: KeyOffer, Value: NoOffer},
		connect.Pair{Key: KeyReason, Value: reason},
		connect.Pair{Key: KeyDecisionID, Value: decisionID},
		connect.Pair{Key: KeyHoldout, Value: "false"},
		connect.Pair{Key: KeyReasonText, Value: words},
	)
	return r
}

// offerAnswer is the answer that puts an offer in front of the agent. The
// short, vital pairs come first; long texts last, so they give way first if
// the size budget runs short.
func offerAnswer(decisionID, reason, why, variant, script string, o *catalog.Offer) connect.Response {
	r, _ := connect.NewResponse(
		connect.Pair{Key: KeyOffer, Value: o.ID},
		connect.Pair{Key: KeyReason, Value: reason},
		connect.Pair{Key: KeyDecisionID, Value: decisionID},
		connect.Pair{Key: KeyHoldout, Value: "false"},
		connect.Pair{Key: KeyOfferName, Value: o.Name},
		connect.Pair{Key: KeyCampaign, Value: o.CampaignID},
		connect.Pair{Key: KeyVariant, Value: variant},
		connect.Pair{Key: KeyValue, Value: o.Value.Amount + " " + o.Value.Currency},
		connect.Pair{Key: KeyPitch, Value: o.Content.Pitch},
		connect.Pair{Key: KeyWhy, Value: why},
		connect.Pair{Key: KeyScript, Value: script},
		connect.Pair{Key: KeyFAQ, Value: faqText(o.Content.FAQ)},
		connect.Pair{Key: KeyObjections, Value: objectionText(o.Content.Objections)},
	)
	return r
}

// holdoutAnswer shows nothing, but says so: the flow and the agent must
// treat it as no offer.
func holdoutAnswer(decisionID, words string) connect.Response {
	r := noOffer("holdout", words, decisionID)
	r[KeyHoldout] = "true"
	return r
}

// faqText writes FAQ answers as numbered "Q: … A: …" lines, readable in an
// agent workspace that shows attributes as plain text.
func faqText(faq []catalog.FAQ) string {
	var b strings.Builder
	for i, f := range faq {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString(". Q: ")
		b.WriteString(f.Question)
		b.WriteString(" A: ")
		b.WriteString(f.Answer)
	}
	return b.String()
}

func objectionText(obs []catalog.Objection) string {
	var b strings.Builder
	for i, o := range obs {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("If \"")
		b.WriteString(o.Objection)
		b.WriteString("\": ")
		b.WriteString(o.Response)
	}
	return b.String()
}
