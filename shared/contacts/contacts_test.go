package contacts

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/profiles"
)

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", "connect", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestFactsOfThePublishedContactRecord(t *testing.T) {
	rec, err := connect.DecodeContactRecord(sample(t, "ctr.json"))
	if err != nil {
		t.Fatal(err)
	}
	f, notes := FactsOf(&rec)
	if len(notes) != 0 {
		t.Fatalf("notes: %v", notes)
	}
	want := Facts{
		LastUpdate:       mustTime("2019-08-21T17:53:27Z"),
		Channel:          "voice",
		InitiationMethod: "INBOUND",
		InitiatedAt:      mustTime("2019-08-21T17:44:21Z"),
		DisconnectedAt:   mustTime("2019-08-21T17:52:06Z"),
		DisconnectReason: "CUSTOMER_DISCONNECT",
		QueueID:          "5a6e7f8b-92a3-4dbe-8f3a-4b5c6d7e8f90",
		Queue:            "BasicQueue",
		EnqueuedAt:       mustTime("2019-08-21T17:44:43Z"),
		AnsweredAt:       mustTime("2019-08-21T17:46:06Z"),
		QueueWaitSeconds: 83,
		AgentUsername:    "agent.jane",
		RoutingProfile:   "Basic Routing Profile",
		TalkSeconds:      322, HoldSeconds: 38, Holds: 2, AfterContactWorkSeconds: 15, HandleSeconds: 375,
		Status: StatusHandled, Handled: true,
		DecisionID: "dec-01J9ZC3W8Q7M4V2K6T5R1N0P8H", Offer: "fibre-upgrade-2024", Outcome: "accepted",
		Intent: "high_bill", SurveyScore: 5,
	}
	if f != want {
		t.Errorf("facts\n got %+v\nwant %+v", f, want)
	}
}

func TestFactsStatusAndAttributes(t *testing.T) {
	ts := connect.NewTimestamp
	t0 := mustTime("2024-05-01T10:00:00Z")
	cases := []struct {
		name      string
		rec       connect.ContactRecord
		status    string
		transfer  bool
		survey    int
		notes     int
		decision  string
		queueWait int
	}{
		{"left the queue before an agent took it is abandoned",
			connect.ContactRecord{Queue: &connect.RecordQueue{EnqueueTimestamp: ts(t0), DequeueTimestamp: ts(t0.Add(95 * time.Second))}},
			StatusAbandoned, false, 0, 0, "", 95},
		{"self-service only never reached a queue", connect.ContactRecord{}, StatusNotQueued, false, 0, 0, "", 0},
		{"a next contact means a transfer",
			connect.ContactRecord{NextContactID: "c2", Agent: &connect.RecordAgent{ConnectedToAgentTimestamp: ts(t0)}},
			StatusHandled, true, 0, 0, "", 0},
		{"conduit_ attributes win over plain ones",
			connect.ContactRecord{Attributes: map[string]string{"conduit_decisionId": "d1", "decisionId": "d2", "surveyScore": " 4 "}},
			StatusNotQueued, false, 4, 0, "d1", 0},
		{"a survey score outside 1-5 is left out with a note",
			connect.ContactRecord{Attributes: map[string]string{"surveyScore": "9"}}, StatusNotQueued, false, 0, 1, "", 0},
		{"a survey score that is not a number is left out with a note",
			connect.ContactRecord{Attributes: map[string]string{"surveyScore": "great"}}, StatusNotQueued, false, 0, 1, "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, notes := FactsOf(&c.rec)
			if f.Status != c.status || f.Transferred != c.transfer || f.SurveyScore != c.survey || len(notes) != c.notes ||
				f.DecisionID != c.decision || f.QueueWaitSeconds != c.queueWait {
				t.Errorf("got status %s transferred %v survey %d notes %v decision %q wait %d", f.Status, f.Transferred, f.SurveyScore, notes, f.DecisionID, f.QueueWaitSeconds)
			}
			if f.Handled != (c.status == StatusHandled) || f.Abandoned != (c.status == StatusAbandoned) {
				t.Errorf("handled %v abandoned %v for status %s", f.Handled, f.Abandoned, c.status)
			}
		})
	}
}

