// Package profiles is the customer profile: who the customer is to the
// business (segments, tenure, products, value tier), what they allow
// (marketing consent per channel), what is going on in their life (life
// events), how recent contacts went, and which offers they saw lately. It
// holds no raw phone number or email: only identity keys.
package profiles

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/identity"
)

// Channels a contact or a consent can be about.
const (
	ChannelVoice = "voice"
	ChannelChat  = "chat"
	ChannelTask  = "task"
	ChannelEmail = "email"
	ChannelSMS   = "sms"
	// ChannelAll in a consent covers every channel.
	ChannelAll = "all"
)

// Channels lists the contact channels Conduit knows.
var Channels = []string{ChannelVoice, ChannelChat, ChannelTask, ChannelEmail, ChannelSMS}

// SocialNetworks lists the social networks and review sites whose posts and
// handles Conduit takes, by the lower-case name a listening tool sends.
var SocialNetworks = []string{"x", "facebook", "instagram", "tiktok", "linkedin", "youtube", "reddit", "threads", "bluesky", "trustpilot"}

// MaxHandles bounds the social handles of one profile.
const MaxHandles = 10

// Value tiers, lowest first.
var ValueTiers = []string{"standard", "silver", "gold", "platinum"}

// Consent states.
const (
	ConsentOptIn  = "opt_in"
	ConsentOptOut = "opt_out"
)

// Sentiments as Contact Lens reports them, lower-cased.
const (
	SentimentPositive = "positive"
	SentimentNeutral  = "neutral"
	SentimentMixed    = "mixed"
	SentimentNegative = "negative"
)

// Bounds that keep a profile item small and the offer path fast.
const (
	MaxRecentOffers   = 50
	MaxRecentContacts = 20
	MaxLifeEvents     = 20
	RecentWindow      = 90 * 24 * time.Hour
)

// ErrUnchanged is what a change returns when it leaves the profile as it
// is: the store then writes nothing and reports no error.
var ErrUnchanged = errors.New("the change leaves the profile as it is")

// Profile is one customer.
type Profile struct {
	ID string `json:"id" dynamo:"id"`
	// Version counts the edits people made (API updates, consent changes);
	// an edit must name the version it read (optimistic locking).
	Version int `json:"version" dynamo:"version"`
	// Revision counts every write, by people and by machines (decisions,
	// outcomes, contact records, speech). The store makes each write
	// conditional on it, so no write is lost to a concurrent one. Never shown.
	Revision int `json:"-" dynamo:"revision"`
	// Identities are keyed hashes of the customer's phone numbers, emails,
	// customer id and social handles.
	Identities    []identity.Key     `json:"identities" dynamo:"identities"`
	Segments      []string           `json:"segments" dynamo:"segments"`
	CustomerSince time.Time          `json:"customerSince,omitzero" dynamo:"customerSince,omitempty"`
	Products      []string           `json:"products" dynamo:"products"`
	ValueTier     string             `json:"valueTier" dynamo:"valueTier"`
	Language      string             `json:"language,omitempty" dynamo:"language,omitempty"`
	Consent       map[string]Consent `json:"consent" dynamo:"consent"`
	LifeEvents    []LifeEvent        `json:"lifeEvents" dynamo:"lifeEvents"`
	// Sentiment is the last overall customer sentiment seen on a contact.
	LastSentiment   string    `json:"lastSentiment,omitempty" dynamo:"lastSentiment,omitempty"`
	LastSentimentAt time.Time `json:"lastSentimentAt,omitzero" dynamo:"lastSentimentAt,omitempty"`
	// RecentContacts feed the repeat-contact check of the empathy gate and FCR.
	RecentContacts []ContactSummary `json:"recentContacts" dynamo:"recentContacts"`
	ContactCount   int              `json:"contactCount" dynamo:"contactCount"`
	// RecentOffers feed the contact policies (frequency caps, suppression after decline).
	RecentOffers []Exposure `json:"recentOffers" dynamo:"recentOffers"`
	// Voice holds voice-of-customer signals: surveys, social posts.
	Voice     VoiceSignals `json:"voice" dynamo:"voice"`
	CreatedAt time.Time    `json:"createdAt" dynamo:"createdAt"`
	UpdatedAt time.Time    `json:"updatedAt" dynamo:"updatedAt"`
}

// Consent is the customer's marketing consent on one channel.
type Consent struct {
	Status    string    `json:"status" dynamo:"status"`
	UpdatedAt time.Time `json:"updatedAt" dynamo:"updatedAt"`
	// Source is where the customer said it: call, chat, web, import...
	Source string `json:"source,omitempty" dynamo:"source,omitempty"`
	// UpdatedBy is who recorded it (the caller's subject), for audits.
	UpdatedBy string `json:"updatedBy,omitempty" dynamo:"updatedBy,omitempty"`
}

