package catalog

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/conduit-cx/conduit/shared/apperr"
)

var (
	// idPattern keeps ids safe in URLs and in Connect contact attributes.
	idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{1,63}$`)
	// tagPattern is an intent, a life-event kind or a variant id.
	tagPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
	// placeholderPattern finds {name} in a why-it-fits template.
	placeholderPattern = regexp.MustCompile(`\{([^{}]*)\}`)
)

// Limits of lists and numbers.
const (
	MaxTags            = 20
	MaxBusinessLever   = 10
	MaxPriorityWeight  = 1000
	MaxWindowDays      = 365
	MaxSuppressionDays = 365
	MaxGoalChars       = 500
	MaxQueues          = 50
	MaxASASeconds      = 3600
)

// WhyItFitsPlaceholders are the facts a why-it-fits template may name.
var WhyItFitsPlaceholders = []string{"intent", "lifeEvent", "valueTier", "tenureMonths", "product", "segment", "campaign", "offer"}

// RuleChecker compiles a rule a marketer wrote and reports each compile
// issue as a problem of field; callers pass rules.Check, the one compiler
// of rules. It comes in as a value rather than an import so that the
// functions that only read the catalog (loadwatch, outcome, survey, the
// consumers) do not link the rule compiler.
type RuleChecker func(field, source string) error

// ValidID reports whether id may name an offer or a campaign.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// NewID makes an id for a new offer ("off-…") or campaign ("cmp-…").
func NewID(kind string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "off-"
	if kind == KindCampaign {
		prefix = "cmp-"
	}
	return prefix + hex.EncodeToString(b[:])
}

// Normalize trims the marketer's text and drops empty list entries, so
// what is validated is what is stored.
func (s *OfferSpec) Normalize() {
	s.Name = strings.TrimSpace(s.Name)
	s.CampaignID = strings.TrimSpace(s.CampaignID)
	s.Eligibility = strings.TrimSpace(s.Eligibility)
	s.Value.Currency = strings.ToUpper(strings.TrimSpace(s.Value.Currency))
	s.Value.Amount = strings.TrimSpace(s.Value.Amount)
	s.Content.Pitch = strings.TrimSpace(s.Content.Pitch)
	s.Content.Script = strings.TrimSpace(s.Content.Script)
	s.Content.WhyItFits = strings.TrimSpace(s.Content.WhyItFits)
	s.ValidFrom, s.ValidTo = s.ValidFrom.UTC(), s.ValidTo.UTC()
	if s.Channels == nil {
		s.Channels = []string{}
	}
}

// Validate reports every problem of the offer at once, each with its
// field (JSON path) and what is wrong. The eligibility rule is compiled by
// check.
func (s OfferSpec) Validate(check RuleChecker) error {
	var p apperr.Problems
	checkName(&p, "name", s.Name)
	if s.CampaignID == "" {
		p.Add("campaignId", "is required: every offer belongs to a campaign")
	} else if !ValidID(s.CampaignID) {
		p.Add("campaignId", "%q is not a campaign id", s.CampaignID)
	}
	if len(s.Channels) == 0 {
		p.Add("channels", "needs at least one of %s", strings.Join(Channels, ", "))
	}
	for i, c := range s.Channels {
		switch {
		case !slices.Contains(Channels, c):
			p.Add(fmt.Sprintf("channels[%d]", i), "must be one of %s, not %q", strings.Join(Channels, ", "), c)
		case slices.Index(s.Channels, c) < i:
			p.Add(fmt.Sprintf("channels[%d]", i), "%q is listed twice", c)
		}
	}
	if s.ValidFrom.IsZero() {
		p.Add("validFrom", "is required (RFC 3339, e.g. 2026-05-01T00:00:00Z)")
	}
	if !s.ValidTo.IsZero() && !s.ValidTo.After(s.ValidFrom) {
		p.Add("validTo", "must be after validFrom")
	}
	if _, err := s.Value.MinorUnits(); err != nil {
		field := "value.amount"
		if _, ok := currencyDigits[s.Value.Currency]; !ok {
			field = "value.currency"
		}
		p.Add(field, "%v", err)
	}
	checkNumber(&p, "businessLever", s.BusinessLever, 0, MaxBusinessLever)
	checkNumber(&p, "priorityWeight", s.PriorityWeight, 0, MaxPriorityWeight)
	checkRule(&p, check, "eligibility", s.Eligibility)
	checkTags(&p, "intents", s.Intents)
	checkTags(&p, "lifeEvents", s.LifeEvents)
	if s.Caps.Global < 0 {
		p.Add("caps.global", "must be 0 (no cap) or more, not %d", s.Caps.Global)
	}
	pc := s.Caps.PerCustomer
	if pc.Max < 0 {
		p.Add("caps.perCustomer.max", "must be 0 (no cap) or more, not %d", pc.Max)
	}
	if pc.WindowDays < 0 || pc.WindowDays > MaxWindowDays {
		p.Add("caps.perCustomer.windowDays", "must be from 0 to %d, not %d", MaxWindowDays, pc.WindowDays)
	} else if pc.Max > 0 && pc.WindowDays == 0 {
		p.Add("caps.perCustomer.windowDays", "must be at least 1 when caps.perCustomer.max is set")
	}
	if s.SuppressionDaysAfterDecline < 0 || s.SuppressionDaysAfterDecline > MaxSuppressionDays {
		p.Add("suppressionDaysAfterDecline", "must be from 0 to %d, not %d", MaxSuppressionDays, s.SuppressionDaysAfterDecline)
	}
	s.Content.validate(&p)
	return p.Err()
}

func (c Content) validate(p *apperr.Problems) {
	switch n := utf8.RuneCountInString(c.Pitch); {
	case n == 0:
		p.Add("content.pitch", "is required: one plain-language line the agent can say")
	case n > MaxPitchChars:
		p.Add("content.pitch", "is %d characters; at most %d are allowed", n, MaxPitchChars)
	case strings.ContainsAny(c.Pitch, "\r\n"):
		p.Add("content.pitch", "must be a single line")
	}
	checkText(p, "content.script", c.Script, MaxScriptChars)
	if len(c.FAQ) > MaxFAQ {
		p.Add("content.faq", "has %d entries; at most %d are allowed", len(c.FAQ), MaxFAQ)
	}
	for i, f := range c.FAQ {
		checkRequiredText(p, fmt.Sprintf("content.faq[%d].question", i), f.Question, MaxAnswerChars)
		checkRequiredText(p, fmt.Sprintf("content.faq[%d].answer", i), f.Answer, MaxAnswerChars)
	}
	if len(c.Objections) > MaxObjections {
		p.Add("content.objections", "has %d entries; at most %d are allowed", len(c.Objections), MaxObjections)
	}
	for i, o := range c.Objections {
		checkRequiredText(p, fmt.Sprintf("content.objections[%d].objection", i), o.Objection, MaxAnswerChars)
		checkRequiredText(p, fmt.Sprintf("content.objections[%d].response", i), o.Response, MaxAnswerChars)
	}
	checkText(p, "content.whyItFits", c.WhyItFits, MaxWhyItFitsChars)
	for _, m := range placeholderPattern.FindAllStringSubmatch(c.WhyItFits, -1) {
		if !slices.Contains(WhyItFitsPlaceholders, m[1]) {
			p.Add("content.whyItFits", "{%s} is not a known placeholder; use %s", m[1], placeholderList())
		}
	}
	if len(c.Variants) > MaxVariants {
		p.Add("content.variants", "has %d entries; at most %d are allowed", len(c.Variants), MaxVariants)
	}
	for i, v := range c.Variants {
		f := fmt.Sprintf("content.variants[%d]", i)
		if !tagPattern.MatchString(v.ID) {
			p.Add(f+".id", "must be 1-40 lower-case letters, digits, - or _, not %q", v.ID)
		} else if slices.IndexFunc(c.Variants, func(x Variant) bool { return x.ID == v.ID }) < i {
			p.Add(f+".id", "%q is used twice", v.ID)
		}
		checkRequiredText(p, f+".script", v.Script, MaxScriptChars)
		if !(v.Weight > 0) || math.IsInf(v.Weight, 0) {
			p.Add(f+".weight", "must be more than 0")
		}
	}
}

func placeholderList() string {
	parts := make([]string, len(WhyItFitsPlaceholders))
	for i, ph := range WhyItFitsPlaceholders {
		parts[i] = "{" + ph + "}"
	}
	return strings.Join(parts, ", ")
}

// WhyItFitsFor fills the offer's why-it-fits template with the facts of a
// decision; a placeholder without a fact is left out with its braces.
func (c Content) WhyItFitsFor(facts map[string]string) string {
	out := placeholderPattern.ReplaceAllStringFunc(c.WhyItFits, func(m string) string {
		return facts[m[1:len(m)-1]]
	})
	return strings.Join(strings.Fields(out), " ")
}

// Normalize trims the marketer's text; an empty load-gate queue list
// watches every queue.
func (s *CampaignSpec) Normalize() {
	s.Name = strings.TrimSpace(s.Name)
	s.Goal = strings.TrimSpace(s.Goal)
	s.Owner = strings.TrimSpace(s.Owner)
	s.Audience = strings.TrimSpace(s.Audience)
	s.LaunchAt, s.EndAt = s.LaunchAt.UTC(), s.EndAt.UTC()
	if len(s.LoadGate.Queues) == 0 {
		s.LoadGate.Queues = []string{AllQueues}
	}
}

// Validate reports every problem of the campaign at once. The audience
// rule is compiled by check.
func (s CampaignSpec) Validate(check RuleChecker) error {
	var p apperr.Problems
	checkName(&p, "name", s.Name)
	checkText(&p, "goal", s.Goal, MaxGoalChars)
	checkRequiredText(&p, "owner", s.Owner, MaxNameChars)
	if s.LaunchAt.IsZero() {
		p.Add("launchAt", "is required (RFC 3339, e.g. 2026-05-01T08:00:00Z)")
	}
	if s.EndAt.IsZero() {
		p.Add("endAt", "is required (RFC 3339)")
	} else if !s.LaunchAt.IsZero() && !s.EndAt.After(s.LaunchAt) {
		p.Add("endAt", "must be after launchAt")
	}
	checkRule(&p, check, "audience", s.Audience)
	if !(s.HoldoutShare >= 0 && s.HoldoutShare <= MaxHoldoutShare) {
		p.Add("holdoutShare", "must be from 0 to %v (0 %% to 50 %% of the audience), not %v", MaxHoldoutShare, s.HoldoutShare)
	}
	checkNumber(&p, "expectedResponseRate", s.ExpectedResponseRate, 0, 1)
	if s.AudienceSize < 0 {
		p.Add("audienceSize", "must be 0 or more, not %d", s.AudienceSize)
	}
	checkNumber(&p, "loadGate.maxASASeconds", s.LoadGate.MaxASASeconds, 0, MaxASASeconds)
	checkNumber(&p, "loadGate.minServiceLevel", s.LoadGate.MinServiceLevel, 0, 1)
	if len(s.LoadGate.Queues) > MaxQueues {
		p.Add("loadGate.queues", "has %d queues; at most %d are allowed", len(s.LoadGate.Queues), MaxQueues)
	}
	for i, q := range s.LoadGate.Queues {
		f := fmt.Sprintf("loadGate.queues[%d]", i)
		switch {
		case strings.TrimSpace(q) == "" || len(q) > 128:
			p.Add(f, "must be a queue name of 1-128 characters or %q", AllQueues)
		case q == AllQueues && len(s.LoadGate.Queues) > 1:
			p.Add(f, "%q already covers every queue; list no others", AllQueues)
		}
	}
	return p.Err()
}

func checkName(p *apperr.Problems, field, v string) {
	checkRequiredText(p, field, v, MaxNameChars)
}

func checkRequiredText(p *apperr.Problems, field, v string, limit int) {
	if strings.TrimSpace(v) == "" {
		p.Add(field, "is required")
		return
	}
	checkText(p, field, v, limit)
}

func checkText(p *apperr.Problems, field, v string, limit int) {
	if !utf8.ValidString(v) {
		p.Add(field, "is not valid UTF-8 text")
	} else if n := utf8.RuneCountInString(v); n > limit {
		p.Add(field, "is %d characters; at most %d are allowed", n, limit)
	}
}

func checkNumber(p *apperr.Problems, field string, v, lo, hi float64) {
	if !(v >= lo && v <= hi) {
		p.Add(field, "must be from %v to %v, not %v", lo, hi, v)
	}
}

func checkTags(p *apperr.Problems, field string, tags []string) {
	if len(tags) > MaxTags {
		p.Add(field, "has %d entries; at most %d are allowed", len(tags), MaxTags)
	}
	for i, t := range tags {
		if !tagPattern.MatchString(t) {
			p.Add(fmt.Sprintf("%s[%d]", field, i), "must be 1-40 lower-case letters, digits, - or _, not %q", t)
		}
	}
}

// checkRule compiles a rule and adds each compile issue as a problem.
func checkRule(p *apperr.Problems, check RuleChecker, field, source string) {
	err := check(field, source)
	if err == nil {
		return
	}
	if ps, ok := apperr.AsProblems(err); ok {
		*p = append(*p, ps...)
		return
	}
	p.Add(field, "could not be checked: %v", err)
}
