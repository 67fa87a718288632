// Package rules compiles and evaluates eligibility and audience rules:
// typed CEL expressions (cel.dev/cel-go) over the variables documented in
// Vars. A rule is compiled and type-checked when a marketer saves it, so
// an unknown variable or a type error is refused with its position; on the
// hot path compiled programs come from a cache keyed by source, every rule
// of one decision reads the same Activation, built once, and the parts of
// a rule that name a plain fact (an intent, a segment, a tenure) are
// checked in Go before CEL runs (see guards.go; Index skips rules whose
// facts cannot match).
//
// The engine's loop:
//
//	a := rules.NewActivation(rules.VarsFrom(profile, facts, now)) // once per decision
//	r, err := rules.Compiled(offer.Eligibility)                   // cached by source
//	ok, err := a.Eval(r, rules.Campaign{ID: c.ID, Name: c.Name})  // false with err on failure
package rules

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// Limits that keep a rule cheap to check and to run.
const (
	// MaxSourceChars bounds a rule's source.
	MaxSourceChars = 4000
	// CostLimit bounds one evaluation; a typical rule costs under 20. A
	// rule whose worst case (lists at MaxListItems) exceeds it is refused
	// when saved; a rule with a comprehension (all, exists, map, filter)
	// is also tracked while it runs and evaluates to false with an error
	// past the limit. Rules without one cannot run away (their cost is
	// bounded by their length and MaxListItems), so they run untracked:
	// in profiles, tracking cost about as much as the evaluation itself.
	CostLimit = 100_000
	// MaxListItems bounds every list and map variable a rule sees, so the
	// worst-case cost checked at save time holds at run time.
	MaxListItems = 100
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
		var base *cel.Env
		base, envErr = cel.NewEnv(
			ext.NativeTypes(
				reflect.TypeFor[Profile](), reflect.TypeFor[Contact](),
				reflect.TypeFor[Campaign](), reflect.TypeFor[Voice](),
				ext.ParseStructTags(true),
			),
			cel.ParserExpressionSizeLimit(MaxSourceChars),
			cel.ParserRecursionLimit(64),
		)
		if envErr != nil {
			return
		}
		env, envErr = base.Extend(
			cel.CustomTypeProvider(fastProvider{base.CELTypeProvider()}),
			cel.Variable("profile", cel.ObjectType(profileType.name)),
			cel.Variable("contact", cel.ObjectType(contactType.name)),
			cel.Variable("campaign", cel.ObjectType(campaignType.name)),
			cel.Variable("voice", cel.ObjectType(voiceType.name)),
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
	// guards are necessary conditions checked in Go before CEL runs;
	// guardsOnly: the rule is nothing else, so CEL need not run.
	guards     []guard
	guardsOnly bool
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
	est, err := e.EstimateCost(ast, sizeHints{})
	if err != nil {
		return nil, &CompileError{Issues: []Issue{{Line: 1, Column: 1, Message: "its cost cannot be estimated: " + err.Error()}}}
	}
	if est.Max > CostLimit {
		return nil, &CompileError{Issues: []Issue{{Line: 1, Column: 1, Token: tokenAt(source, 1, 1),
			Message: fmt.Sprintf("may take up to %d evaluation steps; at most %d are allowed (avoid nesting all/exists/map/filter)", est.Max, CostLimit)}}}
	}
	opts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}
	if hasComprehension(ast) {
		opts = append(opts, cel.CostLimit(CostLimit))
	}
	prg, err := e.Program(ast, opts...)
	if err != nil {
		return nil, &CompileError{Issues: []Issue{{Line: 1, Column: 1, Message: err.Error()}}}
	}
	r := &Rule{Source: source, prg: prg}
	r.guards, r.guardsOnly = guardsOf(ast)
	for _, ref := range ast.NativeRep().ReferenceMap() {
		if ref.Name == "campaign" {
			r.usesCampaign = true
		}
	}
	return r, nil
}

// sizeHints tells the cost estimator how large the variables can be.
type sizeHints struct{}