// LifeEvent is something that happened in the customer's life and changes
// what is worth offering: a move, a marriage, a new baby, a new job.
type LifeEvent struct {
	Kind      string    `json:"kind" dynamo:"kind"`
	At        time.Time `json:"at" dynamo:"at"`
	Source    string    `json:"source,omitempty" dynamo:"source,omitempty"`
	ExpiresAt time.Time `json:"expiresAt,omitzero" dynamo:"expiresAt,omitempty"`
}

// ContactSummary is what a later decision needs of an earlier contact.
type ContactSummary struct {
	ContactID string    `json:"contactId" dynamo:"contactId"`
	At        time.Time `json:"at" dynamo:"at"`
	Channel   string    `json:"channel,omitempty" dynamo:"channel,omitempty"`
	Queue     string    `json:"queue,omitempty" dynamo:"queue,omitempty"`
	// Issue is the reason of the contact (an intent or a category), used to
	// find repeat contacts about the same issue.
	Issue     string `json:"issue,omitempty" dynamo:"issue,omitempty"`
	Sentiment string `json:"sentiment,omitempty" dynamo:"sentiment,omitempty"`
	Resolved  bool   `json:"resolved" dynamo:"resolved"`
}

// Exposure is one offer decision for this customer and what came of it.
type Exposure struct {
	DecisionID string    `json:"decisionId" dynamo:"decisionId"`
	OfferID    string    `json:"offerId" dynamo:"offerId"`
	CampaignID string    `json:"campaignId,omitempty" dynamo:"campaignId,omitempty"`
	At         time.Time `json:"at" dynamo:"at"`
	// Holdout exposures were decided but not shown.
	Holdout bool `json:"holdout" dynamo:"holdout"`
	// Outcome is accepted, declined, later, or empty while none came.
	Outcome   string    `json:"outcome,omitempty" dynamo:"outcome,omitempty"`
	OutcomeAt time.Time `json:"outcomeAt,omitzero" dynamo:"outcomeAt,omitempty"`
}

// VoiceSignals are the customer's recent voice-of-customer signals.
type VoiceSignals struct {
	LastSurveyScore   int       `json:"lastSurveyScore,omitempty" dynamo:"lastSurveyScore,omitempty"`
	LastSurveyAt      time.Time `json:"lastSurveyAt,omitzero" dynamo:"lastSurveyAt,omitempty"`
	LastSocialTopic   string    `json:"lastSocialTopic,omitempty" dynamo:"lastSocialTopic,omitempty"`
	LastSocialRoute   string    `json:"lastSocialRoute,omitempty" dynamo:"lastSocialRoute,omitempty"`
	LastSocialAt      time.Time `json:"lastSocialAt,omitzero" dynamo:"lastSocialAt,omitempty"`
	ComplaintOpenedAt time.Time `json:"complaintOpenedAt,omitzero" dynamo:"complaintOpenedAt,omitempty"`
	// OpenComplaints are the customer's social posts routed to service and
	// not handled yet, newest first; ComplaintOpenedAt is the newest of them,
	// so handling one leaves the others holding offers.
	OpenComplaints []OpenComplaint `json:"openComplaints,omitempty" dynamo:"openComplaints,omitempty"`
}

// OpenComplaint is one social post of the customer that service has not
// handled yet: the post ("<network>#<post id>") and when it was posted.
type OpenComplaint struct {
	Post string    `json:"post" dynamo:"post"`
	At   time.Time `json:"at" dynamo:"at"`
}

// ConsentFor reports the marketing consent for a channel: the newer of the
// channel's own entry and the "all" entry wins (the customer's latest word),
// the channel's own on a tie; an unknown channel falls back to "all".
func (p Profile) ConsentFor(channel string) (Consent, bool) {
	own, hasOwn := p.Consent[channel]
	all, hasAll := p.Consent[ChannelAll]
	switch {
	case hasOwn && hasAll && all.UpdatedAt.After(own.UpdatedAt):
		return all, true
	case hasOwn:
		return own, true
	}
	return all, hasAll
}

