package voice

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// Route is the team a post goes to.
type Route string

// Routes.
const (
	RouteService   Route = "service"
	RouteMarketing Route = "marketing"
)

// Marketing actions.
const (
	ActionLead     = "lead"
	ActionAdvocate = "advocate"
)

// Severity is how much harm the post describes, lowest first.
type Severity string

// Severities.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

var severities = []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// Urgency is how soon someone should act, lowest first.
type Urgency string

// Urgencies.
const (
	UrgencyLow      Urgency = "low"
	UrgencyNormal   Urgency = "normal"
	UrgencyHigh     Urgency = "high"
	UrgencyCritical Urgency = "critical"
)

var urgencies = []Urgency{UrgencyLow, UrgencyNormal, UrgencyHigh, UrgencyCritical}

// Rank of a severity, 0 (low) to 3 (critical); -1 when unknown.
func (s Severity) Rank() int { return slices.Index(severities, s) }

// Rank of an urgency, 0 (low) to 3 (critical); -1 when unknown.
func (u Urgency) Rank() int { return slices.Index(urgencies, u) }

// Rules is a versioned triage rule set. Phrases are lower-case words
// separated by spaces; a word ending in * matches every word that starts
// with it ("cancel*" matches cancel, cancelled, cancellation). At each place
// in a post the longest phrase wins. Emoji are words of their own.
type Rules struct {
	// Version names this rule set; every triage records it.
	Version string `json:"version"`
	// Languages the phrases are written in (primary subtags, e.g. "en").
	Languages []string `json:"languages"`
	// Negations turn the meaning of a phrase that follows within
	// NegationWindow words, unless a scope breaker (punctuation or one of
	// ScopeBreakers, such as "but") comes between.
	Negations      []string `json:"negations"`
	NegationWindow int      `json:"negationWindow"`
	ScopeBreakers  []string `json:"scopeBreakers"`
	// Resolvers ("fixed", "sorted") turn a problem that follows into a
	// solved one, like a negation, unless a negation comes just before them
	// ("still haven't fixed" stays a problem).
	Resolvers []string `json:"resolvers"`
	// Topics in order of preference when two are heard equally.
	Topics []TopicRule `json:"topics"`
	// Escalations raise the severity and urgency of posts routed to service.
	Escalations []Escalation `json:"escalations"`
	// Shouting (words in capitals, runs of exclamation marks) raises the
	// severity of posts routed to service.
	Shouting Shouting `json:"shouting"`
	// Reach raises urgency by the author's followers: the highest step
	// reached applies.
	Reach []ReachStep `json:"reach"`
	// Fallback is the topic of a post no topic phrase matched; it goes to
	// service, where a person reads it.
	Fallback Fallback `json:"fallback"`

	index *phraseIndex
}

// TopicRule is one topic and the phrases that say it.
type TopicRule struct {
	Name  string `json:"name"`
	Route Route  `json:"route"`
	// Action is lead or advocate for marketing topics.
	Action   string   `json:"action,omitempty"`
	Severity Severity `json:"severity"`
	// Urgency is the base urgency of marketing topics; service topics take
	// theirs from the severity.
	Urgency Urgency `json:"urgency,omitempty"`
	// OpensComplaint marks a service failure: the customer's profile holds
	// an open complaint until service handles the post.
	OpensComplaint bool `json:"opensComplaint,omitempty"`
	// WhenNegated is the topic a negated phrase counts for ("not happy" is a
	// complaint, "never had a problem" praise); empty ignores it.
	WhenNegated string   `json:"whenNegated,omitempty"`
	Phrases     []string `json:"phrases"`
}

// Escalation is a group of phrases that makes a service post more severe
// or more urgent. Each group counts once per post; a negated phrase does
// not count.
type Escalation struct {
	Name          string   `json:"name"`
	RaiseSeverity int      `json:"raiseSeverity,omitempty"`
	RaiseUrgency  int      `json:"raiseUrgency,omitempty"`
	Phrases       []string `json:"phrases"`
}