func TestSignalTable(t *testing.T) {
	def, err := ParseSignalTable("")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		table    SignalTable
		category string
		want     Mapping
		ok       bool
	}{
		{def, "life_event_marriage", Mapping{Signal: SignalLifeEvent, LifeEvent: "marriage", TTLDays: 180}, true},
		{def, "Life_Event_Marriage", Mapping{Signal: SignalLifeEvent, LifeEvent: "marriage", TTLDays: 180}, true},
		{def, "life_event_graduation", Mapping{Signal: SignalLifeEvent, LifeEvent: "graduation", TTLDays: DefaultLifeEventTTLDays}, true},
		{def, "churn_risk", Mapping{Signal: SignalChurnRisk}, true},
		{def, "complaint", Mapping{Signal: SignalComplaint}, true},
		{def, "competitor_mention", Mapping{Signal: SignalCompetitorMention}, true},
		{def, "CreditCardRelated", Mapping{}, false},
	}
	for _, c := range cases {
		got, ok := c.table.Lookup(c.category)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: got %+v %v", c.category, got, ok)
		}
	}

	custom, err := ParseSignalTable(`{"Wedding":{"signal":"life_event","lifeEvent":"marriage","ttlDays":30},"Switching":{"signal":"churn_risk"}}`)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := custom.Lookup("wedding"); m.LifeEvent != "marriage" || m.TTL() != 30*24*time.Hour {
		t.Errorf("custom wedding: %+v", m)
	}
	if _, ok := custom.Lookup("churn_risk"); ok {
		t.Error("a custom table replaces the default one")
	}

	bad := []struct{ raw, field string }{
		{`[1]`, EnvCategorySignals},
		{`{"a":{"signal":"Life Event"}}`, EnvCategorySignals + ".a.signal"},
		{`{"a":{"signal":"life_event"}}`, EnvCategorySignals + ".a.lifeEvent"},
		{`{"a":{"signal":"life_event","lifeEvent":"move","ttlDays":-1}}`, EnvCategorySignals + ".a.ttlDays"},
		{`{"a":{"signal":"complaint","ttlDays":3}}`, EnvCategorySignals + ".a"},
		{`{"A":{"signal":"complaint"},"a":{"signal":"complaint"}}`, EnvCategorySignals + ".a"},
		{`{"a":{"signal":"complaint","colour":"red"}}`, EnvCategorySignals},
	}
	for _, b := range bad {
		_, err := ParseSignalTable(b.raw)
		if err == nil || !strings.Contains(err.Error(), b.field+":") {
			t.Errorf("%s: got %v, want a problem on %s", b.raw, err, b.field)
		}
	}
}

func TestBalance(t *testing.T) {
	cases := []struct {
		recent []string
		want   string
	}{
		{nil, ""},
		{[]string{"neutral", "neutral"}, "neutral"},
		{[]string{"neutral", "negative", "neutral"}, "negative"},
		{[]string{"positive", "negative"}, "mixed"},
		{[]string{"positive", "positive", "negative"}, "positive"},
		{[]string{"mixed", "mixed"}, "neutral"},
	}
	for _, c := range cases {
		if got := Balance(c.recent); got != c.want {
			t.Errorf("%v: got %q, want %q", c.recent, got, c.want)
		}
	}
}

func turn(id, role string, offset int64, s connect.Sentiment) connect.LensSegment {
	return connect.LensSegment{Transcript: &connect.Transcript{ID: id, ParticipantRole: role, BeginOffsetMillis: offset, Sentiment: s}}
}

func segments(segs ...connect.LensSegment) *connect.LensEvent {
	return &connect.LensEvent{Version: "1.0.0", ContactID: "c1", EventType: connect.LensSegments, Segments: segs}
}