// SetConsent records the customer's marketing choices, channel by channel
// ("all" for every channel), said through source and recorded by by at at.
// Nothing changes unless every choice is valid.
func (p *Profile) SetConsent(choices map[string]string, source, by string, at time.Time) error {
	var problems apperr.Problems
	if len(choices) == 0 {
		problems.Add("consent", "needs at least one channel, e.g. {\"sms\":\"opt_out\"}")
	}
	for _, ch := range slices.Sorted(maps.Keys(choices)) {
		if ch != ChannelAll && !slices.Contains(Channels, ch) {
			problems.Add("consent."+ch, "is not a channel; use one of %s or all", strings.Join(Channels, ", "))
		} else if st := choices[ch]; st != ConsentOptIn && st != ConsentOptOut {
			problems.Add("consent."+ch, "must be %s or %s", ConsentOptIn, ConsentOptOut)
		}
	}
	if !validToken(source) {
		problems.Add("source", "is required: where the customer said it, 1-40 lower-case letters, digits or _ (e.g. call, web)")
	}
	if err := problems.Err(); err != nil {
		return err
	}
	if p.Consent == nil {
		p.Consent = map[string]Consent{}
	}
	for ch, st := range choices {
		p.Consent[ch] = Consent{Status: st, UpdatedAt: at.UTC(), Source: source, UpdatedBy: by}
	}
	return nil
}

// OptedOut reports whether the customer refused marketing on the channel.
func (p Profile) OptedOut(channel string) bool {
	c, ok := p.ConsentFor(channel)
	return ok && c.Status == ConsentOptOut
}

// TenureMonths is how long the customer has been one, in whole months.
func (p Profile) TenureMonths(now time.Time) int {
	if p.CustomerSince.IsZero() || now.Before(p.CustomerSince) {
		return 0
	}
	y, m, _ := now.Date()
	sy, sm, _ := p.CustomerSince.Date()
	months := (y-sy)*12 + int(m-sm)
	if now.Day() < p.CustomerSince.Day() {
		months--
	}
	return max(months, 0)
}

// ActiveLifeEvents are the life events that have not expired at now.
func (p Profile) ActiveLifeEvents(now time.Time) []LifeEvent {
	var out []LifeEvent
	for _, e := range p.LifeEvents {
		if e.ExpiresAt.IsZero() || now.Before(e.ExpiresAt) {
			out = append(out, e)
		}
	}
	return out
}

// AddLifeEvent records a life event once per kind (the newest wins) and
// keeps the list bounded.
func (p *Profile) AddLifeEvent(e LifeEvent) {
	p.LifeEvents = slices.DeleteFunc(p.LifeEvents, func(x LifeEvent) bool { return x.Kind == e.Kind && !x.At.After(e.At) })
	if slices.ContainsFunc(p.LifeEvents, func(x LifeEvent) bool { return x.Kind == e.Kind }) {
		return
	}
	p.LifeEvents = append(p.LifeEvents, e)
	slices.SortFunc(p.LifeEvents, func(a, b LifeEvent) int { return b.At.Compare(a.At) })
	if len(p.LifeEvents) > MaxLifeEvents {
		p.LifeEvents = p.LifeEvents[:MaxLifeEvents]
	}
}

// RecordContact adds or replaces a contact summary, newest first, bounded.
func (p *Profile) RecordContact(c ContactSummary) {
	i := slices.IndexFunc(p.RecentContacts, func(x ContactSummary) bool { return x.ContactID == c.ContactID })
	if i >= 0 {
		p.RecentContacts[i] = c
	} else {
		p.RecentContacts = append(p.RecentContacts, c)
		p.ContactCount++
	}
	slices.SortStableFunc(p.RecentContacts, func(a, b ContactSummary) int { return b.At.Compare(a.At) })
	if len(p.RecentContacts) > MaxRecentContacts {
		p.RecentContacts = p.RecentContacts[:MaxRecentContacts]
	}
}

// RecordExposure adds an offer decision, newest first, dropping entries
// older than RecentWindow and beyond MaxRecentOffers.
func (p *Profile) RecordExposure(e Exposure, now time.Time) {
	if slices.ContainsFunc(p.RecentOffers, func(x Exposure) bool { return x.DecisionID == e.DecisionID }) {
		return
	}
	p.RecentOffers = append(p.RecentOffers, e)
	p.RecentOffers = PruneExposures(p.RecentOffers, now)
}

// PruneExposures sorts newest first and keeps the recent, bounded tail.
func PruneExposures(list []Exposure, now time.Time) []Exposure {
	slices.SortStableFunc(list, func(a, b Exposure) int { return b.At.Compare(a.At) })
	cut := now.Add(-RecentWindow)
	list = slices.DeleteFunc(list, func(x Exposure) bool { return x.At.Before(cut) })
	if len(list) > MaxRecentOffers {
		list = list[:MaxRecentOffers]
	}
	return list
}

