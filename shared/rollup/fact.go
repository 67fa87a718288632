package rollup

import (
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/kpi"
)

// At is when a contact counts: when it entered a queue, else when it began
// (from its contact record, else its contact events, else its index
// attribute or decision). Zero when nothing places it in time.
func At(c contacts.Contact) time.Time {
	if f := c.Facts; f != nil {
		if !f.EnqueuedAt.IsZero() {
			return f.EnqueuedAt.UTC()
		}
		if !f.InitiatedAt.IsZero() {
			return f.InitiatedAt.UTC()
		}
	}
	if ev := c.Events; ev != nil {
		if t := ev.States[connect.EventQueued]; !t.IsZero() {
			return t.UTC()
		}
		if t := ev.States[connect.EventInitiated]; !t.IsZero() {
			return t.UTC()
		}
	}
	if t, err := time.Parse(time.RFC3339, c.InitiatedAt); err == nil {
		return t.UTC()
	}
	if d := c.Decision; d != nil && !d.At.IsZero() {
		return d.At.UTC()
	}
	return time.Time{}
}

// FactOf is what a contact item contributes to the KPIs, as known at asOf.
// ok is false when nothing places the contact in time.
//
//   - Queue figures come from the contact record: queued when it names a
//     queue; answered when an agent took it from there; the wait is the
//     record's queue duration.
//   - Handle time is talk + hold + after-contact work; a handled contact
//     whose record reports none of them is counted as handled but left out
//     of AHT (missing_durations).
//   - FCR needs the customer (a profile) and a settled day (SettledAt);
//     before that the contact is repeat_unknown.
//   - The decision gives the campaign, offer and group: holdout when held
//     back, treated when an offer was chosen for the customer. The outcome
//     is the outcome function's, else the outcome attribute the flow set;
//     an accepted outcome with no value takes the offer's expected value.
func (o Options) FactOf(c contacts.Contact, asOf time.Time) (kpi.Fact, bool) {
	o = o.withDefaults()
	at := At(c)
	if at.IsZero() {
		return kpi.Fact{}, false
	}
	f := kpi.Fact{ContactID: c.ContactID, At: at, Channel: c.Channel, Queue: c.Queue, Agent: c.AgentUsername}
	if fa := c.Facts; fa != nil {
		f.Channel = firstNonEmpty(fa.Channel, f.Channel)
		f.Queue = firstNonEmpty(fa.Queue, f.Queue)
		f.Agent = firstNonEmpty(fa.AgentUsername, f.Agent)
		f.Queued = !fa.EnqueuedAt.IsZero() || fa.QueueID != "" || fa.Queue != ""
		if f.Queued {
			f.Answered = fa.Handled
			f.Abandoned = fa.Abandoned && !fa.Handled
			f.QueueWaitKnown = !fa.EnqueuedAt.IsZero() || fa.QueueWaitSeconds != 0
			f.QueueWait = seconds(fa.QueueWaitSeconds)
		}
		f.Handled = fa.Handled
		if fa.Handled {
			f.Talk, f.Hold, f.AfterContactWork = seconds(fa.TalkSeconds), seconds(fa.HoldSeconds), seconds(fa.AfterContactWorkSeconds)
			f.DurationsKnown = fa.TalkSeconds != 0 || fa.HoldSeconds != 0 || fa.AfterContactWorkSeconds != 0
			f.Repeat = kpi.RepeatUnknown
			if c.ProfileID != "" && !asOf.Before(o.SettledAt(at)) {
				f.Repeat = kpi.NoRepeat
				if c.RepeatWithin7d {
					f.Repeat = kpi.Repeated
				}
			}
		}
		f.SurveyScore = fa.SurveyScore
	}
	// A survey taken by the survey function or the API's survey operation
	// counts when the contact record carried no surveyScore attribute.
	if f.SurveyScore == 0 && c.Survey != nil {
		f.SurveyScore = c.Survey.Score
	}
	if d := c.Decision; d != nil {
		f.Decided = true
		f.OfferShown = d.Shown && !d.Holdout
		if d.OfferID != "" {
			f.Offer, f.Campaign = d.OfferID, d.CampaignID
			f.Group = kpi.GroupTreated
			if d.Holdout {
				f.Group = kpi.GroupHoldout
			}
		}
		outcome, value := "", 0.0
		switch {
		case c.Outcome != nil:
			outcome, value = c.Outcome.Outcome, c.Outcome.Value
		case c.Facts != nil:
			outcome = strings.ToLower(strings.TrimSpace(c.Facts.Outcome))
		}
		f.Outcome = kpi.Outcome(outcome)
		if f.Outcome == kpi.OutcomeAccepted {
			f.Value = value
			if value == 0 {
				f.Value = d.Value
			}
		}
	}
	return f, true
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