func TestLensRollingSentimentAndDeduplication(t *testing.T) {
	at := mustTime("2024-05-01T10:00:00Z")
	var l Lens
	table := DefaultSignalTable()
	if !l.Apply(segments(turn("a1", "AGENT", 100, connect.Neutral), turn("c1", "CUSTOMER", 200, connect.Negative)), at, table, 3) {
		t.Fatal("first turns changed nothing")
	}
	if l.Sentiment != "negative" || l.Participants[RoleCustomer].Negative != 1 || l.Participants[RoleAgent].Neutral != 1 {
		t.Fatalf("after first turns: %+v %+v", l, l.Participants[RoleCustomer])
	}
	// The same event again, and an older turn under a new id, change nothing.
	if l.Apply(segments(turn("a1", "AGENT", 100, connect.Neutral), turn("c1", "CUSTOMER", 200, connect.Negative)), at, table, 3) {
		t.Error("a redelivered event changed the lens")
	}
	if l.Apply(segments(turn("c0", "CUSTOMER", 150, connect.Positive)), at, table, 3) {
		t.Error("an older turn changed the lens")
	}
	// Three positive turns push the negative one out of a window of three.
	l.Apply(segments(turn("c2", "CUSTOMER", 300, connect.Positive), turn("c3", "CUSTOMER", 400, connect.Positive)), at, table, 3)
	if l.Sentiment != "positive" {
		t.Errorf("after two positive turns: %s (recent %v)", l.Sentiment, l.Participants[RoleCustomer].Recent)
	}
	l.Apply(segments(turn("c4", "CUSTOMER", 500, connect.Positive)), at, table, 3)
	c := l.Participants[RoleCustomer]
	if c.Turns != 4 || c.Positive != 3 || c.Negative != 1 || !slices.Equal(c.Recent, []string{"positive", "positive", "positive"}) {
		t.Errorf("customer: %+v", c)
	}
}

func TestLensCategoriesBecomeSignalsOnce(t *testing.T) {
	at := mustTime("2024-05-01T10:00:00Z")
	var l Lens
	ev := segments(connect.LensSegment{Categories: &connect.Categories{
		MatchedCategories: []string{"life_event_marriage", "complaint", "CreditCardRelated"},
		MatchedDetails: map[string]connect.CategoryDetails{
			"complaint": {PointsOfInterest: []connect.PointOfInterest{{BeginOffsetMillis: 900}, {BeginOffsetMillis: 400}}},
		},
	}})
	if !l.Apply(ev, at, DefaultSignalTable(), 0) {
		t.Fatal("categories changed nothing")
	}
	if len(l.Categories) != 3 || l.Categories[1].OffsetMillis != 400 {
		t.Errorf("categories: %+v", l.Categories)
	}
	wantSignals := []Signal{
		{Kind: SignalLifeEvent, LifeEvent: "marriage", Category: "life_event_marriage", At: at, ExpiresAt: at.Add(180 * 24 * time.Hour)},
		{Kind: SignalComplaint, Category: "complaint", At: at},
	}
	if !slices.Equal(l.Signals, wantSignals) {
		t.Errorf("signals\n got %+v\nwant %+v", l.Signals, wantSignals)
	}
	if !l.Has(SignalComplaint) || l.Has(SignalChurnRisk) {
		t.Error("Has")
	}
	if l.Apply(ev, at.Add(time.Minute), DefaultSignalTable(), 0) {
		t.Error("the same categories again changed the lens")
	}
	if got := l.ProfileFingerprint(); got != "|marriage" {
		t.Errorf("fingerprint %q", got)
	}
}

func TestLensStatusOnlyMovesForward(t *testing.T) {
	var l Lens
	at := mustTime("2024-05-01T10:00:00Z")
	for _, step := range []struct {
		typ  connect.LensEventType
		want string
	}{
		{connect.LensSegments, LensAnalysing},
		{connect.LensStarted, LensAnalysing},
		{connect.LensCompleted, LensCompleted},
		{connect.LensSegments, LensCompleted},
	} {
		l.Apply(&connect.LensEvent{EventType: step.typ}, at, nil, 0)
		if l.Status != step.want {
			t.Errorf("after %s: %s, want %s", step.typ, l.Status, step.want)
		}
	}
}

