package rules

import (
	"slices"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
)

// Most rules are a conjunction whose parts name a fact of the contact or
// the customer: `contact.intent == "high_bill" && "broadband" in
// profile.segments && ...`. Each such part is a guard: checked in plain
// Go, it is a necessary condition of the rule, and in CEL a conjunction
// with one false part is false whatever the other parts are (even when
// they fail). So a rule whose guard fails is false without running CEL,
// and a rule made only of guards needs no CEL at all. The index below
// goes one step further and never even looks at rules whose anchor guard
// names a fact the decision does not have.

// field names one variable field a guard can read.
type field uint8

const (
	fieldNone field = iota
	// string fields
	fProfileValueTier
	fProfileLastSentiment
	fProfileLanguage
	fContactChannel
	fContactQueue
	fContactIntent
	fContactLanguage
	fContactWeekday
	fCampaignID
	fCampaignName
	fVoiceLastSocialTopic
	// list fields
	fProfileSegments
	fProfileProducts
	fProfileLifeEvents
	// map field (membership tests its keys)
	fProfileLifeEventDays
	// int fields
	fProfileTenureMonths
	fProfileContactCount
	fContactHour
	fVoiceLastSurveyScore
)

var fieldsByPath = map[string]field{
	"profile.value_tier": fProfileValueTier, "profile.last_sentiment": fProfileLastSentiment,
	"profile.language": fProfileLanguage, "contact.channel": fContactChannel, "contact.queue": fContactQueue,
	"contact.intent": fContactIntent, "contact.language": fContactLanguage, "contact.weekday": fContactWeekday,
	"campaign.id": fCampaignID, "campaign.name": fCampaignName, "voice.last_social_topic": fVoiceLastSocialTopic,
	"profile.segments": fProfileSegments, "profile.products": fProfileProducts,
	"profile.life_events": fProfileLifeEvents, "profile.life_event_days": fProfileLifeEventDays,
	"profile.tenure_months": fProfileTenureMonths, "profile.contact_count": fProfileContactCount,
	"contact.hour": fContactHour, "voice.last_survey_score": fVoiceLastSurveyScore,
}

func (f field) isString() bool { return f >= fProfileValueTier && f <= fVoiceLastSocialTopic }
func (f field) isList() bool   { return f >= fProfileSegments && f <= fProfileLifeEventDays }
func (f field) isInt() bool    { return f >= fProfileTenureMonths && f <= fVoiceLastSurveyScore }

type guardOp uint8

const (
	opEq    guardOp = iota // field == value
	opNe                   // field != value
	opOneOf                // field in [values]
	opHas                  // value in list field (or map field's keys)
	opCmp                  // int field (or life_event_days[key]) <, <=, >, >=, ==, != n
)

// guard is one necessary condition of a rule.
type guard struct {
	op     guardOp
	field  field
	value  string // opCmp on life_event_days: the key
	values []string
	cmp    string // opCmp: the CEL operator, with the field on the left
	n      int64
}

// flipped is the comparison with its sides swapped (3 < x is x > 3).
var flipped = map[string]string{"_<_": "_>_", "_<=_": "_>=_", "_>_": "_<_", "_>=_": "_<=_", "_==_": "_==_", "_!=_": "_!=_"}

// guardsOf returns the guards of a checked rule and whether the rule is
// nothing but guards.
func guardsOf(a *cel.Ast) (gs []guard, complete bool) {
	var conjuncts []celast.Expr
	var flatten func(e celast.Expr)
	flatten = func(e celast.Expr) {
		if e.Kind() == celast.CallKind && e.AsCall().FunctionName() == "_&&_" {
			for _, arg := range e.AsCall().Args() {
				flatten(arg)
			}
			return
		}
		conjuncts = append(conjuncts, e)
	}
	flatten(a.NativeRep().Expr())
	complete = true
	for _, c := range conjuncts {
		if g, ok := guardOf(c); ok {
			gs = append(gs, g)
		} else {
			complete = false
		}
	}
	return gs, complete
}

