package decision

import (
	"github.com/conduit-cx/conduit/shared/offer"
	"github.com/conduit-cx/conduit/shared/store"
)

// decisionEvent is the decisions stream's record of a decision.
func decisionEvent(rec store.DecisionRecord) offer.Event {
	d := rec.Decision
	return offer.Event{
		SchemaVersion: offer.EventSchemaVersion, Type: offer.EventDecision,
		DecisionID: d.DecisionID, ContactID: rec.ContactID, ProfileID: d.ProfileID, At: d.At,
		Channel: rec.Channel, Queue: rec.Queue, OfferID: d.OfferID, CampaignID: d.CampaignID,
		Variant: d.Variant, Shown: d.Shown, Holdout: d.Holdout, Reason: d.Reason,
	}
}

// voided retracts a decision event whose decision was not recorded after all.
func voided(e offer.Event) offer.Event {
	e.Type = offer.EventDecisionVoided
	return e
}