// Shouting is counted on the post as written.
type Shouting struct {
	// MinCapitalWords words of at least four letters, all in capitals.
	MinCapitalWords int `json:"minCapitalWords"`
	// MinExclamations in a row.
	MinExclamations int `json:"minExclamations"`
	RaiseSeverity   int `json:"raiseSeverity"`
}

// ReachStep raises urgency for authors with at least Followers followers.
type ReachStep struct {
	Followers    int64 `json:"followers"`
	RaiseUrgency int   `json:"raiseUrgency"`
}

// Fallback is the triage of a post no phrase matched.
type Fallback struct {
	Topic    string   `json:"topic"`
	Severity Severity `json:"severity"`
}

//go:embed rules.json
var defaultRulesJSON []byte

var defaultRules = mustParse(defaultRulesJSON)

func mustParse(data []byte) *Rules {
	r, err := ParseRules(data)
	if err != nil {
		panic("voice: the embedded rules.json is invalid: " + err.Error())
	}
	return r
}

// DefaultRules is the rule set in force, from rules.json. Change the file
// and its version to change triage; the tests run every sample post
// against it.
func DefaultRules() *Rules { return defaultRules }

// ParseRules reads a rule set and checks it: every problem is reported at
// once, naming the field.
func ParseRules(data []byte) (*Rules, error) {
	var r Rules
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, apperr.Invalid("rules", "is not a rule set: %v", err)
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	r.index = buildIndex(&r)
	return &r, nil
}

// Topic returns the rule of a topic.
func (r *Rules) Topic(name string) (TopicRule, bool) {
	i := slices.IndexFunc(r.Topics, func(t TopicRule) bool { return t.Name == name })
	if i < 0 {
		return TopicRule{}, false
	}
	return r.Topics[i], true
}

// OpensComplaint reports whether posts of the topic are service failures.
func (r *Rules) OpensComplaint(topic string) bool {
	t, ok := r.Topic(topic)
	return ok && t.OpensComplaint
}

