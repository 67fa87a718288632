package decide

import (
	"cmp"
	"slices"
	"time"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/profiles"
)

// Outcomes of an exposure, as the outcome function records them.
const (
	OutcomeAccepted = "accepted"
	OutcomeDeclined = "declined"
	OutcomeLater    = "later"
)

// history indexes a customer's recent offers by offer id, so each offer's
// policies are checked without scanning the whole list per offer.
type history struct {
	list    []profiles.Exposure
	byOffer []int32 // indexes into list, ordered by offer id
	cursor  int     // where the last lookup ended in byOffer
}

func newHistory(list []profiles.Exposure) history {
	h := history{list: list}
	if len(list) == 0 {
		return h
	}
	h.byOffer = make([]int32, len(list))
	for i := range h.byOffer {
		h.byOffer[i] = int32(i)
	}
	slices.SortStableFunc(h.byOffer, func(a, b int32) int { return cmp.Compare(list[a].OfferID, list[b].OfferID) })
	return h
}

// of returns the indexes of the exposures of one offer. The engine asks
// in offer id order, so a lookup usually just moves on from the last one.
func (h *history) of(offerID string) []int32 {
	if len(h.byOffer) == 0 {
		return nil
	}
	lo := h.cursor
	if lo > 0 && h.list[h.byOffer[lo-1]].OfferID >= offerID {
		lo, _ = slices.BinarySearchFunc(h.byOffer, offerID, func(i int32, id string) int { return cmp.Compare(h.list[i].OfferID, id) })
	}
	for lo < len(h.byOffer) && h.list[h.byOffer[lo]].OfferID < offerID {
		lo++
	}
	h.cursor = lo
	hi := lo
	for hi < len(h.byOffer) && h.list[h.byOffer[hi]].OfferID == offerID {
		hi++
	}
	return h.byOffer[lo:hi]
}

// shownSince counts the offers shown (not held out) from since to now.
func (h *history) shownSince(since, now time.Time) int {
	n := 0
	for i := range h.list {
		e := &h.list[i]
		if !e.Holdout && within(e.At, since, now) {
			n++
		}
	}
	return n
}

// offerPolicy applies the contact policies of one offer to the customer's
// history: not again soon after they accepted it, not within the offer's
// suppression days after they declined it, and not more often than the
// offer's per-customer cap. Held-out decisions were never shown and do not
// count.
func offerPolicy(h *history, o *catalog.Offer, now time.Time, pol *Policy) Reason {
	idx := h.of(o.ID)
	if len(idx) == 0 {
		return ReasonNone
	}
	acceptedSince := now.Add(-days(pol.AcceptedSuppressionDays))
	declinedSince := now.Add(-days(o.SuppressionDaysAfterDecline))
	capSince := time.Time{}
	if w := o.Caps.PerCustomer.WindowDays; w > 0 {
		capSince = now.Add(-days(w))
	}
	shown := 0
	for _, i := range idx {
		e := &h.list[i]
		if e.Holdout {
			continue
		}
		outcomeAt := e.OutcomeAt
		if outcomeAt.IsZero() {
			outcomeAt = e.At
		}
		switch {
		case e.Outcome == OutcomeAccepted && pol.AcceptedSuppressionDays > 0 && within(outcomeAt, acceptedSince, now):
			return ReasonAlreadyAccepted
		case e.Outcome == OutcomeDeclined && o.SuppressionDaysAfterDecline > 0 && within(outcomeAt, declinedSince, now):
			return ReasonDeclinedRecently
		}
		if !e.At.IsZero() && !e.At.Before(capSince) {
			shown++
		}
	}
	if m := o.Caps.PerCustomer.Max; m > 0 && shown >= m {
		return ReasonCustomerCap
	}
	return ReasonNone
}