// RecordOutcome sets the outcome of an earlier exposure; false when the
// decision is not among the recent offers.
func (p *Profile) RecordOutcome(decisionID, outcome string, at time.Time) bool {
	for i := range p.RecentOffers {
		if p.RecentOffers[i].DecisionID == decisionID {
			p.RecentOffers[i].Outcome, p.RecentOffers[i].OutcomeAt = outcome, at
			return true
		}
	}
	return false
}

// Input is what a marketer or an integration sends to create or change a
// profile. Raw identities are hashed on the way in and never stored.
type Input struct {
	Phone         string             `json:"phone,omitempty"`
	Email         string             `json:"email,omitempty"`
	CustomerID    string             `json:"customerId,omitempty"`
	Segments      []string           `json:"segments,omitempty"`
	CustomerSince *time.Time         `json:"customerSince,omitempty"`
	Products      []string           `json:"products,omitempty"`
	ValueTier     string             `json:"valueTier,omitempty"`
	Language      string             `json:"language,omitempty"`
	Consent       map[string]Consent `json:"consent,omitempty"`
	LifeEvents    []LifeEvent        `json:"lifeEvents,omitempty"`
	// Handles are the customer's social handles; given, they replace every
	// handle the profile had (an empty list removes them).
	Handles []SocialHandle `json:"handles,omitempty"`
	// Version is the version the caller last read; required on update.
	Version *int `json:"version,omitempty"`
}

// SocialHandle is a customer's handle on a social network, as sent; only
// its keyed hash is stored.
type SocialHandle struct {
	Network string `json:"network"`
	Handle  string `json:"handle"`
}

// Hasher turns the raw identities of an Input into keys. identity.Hasher
// takes a phone number only in canonical E.164 (as generated or as Amazon
// Connect gives it); phoneinput.Hasher also takes one as a person wrote it.
type Hasher interface {
	Phone(raw string) (identity.Key, error)
	Email(raw string) (identity.Key, error)
	CustomerID(raw string) (identity.Key, error)
	SocialHandle(network, handle string) (identity.Key, error)
}

// Build validates in for a new profile and returns a profile with the
// input's fields and identity keys (ID, version and times are the caller's
// to set). Every problem is reported at once.
func (in Input) Build(h Hasher, now time.Time) (Profile, error) {
	var p Profile
	err := in.apply(h, now, &p, true)
	return p, err
}

// Apply changes p by the fields in names: a field left out keeps its value,
// so a caller that never saw the raw phone or email can still edit the rest.
// A phone, email or customer id replaces the identity of that kind. Consent
// is not changed here (SetConsent records who and when). Nothing changes
// unless the whole input is valid.
func (in Input) Apply(h Hasher, now time.Time, p *Profile) error {
	next := p.Clone()
	if err := in.apply(h, now, &next, false); err != nil {
		return err
	}
	*p = next
	return nil
}