func guardOf(e celast.Expr) (guard, bool) {
	if e.Kind() != celast.CallKind {
		return guard{}, false
	}
	call := e.AsCall()
	args := call.Args()
	if len(args) != 2 || call.IsMemberFunction() {
		return guard{}, false
	}
	if cmp, ok := flipped[call.FunctionName()]; ok {
		for _, side := range []struct {
			f, n celast.Expr
			op   string
		}{{args[0], args[1], call.FunctionName()}, {args[1], args[0], cmp}} {
			n, nok := intLiteral(side.n)
			if !nok {
				continue
			}
			if f, ok := fieldOf(side.f); ok && f.isInt() {
				return guard{op: opCmp, field: f, cmp: side.op, n: n}, true
			}
			if key, ok := lifeEventDaysIndex(side.f); ok {
				return guard{op: opCmp, field: fProfileLifeEventDays, value: key, cmp: side.op, n: n}, true
			}
		}
	}
	switch call.FunctionName() {
	case "_==_", "_!=_":
		op := opEq
		if call.FunctionName() == "_!=_" {
			op = opNe
		}
		for _, pair := range [][2]celast.Expr{{args[0], args[1]}, {args[1], args[0]}} {
			f, fok := fieldOf(pair[0])
			v, vok := stringLiteral(pair[1])
			if fok && vok && f.isString() {
				return guard{op: op, field: f, value: v}, true
			}
		}
	case "@in":
		if v, ok := stringLiteral(args[0]); ok {
			if f, ok := fieldOf(args[1]); ok && f.isList() {
				return guard{op: opHas, field: f, value: v}, true
			}
		}
		if f, ok := fieldOf(args[0]); ok && f.isString() && args[1].Kind() == celast.ListKind {
			var values []string
			for _, el := range args[1].AsList().Elements() {
				v, ok := stringLiteral(el)
				if !ok {
					return guard{}, false
				}
				values = append(values, v)
			}
			return guard{op: opOneOf, field: f, values: values}, true
		}
	}
	return guard{}, false
}

// fieldOf matches `variable.field`.
func fieldOf(e celast.Expr) (field, bool) {
	if e.Kind() != celast.SelectKind || e.AsSelect().IsTestOnly() {
		return fieldNone, false
	}
	sel := e.AsSelect()
	if sel.Operand().Kind() != celast.IdentKind {
		return fieldNone, false
	}
	f, ok := fieldsByPath[sel.Operand().AsIdent()+"."+sel.FieldName()]
	return f, ok
}

func intLiteral(e celast.Expr) (int64, bool) {
	if e.Kind() != celast.LiteralKind {
		return 0, false
	}
	n, ok := e.AsLiteral().(types.Int)
	return int64(n), ok
}

// lifeEventDaysIndex matches `profile.life_event_days["kind"]`.
func lifeEventDaysIndex(e celast.Expr) (string, bool) {
	if e.Kind() != celast.CallKind || e.AsCall().FunctionName() != "_[_]" || len(e.AsCall().Args()) != 2 {
		return "", false
	}
	args := e.AsCall().Args()
	f, ok := fieldOf(args[0])
	if !ok || f != fProfileLifeEventDays {
		return "", false
	}
	return stringLiteral(args[1])
}

