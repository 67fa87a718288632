package profiles

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/identity"
)

var (
	hasher = identity.NewHasher([]byte("profiles-test-key"))
	now    = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
)

func ptr[T any](v T) *T { return &v }

func fields(err error) []string {
	ps, _ := apperr.AsProblems(err)
	var out []string
	for _, p := range ps {
		out = append(out, p.Field)
	}
	return out
}

func TestBuild(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	cases := []struct {
		name   string
		in     Input
		fields []string // problems expected; nil when valid
		check  func(t *testing.T, p Profile)
	}{
		{"phone only, defaults", Input{Phone: "+15551230001"}, nil, func(t *testing.T, p Profile) {
			if len(p.Identities) != 1 || p.Identities[0].Kind() != identity.Phone || p.ValueTier != "standard" {
				t.Errorf("identities %v tier %q", p.Identities, p.ValueTier)
			}
			if p.Consent == nil || len(p.Consent) != 0 {
				t.Errorf("consent %v; want an empty map", p.Consent)
			}
		}},
		{"every identity, hashed", Input{Phone: "+15551230001", Email: "Ann@Example.com", CustomerID: "C-1"}, nil, func(t *testing.T, p Profile) {
			phone, _ := hasher.Phone("+15551230001")
			email, _ := hasher.Email("ann@example.com")
			customer, _ := hasher.CustomerID("C-1")
			if !slices.Equal(p.Identities, []identity.Key{phone, email, customer}) {
				t.Errorf("identities %v", p.Identities)
			}
		}},
		{"lists cleaned of repeats", Input{CustomerID: "c", Segments: []string{"a", "b", "a"}, Products: []string{"tv", "tv"}}, nil, func(t *testing.T, p Profile) {
			if !slices.Equal(p.Segments, []string{"a", "b"}) || !slices.Equal(p.Products, []string{"tv"}) {
				t.Errorf("segments %v products %v", p.Segments, p.Products)
			}
		}},
		{"times in UTC", Input{CustomerID: "c", CustomerSince: ptr(time.Date(2020, 1, 1, 0, 0, 0, 0, paris)),
			LifeEvents: []LifeEvent{{Kind: "moved_house", At: time.Date(2026, 1, 1, 12, 0, 0, 0, paris)}}}, nil, func(t *testing.T, p Profile) {
			if p.CustomerSince.Location() != time.UTC || p.LifeEvents[0].At.Location() != time.UTC {
				t.Errorf("times not UTC: %v %v", p.CustomerSince, p.LifeEvents[0].At)
			}
		}},
		{"consent stamped now unless given", Input{CustomerID: "c", Consent: map[string]Consent{
			"sms": {Status: ConsentOptOut}, "all": {Status: ConsentOptIn, UpdatedAt: now.Add(-time.Hour), Source: "import"},
		}}, nil, func(t *testing.T, p Profile) {
			if !p.Consent["sms"].UpdatedAt.Equal(now) || !p.Consent["all"].UpdatedAt.Equal(now.Add(-time.Hour)) {
				t.Errorf("consent %+v", p.Consent)
			}
		}},
		{"one life event per kind, newest", Input{CustomerID: "c", LifeEvents: []LifeEvent{
			{Kind: "moved_house", At: now.AddDate(0, -2, 0)}, {Kind: "moved_house", At: now.AddDate(0, -1, 0)}, {Kind: "new_job", At: now.AddDate(0, -3, 0)},
		}}, nil, func(t *testing.T, p Profile) {
			if len(p.LifeEvents) != 2 || p.LifeEvents[0].Kind != "moved_house" || !p.LifeEvents[0].At.Equal(now.AddDate(0, -1, 0)) {
				t.Errorf("life events %+v", p.LifeEvents)
			}
		}},
		{"no identity", Input{Segments: []string{"a"}}, []string{"phone"}, nil},
		{"phone not E.164", Input{Phone: "5551230001"}, []string{"phone"}, nil},
		// identity.Hasher takes canonical E.164 only; the API reads a number
		// as a person wrote it through phoneinput.Hasher first.
		{"phone not canonical", Input{Phone: "+1 555 123 0001"}, []string{"phone"}, nil},
		{"bad email", Input{Email: "ann@example"}, []string{"email"}, nil},
		{"customer id too long", Input{CustomerID: string(make([]byte, 129))}, []string{"customerId"}, nil},
		{"bad value tier", Input{CustomerID: "c", ValueTier: "diamond"}, []string{"valueTier"}, nil},
		{"bad language", Input{CustomerID: "c", Language: "english!"}, []string{"language"}, nil},
		{"customer since in the future", Input{CustomerID: "c", CustomerSince: ptr(now.Add(time.Hour))}, []string{"customerSince"}, nil},
		{"segment not a token", Input{CustomerID: "c", Segments: []string{"ok", "Not OK"}}, []string{"segments[1]"}, nil},
		{"too many segments", Input{CustomerID: "c", Segments: slices.Repeat([]string{"a"}, 51)}, []string{"segments"}, nil},
		{"consent on an unknown channel", Input{CustomerID: "c", Consent: map[string]Consent{"fax": {Status: ConsentOptIn}}}, []string{"consent.fax"}, nil},
		{"consent with an unknown status", Input{CustomerID: "c", Consent: map[string]Consent{"sms": {Status: "yes"}}}, []string{"consent.sms.status"}, nil},
		{"consent from the future", Input{CustomerID: "c", Consent: map[string]Consent{"sms": {Status: ConsentOptIn, UpdatedAt: now.Add(time.Hour)}}}, []string{"consent.sms.updatedAt"}, nil},
		{"life event without kind or time", Input{CustomerID: "c", LifeEvents: []LifeEvent{{}}}, []string{"lifeEvents[0].kind", "lifeEvents[0].at"}, nil},
		{"life event expiring before it happened", Input{CustomerID: "c", LifeEvents: []LifeEvent{{Kind: "k", At: now, ExpiresAt: now.Add(-time.Hour)}}}, []string{"lifeEvents[0].expiresAt"}, nil},
		{"version on create", Input{CustomerID: "c", Version: ptr(2)}, []string{"version"}, nil},
		{"every problem at once", Input{Phone: "1", Email: "x", ValueTier: "x", Segments: []string{""}},
			[]string{"phone", "email", "segments[0]", "valueTier"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := c.in.Build(hasher, now)
			if got := fields(err); !slices.Equal(got, c.fields) {
				t.Fatalf("problems with %v; want %v (%v)", got, c.fields, err)
			}
			if c.check != nil {
				c.check(t, p)
			}
		})
	}
}

