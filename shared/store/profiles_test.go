package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

var (
	hasher = identity.NewHasher([]byte("profiles-store-test-key"))
	t0     = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
)

func newProfiles(t testing.TB) (*store.Profiles, storetest.Env) {
	env := storetest.New(t)
	return store.NewProfiles(env.Clients.Dynamo, env.Tables), env
}

// newProfile builds a valid profile from raw identities, as the API does.
func newProfile(t testing.TB, phone, email, customerID string) profiles.Profile {
	t.Helper()
	since := t0.AddDate(-3, 0, 0)
	p, err := profiles.Input{
		Phone: phone, Email: email, CustomerID: customerID,
		Segments: []string{"young_family"}, Products: []string{"broadband"}, ValueTier: "gold",
		CustomerSince: &since,
		Consent:       map[string]profiles.Consent{"sms": {Status: profiles.ConsentOptIn, Source: "web"}},
	}.Build(hasher, t0)
	if err != nil {
		t.Fatal(err)
	}
	p.CreatedAt, p.UpdatedAt = t0, t0
	return p
}

// key is the identity key of a valid raw value.
func key(k identity.Key, err error) identity.Key {
	if err != nil {
		panic(err)
	}
	return k
}

// scan reads every item of the profiles table, raw.
func scan(t testing.TB, env storetest.Env) []map[string]types.AttributeValue {
	t.Helper()
	out, err := env.Clients.DynamoDB.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(env.Tables.Profiles), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Items
}

func kinds(items []map[string]types.AttributeValue) []string {
	var out []string
	for _, it := range items {
		pk := it["pk"].(*types.AttributeValueMemberS).Value
		kind := it["kind"].(*types.AttributeValueMemberS).Value
		out = append(out, pk[:2]+kind)
	}
	slices.Sort(out)
	return out
}

func TestCreateGetAndLookUpByEveryIdentity(t *testing.T) {
	s, env := newProfiles(t)
	ctx := context.Background()
	p, err := s.Create(ctx, newProfile(t, "+15551230001", "Ann@Example.com", "C-1"))
	if err != nil {
		t.Fatal(err)
	}
	if p.ID == "" || p.Version != 1 || p.Revision != 1 {
		t.Fatalf("created id=%q version=%d revision=%d; want an id, 1, 1", p.ID, p.Version, p.Revision)
	}
	got, err := s.Get(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !sameProfile(got, p) {
		t.Fatalf("Get = %+v\nwant %+v", got, p)
	}
	cases := []struct {
		name string
		key  identity.Key
	}{
		{"phone", key(hasher.Phone("+15551230001"))},
		{"email in another case", key(hasher.Email("ann@example.COM"))},
		{"customer id", key(hasher.CustomerID("C-1"))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.LookupByIdentity(ctx, c.key)
			if err != nil {
				t.Fatal(err)
			}
			if !sameProfile(got, p) {
				t.Fatalf("lookup = %+v\nwant %+v", got, p)
			}
		})
	}
	t.Run("unknown identity", func(t *testing.T) {
		_, err := s.LookupByIdentity(ctx, key(hasher.Phone("+15559999999")))
		if !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("err = %v; want ErrNotFound", err)
		}
	})
	t.Run("unknown profile", func(t *testing.T) {
		if _, err := s.Get(ctx, "pnothere"); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("err = %v; want ErrNotFound", err)
		}
	})
	t.Run("items: one profile, one copy per identity, no raw values", func(t *testing.T) {
		items := scan(t, env)
		if got, want := kinds(items), []string{"I#identity", "I#identity", "I#identity", "P#profile"}; !slices.Equal(got, want) {
			t.Fatalf("items %v; want %v", got, want)
		}
		for _, it := range items {
			dump := fmt.Sprint(it)
			for _, raw := range []string{"5551230001", "ann@", "C-1"} {
				if strings.Contains(dump, raw) {
					t.Errorf("item %v holds the raw value %q", it["pk"], raw)
				}
			}
			if pk := it["pk"].(*types.AttributeValueMemberS).Value; strings.HasPrefix(pk, "I#") {
				if pid, _ := it["profileId"].(*types.AttributeValueMemberS); pid == nil || pid.Value != p.ID {
					t.Errorf("identity item %s: profileId %v; want %s", pk, it["profileId"], p.ID)
				}
			}
		}
	})
}