func (sizeHints) EstimateSize(n cost.AstNode) *cost.SizeEstimate {
	if len(n.Path()) == 0 {
		return nil
	}
	switch n.Type().Kind() {
	case types.ListKind, types.MapKind:
		return &cost.SizeEstimate{Min: 0, Max: MaxListItems}
	case types.StringKind:
		return &cost.SizeEstimate{Min: 0, Max: maxStringChars}
	}
	return nil
}

func (sizeHints) EstimateCallCost(function, overloadID string, target *cost.AstNode, args []cost.AstNode) *cost.CallEstimate {
	return nil
}

// maxStringChars is the size the estimator assumes for a string variable.
const maxStringChars = 1000

func hasComprehension(a *cel.Ast) bool {
	found := false
	celast.PreOrderVisit(a.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if e.Kind() == celast.ComprehensionKind {
			found = true
		}
	}))
	return found
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
		col = max(col, 1)
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
	if decided, ok := r.byGuards(a, &c); decided {
		return ok, nil
	}
	return r.evalCEL(a, c)
}

// byGuards answers the rule from its guards alone when it can.
func (r *Rule) byGuards(a *Activation, c *Campaign) (decided, ok bool) {
	known := true
	for i := range r.guards {
		switch a.check(&r.guards[i], c) {
		case guardFail:
			return true, false
		case guardUnknown:
			known = false
		}
	}
	return r.guardsOnly && known, true
}

func (r *Rule) evalCEL(a *Activation, c Campaign) (ok bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			ok, err = false, fmt.Errorf("rule %q: evaluation failed: %v", abbrev(r.Source), p)
		}
	}()
	f := a.celFrame()
	f.campaign = nil
	if r.usesCampaign {
		f.campaign = a.campaignValue(c)
	}
	out, _, err := r.prg.Eval(f)
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
	vars      Vars
	frame     frame
	campaigns map[string]*object
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
	profile, contact, voice, campaign *object
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
	p.Segments = bounded(p.Segments)
	p.Products = bounded(p.Products)
	p.LifeEvents = bounded(p.LifeEvents)
	p.LifeEventDays = boundedMap(p.LifeEventDays)
	return &Activation{vars: Vars{Profile: p, Contact: c, Campaign: v.Campaign, Voice: vo}}
}

// celFrame converts the variables for CEL on first use: a decision whose
// rules are all answered by their guards never pays for it.
func (a *Activation) celFrame() *frame {
	if a.frame.profile == nil {
		a.frame.profile = profileType.newObject(adapter, &a.vars.Profile)
		a.frame.contact = contactType.newObject(adapter, &a.vars.Contact)
		a.frame.voice = voiceType.newObject(adapter, &a.vars.Voice)
		a.campaigns = map[string]*object{}
		if a.vars.Campaign != (Campaign{}) {
			a.campaigns[a.vars.Campaign.ID] = campaignType.newObject(adapter, &a.vars.Campaign)
		}
	}
	return &a.frame
}

// bounded keeps a list variable within MaxListItems (see CostLimit).
func bounded(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s[:min(len(s), MaxListItems)]
}

func boundedMap(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	if len(m) <= MaxListItems {
		return m
	}
	keys := slices.Sorted(maps.Keys(m))[:MaxListItems]
	out := make(map[string]int, len(keys))
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

func (a *Activation) campaignValue(c Campaign) *object {
	if v, ok := a.campaigns[c.ID]; ok {
		return v
	}
	v := campaignType.newObject(adapter, &c)
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
	if decided, ok := r.byGuards(a, &c); decided {
		return ok, nil
	}
	// Only rules that need CEL are remembered: a map lookup costs more
	// than checking guards again.
	k := memoKey{rule: r}
	if r.usesCampaign {
		k.campaign = c.ID
	}
	if res, ok := a.memo[k]; ok {
		return res.ok, res.err
	}
	ok, err := r.evalCEL(a, c)
	if a.memo == nil {
		a.memo = make(map[memoKey]memoResult, 64)
	}
	a.memo[k] = memoResult{ok, err}
	return ok, err
}