func (r *Rules) validate() error {
	var p apperr.Problems
	if strings.TrimSpace(r.Version) == "" || len(r.Version) > 40 {
		p.Add("version", "is required: 1-40 characters naming this rule set")
	}
	if len(r.Languages) == 0 {
		p.Add("languages", "needs at least one language the phrases are written in")
	}
	if r.NegationWindow < 1 || r.NegationWindow > 6 {
		p.Add("negationWindow", "must be 1 to 6 words")
	}
	for i, w := range r.Negations {
		if toks := tokenize(w); len(toks) != 1 || toks[0].text != w {
			p.Add(fmt.Sprintf("negations[%d]", i), "must be one lower-case word, not %q", w)
		}
	}
	for i, w := range r.ScopeBreakers {
		if toks := tokenize(w); len(toks) != 1 || toks[0].text != w {
			p.Add(fmt.Sprintf("scopeBreakers[%d]", i), "must be one lower-case word, not %q", w)
		}
	}
	for i, w := range r.Resolvers {
		if toks := tokenize(w); len(toks) != 1 || toks[0].text != w {
			p.Add(fmt.Sprintf("resolvers[%d]", i), "must be one lower-case word, not %q", w)
		}
	}
	if len(r.Topics) == 0 {
		p.Add("topics", "needs at least one topic")
	}
	// A phrase says one topic; escalations are read on their own, so one
	// may repeat a topic phrase ("worst" is a complaint and anger).
	topicPhrases, escalationPhrases := map[string]string{}, map[string]string{}
	checkPhrases := func(field string, phrases []string, seen map[string]string) {
		if len(phrases) == 0 {
			p.Add(field, "needs at least one phrase")
		}
		for i, ph := range phrases {
			f := fmt.Sprintf("%s[%d]", field, i)
			norm, ok := normalisePhrase(ph)
			switch {
			case !ok:
				p.Add(f, "%q must be lower-case words; a word may end in * after at least 3 letters", ph)
			case seen[norm] != "":
				p.Add(f, "%q is also at %s; a phrase may say one thing only", ph, seen[norm])
			default:
				seen[norm] = f
			}
		}
	}
	names := map[string]bool{}
	for i, t := range r.Topics {
		f := fmt.Sprintf("topics[%d]", i)
		switch {
		case !validName(t.Name):
			p.Add(f+".name", "must be 1-40 lower-case letters, digits or _")
		case names[t.Name]:
			p.Add(f+".name", "%q is used twice", t.Name)
		}
		names[t.Name] = true
		switch t.Route {
		case RouteService:
			if t.Action != "" {
				p.Add(f+".action", "is for marketing topics only")
			}
		case RouteMarketing:
			if t.Action != ActionLead && t.Action != ActionAdvocate {
				p.Add(f+".action", "must be %s or %s for a marketing topic", ActionLead, ActionAdvocate)
			}
			if t.OpensComplaint {
				p.Add(f+".opensComplaint", "a service failure is never routed to marketing")
			}
			if t.Urgency.Rank() < 0 {
				p.Add(f+".urgency", "must be one of low, normal, high, critical")
			}
		default:
			p.Add(f+".route", "must be service or marketing")
		}
		if t.Severity.Rank() < 0 {
			p.Add(f+".severity", "must be one of low, medium, high, critical")
		}
		checkPhrases(f+".phrases", t.Phrases, topicPhrases)
	}
	for i, t := range r.Topics {
		if t.WhenNegated != "" && !names[t.WhenNegated] {
			p.Add(fmt.Sprintf("topics[%d].whenNegated", i), "%q is not a topic of this rule set", t.WhenNegated)
		}
	}
	for i, e := range r.Escalations {
		f := fmt.Sprintf("escalations[%d]", i)
		if !validName(e.Name) {
			p.Add(f+".name", "must be 1-40 lower-case letters, digits or _")
		}
		if e.RaiseSeverity < 0 || e.RaiseSeverity > 3 || e.RaiseUrgency < 0 || e.RaiseUrgency > 3 || e.RaiseSeverity+e.RaiseUrgency == 0 {
			p.Add(f, "must raise severity or urgency by 1 to 3 levels")
		}
		checkPhrases(f+".phrases", e.Phrases, escalationPhrases)
	}
	if s := r.Shouting; s.MinCapitalWords < 0 || s.MinExclamations < 0 || s.RaiseSeverity < 0 || s.RaiseSeverity > 3 {
		p.Add("shouting", "counts and raise must be 0 or more (raise at most 3)")
	}
	for i, st := range r.Reach {
		f := fmt.Sprintf("reach[%d]", i)
		if st.Followers <= 0 || st.RaiseUrgency < 1 || st.RaiseUrgency > 3 {
			p.Add(f, "needs followers above 0 and a raise of 1 to 3 levels")
		}
		if i > 0 && st.Followers <= r.Reach[i-1].Followers {
			p.Add(f+".followers", "steps must go up")
		}
	}
	switch {
	case !validName(r.Fallback.Topic):
		p.Add("fallback.topic", "must be 1-40 lower-case letters, digits or _")
	case names[r.Fallback.Topic]:
		p.Add("fallback.topic", "must not be a topic with phrases")
	}
	if r.Fallback.Severity.Rank() < 0 {
		p.Add("fallback.severity", "must be one of low, medium, high, critical")
	}
	return p.Err()
}

func validName(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// normalisePhrase checks a phrase and returns its words joined by single
// spaces. A phrase must read the same after tokenising (lower case, no
// punctuation but ' and *), so that it can match a post at all.
func normalisePhrase(ph string) (string, bool) {
	if !utf8.ValidString(ph) || strings.TrimSpace(ph) == "" || len(ph) > 100 {
		return "", false
	}
	var words []string
	for _, w := range strings.Fields(ph) {
		stem, wild := strings.CutSuffix(w, "*")
		toks := tokenize(stem)
		if len(toks) != 1 || toks[0].text != stem || toks[0].breaker || wild && utf8.RuneCountInString(stem) < 3 {
			return "", false
		}
		words = append(words, w)
	}
	return strings.Join(words, " "), true
}