func TestCreateRefusesAnIdentityOfAnotherProfile(t *testing.T) {
	s, env := newProfiles(t)
	ctx := context.Background()
	first, err := s.Create(ctx, newProfile(t, "+15551230002", "", ""))
	if err != nil {
		t.Fatal(err)
	}
	before := scan(t, env)
	_, err = s.Create(ctx, newProfile(t, "+15551230002", "bob@example.com", ""))
	if !errors.Is(err, apperr.ErrConflict) || !strings.Contains(err.Error(), "phone belongs to another profile") {
		t.Fatalf("err = %v; want ErrConflict naming the phone", err)
	}
	if after := scan(t, env); len(after) != len(before) {
		t.Fatalf("a refused create left %d items; want %d", len(after), len(before))
	}
	got, err := s.LookupByIdentity(ctx, key(hasher.Phone("+15551230002")))
	if err != nil || got.ID != first.ID {
		t.Fatalf("phone now finds %q, %v; want %s", got.ID, err, first.ID)
	}
}

func TestUpdate(t *testing.T) {
	ctx := context.Background()
	setTier := func(p *profiles.Profile) error { p.ValueTier = "platinum"; return nil }
	cases := []struct {
		name        string
		version     int
		change      func(*profiles.Profile) error
		wantErr     error
		wantVersion int
		wantTier    string
	}{
		{"current version is applied and bumped", 1, setTier, nil, 2, "platinum"},
		{"version 0 skips the check", 0, setTier, nil, 2, "platinum"},
		{"stale version is a conflict", 7, setTier, apperr.ErrConflict, 1, "gold"},
		{"invalid change stores nothing", 1, func(p *profiles.Profile) error {
			p.ValueTier = "platinum"
			return apperr.Invalid("valueTier", "test refusal")
		}, apperr.Problems{}, 1, "gold"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, _ := newProfiles(t)
			p, err := s.Create(ctx, newProfile(t, "+15551230003", "", ""))
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Update(ctx, p.ID, c.version, c.change)
			switch {
			case c.wantErr == nil && err != nil:
				t.Fatal(err)
			case errors.Is(c.wantErr, apperr.ErrConflict) && !errors.Is(err, apperr.ErrConflict):
				t.Fatalf("err = %v; want ErrConflict", err)
			case reflect.TypeOf(c.wantErr) == reflect.TypeOf(apperr.Problems{}):
				if _, ok := apperr.AsProblems(err); !ok {
					t.Fatalf("err = %v; want the change's problems", err)
				}
			}
			for _, read := range []func() (profiles.Profile, error){
				func() (profiles.Profile, error) { return s.Get(ctx, p.ID) },
				func() (profiles.Profile, error) {
					return s.LookupByIdentity(ctx, key(hasher.Phone("+15551230003")))
				},
			} {
				got, err := read()
				if err != nil {
					t.Fatal(err)
				}
				if got.Version != c.wantVersion || got.ValueTier != c.wantTier {
					t.Errorf("stored version %d tier %q; want %d %q", got.Version, got.ValueTier, c.wantVersion, c.wantTier)
				}
			}
		})
	}
}

func TestUpdateMovesIdentityItems(t *testing.T) {
	s, env := newProfiles(t)
	ctx := context.Background()
	p, err := s.Create(ctx, newProfile(t, "+15551230004", "cy@example.com", ""))
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.Create(ctx, newProfile(t, "+15551230005", "", ""))
	if err != nil {
		t.Fatal(err)
	}
	newPhone := profiles.Input{Phone: "+15551230006"}
	p, err = s.Update(ctx, p.ID, 1, func(x *profiles.Profile) error { return newPhone.Apply(hasher, t0, x) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.LookupByIdentity(ctx, key(hasher.Phone("+15551230004"))); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("old phone: %v; want ErrNotFound (its identity item removed)", err)
	}
	if got, err := s.LookupByIdentity(ctx, key(hasher.Phone("+15551230006"))); err != nil || got.ID != p.ID || got.Version != 2 {
		t.Errorf("new phone finds %q v%d, %v; want %s v2", got.ID, got.Version, err, p.ID)
	}
	if got, err := s.LookupByIdentity(ctx, key(hasher.Email("cy@example.com"))); err != nil || got.Version != 2 {
		t.Errorf("email copy at v%d, %v; want v2", got.Version, err)
	}
	if n := len(scan(t, env)); n != 5 {
		t.Errorf("%d items; want 5 (2 profiles, 3 identities)", n)
	}

	// Taking the other profile's phone is refused and changes nothing.
	taken := profiles.Input{Phone: "+15551230005"}
	_, err = s.Update(ctx, p.ID, 2, func(x *profiles.Profile) error { return taken.Apply(hasher, t0, x) })
	if !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("err = %v; want ErrConflict", err)
	}
	if got, _ := s.LookupByIdentity(ctx, key(hasher.Phone("+15551230005"))); got.ID != other.ID {
		t.Errorf("the other phone now finds %q; want %s", got.ID, other.ID)
	}
	if got, _ := s.Get(ctx, p.ID); got.Version != 2 {
		t.Errorf("refused update moved the version to %d", got.Version)
	}
}

