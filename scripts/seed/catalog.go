package seed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/rules"
	"github.com/conduit-cx/conduit/shared/store/catalogstore"
)

// The demo catalog: three campaigns a telco runs with its contact center,
// ten offers, their rules written against the demo customers' segments,
// products and life events.

// demoSeeder is who the demo data says made each change.
const demoSeeder = "seed"

// DemoCampaigns returns the demo campaigns as of now: "fibre-upgrade" and
// "home-move" live, "family-plan" ready to launch in three days.
func DemoCampaigns(now time.Time) []catalog.Campaign {
	day := func(d int) time.Time { return now.AddDate(0, 0, d).Truncate(time.Hour) }
	return []catalog.Campaign{
		{ID: "fibre-upgrade", CampaignSpec: catalog.CampaignSpec{
			Name:     "Fibre upgrade",
			Goal:     "Move broadband customers who call about a high bill to fibre that costs them less",
			Owner:    "maria.marketing",
			LaunchAt: day(-14), EndAt: day(76),
			Audience:     `profile.products.exists(p, p.startsWith("broadband_")) && profile.last_sentiment != "negative"`,
			HoldoutShare: 0.10, ExpectedResponseRate: 0.03, AudienceSize: 42000,
			LoadGate: catalog.LoadGate{MaxASASeconds: 60, MinServiceLevel: 0.80, Queues: []string{"billing", "sales"}},
		}},
		{ID: "home-move", CampaignSpec: catalog.CampaignSpec{
			Name:     "Home move",
			Goal:     "Keep movers with us: broadband live on moving day, TV and business lines at the new address",
			Owner:    "maria.marketing",
			LaunchAt: day(-30), EndAt: day(150),
			Audience:     `"move" in profile.life_events || contact.intent == "move"`,
			HoldoutShare: 0.15, ExpectedResponseRate: 0.08, AudienceSize: 6500,
			LoadGate: catalog.LoadGate{MaxASASeconds: 90, MinServiceLevel: 0.75, Queues: []string{catalog.AllQueues}},
		}},
		{ID: "family-plan", CampaignSpec: catalog.CampaignSpec{
			Name:     "Family plan",
			Goal:     "Offer newly married couples and new parents one plan for the whole household",
			Owner:    "li.lifecycle",
			LaunchAt: day(3), EndAt: day(120),
			Audience:     `"new_baby" in profile.life_events || "marriage" in profile.life_events || "families" in profile.segments`,
			HoldoutShare: 0.20, ExpectedResponseRate: 0.05, AudienceSize: 12000,
			LoadGate: catalog.LoadGate{MaxASASeconds: 45, MinServiceLevel: 0.85, Queues: []string{"sales", "retention"}},
		}},
	}
}

func eur(amount string) catalog.Money { return catalog.Money{Amount: amount, Currency: "EUR"} }

var (
	voiceChat = []string{profiles.ChannelVoice, profiles.ChannelChat}
	voiceOnly = []string{profiles.ChannelVoice}
)