func TestLensOnThePublishedSegments(t *testing.T) {
	ev, err := connect.DecodeLensEvent(sample(t, "lens-segments.json"))
	if err != nil {
		t.Fatal(err)
	}
	var l Lens
	l.Apply(&ev, mustTime("2024-05-01T10:00:00Z"), DefaultSignalTable(), 0)
	if l.Sentiment != "negative" || l.Language != "en-US" || l.IssuesDetected != 1 || len(l.Categories) != 2 {
		t.Errorf("lens %+v", l)
	}
}

func event(id, typ string, at time.Time, queue string) *connect.ContactEvent {
	d := &connect.ContactEventDetail{EventType: typ, ContactID: "c1", Channel: connect.Voice}
	switch typ {
	case connect.EventQueued:
		d.QueueInfo = &connect.QueueInfo{QueueARN: "arn:aws:connect:us-west-2:1:instance/i/queue/" + queue, EnqueueTimestamp: connect.NewTimestamp(at)}
	case connect.EventConnectedToAgent:
		d.AgentInfo = &connect.AgentInfo{AgentARN: "agent-arn", ConnectedToAgentTimestamp: connect.NewTimestamp(at)}
	case connect.EventDisconnected:
		d.DisconnectTimestamp = connect.NewTimestamp(at)
	case connect.EventInitiated:
		d.InitiationTimestamp = connect.NewTimestamp(at)
	}
	return &connect.ContactEvent{ID: id, Time: connect.NewTimestamp(at.Truncate(time.Second)), Detail: d}
}

func TestEventsOrderAndQueueChanges(t *testing.T) {
	t0 := mustTime("2024-05-01T10:00:00Z")
	queued := event("e2", connect.EventQueued, t0.Add(10*time.Second), "q1")
	connected := event("e3", connect.EventConnectedToAgent, t0.Add(40*time.Second), "")
	var e Events
	qc, changed := e.Apply(event("e1", connect.EventInitiated, t0, ""))
	if !changed || qc != (QueueChange{}) {
		t.Fatalf("initiated: %v %+v", changed, qc)
	}
	qc, _ = e.Apply(queued)
	if qc.Join == nil || qc.Join.QueueID != "q1" || !qc.Join.Since.Equal(t0.Add(10*time.Second)) || qc.Leave != nil {
		t.Fatalf("queued: %+v", qc)
	}
	if again, changed := e.Apply(queued); changed || again != (QueueChange{}) {
		t.Errorf("queued again: %v %+v", changed, again)
	}
	qc, _ = e.Apply(connected)
	if qc.Leave == nil || qc.Leave.QueueID != "q1" || qc.Join != nil || e.Waiting != nil || e.Last != connect.EventConnectedToAgent {
		t.Errorf("connected: %+v %+v", qc, e)
	}

	// Out of order: connected before queued. The late QUEUED records its time
	// but puts nothing on the queue.
	var o Events
	o.Apply(connected)
	qc, changed = o.Apply(queued)
	if !changed || qc != (QueueChange{}) || o.Waiting != nil || !o.States[connect.EventQueued].Equal(t0.Add(10*time.Second)) {
		t.Errorf("late queued: %v %+v %+v", changed, qc, o)
	}
	if o.Last != connect.EventConnectedToAgent {
		t.Errorf("last %s", o.Last)
	}

	// Moved to another queue: off the first, onto the second.
	var m Events
	m.Apply(queued)
	qc, _ = m.Apply(event("e4", connect.EventQueued, t0.Add(20*time.Second), "q2"))
	if qc.Leave == nil || qc.Leave.QueueID != "q1" || qc.Join == nil || qc.Join.QueueID != "q2" {
		t.Errorf("moved: %+v", qc)
	}
	// A state change of no kind is ignored.
	if _, changed := m.Apply(&connect.ContactEvent{Detail: &connect.ContactEventDetail{EventType: connect.EventContactDataUpdated}}); changed {
		t.Error("CONTACT_DATA_UPDATED changed the timeline")
	}
}