func TestMutateLosesNoConcurrentWriteAndKeepsTheVersion(t *testing.T) {
	s, _ := newProfiles(t)
	ctx := context.Background()
	p, err := s.Create(ctx, newProfile(t, "+15551230007", "", ""))
	if err != nil {
		t.Fatal(err)
	}
	const writers = 4
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			_, err := s.Mutate(ctx, p.ID, func(x *profiles.Profile) error {
				x.RecordExposure(profiles.Exposure{DecisionID: fmt.Sprintf("d%d", i), OfferID: "o1", At: t0}, t0)
				return nil
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.LookupByIdentity(ctx, key(hasher.Phone("+15551230007")))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.RecentOffers) != writers || got.Version != 1 || got.Revision != 1+writers {
		t.Fatalf("offers %d version %d revision %d; want %d, 1, %d", len(got.RecentOffers), got.Version, got.Revision, writers, 1+writers)
	}
}

func TestEraseLeavesOnlySuppression(t *testing.T) {
	s, env := newProfiles(t)
	ctx := context.Background()
	p, err := s.Create(ctx, newProfile(t, "+15551230008", "dee@example.com", ""))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Erase(ctx, p.ID, t0); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		err  error
		want error
	}{
		{"get", second(s.Get(ctx, p.ID)), apperr.ErrSuppressed},
		{"lookup by phone", second(s.LookupByIdentity(ctx, key(hasher.Phone("+15551230008")))), apperr.ErrSuppressed},
		{"lookup by email", second(s.LookupByIdentity(ctx, key(hasher.Email("dee@example.com")))), apperr.ErrSuppressed},
		{"re-create with the phone", second(s.Create(ctx, newProfile(t, "+15551230008", "", ""))), apperr.ErrSuppressed},
		{"update", second(s.Update(ctx, p.ID, 1, func(*profiles.Profile) error { return nil })), apperr.ErrSuppressed},
		{"mutate", second(s.Mutate(ctx, p.ID, func(*profiles.Profile) error { return nil })), apperr.ErrSuppressed},
		{"erase again", s.Erase(ctx, p.ID, t0.Add(time.Hour)), nil},
		{"erase unknown", s.Erase(ctx, "pnothere", t0), apperr.ErrNotFound},
	}
	for _, c := range checks {
		if !errors.Is(c.err, c.want) || (c.want == nil && c.err != nil) {
			t.Errorf("%s: err = %v; want %v", c.name, c.err, c.want)
		}
	}
	items := scan(t, env)
	if got, want := kinds(items), []string{"I#suppressed", "I#suppressed", "P#erased"}; !slices.Equal(got, want) {
		t.Fatalf("items %v; want %v", got, want)
	}
	for _, it := range items {
		for name := range it {
			if !slices.Contains([]string{"pk", "kind", "suppressed", "erasedAt"}, name) {
				t.Errorf("item %v keeps %q after erasure", it["pk"], name)
			}
		}
	}
}

// normalise makes nil and empty lists and maps alike: codecs differ there
// and nothing depends on the difference.
func normalise(p profiles.Profile) profiles.Profile {
	p.Segments = append([]string{}, p.Segments...)
	p.Products = append([]string{}, p.Products...)
	if len(p.Consent) == 0 {
		p.Consent = nil
	}
	p.Identities = append([]identity.Key{}, p.Identities...)
	p.LifeEvents = append([]profiles.LifeEvent{}, p.LifeEvents...)
	p.RecentContacts = append([]profiles.ContactSummary{}, p.RecentContacts...)
	p.RecentOffers = append([]profiles.Exposure{}, p.RecentOffers...)
	return p
}