func (in Input) apply(h Hasher, now time.Time, p *Profile, create bool) error {
	var problems apperr.Problems
	setIdentity := func(k identity.Key, err error) {
		if err != nil {
			if ps, ok := apperr.AsProblems(err); ok {
				problems = append(problems, ps...)
			}
			return
		}
		p.Identities = slices.DeleteFunc(p.Identities, func(x identity.Key) bool { return x.Kind() == k.Kind() })
		p.Identities = append(p.Identities, k)
	}
	if in.Phone != "" {
		setIdentity(h.Phone(in.Phone))
	}
	if in.Email != "" {
		setIdentity(h.Email(in.Email))
	}
	if in.CustomerID != "" {
		setIdentity(h.CustomerID(in.CustomerID))
	}
	if in.Handles != nil {
		p.Identities = slices.DeleteFunc(p.Identities, func(x identity.Key) bool { return x.Kind() == identity.Handle })
		if len(in.Handles) > MaxHandles {
			problems.Add("handles", "has %d entries; at most %d", len(in.Handles), MaxHandles)
		}
		for i, sh := range in.Handles {
			if !slices.Contains(SocialNetworks, sh.Network) {
				problems.Add(fieldIndex("handles", i, "network"), "must be one of %s", strings.Join(SocialNetworks, ", "))
				continue
			}
			k, err := h.SocialHandle(sh.Network, sh.Handle)
			if err != nil {
				problems.Add(fieldIndex("handles", i, "handle"), "must be a handle of 1-100 characters")
				continue
			}
			if !slices.Contains(p.Identities, k) {
				p.Identities = append(p.Identities, k)
			}
		}
	}
	if create && len(p.Identities) == 0 && len(problems) == 0 {
		problems.Add("phone", "a profile needs at least one of phone, email or customerId")
	}
	if create && in.Version != nil {
		problems.Add("version", "is set by Conduit when the profile is created; send it only on updates")
	}
	if create || in.Segments != nil {
		p.Segments = cleanList(&problems, "segments", in.Segments, 50)
	}
	if create || in.Products != nil {
		p.Products = cleanList(&problems, "products", in.Products, 100)
	}
	if in.CustomerSince != nil {
		if in.CustomerSince.After(now) {
			problems.Add("customerSince", "must not be in the future")
		}
		p.CustomerSince = in.CustomerSince.UTC()
	}
	switch {
	case in.ValueTier != "" && !slices.Contains(ValueTiers, in.ValueTier):
		problems.Add("valueTier", "must be one of %s", strings.Join(ValueTiers, ", "))
	case in.ValueTier != "":
		p.ValueTier = in.ValueTier
	case create:
		p.ValueTier = ValueTiers[0]
	}
	if in.Language != "" {
		if !ValidLanguage(in.Language) {
			problems.Add("language", "must be a language tag such as en-US")
		}
		p.Language = in.Language
	}
	switch {
	case create:
		p.Consent = map[string]Consent{}
		for _, ch := range slices.Sorted(maps.Keys(in.Consent)) {
			c := in.Consent[ch]
			if ch != ChannelAll && !slices.Contains(Channels, ch) {
				problems.Add("consent."+ch, "is not a channel; use one of %s or all", strings.Join(Channels, ", "))
				continue
			}
			if c.Status != ConsentOptIn && c.Status != ConsentOptOut {
				problems.Add("consent."+ch+".status", "must be %s or %s", ConsentOptIn, ConsentOptOut)
				continue
			}
			if c.UpdatedAt.IsZero() {
				c.UpdatedAt = now
			} else if c.UpdatedAt.After(now) {
				problems.Add("consent."+ch+".updatedAt", "must not be in the future")
			}
			c.UpdatedAt = c.UpdatedAt.UTC()
			p.Consent[ch] = c
		}
	case in.Consent != nil:
		problems.Add("consent", "is changed through the consent operation, which records who changed it and when")
	}
	if create || in.LifeEvents != nil {
		p.LifeEvents = nil
		for i, e := range in.LifeEvents {
			if !validToken(e.Kind) {
				problems.Add(fieldIndex("lifeEvents", i, "kind"), "must be 1-40 lower-case letters, digits or _")
			}
			if e.At.IsZero() {
				problems.Add(fieldIndex("lifeEvents", i, "at"), "is required")
			}
			if !e.ExpiresAt.IsZero() && e.ExpiresAt.Before(e.At) {
				problems.Add(fieldIndex("lifeEvents", i, "expiresAt"), "must be after at")
			}
			e.At, e.ExpiresAt = e.At.UTC(), e.ExpiresAt.UTC()
			p.AddLifeEvent(e)
		}
	}
	return problems.Err()
}

// Clone is a deep copy: changing the clone's lists leaves p alone.
func (p Profile) Clone() Profile {
	c := p
	c.Identities = slices.Clone(p.Identities)
	c.Segments = slices.Clone(p.Segments)
	c.Products = slices.Clone(p.Products)
	c.Consent = maps.Clone(p.Consent)
	c.LifeEvents = slices.Clone(p.LifeEvents)
	c.RecentContacts = slices.Clone(p.RecentContacts)
	c.RecentOffers = slices.Clone(p.RecentOffers)
	c.Voice.OpenComplaints = slices.Clone(p.Voice.OpenComplaints)
	return c
}

// NewID returns a fresh profile id: "p" and 20 hex digits, unguessable and
// free of personal data.
func NewID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return "p" + hex.EncodeToString(b[:])
}

// ValidID reports whether id has the shape of a profile id, so a stray path
// never reaches the table.
func ValidID(id string) bool {
	if len(id) < 2 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func cleanList(problems *apperr.Problems, field string, in []string, limit int) []string {
	if len(in) > limit {
		problems.Add(field, "has %d entries; at most %d", len(in), limit)
	}
	out := make([]string, 0, len(in))
	for i, s := range in {
		if !validToken(s) {
			problems.Add(fieldIndex(field, i, ""), "must be 1-40 lower-case letters, digits or _")
			continue
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func fieldIndex(field string, i int, sub string) string {
	f := field + "[" + strconv.Itoa(i) + "]"
	if sub != "" {
		f += "." + sub
	}
	return f
}

// validToken accepts the short machine names used for segments, products
// and life events.
func validToken(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// ValidLanguage accepts the shape of a language tag such as en-GB.
func ValidLanguage(s string) bool {
	if len(s) < 2 || len(s) > 12 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