func TestRecordContactFindsRepeatsInEitherOrder(t *testing.T) {
	t0 := mustTime("2024-05-01T10:00:00Z")
	handled := func(id string, at time.Time) *Contact {
		return &Contact{ContactID: id, Facts: &Facts{InitiatedAt: at, LastUpdate: at, Handled: true, Status: StatusHandled, Channel: "voice", Queue: "Billing"}}
	}
	first, second, third := handled("first", t0), handled("second", t0.Add(3*24*time.Hour)), handled("third", t0.Add(30*24*time.Hour))

	var p profiles.Profile
	if r := RecordContact(&p, first, true); !r.Empty() {
		t.Errorf("first: %+v", r)
	}
	if r := RecordContact(&p, second, true); !slices.Equal(r.Earlier, []string{"first"}) || len(r.Later) != 0 {
		t.Errorf("second: %+v", r)
	}
	if r := RecordContact(&p, third, true); !r.Empty() {
		t.Errorf("third, a month later: %+v", r)
	}
	// A record applied again counts once.
	RecordContact(&p, second, true)
	if p.ContactCount != 3 || len(p.RecentContacts) != 3 {
		t.Errorf("count %d, recent %d", p.ContactCount, len(p.RecentContacts))
	}
	resolved := map[string]bool{}
	for _, c := range p.RecentContacts {
		resolved[c.ContactID] = c.Resolved
	}
	if resolved["first"] || !resolved["second"] || !resolved["third"] {
		t.Errorf("resolved %v", resolved)
	}

	// The other order: the later contact's record comes first.
	var q profiles.Profile
	RecordContact(&q, second, true)
	if r := RecordContact(&q, first, true); !slices.Equal(r.Later, []string{"second"}) || len(r.Earlier) != 0 {
		t.Errorf("late first: %+v", r)
	}
	for _, c := range q.RecentContacts {
		if c.ContactID == "first" && c.Resolved {
			t.Error("first is resolved although the customer called again within 7 days")
		}
	}
}

func TestRecordContactCarriesSurveyAndLens(t *testing.T) {
	t0 := mustTime("2024-05-01T10:00:00Z")
	c := &Contact{ContactID: "c1",
		Facts: &Facts{InitiatedAt: t0, LastUpdate: t0.Add(time.Hour), DisconnectedAt: t0.Add(10 * time.Minute), SurveyScore: 2, Intent: "move"},
		Lens: &Lens{Sentiment: "negative", UpdatedAt: t0.Add(5 * time.Minute), Signals: []Signal{
			{Kind: SignalLifeEvent, LifeEvent: "move", At: t0.Add(4 * time.Minute), ExpiresAt: t0.Add(180 * 24 * time.Hour)},
			{Kind: SignalComplaint, At: t0},
		}},
	}
	var p profiles.Profile
	RecordContact(&p, c, true)
	RecordContact(&p, c, false)
	if p.Voice.LastSurveyScore != 2 || !p.Voice.LastSurveyAt.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("survey %+v", p.Voice)
	}
	if p.LastSentiment != "negative" || len(p.LifeEvents) != 1 || p.LifeEvents[0].Kind != "move" || p.LifeEvents[0].Source != LifeEventSource {
		t.Errorf("lens on profile: %s %+v", p.LastSentiment, p.LifeEvents)
	}
	if p.RecentContacts[0].Sentiment != "negative" || p.RecentContacts[0].Issue != "move" {
		t.Errorf("summary %+v", p.RecentContacts[0])
	}
}

