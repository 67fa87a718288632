package catalog

import (
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/rules"
)

var now = time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)

// validOffer is a complete, valid offer spec each case changes one thing of.
func validOffer() OfferSpec {
	return OfferSpec{
		Name: "Fibre 1 Gbit upgrade", CampaignID: "fibre-upgrade", Channels: []string{"voice", "chat"},
		ValidFrom: now, ValidTo: now.AddDate(0, 3, 0), Value: Money{Amount: "120.00", Currency: "EUR"},
		BusinessLever: 1, PriorityWeight: 1,
		Eligibility:                 `"broadband" in profile.segments && contact.intent == "high_bill"`,
		Intents:                     []string{"high_bill"},
		Caps:                        Caps{PerCustomer: PerCustomerCap{Max: 1, WindowDays: 30}, Global: 5000},
		SuppressionDaysAfterDecline: 60,
		Content: Content{
			Pitch: "Twice the speed for €5 less than you pay now.", Script: "Could I show you a faster plan?",
			FAQ:        []FAQ{{"Is there an installation fee?", "No."}},
			Objections: []Objection{{"I am happy as I am.", "It costs less than you pay now."}},
			WhyItFits:  "You called about {intent}; as a {valueTier} customer this saves you money.",
			Variants:   []Variant{{"a", "Script A", 1}, {"b", "Script B", 1}},
		},
	}
}

func validCampaign() CampaignSpec {
	return CampaignSpec{
		Name: "Fibre upgrade", Goal: "Move high-bill broadband customers to fibre", Owner: "maria.marketing",
		LaunchAt: now, EndAt: now.AddDate(0, 2, 0), Audience: `"broadband" in profile.segments`,
		HoldoutShare: 0.1, ExpectedResponseRate: 0.02, AudienceSize: 40000,
		LoadGate: LoadGate{MaxASASeconds: 60, MinServiceLevel: 0.8, Queues: []string{"all"}},
	}
}

func problemFields(t *testing.T, err error) map[string]string {
	t.Helper()
	ps, ok := apperr.AsProblems(err)
	if !ok {
		t.Fatalf("want input problems, got %v", err)
	}
	out := map[string]string{}
	for _, p := range ps {
		out[p.Field] = p.Problem
	}
	return out
}

