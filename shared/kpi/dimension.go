package kpi

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// Dimension is how KPIs are split (by=… in the API). Compound dimensions
// split by two attributes at once: campaign_group holds treated and holdout
// of each campaign side by side, which is what lift compares.
type Dimension string

// Dimensions.
const (
	ByTotal    Dimension = "total"
	ByQueue    Dimension = "queue"
	ByChannel  Dimension = "channel"
	ByCampaign Dimension = "campaign"
	ByOffer    Dimension = "offer"
	ByAgent    Dimension = "agent"
	ByGroup    Dimension = "group" // treated or holdout
	// ByCampaignGroup and ByOfferGroup pair each campaign (offer) with its
	// group, for lift and impact.
	ByCampaignGroup Dimension = "campaign_group"
	ByOfferGroup    Dimension = "offer_group"
	// ByAgentOffered splits each agent's contacts by whether an offer was
	// shown, for scorecards (AHT and CSAT with and without an offer).
	ByAgentOffered Dimension = "agent_offered"
)

// Dimensions lists every dimension the rollup fills.
var Dimensions = []Dimension{
	ByTotal, ByQueue, ByChannel, ByCampaign, ByOffer, ByAgent, ByGroup,
	ByCampaignGroup, ByOfferGroup, ByAgentOffered,
}

// Attribute names: the parts of a dimension, and the keys of "dims" in API
// points.
const (
	AttrQueue    = "queue"
	AttrChannel  = "channel"
	AttrCampaign = "campaign"
	AttrOffer    = "offer"
	AttrAgent    = "agent"
	AttrGroup    = "group"
	AttrOffered  = "offered" // "yes" or "no"
)

// Parts names the attributes a dimension splits by, in key order.
func (d Dimension) Parts() []string {
	switch d {
	case ByTotal:
		return nil
	case ByQueue:
		return []string{AttrQueue}
	case ByChannel:
		return []string{AttrChannel}
	case ByCampaign:
		return []string{AttrCampaign}
	case ByOffer:
		return []string{AttrOffer}
	case ByAgent:
		return []string{AttrAgent}
	case ByGroup:
		return []string{AttrGroup}
	case ByCampaignGroup:
		return []string{AttrCampaign, AttrGroup}
	case ByOfferGroup:
		return []string{AttrOffer, AttrGroup}
	case ByAgentOffered:
		return []string{AttrAgent, AttrOffered}
	}
	return nil
}

// Valid reports a known dimension.
func (d Dimension) Valid() bool {
	for _, k := range Dimensions {
		if d == k {
			return true
		}
	}
	return false
}

// ParseDimension reads a dimension from outside input; empty means total.
func ParseDimension(s string) (Dimension, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return ByTotal, nil
	}
	if d := Dimension(s); d.Valid() {
		return d, nil
	}
	names := make([]string, len(Dimensions))
	for i, d := range Dimensions {
		names[i] = string(d)
	}
	return "", apperr.Invalid("by", "unknown dimension %q; use one of %s", s, strings.Join(names, ", "))
}

// Key is one slice of a dimension: the total, queue "Sales", campaign
// "spring" in the holdout group... Keys are comparable, so they can key maps
// in the rollup.
type Key struct {
	Dimension Dimension
	// Value holds the parts, each escaped, joined by "/".
	Value string
}

// Total is the key of all contacts.
var Total = Key{Dimension: ByTotal}

// NewKey makes the key of a dimension from its parts, in Parts order.
func NewKey(d Dimension, parts ...string) Key {
	esc := make([]string, len(parts))
	for i, p := range parts {
		esc[i] = escapePart(p)
	}
	return Key{Dimension: d, Value: strings.Join(esc, "/")}
}

// Parts are the key's attribute values, unescaped.
func (k Key) Parts() []string {
	if k.Value == "" && len(k.Dimension.Parts()) == 0 {
		return nil
	}
	raw := strings.Split(k.Value, "/")
	out := make([]string, len(raw))
	for i, r := range raw {
		v, err := url.PathUnescape(r)
		if err != nil {
			v = r
		}
		out[i] = v
	}
	return out
}

