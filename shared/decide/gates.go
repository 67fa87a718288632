package decide

import (
	"slices"
	"time"

	"github.com/conduit-cx/conduit/shared/profiles"
)

// Gate is the verdict of one gate for the whole decision.
type Gate struct {
	Step   Step `json:"step"`
	Passed bool `json:"passed"`
	// Why is set when the gate stopped every offer.
	Why Why `json:"why,omitzero"`
}

// consentGate stops every offer for an erased or suppressed customer, one
// who opted out of marketing on the contact's channel, and, when the policy
// requires an opt-in, anyone without one (anonymous callers included).
func consentGate(p *profiles.Profile, suppressed bool, channel string, pol *Policy) Reason {
	if suppressed {
		return ReasonSuppressed
	}
	if p == nil {
		if pol.RequireOptIn {
			return ReasonNoOptIn
		}
		return ReasonNone
	}
	c, ok := p.ConsentFor(channel)
	switch {
	case ok && c.Status == profiles.ConsentOptOut:
		return ReasonOptedOut
	case pol.RequireOptIn && (!ok || c.Status != profiles.ConsentOptIn):
		return ReasonNoOptIn
	}
	return ReasonNone
}

// empathyGate stops every offer when selling would hurt service: the
// customer is upset now or was on a recent contact, is complaining or
// cancelling, just failed at self-service, is calling again about the same
// issue, gave a low survey score lately, or has an open social complaint.
// The first of these that applies is the reason, in the order listed.
func empathyGate(p *profiles.Profile, c *Contact, now time.Time, pol *Policy) Reason {
	switch {
	case c.Sentiment == profiles.SentimentNegative:
		return ReasonUpset
	case c.Complaint || (c.Intent != "" && slices.Contains(pol.ComplaintIntents, c.Intent)):
		return ReasonComplaint
	case c.Cancellation || (c.Intent != "" && slices.Contains(pol.CancelIntents, c.Intent)):
		return ReasonCancellation
	case c.SelfServiceFailed:
		return ReasonSelfServiceFailed
	case c.RepeatContact:
		return ReasonRepeatContact
	}
	if p == nil {
		return ReasonNone
	}
	if c.Intent != "" {
		since := now.Add(-days(pol.RepeatContactDays))
		for i := range p.RecentContacts {
			rc := &p.RecentContacts[i]
			if rc.ContactID != c.ContactID && within(rc.At, since, now) && lower(rc.Issue) == c.Intent {
				return ReasonRepeatContact
			}
		}
	}
	since := now.Add(-time.Duration(pol.RecentNegativeHours) * time.Hour)
	if lower(p.LastSentiment) == profiles.SentimentNegative && within(p.LastSentimentAt, since, now) {
		return ReasonRecentNegativeContact
	}
	for i := range p.RecentContacts {
		rc := &p.RecentContacts[i]
		if rc.ContactID != c.ContactID && within(rc.At, since, now) && lower(rc.Sentiment) == profiles.SentimentNegative {
			return ReasonRecentNegativeContact
		}
	}
	v := &p.Voice
	if v.LastSurveyScore > 0 && v.LastSurveyScore <= pol.LowSurveyScore && within(v.LastSurveyAt, now.Add(-days(pol.LowSurveyDays)), now) {
		return ReasonLowSurveyScore
	}
	if !v.ComplaintOpenedAt.IsZero() && within(v.ComplaintOpenedAt, now.Add(-days(pol.OpenComplaintDays)), now) {
		return ReasonOpenComplaint
	}
	return ReasonNone
}

// channelGate stops every offer on a channel the contact center does not
// sell on (for example tasks), or when the channel is unknown.
func channelGate(channel string, pol *Policy) Reason {
	if channel == "" || !pol.offersOn(channel) {
		return ReasonChannelNotOffered
	}
	return ReasonNone
}

// within reports since <= t <= now. A time a little after now (clock skew
// between the writer and this instance) still counts as recent.
func within(t, since, now time.Time) bool {
	return !t.IsZero() && !t.Before(since) && !t.After(now.Add(clockSkew))
}

const clockSkew = 5 * time.Minute

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