func TestALaterVersionOfAContactOffTheRecentListIsNotCountedAgain(t *testing.T) {
	t0 := mustTime("2024-05-01T10:00:00Z")
	var p profiles.Profile
	old := &Contact{ContactID: "old", Facts: &Facts{InitiatedAt: t0, LastUpdate: t0, Handled: true}}
	RecordContact(&p, old, true)
	for i := range profiles.MaxRecentContacts {
		at := t0.Add(time.Duration(30+i) * 24 * time.Hour)
		RecordContact(&p, &Contact{ContactID: fmt.Sprint("c", i), Facts: &Facts{InitiatedAt: at, LastUpdate: at}}, true)
	}
	count := p.ContactCount
	// Weeks later an evaluation updates the old contact's record.
	old.Facts.LastUpdate = t0.Add(60 * 24 * time.Hour)
	RecordContact(&p, old, false)
	if p.ContactCount != count || slices.ContainsFunc(p.RecentContacts, func(c profiles.ContactSummary) bool { return c.ContactID == "old" }) {
		t.Errorf("count %d → %d; recent has old: %v", count, p.ContactCount, p.RecentContacts[len(p.RecentContacts)-1])
	}
	// A retry of a first write that never reached the profile still counts.
	RecordContact(&p, &Contact{ContactID: "new", Facts: &Facts{InitiatedAt: t0.Add(70 * 24 * time.Hour), LastUpdate: t0}}, true)
	if p.ContactCount != count+1 {
		t.Errorf("count %d, want %d", p.ContactCount, count+1)
	}
}

func TestMissingRepeatMarks(t *testing.T) {
	r := Repeats{Earlier: []string{"e1", "e2", "e3"}, Later: []string{"l1", "l2"}}
	cases := []struct {
		name    string
		handled bool
		marks   map[string]RepeatMarks
		want    []Pair
	}{
		{"nothing marked yet", true,
			map[string]RepeatMarks{"c": {Handled: true}, "e1": {Handled: true}, "e2": {}, "l1": {}, "l2": {}},
			[]Pair{{"e1", "c"}, {"c", "l1"}, {"c", "l2"}}},
		{"all marked: nothing to write", true,
			map[string]RepeatMarks{"c": {Handled: true, RepeatContact: true, RepeatWithin7d: true},
				"e1": {Handled: true, RepeatWithin7d: true}, "l1": {RepeatContact: true}, "l2": {RepeatContact: true}},
			nil},
		{"a later contact still unmarked", true,
			map[string]RepeatMarks{"c": {Handled: true, RepeatWithin7d: true}, "l1": {RepeatContact: true}, "l2": {}},
			[]Pair{{"c", "l2"}}},
		{"an abandoned contact marks no later one", false,
			map[string]RepeatMarks{"c": {}, "l1": {}, "l2": {}}, nil},
		{"an earlier handled contact not yet marked", false,
			map[string]RepeatMarks{"c": {RepeatContact: true}, "e3": {Handled: true}},
			[]Pair{{"e3", "c"}}},
	}
	for _, c := range cases {
		got := r.Missing("c", c.handled, c.marks)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestContactRecordBringsTheDecisionToTheProfile(t *testing.T) {
	at := time.Now().UTC().Add(-time.Hour)
	decision := func(shown, holdout bool) *Decision {
		return &Decision{DecisionID: "d-1", At: at, OfferID: "fibre", CampaignID: "c", Shown: shown, Holdout: holdout}
	}
	cases := []struct {
		name     string
		decision *Decision
		want     int
	}{
		{"a shown offer becomes an exposure", decision(true, false), 1},
		{"a holdout is an exposure too, marked so", decision(false, true), 1},
		{"a withdrawn decision adds nothing", decision(false, false), 0},
		{"no offer adds nothing", &Decision{DecisionID: "d-1", At: at}, 0},
		{"no decision adds nothing", nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var p profiles.Profile
			c := &Contact{ContactID: "c-1", Decision: tc.decision, Facts: &Facts{InitiatedAt: at, Handled: true}}
			RecordContact(&p, c, true)
			RecordContact(&p, c, false) // a later version of the record adds nothing more
			if len(p.RecentOffers) != tc.want {
				t.Fatalf("%d exposures, want %d: %+v", len(p.RecentOffers), tc.want, p.RecentOffers)
			}
			if tc.want == 1 && (p.RecentOffers[0].DecisionID != "d-1" || p.RecentOffers[0].Holdout != tc.decision.Holdout) {
				t.Fatalf("exposure %+v", p.RecentOffers[0])
			}
		})
	}
}