func TestApply(t *testing.T) {
	base, err := Input{Phone: "+15551230001", Email: "ann@example.com", Segments: []string{"young_family"}, Products: []string{"tv"},
		ValueTier: "gold", Language: "en-US", Consent: map[string]Consent{"sms": {Status: ConsentOptIn}},
		LifeEvents: []LifeEvent{{Kind: "new_baby", At: now.AddDate(0, -1, 0)}}}.Build(hasher, now)
	if err != nil {
		t.Fatal(err)
	}
	newPhone, _ := hasher.Phone("+15551230002")
	email, _ := hasher.Email("ann@example.com")
	cases := []struct {
		name   string
		in     Input
		fields []string
		want   func(p Profile) Profile // the expected profile from a copy of base
	}{
		{"nothing named, nothing changes", Input{}, nil, func(p Profile) Profile { return p }},
		{"named fields replace", Input{ValueTier: "platinum", Segments: []string{"movers"}, Language: "fr-FR"}, nil, func(p Profile) Profile {
			p.ValueTier, p.Segments, p.Language = "platinum", []string{"movers"}, "fr-FR"
			return p
		}},
		{"an empty list clears", Input{Segments: []string{}, LifeEvents: []LifeEvent{}}, nil, func(p Profile) Profile {
			p.Segments, p.LifeEvents = []string{}, nil
			return p
		}},
		{"a phone replaces the phone, the email stays", Input{Phone: "+15551230002"}, nil, func(p Profile) Profile {
			p.Identities = []identity.Key{email, newPhone}
			return p
		}},
		{"consent is not changed here", Input{Consent: map[string]Consent{"sms": {Status: ConsentOptOut}}}, []string{"consent"}, nil},
		{"an invalid input changes nothing", Input{ValueTier: "platinum", Segments: []string{"movers"}, Phone: "bad"}, []string{"phone"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := base.Clone()
			err := c.in.Apply(hasher, now, &p)
			if got := fields(err); !slices.Equal(got, c.fields) {
				t.Fatalf("problems with %v; want %v (%v)", got, c.fields, err)
			}
			want := base
			if c.want != nil {
				want = c.want(base.Clone())
			}
			if !reflect.DeepEqual(p, want) {
				t.Errorf("profile\n%+v\nwant\n%+v", p, want)
			}
		})
	}
}