func TestOfferValidate(t *testing.T) {
	if err := validOffer().Validate(rules.Check); err != nil {
		t.Fatalf("valid offer refused: %v", err)
	}
	cases := []struct {
		name   string
		change func(*OfferSpec)
		field  string
		says   string
	}{
		{"name required", func(s *OfferSpec) { s.Name = "" }, "name", "required"},
		{"campaign required", func(s *OfferSpec) { s.CampaignID = "" }, "campaignId", "required"},
		{"no channel", func(s *OfferSpec) { s.Channels = nil }, "channels", "at least one"},
		{"unknown channel", func(s *OfferSpec) { s.Channels = []string{"fax"} }, "channels[0]", "fax"},
		{"channel twice", func(s *OfferSpec) { s.Channels = []string{"voice", "voice"} }, "channels[1]", "twice"},
		{"dates out of order", func(s *OfferSpec) { s.ValidTo = s.ValidFrom.Add(-time.Hour) }, "validTo", "after validFrom"},
		{"no start", func(s *OfferSpec) { s.ValidFrom = time.Time{} }, "validFrom", "required"},
		{"unknown currency", func(s *OfferSpec) { s.Value.Currency = "XXX" }, "value.currency", "ISO 4217"},
		{"bad amount", func(s *OfferSpec) { s.Value.Amount = "-5" }, "value.amount", "decimal"},
		{"too many decimals", func(s *OfferSpec) { s.Value = Money{"100.5", "JPY"} }, "value.amount", "decimals"},
		{"negative lever", func(s *OfferSpec) { s.BusinessLever = -1 }, "businessLever", "from 0"},
		{"rule does not compile", func(s *OfferSpec) { s.Eligibility = `profile.tenure > 3` }, "eligibility", "line 1, column 8"},
		{"bad intent", func(s *OfferSpec) { s.Intents = []string{"High Bill"} }, "intents[0]", "lower-case"},
		{"negative global cap", func(s *OfferSpec) { s.Caps.Global = -1 }, "caps.global", "0 (no cap)"},
		{"negative per-customer cap", func(s *OfferSpec) { s.Caps.PerCustomer.Max = -1 }, "caps.perCustomer.max", "0 (no cap)"},
		{"cap without window", func(s *OfferSpec) { s.Caps.PerCustomer.WindowDays = 0 }, "caps.perCustomer.windowDays", "at least 1"},
		{"negative suppression", func(s *OfferSpec) { s.SuppressionDaysAfterDecline = -1 }, "suppressionDaysAfterDecline", "from 0"},
		{"pitch over 200", func(s *OfferSpec) { s.Content.Pitch = strings.Repeat("é", 201) }, "content.pitch", "201 characters"},
		{"pitch required", func(s *OfferSpec) { s.Content.Pitch = "" }, "content.pitch", "required"},
		{"pitch two lines", func(s *OfferSpec) { s.Content.Pitch = "a\nb" }, "content.pitch", "single line"},
		{"empty faq answer", func(s *OfferSpec) { s.Content.FAQ[0].Answer = "" }, "content.faq[0].answer", "required"},
		{"unknown placeholder", func(s *OfferSpec) { s.Content.WhyItFits = "Because {mood}" }, "content.whyItFits", "{mood}"},
		{"variant twice", func(s *OfferSpec) { s.Content.Variants[1].ID = "a" }, "content.variants[1].id", "twice"},
		{"variant weight", func(s *OfferSpec) { s.Content.Variants[0].Weight = 0 }, "content.variants[0].weight", "more than 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := validOffer()
			tc.change(&s)
			got := problemFields(t, s.Validate(rules.Check))
			if !strings.Contains(got[tc.field], tc.says) {
				t.Fatalf("problems = %v; want %s saying %q", got, tc.field, tc.says)
			}
		})
	}
}

func TestCampaignValidate(t *testing.T) {
	if err := validCampaign().Validate(rules.Check); err != nil {
		t.Fatalf("valid campaign refused: %v", err)
	}
	cases := []struct {
		name   string
		change func(*CampaignSpec)
		field  string
		says   string
	}{
		{"dates out of order", func(s *CampaignSpec) { s.EndAt = s.LaunchAt }, "endAt", "after launchAt"},
		{"no launch", func(s *CampaignSpec) { s.LaunchAt = time.Time{} }, "launchAt", "required"},
		{"holdout over 50 %", func(s *CampaignSpec) { s.HoldoutShare = 0.51 }, "holdoutShare", "0 % to 50 %"},
		{"negative holdout", func(s *CampaignSpec) { s.HoldoutShare = -0.1 }, "holdoutShare", "from 0"},
		{"response rate over 1", func(s *CampaignSpec) { s.ExpectedResponseRate = 2 }, "expectedResponseRate", "from 0 to 1"},
		{"negative audience", func(s *CampaignSpec) { s.AudienceSize = -1 }, "audienceSize", "0 or more"},
		{"audience rule unknown variable", func(s *CampaignSpec) { s.Audience = `customer.tier == "gold"` }, "audience", "undeclared reference to 'customer'"},
		{"service level over 1", func(s *CampaignSpec) { s.LoadGate.MinServiceLevel = 80 }, "loadGate.minServiceLevel", "from 0 to 1"},
		{"all plus a queue", func(s *CampaignSpec) { s.LoadGate.Queues = []string{"all", "billing"} }, "loadGate.queues[0]", "every queue"},
		{"owner required", func(s *CampaignSpec) { s.Owner = " " }, "owner", "required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := validCampaign()
			tc.change(&s)
			got := problemFields(t, s.Validate(rules.Check))
			if !strings.Contains(got[tc.field], tc.says) {
				t.Fatalf("problems = %v; want %s saying %q", got, tc.field, tc.says)
			}
		})
	}
}

