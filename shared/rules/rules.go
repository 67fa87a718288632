// Package rules compiles and evaluates eligibility and audience rules:
// typed CEL expressions (cel.dev/cel-go) over the variables documented in
// Vars. A rule is compiled and type-checked when a marketer saves it, so
// an unknown variable or a type error is refused with its position; on the
// hot path compiled programs come from a cache keyed by source, and every
// rule of one decision reads the same Activation, built once.
package rules

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// Limits that keep a rule cheap to check and to run.
const (
	// MaxSourceChars bounds a rule's source.
	MaxSourceChars = 4000
	// CostLimit bounds one evaluation; a typical rule costs under 20. A
	// rule that exceeds it (a runaway comprehension) evaluates to false
	// with an error instead of holding the contact.
	CostLimit = 100_000
	// maxCached bounds the program cache; past it the cache starts over
	// (catalogs hold a few thousand distinct rules at most).
	maxCached = 20_000
)

var (
	envOnce sync.Once
	env     *cel.Env
	adapter types.Adapter
	envErr  error
)

// celEnv is the one CEL environment of every rule: the four variables
// and the standard library, nothing else.
func celEnv() (*cel.Env, error) {
	envOnce.Do(func() {
		env, envErr = cel.NewEnv(
			ext.NativeTypes(
				reflect.TypeFor[Profile](), reflect.TypeFor[Contact](),
				reflect.TypeFor[Campaign](), reflect.TypeFor[Voice](),
				ext.ParseStructTags(true),
			),
			cel.Variable("profile", cel.ObjectType("rules.Profile")),
			cel.Variable("contact", cel.ObjectType("rules.Contact")),
			cel.Variable("campaign", cel.ObjectType("rules.Campaign")),
			cel.Variable("voice", cel.ObjectType("rules.Voice")),
			cel.ParserExpressionSizeLimit(MaxSourceChars),
			cel.ParserRecursionLimit(64),
		)
		if envErr == nil {
			adapter = env.CELTypeAdapter()
		}
	})
	return env, envErr
}

// Issue is one thing wrong with a rule, with its position (1-based line
// and column) and the token found there.
type Issue struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Token   string `json:"token,omitempty"`
	Message string `json:"message"`
}

func (i Issue) String() string {
	if i.Token != "" {
		return fmt.Sprintf("line %d, column %d, at %q: %s", i.Line, i.Column, i.Token, i.Message)
	}
	return fmt.Sprintf("line %d, column %d: %s", i.Line, i.Column, i.Message)
}

// CompileError is a rule that did not compile or type-check.
type CompileError struct {
	Issues []Issue
}

func (e *CompileError) Error() string {
	parts := make([]string, len(e.Issues))
	for i, is := range e.Issues {
		parts[i] = is.String()
	}
	return "rule does not compile: " + strings.Join(parts, "; ")
}

// Rule is a compiled, type-checked rule. It is safe for concurrent use.
type Rule struct {
	// Source is the rule as the marketer wrote it.
	Source string
	prg    cel.Program // nil: the empty rule, true for everyone
	// usesCampaign: the rule reads `campaign`, so its result can differ
	// between campaigns within one decision.
	usesCampaign bool
}

// Always reports whether the rule is empty: true for everyone, no CEL run.
func (r *Rule) Always() bool { return r.prg == nil }

// UsesCampaign reports whether the rule reads the `campaign` variable.
func (r *Rule) UsesCampaign() bool { return r.usesCampaign }

