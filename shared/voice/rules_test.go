package voice

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/conduit-cx/conduit/shared/apperr"
)

func TestTokenize(t *testing.T) {
	cases := []struct {
		in   string
		want string
	}{
		{"Internet's DOWN!!", "internet down ! !"},
		{"I can’t connect… @AcmeTel #outage", "i can't connect … acmetel outage"},
		{"wi-fi 5G, 10/10", "wi fi 5g , 10 10"},
		{"love it ❤️😍👍🏽", "love it ❤ 😍 👍"},
		{"'quoted' words", "quoted words"},
		{"", ""},
	}
	for _, tc := range cases {
		var got []string
		for _, tok := range tokenize(tc.in) {
			got = append(got, tok.text)
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("tokenize(%q) = %q, want %q", tc.in, g, tc.want)
		}
	}
}

func TestNegationReach(t *testing.T) {
	r := DefaultRules()
	cases := []struct {
		name, text, topic string
	}{
		{"negation right before", "not happy", "complaint"},
		{"negation three words before", "not at all happy", "complaint"},
		{"negation four words before is too far", "not that it ever made me happy", "praise"},
		{"punctuation ends the negation", "No. Happy with it", "praise"},
		{"but ends the negation", "no idea but happy", "praise"},
		{"not only is no negation", "not only happy", "praise"},
		{"a resolver solves the problem", "they resolved my billing problem", "praise"},
		{"a negated resolver does not", "they never resolved my billing problem", "billing"},
		{"a negated service failure is praise", "never had an outage", "praise"},
		{"a negated buying signal is ignored", "not looking to buy", "general"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.Triage(Text{Text: tc.text}); got.Topic != tc.topic {
				t.Errorf("%q: topic %s, want %s (%v)", tc.text, got.Topic, tc.topic, got.Reasons)
			}
		})
	}
}

func TestLongestPhraseWins(t *testing.T) {
	r := DefaultRules()
	// "thanks for nothing" is a complaint, not thanks; "how do i upgrade"
	// a lead, not a support question; "scam calls" security, not anger.
	for text, topic := range map[string]string{
		"thanks for nothing":          "complaint",
		"how do i upgrade":            "purchase_intent",
		"getting scam calls from you": "security",
		"quick question":              "product_question",
	} {
		if got := r.Triage(Text{Text: text}); got.Topic != topic {
			t.Errorf("%q: topic %s, want %s", text, got.Topic, topic)
		}
	}
}

// rulesJSON is a small valid rule set; tests change one thing at a time.
const rulesJSON = `{"version":"test-1","languages":["en"],"negations":["not"],"negationWindow":2,"scopeBreakers":["but"],
	"resolvers":["fixed"],
	"topics":[
		{"name":"outage","route":"service","severity":"high","opensComplaint":true,"whenNegated":"praise","phrases":["down","no signal"]},
		{"name":"praise","route":"marketing","action":"advocate","severity":"low","urgency":"low","whenNegated":"outage","phrases":["love*"]}],
	"escalations":[{"name":"persistence","raiseSeverity":1,"phrases":["again"]}],
	"shouting":{"minCapitalWords":3,"minExclamations":3,"raiseSeverity":1},
	"reach":[{"followers":1000,"raiseUrgency":1}],
	"fallback":{"topic":"general","severity":"low"}}`

func TestParseRules(t *testing.T) {
	r, err := ParseRules([]byte(rulesJSON))
	if err != nil {
		t.Fatal(err)
	}
	got := r.Triage(Text{Text: "Lovely phone but the network is down again", Followers: 2000})
	if got.Route != RouteService || got.Topic != "outage" || got.Severity != SeverityCritical || got.Urgency != UrgencyCritical ||
		got.RulesVersion != "test-1" || !slices.Equal(got.Topics, []string{"outage", "praise"}) {
		t.Fatalf("triage with a custom rule set: %+v", got)
	}
	cases := []struct {
		name, from, to, field string
	}{
		{"no version", `"version":"test-1"`, `"version":""`, "version"},
		{"unknown route", `"route":"service"`, `"route":"sales"`, "topics[0].route"},
		{"a service failure routed to marketing", `"route":"marketing","action":"advocate"`,
			`"route":"marketing","action":"advocate","opensComplaint":true`, "topics[1].opensComplaint"},
		{"marketing without an action", `"action":"advocate",`, ``, "topics[1].action"},
		{"unknown severity", `"severity":"high"`, `"severity":"huge"`, "topics[0].severity"},
		{"a phrase in two topics", `"phrases":["love*"]`, `"phrases":["down"]`, "topics[1].phrases[0]"},
		{"a phrase in capitals", `"no signal"`, `"No Signal"`, "topics[0].phrases[1]"},
		{"a wildcard too short", `"love*"`, `"lo*"`, "topics[1].phrases[0]"},
		{"punctuation in a phrase", `"no signal"`, `"no signal!"`, "topics[0].phrases[1]"},
		{"negated into an unknown topic", `"whenNegated":"outage"`, `"whenNegated":"joy"`, "topics[1].whenNegated"},
		{"two words as a negation", `"negations":["not"]`, `"negations":["not at all"]`, "negations[0]"},
		{"negation window too wide", `"negationWindow":2`, `"negationWindow":9`, "negationWindow"},
		{"an escalation that raises nothing", `"raiseSeverity":1,"phrases":["again"]`, `"phrases":["again"]`, "escalations[0]"},
		{"reach steps going down", `"reach":[{"followers":1000,"raiseUrgency":1}]`,
			`"reach":[{"followers":1000,"raiseUrgency":1},{"followers":10,"raiseUrgency":2}]`, "reach[1].followers"},
		{"fallback is a topic", `"fallback":{"topic":"general"`, `"fallback":{"topic":"outage"`, "fallback.topic"},
		{"an unknown field", `"version":"test-1"`, `"version":"test-1","colour":"blue"`, "rules"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(rulesJSON, tc.from) {
				t.Fatalf("the base rule set lacks %s", tc.from)
			}
			_, err := ParseRules([]byte(strings.Replace(rulesJSON, tc.from, tc.to, 1)))
			ps, ok := apperr.AsProblems(err)
			if !ok || !slices.ContainsFunc(ps, func(p apperr.Problem) bool { return p.Field == tc.field }) {
				t.Fatalf("error %v; want a problem naming %s", err, tc.field)
			}
		})
	}
}

func TestDefaultRulesAreWellFormed(t *testing.T) {
	r := DefaultRules()
	if r.Version == "" || len(r.Topics) < 8 {
		t.Fatalf("rules %q with %d topics", r.Version, len(r.Topics))
	}
	// Every service failure goes to service; every marketing topic has an action.
	for _, tp := range r.Topics {
		if tp.OpensComplaint && tp.Route != RouteService {
			t.Errorf("%s opens a complaint but routes to %s", tp.Name, tp.Route)
		}
	}
	// The document is what ParseRules reads: a round trip keeps it.
	again, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseRules(again); err != nil {
		t.Fatalf("the rules do not survive a round trip: %v", err)
	}
}
