package seed

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/store"
)

// DemoProfiles is how many demo customers there are. Customer n (1-based)
// has id demo-NNNN, phone +4477009NNNNN (the UK's range for drama), email
// customerNNNN@example.com and customer id CNNNNNN: see DemoIdentity.
const DemoProfiles = 300

// DemoIdentity returns the raw identities of demo customer n.
func DemoIdentity(n int) (id, phone, email, customerID string) {
	return fmt.Sprintf("demo-%04d", n), fmt.Sprintf("+447700%06d", 900000+n),
		fmt.Sprintf("customer%04d@example.com", n), fmt.Sprintf("C%06d", 100000+n)
}

// weighted picks among choices by weight.
type weighted[T any] []struct {
	v T
	w int
}

func (c weighted[T]) pick(r *rand.Rand) T {
	total := 0
	for _, x := range c {
		total += x.w
	}
	n := r.IntN(total)
	for _, x := range c {
		if n < x.w {
			return x.v
		}
		n -= x.w
	}
	return c[len(c)-1].v
}

// household is the kind of customer: it drives segments, products and the
// life events that fit.
type household struct {
	segment    string
	products   weighted[string]
	lifeEvents []string
	languages  weighted[string]
}

var (
	english = weighted[string]{{"en-GB", 85}, {"en-US", 5}, {"pl-PL", 4}, {"es-ES", 3}, {"cy-GB", 3}}

	households = weighted[household]{
		{household{"families", weighted[string]{{"broadband_500", 4}, {"tv_family", 3}, {"mobile_family_plan", 3}, {"home_phone", 1}, {"device_insurance", 1}},
			[]string{"new_baby", "move"}, english}, 30},
		{household{"young_professionals", weighted[string]{{"fibre_1000", 3}, {"mobile_unlimited", 4}, {"broadband_100", 2}, {"tv_sports", 1}},
			[]string{"new_job", "move", "marriage"}, english}, 24},
		{household{"students", weighted[string]{{"broadband_100", 4}, {"mobile_sim_only", 5}},
			[]string{"move", "new_job"}, english}, 12},
		{household{"retired", weighted[string]{{"broadband_100", 3}, {"home_phone", 4}, {"tv_basic", 3}, {"mobile_sim_only", 1}},
			[]string{"retirement", "move"}, english}, 16},
		{household{"small_business", weighted[string]{{"business_broadband", 4}, {"mobile_unlimited", 3}, {"static_ip", 2}, {"device_insurance", 1}},
			[]string{"move"}, english}, 10},
		{household{"home_workers", weighted[string]{{"fibre_1000", 4}, {"broadband_500", 3}, {"mobile_unlimited", 2}, {"wifi_booster", 2}},
			[]string{"new_job", "move"}, english}, 8},
	}

	// Extra segments that cut across households.
	extraSegments = []struct {
		name   string
		chance float64
	}{
		{"streamers", 0.30}, {"gamers", 0.15}, {"price_sensitive", 0.25}, {"frequent_travellers", 0.10}, {"digital_first", 0.35},
	}

	issues     = weighted[string]{{"high_bill", 5}, {"outage", 3}, {"move", 2}, {"upgrade", 3}, {"complaint", 1}, {"cancel", 1}}
	channels   = weighted[string]{{profiles.ChannelVoice, 7}, {profiles.ChannelChat, 3}}
	sentiments = map[string]weighted[string]{
		"high_bill": {{profiles.SentimentNegative, 4}, {profiles.SentimentMixed, 3}, {profiles.SentimentNeutral, 3}},
		"outage":    {{profiles.SentimentNegative, 5}, {profiles.SentimentMixed, 3}, {profiles.SentimentNeutral, 2}},
		"complaint": {{profiles.SentimentNegative, 8}, {profiles.SentimentMixed, 2}},
		"cancel":    {{profiles.SentimentNegative, 5}, {profiles.SentimentNeutral, 5}},
		"":          {{profiles.SentimentPositive, 4}, {profiles.SentimentNeutral, 5}, {profiles.SentimentMixed, 1}},
	}
	lifeEventDays = map[string]int{"marriage": 180, "move": 180, "new_baby": 365, "new_job": 180, "retirement": 365}
)

// DemoProfileInputs returns the demo customers as the API would receive
// them, plus their recent contacts: the same every time for the same now.
func DemoProfileInputs(now time.Time) ([]profiles.Input, [][]profiles.ContactSummary) {
	r := rand.New(rand.NewPCG(2026, 3))
	inputs := make([]profiles.Input, DemoProfiles)
	contacts := make([][]profiles.ContactSummary, DemoProfiles)
	for i := range inputs {
		n := i + 1
		_, phone, email, customerID := DemoIdentity(n)
		h := households.pick(r)
		in := profiles.Input{Phone: phone, CustomerID: customerID, Language: h.languages.pick(r)}
		if r.Float64() < 0.8 {
			in.Email = email
		}
		in.Segments = []string{h.segment}
		for _, x := range extraSegments {
			if r.Float64() < x.chance {
				in.Segments = append(in.Segments, x.name)
			}
		}
		// Tenure: many recent customers, a long tail of loyal ones.
		months := int(r.ExpFloat64() * 36)
		since := now.AddDate(0, -min(months, 240), -r.IntN(28)).Truncate(24 * time.Hour)
		in.CustomerSince = &since
		for k := min(1+r.IntN(3), len(h.products)); len(in.Products) < k; {
			if p := h.products.pick(r); !slices.Contains(in.Products, p) {
				in.Products = append(in.Products, p)
			}
		}
		in.ValueTier = valueTier(len(in.Products), months, r)
		in.Consent = consent(r, since, now)
		if r.Float64() < 0.12 {
			kind := h.lifeEvents[r.IntN(len(h.lifeEvents))]
			at := now.AddDate(0, 0, -r.IntN(60)).Truncate(time.Hour)
			in.LifeEvents = []profiles.LifeEvent{{Kind: kind, At: at, Source: "seed", ExpiresAt: at.AddDate(0, 0, lifeEventDays[kind])}}
		}
		inputs[i] = in
		contacts[i] = recentContacts(r, n, now)
	}
	return inputs, contacts
}