// Dims are the key's attributes by name, as API points show them
// ({"queue":"Sales"}); empty for the total.
func (k Key) Dims() map[string]string {
	names := k.Dimension.Parts()
	vals := k.Parts()
	m := make(map[string]string, len(names))
	for i, n := range names {
		if i < len(vals) {
			m[n] = vals[i]
		}
	}
	return m
}

// Series is the storage partition key of this key at a grain:
// "<grain>#<dimension>#<value>", e.g. "hour#queue#Sales". Values are escaped
// so "#" and "/" inside a queue or campaign name cannot break it.
func (k Key) Series(g Grain) string {
	return string(g) + "#" + string(k.Dimension) + "#" + k.Value
}

// ErrBadSeries is wrapped by ParseSeries errors.
var ErrBadSeries = errors.New("bad series key")

// ParseSeries reads a stored series key back into its grain and key.
func ParseSeries(s string) (Grain, Key, error) {
	g, rest, ok := strings.Cut(s, "#")
	if !ok {
		return "", Key{}, fmt.Errorf("%w %q: want <grain>#<dimension>#<value>", ErrBadSeries, s)
	}
	d, v, ok := strings.Cut(rest, "#")
	if !ok {
		return "", Key{}, fmt.Errorf("%w %q: want <grain>#<dimension>#<value>", ErrBadSeries, s)
	}
	grain, dim := Grain(g), Dimension(d)
	if !grain.Valid() {
		return "", Key{}, fmt.Errorf("%w %q: unknown grain %q", ErrBadSeries, s, g)
	}
	if !dim.Valid() {
		return "", Key{}, fmt.Errorf("%w %q: unknown dimension %q", ErrBadSeries, s, d)
	}
	want := len(dim.Parts())
	switch {
	case want == 0 && v != "":
		return "", Key{}, fmt.Errorf("%w %q: total takes no value", ErrBadSeries, s)
	case want > 0 && strings.Count(v, "/")+1 != want:
		return "", Key{}, fmt.Errorf("%w %q: %s takes %d parts", ErrBadSeries, s, d, want)
	case strings.Contains(v, "#"):
		return "", Key{}, fmt.Errorf("%w %q: unescaped #", ErrBadSeries, s)
	}
	if want > 0 {
		for _, part := range strings.Split(v, "/") {
			u, err := url.PathUnescape(part)
			if err != nil || part == "" || escapePart(u) != part {
				return "", Key{}, fmt.Errorf("%w %q: badly escaped part %q", ErrBadSeries, s, part)
			}
		}
	}
	return grain, Key{Dimension: dim, Value: v}, nil
}

// escapePart percent-escapes exactly the characters that would break a key:
// "%", "/" and "#".
func escapePart(p string) string {
	if !strings.ContainsAny(p, "%/#") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '%', '/', '#':
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Offered values of ByAgentOffered.
const (
	OfferedYes = "yes"
	OfferedNo  = "no"
)

// KeysFor lists every key a contact counts under: always the total, and
// each dimension whose attributes the contact has (a contact with no
// campaign is in no campaign key).
func KeysFor(f Fact) []Key {
	keys := make([]Key, 0, len(Dimensions))
	keys = append(keys, Total)
	add := func(d Dimension, parts ...string) {
		for _, p := range parts {
			if p == "" {
				return
			}
		}
		keys = append(keys, NewKey(d, parts...))
	}
	group := string(f.Group)
	offered := OfferedNo
	if f.OfferShown {
		offered = OfferedYes
	}
	add(ByQueue, f.Queue)
	add(ByChannel, f.Channel)
	add(ByCampaign, f.Campaign)
	add(ByOffer, f.Offer)
	add(ByAgent, f.Agent)
	add(ByGroup, group)
	add(ByCampaignGroup, f.Campaign, group)
	add(ByOfferGroup, f.Offer, group)
	add(ByAgentOffered, f.Agent, offered)
	return keys
}
