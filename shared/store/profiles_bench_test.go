package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/conduit-cx/conduit/shared/profiles"
)

// BenchmarkProfileLookup compares finding a caller's profile by phone
// (hash the number, one GetItem, decode the profile) with the floor: a bare
// GetItem of the same item through the SDK client, in the same run, and
// both alternated in one loop ("paired").
// Run: go test ./shared/store -run '^$' -bench ProfileLookup -benchtime=2000x -count=3
func BenchmarkProfileLookup(b *testing.B) {
	s, env := newProfiles(b)
	ctx := context.Background()
	const phone = "+15551239999"
	p := newProfile(b, phone, "bench@example.com", "C-BENCH")
	// A well-used profile: the lists the offer path reads are full-ish.
	for i := range 20 {
		p.RecordExposure(profiles.Exposure{DecisionID: fmt.Sprintf("d%02d", i), OfferID: "o1", CampaignID: "k1", At: t0}, t0)
	}
	for i := range 10 {
		p.RecordContact(profiles.ContactSummary{ContactID: fmt.Sprintf("c%02d", i), At: t0, Channel: "voice", Queue: "billing", Issue: "bill", Resolved: true})
	}
	p, err := s.Create(ctx, p)
	if err != nil {
		b.Fatal(err)
	}
	k := key(hasher.Phone(phone))
	getItem := &dynamodb.GetItemInput{
		TableName: aws.String(env.Tables.Profiles),
		Key:       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "I#" + string(k)}},
	}
	lookup := func() error {
		k, err := hasher.Phone(phone)
		if err != nil {
			return err
		}
		got, err := s.LookupByIdentity(ctx, k)
		if err == nil && got.ID != p.ID {
			err = fmt.Errorf("found %s; want %s", got.ID, p.ID)
		}
		return err
	}
	bare := func() error {
		out, err := env.Clients.DynamoDB.GetItem(ctx, getItem)
		if err == nil && out.Item == nil {
			err = fmt.Errorf("no item")
		}
		return err
	}
	// Warm both paths (connections, first-call caches) before measuring.
	for range 50 {
		if err := errorsOf(bare(), lookup()); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("getitem", func(b *testing.B) {
		for b.Loop() {
			if err := bare(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("lookup-by-phone", func(b *testing.B) {
		for b.Loop() {
			if err := lookup(); err != nil {
				b.Fatal(err)
			}
		}
	})
	// On a shared machine the load drifts between the two runs above;
	// alternating both in one loop measures them under the same load.
	b.Run("paired", func(b *testing.B) {
		var floor, path time.Duration
		timed := func(f func() error, into *time.Duration) {
			start := time.Now()
			if err := f(); err != nil {
				b.Fatal(err)
			}
			*into += time.Since(start)
		}
		i := 0
		for b.Loop() {
			if i%2 == 0 {
				timed(bare, &floor)
				timed(lookup, &path)
			} else {
				timed(lookup, &path)
				timed(bare, &floor)
			}
			i++
		}
		b.ReportMetric(float64(floor.Nanoseconds())/float64(i), "getitem-ns/op")
		b.ReportMetric(float64(path.Nanoseconds())/float64(i), "lookup-ns/op")
		b.ReportMetric(float64(path)/float64(floor), "lookup/getitem")
	})
}

func errorsOf(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
