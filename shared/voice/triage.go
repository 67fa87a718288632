package voice

import (
	"fmt"
	"slices"
	"strings"
)

// Text is what triage reads of a post.
type Text struct {
	Text      string
	Followers int64
	// Language is the post's language tag (BCP 47), or "" when unknown.
	Language string
}

// Triage is where a post goes and why.
type Triage struct {
	Route Route `json:"route" dynamo:"route"`
	// Priority is p1 (most urgent) to p4, for posts routed to service.
	Priority string `json:"priority,omitempty" dynamo:"priority,omitempty"`
	// Action is lead or advocate, for posts routed to marketing.
	Action string `json:"action,omitempty" dynamo:"action,omitempty"`
	Topic  string `json:"topic" dynamo:"topic"`
	// Topics are every topic heard, the chosen one first.
	Topics   []string `json:"topics" dynamo:"topics"`
	Severity Severity `json:"severity" dynamo:"severity"`
	Urgency  Urgency  `json:"urgency" dynamo:"urgency"`
	// OpensComplaint: the post reports a service failure; the author's
	// profile holds an open complaint until service handles it.
	OpensComplaint bool `json:"opensComplaint" dynamo:"opensComplaint"`
	// Reasons say, in words, what was heard and what it did.
	Reasons      []string `json:"reasons" dynamo:"reasons"`
	RulesVersion string   `json:"rulesVersion" dynamo:"rulesVersion"`
}

// heard is what the post said of one topic.
type heard struct {
	topic int
	score int
	// plain counts phrases heard as they are; first is the first of them.
	plain int
	first string
	// negated are the first few negated phrases that count for the topic.
	negated []string
}