func TestSetConsent(t *testing.T) {
	cases := []struct {
		name    string
		choices map[string]string
		source  string
		fields  []string
	}{
		{"one channel", map[string]string{"sms": ConsentOptOut}, "call", nil},
		{"several channels and all", map[string]string{"all": ConsentOptOut, "email": ConsentOptIn}, "web", nil},
		{"no channel", map[string]string{}, "call", []string{"consent"}},
		{"unknown channel and status", map[string]string{"fax": ConsentOptIn, "sms": "maybe"}, "call", []string{"consent.fax", "consent.sms"}},
		{"no source", map[string]string{"sms": ConsentOptOut}, "", []string{"source"}},
		{"source not a token", map[string]string{"sms": ConsentOptOut}, "Front Desk", []string{"source"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Profile{Consent: map[string]Consent{"sms": {Status: ConsentOptIn, UpdatedAt: now.Add(-time.Hour)}}}
			before := p.Clone()
			err := p.SetConsent(c.choices, c.source, "agent-7", now)
			if got := fields(err); !slices.Equal(got, c.fields) {
				t.Fatalf("problems with %v; want %v (%v)", got, c.fields, err)
			}
			if err != nil {
				if !reflect.DeepEqual(p, before) {
					t.Errorf("a refused change altered consent: %+v", p.Consent)
				}
				return
			}
			for ch, st := range c.choices {
				want := Consent{Status: st, UpdatedAt: now, Source: c.source, UpdatedBy: "agent-7"}
				if p.Consent[ch] != want {
					t.Errorf("consent %s = %+v; want %+v", ch, p.Consent[ch], want)
				}
			}
		})
	}
}

func TestConsentForTakesTheCustomersLatestWord(t *testing.T) {
	at := func(h int) time.Time { return now.Add(time.Duration(h) * time.Hour) }
	cases := []struct {
		name     string
		consent  map[string]Consent
		channel  string
		want     string // "" when none applies
		optedOut bool
	}{
		{"no consent recorded", nil, ChannelSMS, "", false},
		{"the channel's own", map[string]Consent{"sms": {Status: ConsentOptOut, UpdatedAt: at(1)}}, ChannelSMS, ConsentOptOut, true},
		{"all covers a channel without its own", map[string]Consent{"all": {Status: ConsentOptOut, UpdatedAt: at(1)}}, ChannelVoice, ConsentOptOut, true},
		{"a later all-channel opt-out wins over an older opt-in", map[string]Consent{
			"sms": {Status: ConsentOptIn, UpdatedAt: at(1)}, "all": {Status: ConsentOptOut, UpdatedAt: at(2)}}, ChannelSMS, ConsentOptOut, true},
		{"a later channel opt-in wins over an older all-channel opt-out", map[string]Consent{
			"sms": {Status: ConsentOptIn, UpdatedAt: at(3)}, "all": {Status: ConsentOptOut, UpdatedAt: at(2)}}, ChannelSMS, ConsentOptIn, false},
		{"a tie goes to the channel's own", map[string]Consent{
			"sms": {Status: ConsentOptIn, UpdatedAt: at(2)}, "all": {Status: ConsentOptOut, UpdatedAt: at(2)}}, ChannelSMS, ConsentOptIn, false},
		{"an unknown channel falls back to all", map[string]Consent{"all": {Status: ConsentOptIn, UpdatedAt: at(1)}}, "carrier_pigeon", ConsentOptIn, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Profile{Consent: c.consent}
			got, ok := p.ConsentFor(c.channel)
			if got.Status != c.want || ok != (c.want != "") {
				t.Errorf("ConsentFor = %+v, %v; want %q", got, ok, c.want)
			}
			if p.OptedOut(c.channel) != c.optedOut {
				t.Errorf("OptedOut = %v; want %v", !c.optedOut, c.optedOut)
			}
		})
	}
}

func TestTenureMonths(t *testing.T) {
	cases := []struct {
		since time.Time
		want  int
	}{
		{time.Time{}, 0},
		{now.AddDate(0, 0, 1), 0},
		{now, 0},
		{time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC), 1},
		{time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC), 0},
		{time.Date(2023, 3, 1, 0, 0, 0, 0, time.UTC), 36},
	}
	for _, c := range cases {
		if got := (Profile{CustomerSince: c.since}).TenureMonths(now); got != c.want {
			t.Errorf("since %v: %d months; want %d", c.since, got, c.want)
		}
	}
}

func TestLifeEvents(t *testing.T) {
	var p Profile
	p.AddLifeEvent(LifeEvent{Kind: "moved_house", At: now.AddDate(0, -2, 0), ExpiresAt: now.AddDate(0, -1, 0)})
	p.AddLifeEvent(LifeEvent{Kind: "new_job", At: now.AddDate(0, -1, 0)})
	p.AddLifeEvent(LifeEvent{Kind: "new_job", At: now.AddDate(0, -6, 0)}) // older: ignored
	if len(p.LifeEvents) != 2 || p.LifeEvents[0].Kind != "new_job" || !p.LifeEvents[0].At.Equal(now.AddDate(0, -1, 0)) {
		t.Fatalf("life events %+v; want new_job (newest) then moved_house", p.LifeEvents)
	}
	if active := p.ActiveLifeEvents(now); len(active) != 1 || active[0].Kind != "new_job" {
		t.Errorf("active %+v; want new_job only (the move expired)", active)
	}
	for i := range MaxLifeEvents + 5 {
		p.AddLifeEvent(LifeEvent{Kind: fmt.Sprintf("k%d", i), At: now.Add(time.Duration(i) * time.Minute)})
	}
	if len(p.LifeEvents) != MaxLifeEvents || p.LifeEvents[0].Kind != fmt.Sprintf("k%d", MaxLifeEvents+4) {
		t.Errorf("%d life events, first %s; want %d, newest first", len(p.LifeEvents), p.LifeEvents[0].Kind, MaxLifeEvents)
	}
}

