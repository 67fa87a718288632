package seed

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

var today = time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)

func TestDemoProfilesArePlausibleAndDeterministic(t *testing.T) {
	a, ca := DemoProfileInputs(today)
	b, cb := DemoProfileInputs(today)
	if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(ca, cb) {
		t.Fatal("two runs made different demo data")
	}
	h := identity.NewHasher([]byte("seed-test-identity-key-of-32-byt"))
	segments, products, tiers := map[string]int{}, map[string]int{}, map[string]int{}
	optOuts, smsOnly, lifeEvents, repeatCallers, longTenure := 0, 0, 0, 0, 0
	for i, in := range a {
		p, err := in.Build(h, today)
		if err != nil {
			t.Fatalf("customer %d: %v", i+1, err)
		}
		for _, s := range p.Segments {
			segments[s]++
		}
		for _, x := range p.Products {
			products[x]++
		}
		tiers[p.ValueTier]++
		if p.OptedOut(profiles.ChannelVoice) {
			optOuts++
		} else if p.OptedOut(profiles.ChannelSMS) {
			smsOnly++
		}
		for ch, c := range p.Consent {
			if c.UpdatedAt.Before(p.CustomerSince) || c.UpdatedAt.After(today) {
				t.Errorf("customer %d: consent on %s given %s, outside their time as a customer", i+1, ch, c.UpdatedAt)
			}
		}
		lifeEvents += len(p.LifeEvents)
		if len(ca[i]) > 1 {
			repeatCallers++
		}
		if p.TenureMonths(today) >= 60 {
			longTenure++
		}
	}
	checks := []struct {
		what     string
		got, min int
	}{
		{"segments", len(segments), 8},
		{"products", len(products), 10},
		{"value tiers", len(tiers), 4},
		{"customers opted out of all marketing", optOuts, 10},
		{"customers opted out of SMS only", smsOnly, 10},
		{"life events", lifeEvents, 15},
		{"repeat callers", repeatCallers, 10},
		{"customers of five years or more", longTenure, 10},
	}
	for _, c := range checks {
		if c.got < c.min {
			t.Errorf("%s: %d, want at least %d", c.what, c.got, c.min)
		}
	}
	if optOuts > DemoProfiles/5 || lifeEvents > DemoProfiles/4 {
		t.Errorf("opt-outs %d and life events %d should be the exception", optOuts, lifeEvents)
	}
}

func TestRunSeedsOnce(t *testing.T) {
	env := storetest.New(t)
	ctx := context.Background()
	seedEnv := Env{Config: env.Config, Clients: env.Clients, Tables: env.Tables, Now: today}
	if err := Run(ctx, seedEnv); err != nil {
		t.Fatal(err)
	}
	st := store.NewProfiles(env.Clients.Dynamo, env.Tables)
	first, err := st.Get(ctx, "demo-0001")
	if err != nil {
		t.Fatal(err)
	}
	id, phone, _, _ := DemoIdentity(DemoProfiles)
	key, _ := identity.NewHasher(env.Config.IdentityKey).Phone(phone)
	if p, err := st.LookupByIdentity(ctx, key); err != nil || p.ID != id {
		t.Fatalf("the last demo customer by phone: %v %v", p.ID, err)
	}
	if _, err := st.Get(ctx, "demo-0301"); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("a customer beyond the demo set: %v", err)
	}
	// A second run finds the marker and changes nothing.
	if err := Run(ctx, Env{Config: env.Config, Clients: env.Clients, Tables: env.Tables, Now: today.Add(48 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	again, err := st.Get(ctx, "demo-0001")
	if err != nil {
		t.Fatal(err)
	}
	if again.Revision != first.Revision || !again.UpdatedAt.Equal(first.UpdatedAt) {
		t.Fatalf("the second run rewrote demo-0001: revision %d→%d", first.Revision, again.Revision)
	}
}
