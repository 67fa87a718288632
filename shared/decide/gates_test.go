package decide

import (
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/profiles"
)

func TestConsentGate(t *testing.T) {
	optOut := func(ch string) func(*profiles.Profile) {
		return func(p *profiles.Profile) { p.Consent[ch] = profiles.Consent{Status: profiles.ConsentOptOut} }
	}
	optIn := func(ch string) func(*profiles.Profile) {
		return func(p *profiles.Profile) { p.Consent[ch] = profiles.Consent{Status: profiles.ConsentOptIn} }
	}
	cases := []struct {
		name       string
		profile    *profiles.Profile
		suppressed bool
		optInOnly  bool
		want       Reason
	}{
		{"erased customer gets nothing", customer(), true, false, ReasonSuppressed},
		{"erased anonymous caller gets nothing", nil, true, false, ReasonSuppressed},
		{"opt-out on voice stops a call", customer(optOut(profiles.ChannelVoice)), false, false, ReasonOptedOut},
		{"opt-out of all channels stops a call", customer(optOut(profiles.ChannelAll)), false, false, ReasonOptedOut},
		{"voice opt-in wins over an all opt-out", customer(optOut(profiles.ChannelAll), optIn(profiles.ChannelVoice)), false, false, ReasonNone},
		{"opt-out on chat does not stop a call", customer(optOut(profiles.ChannelChat)), false, false, ReasonNone},
		{"no consent recorded allows offers by default", customer(), false, false, ReasonNone},
		{"opt-in required and none recorded", customer(), false, true, ReasonNoOptIn},
		{"opt-in required and given", customer(optIn(profiles.ChannelVoice)), false, true, ReasonNone},
		{"opt-in required and anonymous", nil, false, true, ReasonNoOptIn},
		{"anonymous caller may get an offer", nil, false, false, ReasonNone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := input(tc.profile, voiceCall())
			in.Suppressed = tc.suppressed
			d := Decide(in, oneOffer(), Policy{RequireOptIn: tc.optInOnly})
			if g := d.Explain().Gates[0]; g.Step != StepConsent || g.Why.Reason != tc.want || g.Passed != (tc.want == ReasonNone) {
				t.Fatalf("consent gate = %+v, want reason %q", g, tc.want)
			}
			if tc.want == ReasonNone {
				if !d.Offered() {
					t.Fatalf("no offer made: %+v", d.Why)
				}
				return
			}
			if d.Offered() || d.OfferID != "" || d.Why.Reason != tc.want || d.Why.Step != StepConsent {
				t.Fatalf("decision = offer %q why %+v, want no offer for %q", d.OfferID, d.Why, tc.want)
			}
		})
	}
}

func TestEmpathyGate(t *testing.T) {
	negativeContact := func(ago time.Duration, issue string) func(*profiles.Profile) {
		return func(p *profiles.Profile) {
			p.RecentContacts = append(p.RecentContacts, profiles.ContactSummary{ContactID: "old", At: now.Add(-ago), Issue: issue, Sentiment: "negative"})
		}
	}
	contactAbout := func(ago time.Duration, issue string) func(*profiles.Profile) {
		return func(p *profiles.Profile) {
			p.RecentContacts = append(p.RecentContacts, profiles.ContactSummary{ContactID: "old", At: now.Add(-ago), Issue: issue, Sentiment: "neutral", Resolved: true})
		}
	}
	survey := func(score int, ago time.Duration) func(*profiles.Profile) {
		return func(p *profiles.Profile) { p.Voice.LastSurveyScore, p.Voice.LastSurveyAt = score, now.Add(-ago) }
	}
	cases := []struct {
		name    string
		profile *profiles.Profile
		contact func(*Contact)
		want    Reason
	}{
		{"negative sentiment now holds offers", customer(), func(c *Contact) { c.Sentiment = "NEGATIVE" }, ReasonUpset},
		{"negative sentiment holds offers for anonymous callers too", nil, func(c *Contact) { c.Sentiment = "negative" }, ReasonUpset},
		{"complaint flag holds offers", customer(), func(c *Contact) { c.Complaint = true }, ReasonComplaint},
		{"complaint intent holds offers", customer(), func(c *Contact) { c.Intent = "Complaint" }, ReasonComplaint},
		{"cancellation intent holds offers", customer(), func(c *Contact) { c.Intent = "close_account" }, ReasonCancellation},
		{"cancellation flag holds offers", customer(), func(c *Contact) { c.Cancellation = true }, ReasonCancellation},
		{"failed self-service holds offers", customer(), func(c *Contact) { c.SelfServiceFailed = true }, ReasonSelfServiceFailed},
		{"repeat contact known to the flow holds offers", nil, func(c *Contact) { c.RepeatContact = true }, ReasonRepeatContact},
		{"same issue three days ago is a repeat contact", customer(contactAbout(3*day, "high_bill")), func(c *Contact) { c.Intent = "high_bill" }, ReasonRepeatContact},
		{"same issue ten days ago is not a repeat contact", customer(contactAbout(10*day, "high_bill")), func(c *Contact) { c.Intent = "high_bill" }, ReasonNone},
		{"another issue yesterday is not a repeat contact", customer(contactAbout(day, "move")), func(c *Contact) { c.Intent = "high_bill" }, ReasonNone},
		{"the contact itself is not its own repeat", customer(func(p *profiles.Profile) {
			p.RecentContacts = []profiles.ContactSummary{{ContactID: "contact-1", At: now.Add(-time.Minute), Issue: "high_bill"}}
		}), func(c *Contact) { c.Intent = "high_bill" }, ReasonNone},
		{"upset on a contact two hours ago holds offers", customer(negativeContact(2*time.Hour, "other")), nil, ReasonRecentNegativeContact},
		{"upset on a contact three days ago no longer holds offers", customer(negativeContact(3*day, "other")), nil, ReasonNone},
		{"last sentiment negative this morning holds offers", customer(func(p *profiles.Profile) {
			p.LastSentiment, p.LastSentimentAt = "negative", now.Add(-3*time.Hour)
		}), nil, ReasonRecentNegativeContact},
		{"survey score 2 last week holds offers", customer(survey(2, 7*day)), nil, ReasonLowSurveyScore},
		{"survey score 3 last week does not", customer(survey(3, 7*day)), nil, ReasonNone},
		{"survey score 1 two months ago does not", customer(survey(1, 60*day)), nil, ReasonNone},
		{"open social complaint holds offers", customer(func(p *profiles.Profile) { p.Voice.ComplaintOpenedAt = now.Add(-2 * day) }), nil, ReasonOpenComplaint},
		{"old social complaint does not", customer(func(p *profiles.Profile) { p.Voice.ComplaintOpenedAt = now.Add(-90 * day) }), nil, ReasonNone},
		{"neutral caller may get an offer", customer(), func(c *Contact) { c.Sentiment = "neutral" }, ReasonNone},
		{"positive caller with an intent may get an offer", customer(), func(c *Contact) { c.Sentiment = "positive"; c.Intent = "high_bill" }, ReasonNone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := voiceCall()
			if tc.contact != nil {
				tc.contact(&c)
			}
			d := Decide(input(tc.profile, c), oneOffer(), Policy{})
			g := d.Explain().Gates[1]
			if g.Step != StepEmpathy || g.Why.Reason != tc.want {
				t.Fatalf("empathy gate = %+v, want %q", g, tc.want)
			}
			if tc.want == ReasonNone {
				if !d.Offered() {
					t.Fatalf("no offer made: %+v", d.Why)
				}
				return
			}
			if d.Offered() || d.Why.Reason != tc.want || d.Why.Words != tc.want.Words() {
				t.Fatalf("decision = offer %q why %+v, want no offer for %q", d.OfferID, d.Why, tc.want)
			}
		})
	}
}