// Compile compiles and type-checks source. An empty (or blank) source is
// the rule that is true for everyone. The error is a *CompileError.
func Compile(source string) (*Rule, error) {
	if strings.TrimSpace(source) == "" {
		return &Rule{Source: source}, nil
	}
	if len(source) > MaxSourceChars {
		return nil, &CompileError{Issues: []Issue{{Line: 1, Column: 1,
			Message: fmt.Sprintf("is %d characters long; at most %d are allowed", len(source), MaxSourceChars)}}}
	}
	if !utf8.ValidString(source) {
		return nil, &CompileError{Issues: []Issue{{Line: 1, Column: 1, Message: "is not valid UTF-8 text"}}}
	}
	e, err := celEnv()
	if err != nil {
		return nil, fmt.Errorf("rules environment: %w", err)
	}
	ast, iss := e.Compile(source)
	if iss != nil && iss.Err() != nil {
		return nil, &CompileError{Issues: issuesOf(source, iss)}
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, &CompileError{Issues: []Issue{{Line: 1, Column: 1, Token: tokenAt(source, 1, 1),
			Message: fmt.Sprintf("the rule must be true or false (bool), but it is %s", ast.OutputType())}}}
	}
	prg, err := e.Program(ast,
		cel.EvalOptions(cel.OptOptimize),
		cel.CostLimit(CostLimit),
	)
	if err != nil {
		return nil, &CompileError{Issues: []Issue{{Line: 1, Column: 1, Message: err.Error()}}}
	}
	r := &Rule{Source: source, prg: prg}
	for _, ref := range ast.NativeRep().ReferenceMap() {
		if ref.Name == "campaign" {
			r.usesCampaign = true
		}
	}
	return r, nil
}

// Check compiles source and answers a compile error as input problems
// of field (e.g. "eligibility"), one per issue, each naming the position
// and the problem.
func Check(field, source string) error {
	_, err := Compile(source)
	return asProblems(field, err)
}

func asProblems(field string, err error) error {
	var ce *CompileError
	if !errors.As(err, &ce) {
		return err
	}
	var p apperr.Problems
	for _, is := range ce.Issues {
		p.Add(field, "%s", is.String())
	}
	return p
}

// issuesOf turns CEL's issues into ours, with 1-based columns and the
// token at each position.
func issuesOf(source string, iss *cel.Issues) []Issue {
	var out []Issue
	for _, e := range iss.Errors() {
		line, col := e.Location.Line(), e.Location.Column()+1
		if line < 1 {
			line, col = 1, 1
		}
		out = append(out, Issue{Line: line, Column: col, Token: tokenAt(source, line, col), Message: cleanMessage(e.Message)})
	}
	if len(out) == 0 {
		out = append(out, Issue{Line: 1, Column: 1, Message: iss.Err().Error()})
	}
	return out
}

// cleanMessage drops CEL's container note, which means nothing to a
// marketer (the "in container" note after an undeclared reference).
func cleanMessage(m string) string {
	// The parser's list of expected tokens is noise for a marketer.
	if i := strings.Index(m, " expecting {"); i > 0 {
		m = m[:i]
	}
	return strings.TrimSpace(strings.TrimSuffix(m, " (in container '')"))
}

// tokenAt returns the token starting at line:col (1-based, in runes): a
// word, a quoted string, or a single symbol.
func tokenAt(source string, line, col int) string {
	lines := strings.Split(source, "\n")
	if line < 1 || line > len(lines) {
		return ""
	}
	runes := []rune(lines[line-1])
	i := col - 1
	if i < 0 || i >= len(runes) {
		return ""
	}
	word := func(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }
	j := i + 1
	switch r := runes[i]; {
	case word(r):
		for j < len(runes) && word(runes[j]) {
			j++
		}
	case r == '.':
		// a field selection: name the field
		for j < len(runes) && word(runes[j]) {
			j++
		}
	case r == '"' || r == '\'':
		for j < len(runes) && runes[j] != r {
			j++
		}
		j = min(j+1, len(runes))
	case unicode.IsSpace(r):
		return ""
	}
	const maxToken = 40
	if j-i > maxToken {
		j = i + maxToken
	}
	return string(runes[i:j])
}

// Cache holds compiled rules by source, for the hot path: each distinct
// source is compiled once per process. The zero value is ready to use.
type Cache struct {
	m sync.Map // source → *Rule
	n atomic.Int64
}

// Rule returns the compiled rule of source, compiling it on first use.
func (c *Cache) Rule(source string) (*Rule, error) {
	if r, ok := c.m.Load(source); ok {
		return r.(*Rule), nil
	}
	r, err := Compile(source)
	if err != nil {
		return nil, err
	}
	if c.n.Add(1) > maxCached {
		c.m.Clear()
		c.n.Store(1)
	}
	actual, _ := c.m.LoadOrStore(source, r)
	return actual.(*Rule), nil
}

