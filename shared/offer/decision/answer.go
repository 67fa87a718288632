package decision

import (
	"strconv"
	"strings"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/offer"
)

var reasonWords = map[string]string{
	offer.ReasonInvalidEvent:  "The contact flow sent an event Conduit cannot read: no offer.",
	offer.ReasonTimeout:       "Conduit could not decide in time: no offer.",
	offer.ReasonInternalError: "Conduit hit an error: no offer.",
	offer.ReasonStorage:       "Customer data could not be read: no offer.",
	offer.ReasonBusy:          "The customer's profile was busy: no offer.",
}

// noOffer is the answer with no offer, for a reason.
func noOffer(reason, words, decisionID string) connect.Response {
	if words == "" {
		words = reasonWords[reason]
	}
	r, _ := connect.NewResponse(
		connect.Pair{Key: offer.KeyOffer, Value: offer.NoOffer},
		connect.Pair{Key: offer.KeyReason, Value: reason},
		connect.Pair{Key: offer.KeyDecisionID, Value: decisionID},
		connect.Pair{Key: offer.KeyHoldout, Value: "false"},
		connect.Pair{Key: offer.KeyReasonText, Value: words},
	)
	return r
}

// offerAnswer is the answer that puts an offer in front of the agent. The
// short, vital pairs come first; long texts last, so they give way first if
// the size budget runs short.
func offerAnswer(decisionID, reason, why, variant, script string, o *catalog.Offer) connect.Response {
	r, _ := connect.NewResponse(
		connect.Pair{Key: offer.KeyOffer, Value: o.ID},
		connect.Pair{Key: offer.KeyReason, Value: reason},
		connect.Pair{Key: offer.KeyDecisionID, Value: decisionID},
		connect.Pair{Key: offer.KeyHoldout, Value: "false"},
		connect.Pair{Key: offer.KeyOfferName, Value: o.Name},
		connect.Pair{Key: offer.KeyCampaign, Value: o.CampaignID},
		connect.Pair{Key: offer.KeyVariant, Value: variant},
		connect.Pair{Key: offer.KeyValue, Value: o.Value.Amount + " " + o.Value.Currency},
		connect.Pair{Key: offer.KeyPitch, Value: o.Content.Pitch},
		connect.Pair{Key: offer.KeyWhy, Value: why},
		connect.Pair{Key: offer.KeyScript, Value: script},
		connect.Pair{Key: offer.KeyFAQ, Value: faqText(o.Content.FAQ)},
		connect.Pair{Key: offer.KeyObjections, Value: objectionText(o.Content.Objections)},
	)
	return r
}

// holdoutAnswer shows nothing, but says so: the flow and the agent must
// treat it as no offer.
func holdoutAnswer(decisionID, words string) connect.Response {
	r := noOffer("holdout", words, decisionID)
	r[offer.KeyHoldout] = "true"
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