// Triage reads a post with the rule set.
func (r *Rules) Triage(t Text) Triage {
	ix := r.index
	toks := tokenize(t.Text)
	byTopic := map[int]*heard{}
	var ignored []string
	hear := func(topic int, phrase, negation string) {
		h := byTopic[topic]
		if h == nil {
			h = &heard{topic: topic}
			byTopic[topic] = h
		}
		h.score++
		switch {
		case negation == "":
			if h.plain == 0 {
				h.first = phrase
			}
			h.plain++
		case len(h.negated) < 3:
			h.negated = append(h.negated, fmt.Sprintf("%q after %q", phrase, negation))
		}
	}
	for _, m := range ix.scan(ix.topics, toks) {
		rule := r.Topics[m.p.owner]
		if m.negatedBy == "" {
			hear(m.p.owner, m.words, "")
			continue
		}
		if rule.WhenNegated == "" {
			if len(ignored) < 3 {
				ignored = append(ignored, fmt.Sprintf("%q after %q", m.words, m.negatedBy))
			}
			continue
		}
		to := slices.IndexFunc(r.Topics, func(x TopicRule) bool { return x.Name == rule.WhenNegated })
		hear(to, m.words, m.negatedBy)
	}

	var service, marketing []*heard
	for _, h := range byTopic {
		if r.Topics[h.topic].Route == RouteService {
			service = append(service, h)
		} else {
			marketing = append(marketing, h)
		}
	}
	// The strongest first: service by severity, marketing leads before
	// advocates; then by how often, then by the rule set's order.
	slices.SortFunc(service, func(a, b *heard) int {
		if d := r.Topics[b.topic].Severity.Rank() - r.Topics[a.topic].Severity.Rank(); d != 0 {
			return d
		}
		if d := b.score - a.score; d != 0 {
			return d
		}
		return a.topic - b.topic
	})
	slices.SortFunc(marketing, func(a, b *heard) int {
		al, bl := r.Topics[a.topic].Action == ActionLead, r.Topics[b.topic].Action == ActionLead
		if al != bl {
			if al {
				return -1
			}
			return 1
		}
		if d := b.score - a.score; d != 0 {
			return d
		}
		return a.topic - b.topic
	})

	out := Triage{RulesVersion: r.Version, Topics: []string{}, Reasons: []string{}}
	reason := func(format string, args ...any) { out.Reasons = append(out.Reasons, fmt.Sprintf(format, args...)) }
	for _, h := range slices.Concat(service, marketing) {
		name := r.Topics[h.topic].Name
		out.Topics = append(out.Topics, name)
		if h.plain > 0 {
			more := ""
			if h.plain > 1 {
				more = fmt.Sprintf(" and %d more", h.plain-1)
			}
			reason("%s: %q%s", name, h.first, more)
		}
		for _, neg := range h.negated {
			reason("%s: %s (negated)", name, neg)
		}
	}
	for _, ig := range ignored {
		reason("ignored: %s (negated)", ig)
	}

	var sev Severity
	var urg int
	switch {
	case len(service) > 0:
		top := r.Topics[service[0].topic]
		out.Route, out.Topic, out.OpensComplaint = RouteService, top.Name, top.OpensComplaint
		sev = top.Severity
		if len(marketing) > 0 {
			reason("mixed: %s also heard; %s goes to service", r.Topics[marketing[0].topic].Name, top.Name)
		}
	case len(marketing) > 0:
		top := r.Topics[marketing[0].topic]
		out.Route, out.Topic, out.Action = RouteMarketing, top.Name, top.Action
		sev = top.Severity
		urg = top.Urgency.Rank()
	default:
		out.Route, out.Topic = RouteService, r.Fallback.Topic
		sev = r.Fallback.Severity
		reason("no topic phrase matched: a person in service reads it")
		if lang := primaryLanguage(t.Language); lang != "" && !slices.Contains(r.Languages, lang) {
			reason("language %q: the rules are written in %s", clip(t.Language, 12), strings.Join(r.Languages, ", "))
		}
	}

	if out.Route == RouteService {
		raiseSev, raiseUrg := 0, 0
		counted := map[int]bool{}
		for _, m := range ix.scan(ix.escalations, toks) {
			if m.negatedBy != "" || counted[m.p.owner] {
				continue
			}
			counted[m.p.owner] = true
			e := r.Escalations[m.p.owner]
			raiseSev += e.RaiseSeverity
			raiseUrg += e.RaiseUrgency
			reason("%s: %q raises %s", e.Name, m.words, raises(e.RaiseSeverity, e.RaiseUrgency))
		}
		if s := r.Shouting; s.RaiseSeverity > 0 {
			caps, bangs := shouting(t.Text)
			switch {
			case s.MinCapitalWords > 0 && caps >= s.MinCapitalWords:
				raiseSev += s.RaiseSeverity
				reason("shouting: %d words in capitals raise %s", caps, raises(s.RaiseSeverity, 0))
			case s.MinExclamations > 0 && bangs >= s.MinExclamations:
				raiseSev += s.RaiseSeverity
				reason("shouting: %d exclamation marks raise %s", bangs, raises(s.RaiseSeverity, 0))
			}
		}
		sev = severities[min(sev.Rank()+raiseSev, len(severities)-1)]
		urg = sev.Rank() + raiseUrg
	}
	for _, st := range slices.Backward(r.Reach) {
		if t.Followers >= st.Followers {
			urg += st.RaiseUrgency
			reason("reach: %d followers raise %s", t.Followers, raises(0, st.RaiseUrgency))
			break
		}
	}
	// Critical urgency is for service: a lead or an advocate can wait for
	// the working day.
	top := len(urgencies) - 1
	if out.Route == RouteMarketing {
		top = UrgencyHigh.Rank()
	}
	out.Severity = sev
	out.Urgency = urgencies[min(max(urg, 0), top)]
	if out.Route == RouteService {
		out.Priority = fmt.Sprintf("p%d", len(urgencies)-out.Urgency.Rank())
	}
	return out
}

func raises(sev, urg int) string {
	var parts []string
	if sev > 0 {
		parts = append(parts, fmt.Sprintf("severity by %d", sev))
	}
	if urg > 0 {
		parts = append(parts, fmt.Sprintf("urgency by %d", urg))
	}
	return strings.Join(parts, " and ")
}

// primaryLanguage is the lower-case primary subtag of a language tag.
func primaryLanguage(tag string) string {
	p, _, _ := strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
	return strings.ToLower(p)
}