func TestOfferTransitions(t *testing.T) {
	all := OfferStatuses
	allowed := map[[2]OfferStatus]bool{
		{OfferDraft, OfferActive}: true, {OfferDraft, OfferRetired}: true,
		{OfferActive, OfferPaused}: true, {OfferActive, OfferRetired}: true,
		{OfferPaused, OfferActive}: true, {OfferPaused, OfferRetired}: true,
	}
	for _, from := range all {
		for _, to := range all {
			o := Offer{Status: from}
			err := o.Transition(to, "maria", "", now)
			want := allowed[[2]OfferStatus{from, to}]
			if (err == nil) != want {
				t.Errorf("%s → %s: err = %v, want allowed %v", from, to, err, want)
				continue
			}
			if want && (o.Status != to || len(o.Transitions) != 1 || o.Transitions[0].By != "maria") {
				t.Errorf("%s → %s: offer = %+v", from, to, o)
			}
			if !want && (o.Status != from || len(o.Transitions) != 0) {
				t.Errorf("%s → %s refused but changed the offer", from, to)
			}
		}
	}
	o := Offer{Status: OfferRetired}
	if got := problemFields(t, o.Transition(OfferActive, "x", "", now))["status"]; !strings.Contains(got, "final") {
		t.Errorf("retired offer problem = %q", got)
	}
	if got := problemFields(t, o.Transition("launched", "x", "", now))["status"]; !strings.Contains(got, "must be one of") {
		t.Errorf("unknown status problem = %q", got)
	}
}

func complete(c *Campaign) {
	for _, it := range ChecklistItems {
		if err := c.SetChecklistItem(it, true, "carl.contactcenter", now); err != nil {
			panic(err)
		}
	}
}

func TestCampaignTransitions(t *testing.T) {
	allowed := map[[2]CampaignStatus]bool{
		{CampaignPlanned, CampaignReady}: true, {CampaignPlanned, CampaignEnded}: true,
		{CampaignReady, CampaignLive}: true, {CampaignReady, CampaignPlanned}: true, {CampaignReady, CampaignEnded}: true,
		{CampaignLive, CampaignHeld}: true, {CampaignLive, CampaignEnded}: true,
		{CampaignHeld, CampaignLive}: true, {CampaignHeld, CampaignEnded}: true,
	}
	for _, from := range CampaignStatuses {
		for _, to := range CampaignStatuses {
			c := Campaign{CampaignSpec: validCampaign()}
			complete(&c)
			c.Status = from
			err := c.Transition(to, "maria", "launch review done", now)
			want := allowed[[2]CampaignStatus{from, to}]
			if (err == nil) != want {
				t.Errorf("%s → %s: err = %v, want allowed %v", from, to, err, want)
				continue
			}
			if want {
				tr := c.Transitions[len(c.Transitions)-1]
				if c.Status != to || tr.From != string(from) || tr.To != string(to) || tr.By != "maria" || tr.Reason == "" || !tr.At.Equal(now) {
					t.Errorf("%s → %s: recorded %+v", from, to, tr)
				}
			} else if c.Status != from || len(c.Transitions) != 0 {
				t.Errorf("%s → %s refused but changed the campaign", from, to)
			}
		}
	}
}

