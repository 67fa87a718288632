package contacts

import (
	"slices"
	"time"

	"github.com/conduit-cx/conduit/shared/profiles"
)

// LifeEventSource marks life events heard by Contact Lens.
const LifeEventSource = "contact_lens"

// Repeats are the repeat-contact links a contact record reveals among the
// contacts of one customer (DESIGN section 6, FCR).
type Repeats struct {
	// Earlier are contacts within RepeatWindow before this one: each that
	// was handled is now a repeat (repeatWithin7d) and makes this contact a
	// repeat contact. Whether it was handled is checked on its own item.
	Earlier []string
	// Later are contacts within RepeatWindow after this one; when this one
	// was handled, it is a repeat, and each of them a repeat contact.
	Later []string
}

// RepeatMarks is what a contact item says for the repeat-contact marks.
type RepeatMarks struct {
	Handled        bool
	RepeatWithin7d bool
	RepeatContact  bool
}

// Pair is one repeat to mark: Earlier, a handled contact, became a repeat
// when the customer contacted again (Later) within RepeatWindow.
type Pair struct{ Earlier, Later string }

// Missing are the pairs whose marks are not all on the contact items yet:
// for each earlier handled contact, the pair with this contact; and, when
// this contact was handled, the pair with each later one. Marks already
// there cost nothing, so a contact with many recent contacts does not
// write them all again on every record.
func (r Repeats) Missing(self string, handled bool, marks map[string]RepeatMarks) []Pair {
	var out []Pair
	me := marks[self]
	for _, e := range r.Earlier {
		m := marks[e]
		if m.Handled && (!m.RepeatWithin7d || !me.RepeatContact) {
			out = append(out, Pair{e, self})
			me.RepeatContact = true
		}
	}
	if handled {
		for _, l := range r.Later {
			if _, known := marks[l]; known && (!me.RepeatWithin7d || !marks[l].RepeatContact) {
				out = append(out, Pair{self, l})
				me.RepeatWithin7d = true
			}
		}
	}
	return out
}

// Empty reports whether there is nothing to mark.
func (r Repeats) Empty() bool { return len(r.Earlier) == 0 && len(r.Later) == 0 }

// FindRepeats looks through the customer's recent contacts for contacts
// within RepeatWindow before and after the contact initiated at at.
func FindRepeats(recent []profiles.ContactSummary, contactID string, at time.Time) Repeats {
	var r Repeats
	for _, c := range recent {
		if c.ContactID == contactID || c.At.IsZero() {
			continue
		}
		switch {
		case c.At.Before(at) && !c.At.Before(at.Add(-RepeatWindow)):
			r.Earlier = append(r.Earlier, c.ContactID)
		case c.At.After(at) && !c.At.After(at.Add(RepeatWindow)):
			r.Later = append(r.Later, c.ContactID)
		}
	}
	slices.Sort(r.Earlier)
	slices.Sort(r.Later)
	return r
}

// RecordContact puts a contact record's facts onto the customer's profile:
// the contact summary (replacing an earlier version of it, so a record
// applied twice counts once), the survey score, and what Contact Lens heard
// on the contact. It returns the repeat-contact links to mark on the
// contact items. first says these are the contact's first facts: a later
// version of a contact that has dropped off the profile's recent list
// changes nothing, so it is never counted again.
//
// The summary's Resolved means "handled, and no further contact by the
// customer within RepeatWindow so far": it turns false when a repeat comes.
func RecordContact(p *profiles.Profile, c *Contact, first bool) Repeats {
	RecordExposure(p, c)
	f := c.Facts
	if f == nil {
		return Repeats{}
	}
	if !first && !slices.ContainsFunc(p.RecentContacts, func(x profiles.ContactSummary) bool { return x.ContactID == c.ContactID }) {
		return Repeats{}
	}
	at := f.InitiatedAt
	if at.IsZero() {
		at = f.LastUpdate
	}
	at = at.UTC()
	r := FindRepeats(p.RecentContacts, c.ContactID, at)
	sum := profiles.ContactSummary{
		ContactID: c.ContactID,
		At:        at,
		Channel:   f.Channel,
		Queue:     f.Queue,
		Issue:     f.Intent,
		Resolved:  f.Handled && len(r.Later) == 0,
	}
	if i := slices.IndexFunc(p.RecentContacts, func(x profiles.ContactSummary) bool { return x.ContactID == c.ContactID }); i >= 0 {
		old := p.RecentContacts[i]
		// Keep what others put on the summary (the offer function's issue,
		// the lens's sentiment) when the record does not say.
		if sum.Issue == "" {
			sum.Issue = old.Issue
		}
		sum.Sentiment = old.Sentiment
	}
	if c.Lens != nil && c.Lens.Sentiment != "" {
		sum.Sentiment = c.Lens.Sentiment
	}
	for i := range p.RecentContacts {
		if slices.Contains(r.Earlier, p.RecentContacts[i].ContactID) {
			p.RecentContacts[i].Resolved = false
		}
	}
	p.RecordContact(sum)
	if f.SurveyScore > 0 {
		surveyAt := f.DisconnectedAt
		if surveyAt.IsZero() {
			surveyAt = f.LastUpdate
		}
		if !surveyAt.Before(p.Voice.LastSurveyAt) {
			p.Voice.LastSurveyScore, p.Voice.LastSurveyAt = f.SurveyScore, surveyAt.UTC()
		}
	}
	RecordLens(p, c)
	return r
}

// RecordLens puts what Contact Lens heard on a contact onto the customer's
// profile: its life events (each once per kind, with its expiry) and the
// customer's sentiment, when it is newer than the profile's. Applying it
// twice changes nothing.
func RecordLens(p *profiles.Profile, c *Contact) {
	l := c.Lens
	if l == nil {
		return
	}
	for _, s := range l.Signals {
		if s.Kind != SignalLifeEvent {
			continue
		}
		p.AddLifeEvent(profiles.LifeEvent{Kind: s.LifeEvent, At: s.At, Source: LifeEventSource, ExpiresAt: s.ExpiresAt})
	}
	if l.Sentiment != "" && !l.UpdatedAt.IsZero() && !l.UpdatedAt.Before(p.LastSentimentAt) {
		p.LastSentiment, p.LastSentimentAt = l.Sentiment, l.UpdatedAt
	}
	for i := range p.RecentContacts {
		if p.RecentContacts[i].ContactID == c.ContactID && l.Sentiment != "" {
			p.RecentContacts[i].Sentiment = l.Sentiment
		}
	}
}

// RecordExposure puts the contact's decision on the profile as an exposure,
// once, when it named an offer the customer heard or, in the control group,
// would have heard. The offer function records a decision on the contact
// only; the outcome or the contact record brings it to the profile, where
// the contact policies read it. A withdrawn decision (not shown, not a
// holdout) adds nothing. It reports whether the profile changed.
func RecordExposure(p *profiles.Profile, c *Contact) bool {
	d := c.Decision
	if d == nil || d.OfferID == "" || !(d.Shown || d.Holdout) {
		return false
	}
	if slices.ContainsFunc(p.RecentOffers, func(x profiles.Exposure) bool { return x.DecisionID == d.DecisionID }) {
		return false
	}
	p.RecordExposure(profiles.Exposure{
		DecisionID: d.DecisionID, OfferID: d.OfferID, CampaignID: d.CampaignID, At: d.At, Holdout: d.Holdout,
	}, time.Now())
	return slices.ContainsFunc(p.RecentOffers, func(x profiles.Exposure) bool { return x.DecisionID == d.DecisionID })
}