func valueTier(products, months int, r *rand.Rand) string {
	score := products*2 + months/24 + r.IntN(3)
	switch {
	case score >= 10:
		return "platinum"
	case score >= 7:
		return "gold"
	case score >= 5:
		return "silver"
	}
	return "standard"
}

// consent: most customers opted in on every channel; some opted out of
// everything, some of SMS or email only, and a few never answered. They
// answered on joining or some time after.
func consent(r *rand.Rand, since, now time.Time) map[string]profiles.Consent {
	at := since.Add(time.Duration(r.Float64() * float64(now.Sub(since)))).Truncate(24 * time.Hour)
	c := func(status string) profiles.Consent {
		return profiles.Consent{Status: status, UpdatedAt: at, Source: "seed"}
	}
	switch x := r.Float64(); {
	case x < 0.08:
		return map[string]profiles.Consent{profiles.ChannelAll: c(profiles.ConsentOptOut)}
	case x < 0.16:
		return map[string]profiles.Consent{profiles.ChannelAll: c(profiles.ConsentOptIn), profiles.ChannelSMS: c(profiles.ConsentOptOut)}
	case x < 0.22:
		return map[string]profiles.Consent{profiles.ChannelAll: c(profiles.ConsentOptIn), profiles.ChannelEmail: c(profiles.ConsentOptOut)}
	case x < 0.27:
		return nil
	}
	return map[string]profiles.Consent{profiles.ChannelAll: c(profiles.ConsentOptIn)}
}

// recentContacts: most customers have not called lately; some called
// once, a few called again about the same thing.
func recentContacts(r *rand.Rand, n int, now time.Time) []profiles.ContactSummary {
	var out []profiles.ContactSummary
	calls := 0
	switch x := r.Float64(); {
	case x < 0.70:
		return nil
	case x < 0.90:
		calls = 1
	default:
		calls = 2 + r.IntN(2)
	}
	issue := issues.pick(r)
	at := now.Add(-time.Duration(1+r.IntN(30*24)) * time.Hour).Truncate(time.Minute)
	for c := range calls {
		if c > 0 && r.Float64() < 0.3 {
			issue = issues.pick(r)
		}
		mood, ok := sentiments[issue]
		if !ok {
			mood = sentiments[""]
		}
		out = append(out, profiles.ContactSummary{
			ContactID: fmt.Sprintf("seed-%04d-%d", n, c+1), At: at, Channel: channels.pick(r),
			Queue: "customer_service", Issue: issue, Sentiment: mood.pick(r), Resolved: c == calls-1 && r.Float64() < 0.7,
		})
		at = at.Add(time.Duration(2+r.IntN(72)) * time.Hour)
		if at.After(now) {
			break
		}
	}
	return out
}

// seedProfiles stores the demo customers through the profile store, as
// the API would, so identity items and hashes are the real ones.
func seedProfiles(ctx context.Context, env Env) (string, error) {
	hasher := identity.NewHasher(env.Config.IdentityKey)
	st := store.NewProfiles(env.Clients.Dynamo, env.Tables)
	inputs, contacts := DemoProfileInputs(env.Now)
	built := make([]profiles.Profile, len(inputs))
	for i, in := range inputs {
		p, err := in.Build(hasher, env.Now)
		if err != nil {
			return "", fmt.Errorf("demo customer %d is not valid: %w", i+1, err)
		}
		p.ID, _, _, _ = DemoIdentity(i + 1)
		p.CreatedAt, p.UpdatedAt = env.Now, env.Now
		for _, c := range contacts[i] {
			p.RecordContact(c)
			p.LastSentiment, p.LastSentimentAt = c.Sentiment, c.At
		}
		built[i] = p
	}
	// A few writers at once: each create is one transaction.
	work := make(chan profiles.Profile)
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for p := range work {
				// A profile already there (a run stopped half-way) is fine.
				if _, err := st.Create(ctx, p); err != nil && !errors.Is(err, apperr.ErrConflict) {
					errs <- fmt.Errorf("create %s: %w", p.ID, err)
					return
				}
			}
		})
	}
	var firstErr error
feed:
	for _, p := range built {
		select {
		case work <- p:
		case firstErr = <-errs:
			break feed
		}
	}
	close(work)
	wg.Wait()
	close(errs)
	if firstErr == nil {
		firstErr = <-errs
	}
	if firstErr != nil {
		return "", firstErr
	}
	return summarise(built), nil
}

func summarise(ps []profiles.Profile) string {
	optOut, events, tiers := 0, 0, map[string]int{}
	for _, p := range ps {
		if p.OptedOut(profiles.ChannelVoice) {
			optOut++
		}
		events += len(p.LifeEvents)
		tiers[p.ValueTier]++
	}
	return fmt.Sprintf("%d demo profiles (demo-0001 to demo-%04d; %d opted out of marketing, %d with a life event; tiers %d standard, %d silver, %d gold, %d platinum)",
		len(ps), len(ps), optOut, events, tiers["standard"], tiers["silver"], tiers["gold"], tiers["platinum"])
}