func TestCampaignChecklistGate(t *testing.T) {
	c := Campaign{CampaignSpec: validCampaign(), Status: CampaignPlanned}
	err := c.Transition(CampaignReady, "maria", "", now)
	if got := problemFields(t, err)["status"]; !strings.Contains(got, "agentBriefingPublished, scriptsApproved, faqPublished, staffingConfirmed") {
		t.Fatalf("open checklist problem = %q", got)
	}
	complete(&c)
	if err := c.SetChecklistItem(ItemStaffingConfirmed, false, "carl", now); err != nil {
		t.Fatal(err)
	}
	if got := problemFields(t, c.Transition(CampaignReady, "maria", "", now))["status"]; !strings.Contains(got, "staffingConfirmed") || strings.Contains(got, "scriptsApproved") {
		t.Fatalf("one open item problem = %q", got)
	}
	if err := c.SetChecklistItem(ItemStaffingConfirmed, true, "carl", now); err != nil {
		t.Fatal(err)
	}
	if it, _ := c.Checklist.Item(ItemStaffingConfirmed); !it.Done || it.By != "carl" || !it.At.Equal(now) {
		t.Fatalf("item = %+v", it)
	}
	if err := c.Transition(CampaignReady, "maria", "", now); err != nil {
		t.Fatal(err)
	}
	if got := problemFields(t, c.SetChecklistItem(ItemFAQPublished, false, "carl", now))["done"]; !strings.Contains(got, "planned or hold") {
		t.Fatalf("reopen while ready = %q", got)
	}
	if got := problemFields(t, c.SetChecklistItem("coffee", true, "carl", now))["item"]; !strings.Contains(got, "must be one of") {
		t.Fatalf("unknown item = %q", got)
	}
	if err := c.Transition(CampaignLive, "maria", "", now); err != nil {
		t.Fatal(err)
	}
	if err := c.Transition(CampaignHeld, "loadwatch", "billing ASA 95 s > 60 s", now); err != nil {
		t.Fatal(err)
	}
	if err := c.SetChecklistItem(ItemStaffingConfirmed, false, "carl", now); err != nil {
		t.Fatalf("reopen while held: %v", err)
	}
	if got := problemFields(t, c.Transition(CampaignLive, "maria", "", now))["status"]; !strings.Contains(got, "staffingConfirmed") {
		t.Fatalf("held → live with an open item = %q", got)
	}
	ended := Campaign{CampaignSpec: validCampaign()}
	complete(&ended)
	ended.Status = CampaignReady
	if got := problemFields(t, ended.Transition(CampaignLive, "m", "", ended.EndAt))["status"]; !strings.Contains(got, "cannot go live") {
		t.Fatalf("live after end = %q", got)
	}
}

func TestMoney(t *testing.T) {
	cases := []struct {
		m     Money
		minor int64
		ok    bool
	}{
		{Money{"19.99", "EUR"}, 1999, true},
		{Money{"20", "USD"}, 2000, true},
		{Money{"1.5", "GBP"}, 150, true},
		{Money{"1500", "JPY"}, 1500, true},
		{Money{"1.234", "KWD"}, 1234, true},
		{Money{"1.5", "JPY"}, 0, false},
		{Money{"", "EUR"}, 0, false},
		{Money{"1e3", "EUR"}, 0, false},
		{Money{"-1", "EUR"}, 0, false},
		{Money{".5", "EUR"}, 0, false},
		{Money{"5.", "EUR"}, 0, false},
		{Money{"5", "eur"}, 0, false},
		{Money{"99999999999999999", "EUR"}, 0, false},
	}
	for _, tc := range cases {
		got, err := tc.m.MinorUnits()
		if (err == nil) != tc.ok || got != tc.minor {
			t.Errorf("%+v: MinorUnits = %d, %v", tc.m, got, err)
		}
	}
	if got := (Money{"19.99", "EUR"}).Major(); got != 19.99 {
		t.Errorf("Major = %v", got)
	}
}

func TestWhyItFitsFor(t *testing.T) {
	c := Content{WhyItFits: "You called about {intent} and moved {lifeEvent} ago."}
	got := c.WhyItFitsFor(map[string]string{"intent": "your bill"})
	if got != "You called about your bill and moved ago." {
		t.Fatalf("got %q", got)
	}
}

func TestOpenAtAndLiveAt(t *testing.T) {
	o := Offer{OfferSpec: validOffer(), Status: OfferActive}
	if !o.OpenAt(now) || o.OpenAt(now.Add(-time.Second)) || o.OpenAt(o.ValidTo) {
		t.Fatal("OpenAt dates")
	}
	o.Deleted = true
	if o.OpenAt(now) {
		t.Fatal("deleted offer open")
	}
	c := Campaign{CampaignSpec: validCampaign(), Status: CampaignLive}
	if !c.LiveAt(now) || c.LiveAt(c.EndAt) {
		t.Fatal("LiveAt dates")
	}
	if c.ExpectedContacts() != 800 {
		t.Fatalf("expected contacts = %v", c.ExpectedContacts())
	}
}
