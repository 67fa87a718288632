package decide

import (
	"strconv"
	"time"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/profiles"
)

// now is the time of every test decision: a Tuesday morning.
var now = time.Date(2026, 5, 12, 10, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

func campaign(id string, mods ...func(*catalog.Campaign)) catalog.Campaign {
	c := catalog.Campaign{ID: id, Status: catalog.CampaignLive}
	c.Name = "Campaign " + id
	c.LaunchAt, c.EndAt = now.Add(-30*day), now.Add(30*day)
	for _, m := range mods {
		m(&c)
	}
	return c
}

func offer(id, campaignID string, mods ...func(*catalog.Offer)) catalog.Offer {
	o := catalog.Offer{ID: id, Status: catalog.OfferActive}
	o.Name = "Offer " + id
	o.CampaignID = campaignID
	o.Channels = []string{profiles.ChannelVoice, profiles.ChannelChat}
	o.ValidFrom = now.Add(-10 * day)
	o.Value = catalog.Money{Amount: "10.00", Currency: "EUR"}
	o.BusinessLever = 1
	o.PriorityWeight = 1
	o.Content.Pitch = "Pitch of " + id
	o.Content.Script = "Script of " + id
	for _, m := range mods {
		m(&o)
	}
	return o
}

func customer(mods ...func(*profiles.Profile)) *profiles.Profile {
	p := &profiles.Profile{
		ID:            "prof-1",
		Segments:      []string{"broadband"},
		Products:      []string{"broadband_100"},
		ValueTier:     "gold",
		CustomerSince: now.AddDate(-3, 0, 0),
		Consent:       map[string]profiles.Consent{},
	}
	for _, m := range mods {
		m(p)
	}
	return p
}

func voiceCall() Contact {
	return Contact{ContactID: "contact-1", Channel: "VOICE", Queue: "billing", Sentiment: "NEUTRAL"}
}

func withValue(amount string) func(*catalog.Offer) {
	return func(o *catalog.Offer) { o.Value.Amount = amount }
}

func withRule(rule string) func(*catalog.Offer) {
	return func(o *catalog.Offer) { o.Eligibility = rule }
}

func withIntents(in ...string) func(*catalog.Offer) {
	return func(o *catalog.Offer) { o.Intents = in }
}

func withLifeEvents(in ...string) func(*catalog.Offer) {
	return func(o *catalog.Offer) { o.LifeEvents = in }
}

func withHoldout(share float64) func(*catalog.Campaign) {
	return func(c *catalog.Campaign) { c.HoldoutShare = share }
}

func exposure(offerID string, ago time.Duration, outcome string) profiles.Exposure {
	return profiles.Exposure{DecisionID: "d-" + offerID + "-" + strconv.Itoa(int(ago/time.Hour)), OfferID: offerID,
		At: now.Add(-ago), Outcome: outcome, OutcomeAt: now.Add(-ago).Add(time.Minute)}
}

// oneOffer is a snapshot with a single live campaign and offer.
func oneOffer(mods ...func(*catalog.Offer)) *Snapshot {
	return NewSnapshot([]catalog.Offer{offer("o-1", "c-1", mods...)}, []catalog.Campaign{campaign("c-1")})
}

func input(p *profiles.Profile, c Contact) Input {
	return Input{Now: now, Profile: p, Contact: c}
}