var defaultCache Cache

// Compiled returns the compiled rule of source from the process-wide cache.
func Compiled(source string) (*Rule, error) { return defaultCache.Rule(source) }

// Eval evaluates the rule for one decision and campaign. It never panics:
// an evaluation error (a missing map key, the cost limit) is false with
// the error, which the caller records as the reason.
func (r *Rule) Eval(a *Activation, c Campaign) (ok bool, err error) {
	if r == nil || r.prg == nil {
		return true, nil
	}
	defer func() {
		if p := recover(); p != nil {
			ok, err = false, fmt.Errorf("rule %q: evaluation failed: %v", abbrev(r.Source), p)
		}
	}()
	a.frame.campaign = nil
	if r.usesCampaign {
		a.frame.campaign = a.campaignValue(c)
	}
	out, _, err := r.prg.Eval(&a.frame)
	if err != nil {
		return false, fmt.Errorf("rule %q: %w", abbrev(r.Source), err)
	}
	b, isBool := out.(types.Bool)
	if !isBool {
		return false, fmt.Errorf("rule %q: result is %s, not bool", abbrev(r.Source), out.Type())
	}
	return bool(b), nil
}

func abbrev(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// Activation is the variables of one decision, converted once and read
// by every rule of that decision. It is not safe for concurrent use: build
// one per decision.
type Activation struct {
	frame     frame
	campaigns map[string]ref.Val
	memo      map[memoKey]memoResult
}

type memoKey struct {
	rule     *Rule
	campaign string
}

type memoResult struct {
	ok  bool
	err error
}

// frame is what the CEL interpreter resolves names against.
type frame struct {
	profile, contact, voice, campaign ref.Val
}

func (f *frame) ResolveName(name string) (any, bool) {
	switch name {
	case "profile":
		return f.profile, true
	case "contact":
		return f.contact, true
	case "voice":
		return f.voice, true
	case "campaign":
		if f.campaign == nil {
			return nil, false
		}
		return f.campaign, true
	}
	return nil, false
}

func (f *frame) Parent() interpreter.Activation { return nil }

// NewActivation converts the variables of one decision for CEL.
func NewActivation(v Vars) *Activation {
	if _, err := celEnv(); err != nil {
		panic(err) // the environment is static; tests catch this at once
	}
	p, c, vo := v.Profile, v.Contact, v.Voice
	if p.Segments == nil {
		p.Segments = []string{}
	}
	if p.Products == nil {
		p.Products = []string{}
	}
	if p.LifeEvents == nil {
		p.LifeEvents = []string{}
	}
	if p.LifeEventDays == nil {
		p.LifeEventDays = map[string]int{}
	}
	a := &Activation{campaigns: map[string]ref.Val{}}
	a.frame.profile = adapter.NativeToValue(&p)
	a.frame.contact = adapter.NativeToValue(&c)
	a.frame.voice = adapter.NativeToValue(&vo)
	if v.Campaign != (Campaign{}) {
		a.campaigns[v.Campaign.ID] = adapter.NativeToValue(&v.Campaign)
	}
	return a
}

func (a *Activation) campaignValue(c Campaign) ref.Val {
	if v, ok := a.campaigns[c.ID]; ok {
		return v
	}
	v := adapter.NativeToValue(&c)
	a.campaigns[c.ID] = v
	return v
}

// Eval evaluates r for this decision, once per distinct rule (and
// campaign, for rules that read `campaign`): offers that share a rule
// share its result. Use it in the per-offer loop of a decision.
func (a *Activation) Eval(r *Rule, c Campaign) (bool, error) {
	if r == nil || r.prg == nil {
		return true, nil
	}
	k := memoKey{rule: r}
	if r.usesCampaign {
		k.campaign = c.ID
	}
	if res, ok := a.memo[k]; ok {
		return res.ok, res.err
	}
	ok, err := r.Eval(a, c)
	if a.memo == nil {
		a.memo = make(map[memoKey]memoResult, 64)
	}
	a.memo[k] = memoResult{ok, err}
	return ok, err
}