func sameProfile(a, b profiles.Profile) bool { return reflect.DeepEqual(normalise(a), normalise(b)) }

func second[T any](_ T, err error) error { return err }

// TestItemCodecsAgree checks that the SDK's attributevalue codec, told to
// read the `dynamo` tags, reads and writes profile items exactly as
// guregu/dynamo does, so code on either side sees the same profile.
func TestItemCodecsAgree(t *testing.T) {
	full := newProfile(t, "+15551230010", "eve@example.com", "C-10")
	full.ID, full.Version, full.Revision, full.Language = "p1", 3, 9, "en-US"
	full.AddLifeEvent(profiles.LifeEvent{Kind: "moved_house", At: t0, Source: "speech", ExpiresAt: t0.AddDate(0, 6, 0)})
	full.LastSentiment, full.LastSentimentAt = profiles.SentimentNegative, t0
	full.RecordContact(profiles.ContactSummary{ContactID: "c1", At: t0, Channel: "voice", Queue: "billing", Issue: "bill_shock", Resolved: true})
	full.RecordExposure(profiles.Exposure{DecisionID: "d1", OfferID: "o1", CampaignID: "k1", At: t0, Outcome: "accepted", OutcomeAt: t0}, t0)
	full.Voice = profiles.VoiceSignals{LastSurveyScore: 4, LastSurveyAt: t0, LastSocialTopic: "outage", LastSocialAt: t0}
	cases := []struct {
		name string
		p    profiles.Profile
	}{
		{"every field set", full},
		{"bare profile", profiles.Profile{ID: "p2", Version: 1, Revision: 1, Identities: full.Identities[:1], ValueTier: "standard", CreatedAt: t0, UpdatedAt: t0}},
	}
	tagDynamo := func(o *attributevalue.EncoderOptions) { o.TagKey = "dynamo"; o.OmitEmptyTime = true }
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := dynamo.MarshalItem(c.p)
			if err != nil {
				t.Fatal(err)
			}
			a, err := attributevalue.MarshalMapWithOptions(c.p, tagDynamo)
			if err != nil {
				t.Fatal(err)
			}
			var viaSDK, viaGuregu profiles.Profile
			if err := attributevalue.UnmarshalMapWithOptions(g, &viaSDK, func(o *attributevalue.DecoderOptions) { o.TagKey = "dynamo" }); err != nil {
				t.Fatal(err)
			}
			if err := dynamo.UnmarshalItem(a, &viaGuregu); err != nil {
				t.Fatal(err)
			}
			want := normalise(c.p)
			if got := normalise(viaSDK); !reflect.DeepEqual(got, want) {
				t.Errorf("guregu item read by attributevalue:\n%+v\nwant\n%+v", got, want)
			}
			if got := normalise(viaGuregu); !reflect.DeepEqual(got, want) {
				t.Errorf("attributevalue item read by guregu:\n%+v\nwant\n%+v", got, want)
			}
			// The same attribute names, apart from values one codec leaves out.
			for name, v := range a {
				if _, ok := g[name]; !ok && !empty(v) {
					t.Errorf("attribute %q written by attributevalue only", name)
				}
			}
			for name := range g {
				if _, ok := a[name]; !ok {
					t.Errorf("attribute %q written by guregu only", name)
				}
			}
		})
	}
}

func empty(v types.AttributeValue) bool {
	switch v := v.(type) {
	case *types.AttributeValueMemberNULL:
		return true
	case *types.AttributeValueMemberS:
		return v.Value == ""
	}
	return false
}

func TestMutateThatChangesNothingWritesNothing(t *testing.T) {
	s, _ := newProfiles(t)
	ctx := context.Background()
	created, err := s.Create(ctx, newProfile(t, "+15551230011", "", "C-11"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Mutate(ctx, created.ID, func(p *profiles.Profile) error {
		p.Segments = append(p.Segments, "not_written")
		return profiles.ErrUnchanged
	})
	if err != nil {
		t.Fatalf("Mutate returned %v for a change that leaves the profile as it is", err)
	}
	stored, err := s.Get(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Revision != created.Revision || slices.Contains(stored.Segments, "not_written") || got.Revision != created.Revision {
		t.Fatalf("stored revision %d (was %d), segments %v: the change was written", stored.Revision, created.Revision, stored.Segments)
	}
}