func stringLiteral(e celast.Expr) (string, bool) {
	if e.Kind() != celast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

// str reads a string field of the decision's variables.
func (a *Activation) str(f field, c *Campaign) string {
	v := &a.vars
	switch f {
	case fProfileValueTier:
		return v.Profile.ValueTier
	case fProfileLastSentiment:
		return v.Profile.LastSentiment
	case fProfileLanguage:
		return v.Profile.Language
	case fContactChannel:
		return v.Contact.Channel
	case fContactQueue:
		return v.Contact.Queue
	case fContactIntent:
		return v.Contact.Intent
	case fContactLanguage:
		return v.Contact.Language
	case fContactWeekday:
		return v.Contact.Weekday
	case fCampaignID:
		return c.ID
	case fCampaignName:
		return c.Name
	case fVoiceLastSocialTopic:
		return v.Voice.LastSocialTopic
	}
	return ""
}

// num reads an int field of the decision's variables.
func (a *Activation) num(f field) int64 {
	v := &a.vars
	switch f {
	case fProfileTenureMonths:
		return int64(v.Profile.TenureMonths)
	case fProfileContactCount:
		return int64(v.Profile.ContactCount)
	case fContactHour:
		return int64(v.Contact.Hour)
	case fVoiceLastSurveyScore:
		return int64(v.Voice.LastSurveyScore)
	}
	return 0
}

func compare(x int64, cmp string, n int64) bool {
	switch cmp {
	case "_<_":
		return x < n
	case "_<=_":
		return x <= n
	case "_>_":
		return x > n
	case "_>=_":
		return x >= n
	case "_==_":
		return x == n
	case "_!=_":
		return x != n
	}
	return false
}

// has reports whether a list field holds value (a map field, its keys).
func (a *Activation) has(f field, value string) bool {
	v := &a.vars
	switch f {
	case fProfileSegments:
		return slices.Contains(v.Profile.Segments, value)
	case fProfileProducts:
		return slices.Contains(v.Profile.Products, value)
	case fProfileLifeEvents:
		return slices.Contains(v.Profile.LifeEvents, value)
	case fProfileLifeEventDays:
		_, ok := v.Profile.LifeEventDays[value]
		return ok
	}
	return false
}

// guardResult is a guard's answer; guardUnknown (a missing map key, an
// error in CEL) leaves the answer to CEL.
type guardResult uint8

const (
	guardPass guardResult = iota
	guardFail
	guardUnknown
)

func (a *Activation) check(g *guard, c *Campaign) guardResult {
	if g.op == opCmp {
		var x int64
		if g.field == fProfileLifeEventDays {
			d, ok := a.vars.Profile.LifeEventDays[g.value]
			if !ok {
				return guardUnknown
			}
			x = int64(d)
		} else {
			x = a.num(g.field)
		}
		if compare(x, g.cmp, g.n) {
			return guardPass
		}
		return guardFail
	}
	if a.pass(g, c) {
		return guardPass
	}
	return guardFail
}

func (a *Activation) pass(g *guard, c *Campaign) bool {
	switch g.op {
	case opEq:
		return a.str(g.field, c) == g.value
	case opNe:
		return a.str(g.field, c) != g.value
	case opOneOf:
		return slices.Contains(g.values, a.str(g.field, c))
	case opHas:
		return a.has(g.field, g.value)
	}
	return true
}

// Index finds, for one decision, the rules of a catalog that may be
// true, without looking at the others: each rule is filed under one of
// its guards (its anchor: an intent, a segment, a product, a life event,
// a value tier ...), and a decision looks up only the anchors its facts
// match. Rules without an anchor are always candidates. Build it once per
// catalog refresh; it is safe for concurrent use.
type Index struct {
	rules []*Rule
	// byValue files rules under field+value for opEq, opOneOf and opHas.
	byValue map[field]map[string][]int32
	// always lists the rules with no usable anchor.
	always []int32
	fields []field
}

// anchorRank orders the fields by how well they split a catalog: the
// contact's intent first, then life events, segments and products.
var anchorRank = map[field]int{
	fContactIntent: 1, fProfileLifeEvents: 2, fProfileLifeEventDays: 3, fProfileSegments: 4, fProfileProducts: 5,
	fCampaignID: 6, fContactQueue: 7, fVoiceLastSocialTopic: 8, fProfileValueTier: 9, fContactChannel: 10,
	fContactLanguage: 11, fProfileLanguage: 12, fContactWeekday: 13, fProfileLastSentiment: 14, fCampaignName: 15,
}

// NewIndex files rules (a nil rule or an empty one is always a candidate).
// Candidates answers positions in rules.
func NewIndex(rs []*Rule) *Index {
	x := &Index{rules: rs, byValue: map[field]map[string][]int32{}}
	for i, r := range rs {
		var anchor *guard
		if r != nil {
			for gi := range r.guards {
				g := &r.guards[gi]
				if g.op == opNe || g.op == opCmp || g.field == fCampaignID || g.field == fCampaignName {
					continue // campaign guards depend on the offer, not on the decision
				}
				if anchor == nil || anchorRank[g.field] < anchorRank[anchor.field] {
					anchor = g
				}
			}
		}
		if anchor == nil {
			x.always = append(x.always, int32(i))
			continue
		}
		m := x.byValue[anchor.field]
		if m == nil {
			m = map[string][]int32{}
			x.byValue[anchor.field] = m
			x.fields = append(x.fields, anchor.field)
		}
		values := anchor.values
		if anchor.op != opOneOf {
			values = []string{anchor.value}
		}
		for _, v := range values {
			m[v] = append(m[v], int32(i))
		}
	}
	slices.Sort(x.fields)
	return x
}

// Len is the number of rules indexed.
func (x *Index) Len() int { return len(x.rules) }

// Candidates appends to dst, in ascending order, the positions of the
// rules that may be true for the decision; every other rule is false for
// it. Evaluate each candidate with Activation.Eval.
func (x *Index) Candidates(a *Activation, dst []int) []int {
	start := len(dst)
	for _, i := range x.always {
		dst = append(dst, int(i))
	}
	add := func(list []int32) {
		for _, i := range list {
			dst = append(dst, int(i))
		}
	}
	for _, f := range x.fields {
		m := x.byValue[f]
		switch f {
		case fProfileSegments:
			for _, s := range a.vars.Profile.Segments {
				add(m[s])
			}
		case fProfileProducts:
			for _, s := range a.vars.Profile.Products {
				add(m[s])
			}
		case fProfileLifeEvents:
			for _, s := range a.vars.Profile.LifeEvents {
				add(m[s])
			}
		case fProfileLifeEventDays:
			for s := range a.vars.Profile.LifeEventDays {
				add(m[s])
			}
		default:
			add(m[a.str(f, &Campaign{})])
		}
	}
	out := dst[start:]
	slices.Sort(out)
	// A list may name a value twice (["a","a"]); keep each rule once.
	return append(dst[:start], slices.Compact(out)...)
}