// DemoOffers returns the demo offers as of now, all active.
func DemoOffers(now time.Time) []catalog.Offer {
	from := now.AddDate(0, 0, -14).Truncate(time.Hour)
	once := func(days int) catalog.Caps {
		return catalog.Caps{PerCustomer: catalog.PerCustomerCap{Max: 1, WindowDays: days}}
	}
	return []catalog.Offer{
		{ID: "fibre-1000-switch", OfferSpec: catalog.OfferSpec{
			Name: "Fibre 1000 for less than your bill", CampaignID: "fibre-upgrade", Channels: voiceChat,
			ValidFrom: from, Value: eur("180.00"), BusinessLever: 1.3, PriorityWeight: 1.2,
			Eligibility:                 `contact.intent in ["high_bill", "upgrade"] && !("fibre_1000" in profile.products) && profile.tenure_months >= 6`,
			Intents:                     []string{"high_bill", "upgrade"},
			Caps:                        catalog.Caps{PerCustomer: catalog.PerCustomerCap{Max: 1, WindowDays: 30}, Global: 5000},
			SuppressionDaysAfterDecline: 60,
			Content: catalog.Content{
				Pitch:  "Fibre 1000 is ten times faster and €4 a month less than you pay today.",
				Script: "I can see your bill has gone up. Before we look at it line by line: you could move to Fibre 1000 for €4 a month less than today, ten times the speed, same contract end date. Shall I check your address?",
				FAQ: []catalog.FAQ{
					{Question: "Is there an installation fee?", Answer: "No. An engineer visit is free and takes about two hours."},
					{Question: "Does my contract start again?", Answer: "No. Your contract end date stays the same."},
				},
				Objections: []catalog.Objection{
					{Objection: "I don't need more speed.", Response: "It's mainly cheaper: the speed comes with it. You save about €48 a year."},
					{Objection: "I'm worried about the switch-over.", Response: "Your current line keeps working until the fibre is live; there is no gap."},
				},
				WhyItFits: "You called about {intent}; Fibre 1000 costs less than your current plan.",
				Variants: []catalog.Variant{
					{ID: "save-first", Script: "You could save €4 a month and get ten times the speed. Shall I check your address?", Weight: 1},
					{ID: "speed-first", Script: "Ten times the speed for €4 a month less. Shall I check your address?", Weight: 1},
				},
			},
		}},
		{ID: "fibre-500-value", OfferSpec: catalog.OfferSpec{
			Name: "Fibre 500 value plan", CampaignID: "fibre-upgrade", Channels: voiceChat,
			ValidFrom: from, Value: eur("120.00"), BusinessLever: 1, PriorityWeight: 1,
			Eligibility: `contact.intent == "high_bill" && "price_sensitive" in profile.segments && !("broadband_500" in profile.products)`,
			Intents:     []string{"high_bill"}, Caps: once(30), SuppressionDaysAfterDecline: 45,
			Content: catalog.Content{
				Pitch:     "Fibre 500 at €29 a month: five times faster and €7 less than now.",
				Script:    "If keeping the bill down matters most, Fibre 500 is €29 a month, €7 less than you pay now, and five times faster.",
				FAQ:       []catalog.FAQ{{Question: "Is the price fixed?", Answer: "Yes, €29 a month for 24 months."}},
				WhyItFits: "You called about {intent}; this plan lowers it.",
			},
		}},
		{ID: "wifi-booster", OfferSpec: catalog.OfferSpec{
			Name: "Wi-Fi booster for home workers", CampaignID: "fibre-upgrade", Channels: []string{profiles.ChannelVoice, profiles.ChannelChat, profiles.ChannelEmail},
			ValidFrom: from, Value: eur("36.00"), BusinessLever: 0.8, PriorityWeight: 0.6,
			Eligibility: `"home_workers" in profile.segments && !("wifi_booster" in profile.products)`,
			Intents:     []string{"outage", "upgrade"}, Caps: once(60), SuppressionDaysAfterDecline: 90,
			Content: catalog.Content{
				Pitch:     "A Wi-Fi booster for €3 a month gives the home office a strong signal.",
				Script:    "Many people working from home lose signal in the back rooms; a booster plugs into any socket and fixes that for €3 a month.",
				FAQ:       []catalog.FAQ{{Question: "Do I need an engineer?", Answer: "No. It arrives by post and pairs with one button."}},
				WhyItFits: "You work from home; a booster keeps video calls steady.",
			},
		}},
		{ID: "fibre-gaming", OfferSpec: catalog.OfferSpec{
			Name: "Fibre 1000 gaming bundle", CampaignID: "fibre-upgrade", Channels: voiceChat,
			ValidFrom: from, Value: eur("210.00"), BusinessLever: 1.1, PriorityWeight: 0.9,
			Eligibility: `"gamers" in profile.segments && contact.intent == "upgrade" && !("fibre_1000" in profile.products)`,
			Intents:     []string{"upgrade"}, Caps: once(30), SuppressionDaysAfterDecline: 60,
			Content: catalog.Content{
				Pitch:     "Fibre 1000 with low-latency routing: smoother online games from €39 a month.",
				Script:    "For gaming, latency matters more than speed. Fibre 1000 comes with priority routing for game traffic.",
				FAQ:       []catalog.FAQ{{Question: "Which consoles does it work with?", Answer: "All of them; nothing to install."}},
				WhyItFits: "You asked about an {intent}; this is the plan built for gaming.",
			},
		}},
		{ID: "move-day-one", OfferSpec: catalog.OfferSpec{
			Name: "Broadband live on moving day", CampaignID: "home-move", Channels: voiceChat,
			ValidFrom: from, Value: eur("90.00"), BusinessLever: 1.4, PriorityWeight: 1.3,
			Eligibility: `contact.intent == "move" || ("move" in profile.life_events && profile.life_event_days["move"] <= 30)`,
			Intents:     []string{"move"}, LifeEvents: []string{"move"}, Caps: once(90), SuppressionDaysAfterDecline: 30,
			Content: catalog.Content{
				Pitch:  "We can have your broadband working at the new address on the day you move, free.",
				Script: "Congratulations on the move! If you tell me the new address and the date, I'll book the line so it works the day you get the keys, at no cost.",
				FAQ: []catalog.FAQ{
					{Question: "What if the moving date changes?", Answer: "Call or chat any time up to two days before; we rebook for free."},
					{Question: "Can I keep my phone number?", Answer: "Yes, in most areas. I can check the new address now."},
				},
				Objections: []catalog.Objection{{Objection: "I might switch provider when I move.", Response: "Moving with us costs nothing and avoids a gap without internet."}},
				WhyItFits:  "You are moving; this keeps you connected from day one.",
			},
		}},
		{ID: "move-tv-bundle", OfferSpec: catalog.OfferSpec{
			Name: "TV bundle for the new home", CampaignID: "home-move", Channels: voiceOnly,
			ValidFrom: from, Value: eur("150.00"), BusinessLever: 1, PriorityWeight: 0.8,
			Eligibility: `"move" in profile.life_events && profile.value_tier in ["silver", "gold", "platinum"] && !("tv_family" in profile.products)`,
			LifeEvents:  []string{"move"}, Caps: once(90), SuppressionDaysAfterDecline: 60,
			Content: catalog.Content{
				Pitch:     "Add TV at the new home: three months free, then €12 a month.",
				Script:    "Since we're setting up the new home anyway, TV can go in the same visit: three months free, then €12 a month, cancel any time.",
				FAQ:       []catalog.FAQ{{Question: "Is there a box to install?", Answer: "The engineer brings and sets it up during the broadband visit."}},
				WhyItFits: "You are moving and have been a {valueTier} customer; setting up TV in the same visit saves a trip.",
			},
		}},
		{ID: "move-business-line", OfferSpec: catalog.OfferSpec{
			Name: "Business line and static IP at the new premises", CampaignID: "home-move", Channels: voiceChat,
			ValidFrom: from, Value: eur("240.00"), BusinessLever: 1.2, PriorityWeight: 1.1,
			Eligibility: `"small_business" in profile.segments && contact.intent == "move"`,
			Intents:     []string{"move"}, Caps: once(90), SuppressionDaysAfterDecline: 60,
			Content: catalog.Content{
				Pitch:     "Your business line and static IP move with you, with a four-hour fix guarantee.",
				Script:    "For the new premises I can move the business line and keep your static IP, so card machines and remote access keep working.",
				FAQ:       []catalog.FAQ{{Question: "Will my IP address change?", Answer: "No, the static IP moves with the line."}},
				WhyItFits: "Your business is moving; this keeps its systems reachable.",
			},
		}},
		{ID: "family-mobile-plan", OfferSpec: catalog.OfferSpec{
			Name: "One mobile plan for the family", CampaignID: "family-plan", Channels: voiceChat,
			ValidFrom: now.AddDate(0, 0, 3).Truncate(time.Hour), Value: eur("200.00"), BusinessLever: 1.2, PriorityWeight: 1.1,
			Eligibility: `("marriage" in profile.life_events || "new_baby" in profile.life_events) && !("mobile_family_plan" in profile.products)`,
			LifeEvents:  []string{"marriage", "new_baby"}, Caps: once(60), SuppressionDaysAfterDecline: 90,
			Content: catalog.Content{
				Pitch:  "Put everyone on one family plan: shared data and €10 off each extra line.",
				Script: "Congratulations! Many couples and new parents put everyone on one plan: data is shared, and each extra line is €10 less.",
				FAQ: []catalog.FAQ{
					{Question: "Can we keep our numbers?", Answer: "Yes, every number moves to the family plan."},
					{Question: "What if one person uses a lot of data?", Answer: "You can set a limit per line in the app."},
				},
				Objections: []catalog.Objection{{Objection: "My partner is with another provider.", Response: "We move the number for free and cover up to €50 of their exit fee."}},
				WhyItFits:  "Your household has grown; one plan costs less than separate ones.",
				Variants: []catalog.Variant{
					{ID: "savings", Script: "One plan for everyone saves €10 per extra line.", Weight: 1},
					{ID: "simplicity", Script: "One bill, shared data, every number kept.", Weight: 1},
				},
			},
		}},
		{ID: "family-tv", OfferSpec: catalog.OfferSpec{
			Name: "Family TV with kids' channels", CampaignID: "family-plan", Channels: voiceOnly,
			ValidFrom: now.AddDate(0, 0, 3).Truncate(time.Hour), Value: eur("96.00"), BusinessLever: 0.9, PriorityWeight: 0.7,
			Eligibility: `"new_baby" in profile.life_events && profile.life_event_days["new_baby"] <= 120 && !("tv_family" in profile.products)`,
			LifeEvents:  []string{"new_baby"}, Caps: once(90), SuppressionDaysAfterDecline: 120,
			Content: catalog.Content{
				Pitch:     "Family TV: kids' channels without ads, first two months free.",
				Script:    "With a little one at home, many parents like ad-free kids' channels. The first two months are free, then €8 a month.",
				FAQ:       []catalog.FAQ{{Question: "Can I lock grown-up channels?", Answer: "Yes, with a PIN set in the first minute of setup."}},
				WhyItFits: "Congratulations on the new baby; this keeps the screens family-friendly.",
			},
		}},
		{ID: "family-device-cover", OfferSpec: catalog.OfferSpec{
			Name: "Device cover for the whole household", CampaignID: "family-plan", Channels: []string{profiles.ChannelVoice, profiles.ChannelChat, profiles.ChannelSMS},
			ValidFrom: now.AddDate(0, 0, 3).Truncate(time.Hour), Value: eur("60.00"), BusinessLever: 0.8, PriorityWeight: 0.5,
			Eligibility: `"families" in profile.segments && profile.tenure_months >= 12 && !("device_insurance" in profile.products)`,
			Caps:        catalog.Caps{PerCustomer: catalog.PerCustomerCap{Max: 1, WindowDays: 90}, Global: 2000}, SuppressionDaysAfterDecline: 180,
			Content: catalog.Content{
				Pitch:     "Cover every phone and tablet in the house against drops and spills for €5 a month.",
				Script:    "With kids around, screens break. Household cover repairs or replaces any of your devices for €5 a month.",
				FAQ:       []catalog.FAQ{{Question: "Is there an excess?", Answer: "€25 per claim, nothing for screen repairs."}},
				WhyItFits: "You have been with us {tenureMonths} months; cover for the whole household is cheaper than per device.",
			},
		}},
	}
}