func TestRecordContact(t *testing.T) {
	var p Profile
	p.RecordContact(ContactSummary{ContactID: "c1", At: now.Add(-time.Hour)})
	p.RecordContact(ContactSummary{ContactID: "c2", At: now})
	p.RecordContact(ContactSummary{ContactID: "c1", At: now.Add(-time.Hour), Resolved: true}) // the same contact, updated
	if p.ContactCount != 2 || len(p.RecentContacts) != 2 || p.RecentContacts[0].ContactID != "c2" || !p.RecentContacts[1].Resolved {
		t.Fatalf("count %d contacts %+v", p.ContactCount, p.RecentContacts)
	}
	for i := range MaxRecentContacts + 3 {
		p.RecordContact(ContactSummary{ContactID: fmt.Sprintf("x%d", i), At: now.Add(time.Duration(i) * time.Minute)})
	}
	if len(p.RecentContacts) != MaxRecentContacts || p.ContactCount != MaxRecentContacts+5 {
		t.Errorf("%d recent, count %d; want %d recent and every contact counted", len(p.RecentContacts), p.ContactCount, MaxRecentContacts)
	}
}

func TestRecordExposureAndOutcome(t *testing.T) {
	var p Profile
	p.RecordExposure(Exposure{DecisionID: "old", At: now.Add(-RecentWindow - time.Hour)}, now)
	p.RecordExposure(Exposure{DecisionID: "d1", At: now.Add(-time.Hour)}, now)
	p.RecordExposure(Exposure{DecisionID: "d1", At: now}, now) // recorded twice: kept once
	p.RecordExposure(Exposure{DecisionID: "d2", At: now}, now)
	if ids := decisionIDs(p.RecentOffers); !slices.Equal(ids, []string{"d2", "d1"}) {
		t.Fatalf("recent offers %v; want d2, d1 (old one pruned)", ids)
	}
	if !p.RecordOutcome("d1", "accepted", now) || p.RecentOffers[1].Outcome != "accepted" {
		t.Errorf("outcome not recorded: %+v", p.RecentOffers)
	}
	if p.RecordOutcome("nope", "declined", now) {
		t.Errorf("an outcome for an unknown decision was recorded")
	}
	for i := range MaxRecentOffers + 5 {
		p.RecordExposure(Exposure{DecisionID: fmt.Sprintf("x%d", i), At: now.Add(-time.Duration(i) * time.Minute)}, now)
	}
	if len(p.RecentOffers) != MaxRecentOffers || !p.RecentOffers[0].At.Equal(now) || slices.Contains(decisionIDs(p.RecentOffers), "x54") {
		t.Errorf("%d recent offers, first %+v; want %d, newest first, the oldest dropped", len(p.RecentOffers), p.RecentOffers[0], MaxRecentOffers)
	}
}

func decisionIDs(list []Exposure) []string {
	var out []string
	for _, e := range list {
		out = append(out, e.DecisionID)
	}
	return out
}

func TestCloneIsIndependent(t *testing.T) {
	p := Profile{Segments: []string{"a"}, Consent: map[string]Consent{"sms": {Status: ConsentOptIn}}, RecentOffers: []Exposure{{DecisionID: "d"}}}
	c := p.Clone()
	c.Segments[0], c.RecentOffers[0].DecisionID = "b", "e"
	c.Consent["sms"] = Consent{Status: ConsentOptOut}
	if p.Segments[0] != "a" || p.Consent["sms"].Status != ConsentOptIn || p.RecentOffers[0].DecisionID != "d" {
		t.Fatalf("changing the clone changed the original: %+v", p)
	}
}

func TestIDs(t *testing.T) {
	a, b := NewID(), NewID()
	if a == b || !ValidID(a) || len(a) != 21 {
		t.Fatalf("NewID gave %q and %q", a, b)
	}
	for id, want := range map[string]bool{"p0123": true, "demo-0001": true, "": false, "p": false, "p/../x": false, "p 1": false, "P#p1": false} {
		if ValidID(id) != want {
			t.Errorf("ValidID(%q) = %v; want %v", id, !want, want)
		}
	}
}
