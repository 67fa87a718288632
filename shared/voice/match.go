package voice

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word of a post, lower-cased, or a punctuation mark that ends
// a negation's reach (breaker).
type token struct {
	text    string
	breaker bool
}

// tokenize splits text into lower-case words (letters, digits and inner
// apostrophes; a trailing 's is dropped), single emoji, and punctuation
// breakers. Everything else separates words.
func tokenize(text string) []token {
	var out []token
	var word strings.Builder
	flush := func() {
		if word.Len() == 0 {
			return
		}
		w := strings.Trim(word.String(), "'")
		word.Reset()
		if len(w) > 2 && strings.HasSuffix(w, "'s") {
			w = w[:len(w)-2]
		}
		if w != "" {
			out = append(out, token{text: w})
		}
	}
	for _, r := range text {
		switch {
		case r == '\'' || r == '’' || r == '‘':
			if word.Len() > 0 {
				word.WriteByte('\'')
			}
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			word.WriteRune(unicode.ToLower(r))
		case r == '.' || r == ',' || r == '!' || r == '?' || r == ';' || r == ':' || r == '…' || r == '(' || r == ')':
			flush()
			out = append(out, token{text: string(r), breaker: true})
		case unicode.Is(unicode.So, r):
			flush()
			out = append(out, token{text: string(r)})
		default:
			// Spaces, other punctuation, variation selectors, joiners and
			// skin-tone modifiers separate words or are dropped.
			flush()
		}
	}
	flush()
	return out
}

// phrase is one compiled phrase of a topic or an escalation.
type phrase struct {
	words []string // a word ending in * matches by prefix
	text  string
	owner int // index of the topic or escalation
}

func (p *phrase) matchesAt(toks []token, i int) bool {
	if i+len(p.words) > len(toks) {
		return false
	}
	for j, w := range p.words {
		t := toks[i+j]
		if t.breaker || !wordMatches(w, t.text) {
			return false
		}
	}
	return true
}

func wordMatches(pattern, word string) bool {
	if stem, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(word, stem)
	}
	return pattern == word
}

// phraseSet finds the longest phrase at a place in a post.
type phraseSet struct {
	exact  map[string][]*phrase // by first word
	prefix map[string][]*phrase // by the first three runes of a wildcard first word
}

func newPhraseSet() *phraseSet {
	return &phraseSet{exact: map[string][]*phrase{}, prefix: map[string][]*phrase{}}
}

func (s *phraseSet) add(text string, owner int) {
	p := &phrase{words: strings.Fields(text), text: text, owner: owner}
	first := p.words[0]
	if stem, ok := strings.CutSuffix(first, "*"); ok {
		k := firstRunes(stem, 3)
		s.prefix[k] = append(s.prefix[k], p)
		return
	}
	s.exact[first] = append(s.exact[first], p)
}

// sort puts longer phrases first, so the first match is the longest.
func (s *phraseSet) sort() {
	longestFirst := func(a, b *phrase) int { return len(b.words) - len(a.words) }
	for _, l := range s.exact {
		slices.SortStableFunc(l, longestFirst)
	}
	for _, l := range s.prefix {
		slices.SortStableFunc(l, longestFirst)
	}
}

// longestAt is the longest phrase that matches at toks[i], or nil.
func (s *phraseSet) longestAt(toks []token, i int) *phrase {
	var best *phrase
	for _, p := range s.exact[toks[i].text] {
		if p.matchesAt(toks, i) {
			best = p
			break
		}
	}
	for _, p := range s.prefix[firstRunes(toks[i].text, 3)] {
		if (best == nil || len(p.words) > len(best.words)) && p.matchesAt(toks, i) {
			best = p
			break
		}
	}
	return best
}

func firstRunes(s string, n int) string {
	i := 0
	for k := range s {
		if i == n {
			return s[:k]
		}
		i++
	}
	return s
}

// phraseIndex is the compiled form of a rule set.
type phraseIndex struct {
	topics      *phraseSet
	escalations *phraseSet
	negations   map[string]bool
	breakers    map[string]bool
	resolvers   map[string]bool
	window      int
}

func buildIndex(r *Rules) *phraseIndex {
	ix := &phraseIndex{topics: newPhraseSet(), escalations: newPhraseSet(), negations: map[string]bool{}, breakers: map[string]bool{}, resolvers: map[string]bool{}, window: r.NegationWindow}
	for i, t := range r.Topics {
		for _, ph := range t.Phrases {
			norm, _ := normalisePhrase(ph)
			ix.topics.add(norm, i)
		}
	}
	for i, e := range r.Escalations {
		for _, ph := range e.Phrases {
			norm, _ := normalisePhrase(ph)
			ix.escalations.add(norm, i)
		}
	}
	ix.topics.sort()
	ix.escalations.sort()
	for _, w := range r.Negations {
		ix.negations[w] = true
	}
	for _, w := range r.ScopeBreakers {
		ix.breakers[w] = true
	}
	for _, w := range r.Resolvers {
		ix.resolvers[w] = true
	}
	return ix
}

// match is one phrase heard in a post.
type match struct {
	p *phrase
	// words are the post's words the phrase matched.
	words string
	// negatedBy is the negation word before the phrase, if any.
	negatedBy string
}

// scan walks the post once per phrase set, taking the longest phrase at
// each place and skipping the words it covers.
func (ix *phraseIndex) scan(set *phraseSet, toks []token) []match {
	var out []match
	for i := 0; i < len(toks); {
		if toks[i].breaker {
			i++
			continue
		}
		p := set.longestAt(toks, i)
		if p == nil {
			i++
			continue
		}
		words := make([]string, len(p.words))
		for j := range p.words {
			words[j] = toks[i+j].text
		}
		out = append(out, match{p: p, words: strings.Join(words, " "), negatedBy: ix.negationBefore(toks, i)})
		i += len(p.words)
	}
	return out
}

// negationBefore looks back from toks[i] up to the window for a negation
// or a resolver, stopping at punctuation or a scope breaker ("but"). "not
// only" is not a negation; a resolver with a negation just before it ("not
// fixed") is none either.
func (ix *phraseIndex) negationBefore(toks []token, i int) string {
	for j, seen := i-1, 0; j >= 0 && seen < ix.window; j-- {
		t := toks[j]
		if t.breaker || ix.breakers[t.text] {
			return ""
		}
		switch {
		case ix.negations[t.text]:
			if j+1 < len(toks) && toks[j+1].text == "only" {
				return ""
			}
			return t.text
		case ix.resolvers[t.text]:
			if ix.negationBefore(toks[:j], j) != "" {
				return ""
			}
			return t.text
		}
		seen++
	}
	return ""
}

// shouting counts words of at least four letters written in capitals and
// the longest run of exclamation marks.
func shouting(text string) (capitalWords, exclamations int) {
	run := 0
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && r != '!' }) {
		letters, upper := 0, true
		for _, r := range w {
			if r == '!' {
				continue
			}
			letters++
			upper = upper && unicode.IsUpper(r)
		}
		if letters >= 4 && upper {
			capitalWords++
		}
	}
	for _, r := range text {
		if r == '!' {
			run++
			exclamations = max(exclamations, run)
		} else {
			run = 0
		}
	}
	return capitalWords, exclamations
}

// clip shortens text for a reason.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