func TestAnUpsetCallerGetsNoOfferAndTheAgentIsTold(t *testing.T) {
	c := voiceCall()
	c.Sentiment = "NEGATIVE"
	c.Intent = "high_bill"
	d := Decide(input(customer(), c), oneOffer(withIntents("high_bill")), Policy{})
	if d.Offered() || d.OfferID != "" || len(d.Ranked()) != 0 {
		t.Fatalf("upset caller got offer %q (ranked %d)", d.OfferID, len(d.Ranked()))
	}
	if want := "Customer is upset: focus on service, no offer."; d.Why.Words != want {
		t.Fatalf("agent reads %q, want %q", d.Why.Words, want)
	}
	if got := d.Explain().Offers[0].Why.Reason; got != ReasonUpset {
		t.Fatalf("offer dropped for %q, want %q", got, ReasonUpset)
	}
}

func TestChannelGate(t *testing.T) {
	cases := []struct {
		name     string
		channel  string
		channels []string
		want     Reason
	}{
		{"voice is sold on by default", "VOICE", nil, ReasonNone},
		{"chat is sold on by default", "chat", nil, ReasonNone},
		{"tasks are not sold on by default", "TASK", nil, ReasonChannelNotOffered},
		{"an unknown channel is not sold on", "", nil, ReasonChannelNotOffered},
		{"a policy may switch chat off", "CHAT", []string{"voice"}, ReasonChannelNotOffered},
		{"a policy naming channels as Connect does", "voice", []string{"VOICE", "CHAT"}, ReasonNone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := voiceCall()
			c.Channel = tc.channel
			d := Decide(input(customer(), c), oneOffer(), Policy{Channels: tc.channels})
			if g := d.Explain().Gates[3]; g.Step != StepChannel || g.Why.Reason != tc.want {
				t.Fatalf("channel gate = %+v, want %q", g, tc.want)
			}
			if (tc.want == ReasonNone) != d.Offered() {
				t.Fatalf("offered = %v, why %+v", d.Offered(), d.Why)
			}
		})
	}
}

func TestGatesStopInOrder(t *testing.T) {
	c := voiceCall()
	c.Channel, c.Sentiment = "TASK", "negative"
	p := customer(func(p *profiles.Profile) { p.Consent["all"] = profiles.Consent{Status: profiles.ConsentOptOut} })
	d := Decide(input(p, c), oneOffer(), Policy{})
	if d.Why.Step != StepConsent {
		t.Fatalf("stopped by %q, want consent first", d.Why.Step)
	}
	var failed []Step
	for _, g := range d.Explain().Gates {
		if !g.Passed {
			failed = append(failed, g.Step)
		}
	}
	if len(failed) != 3 || failed[0] != StepConsent || failed[1] != StepEmpathy || failed[2] != StepChannel {
		t.Fatalf("failed gates = %v, want every failing gate reported: consent, empathy, channel", failed)
	}
}