// SeedCatalog stores the demo catalog: campaigns first (with their
// checklist done and their moves recorded), then their offers, active. An
// item that exists already is left as it is, so a second run adds nothing.
func SeedCatalog(ctx context.Context, cat *catalogstore.Catalog, now time.Time) error {
	now = now.UTC().Truncate(time.Millisecond)
	campaigns := DemoCampaigns(now)
	ready, live := catalog.CampaignReady, catalog.CampaignLive
	moves := map[string][]catalog.CampaignStatus{"fibre-upgrade": {ready, live}, "home-move": {ready, live}, "family-plan": {ready}}
	for _, c := range campaigns {
		c.Normalize()
		if err := c.Validate(rules.Check); err != nil {
			return fmt.Errorf("demo campaign %s: %w", c.ID, err)
		}
		c.Status = catalog.CampaignPlanned
		c.CreatedAt, c.UpdatedAt, c.CreatedBy, c.UpdatedBy = now, now, demoSeeder, demoSeeder
		for _, item := range catalog.ChecklistItems {
			by := "maria.marketing"
			if item == catalog.ItemStaffingConfirmed {
				by = "carl.contactcenter"
			}
			if err := c.SetChecklistItem(item, true, by, now); err != nil {
				return err
			}
		}
		for _, to := range moves[c.ID] {
			if err := c.Transition(to, demoSeeder, "demo data", now); err != nil {
				return fmt.Errorf("demo campaign %s: %w", c.ID, err)
			}
		}
		if _, err := cat.CreateCampaign(ctx, c); err != nil && !errors.Is(err, apperr.ErrConflict) {
			return err
		}
	}
	for _, o := range DemoOffers(now) {
		o.Normalize()
		if err := o.Validate(rules.Check); err != nil {
			return fmt.Errorf("demo offer %s: %w", o.ID, err)
		}
		o.Status = catalog.OfferDraft
		o.CreatedAt, o.UpdatedAt, o.CreatedBy, o.UpdatedBy = now, now, demoSeeder, demoSeeder
		if err := o.Transition(catalog.OfferActive, demoSeeder, "demo data", now); err != nil {
			return err
		}
		if _, err := cat.CreateOffer(ctx, o); err != nil && !errors.Is(err, apperr.ErrConflict) {
			return err
		}
	}
	return nil
}
