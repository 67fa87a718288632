package decision_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/conduit-cx/conduit/shared/offer"
)

// BenchmarkOfferVsGetItem measures the whole offer path in process (decode,
// identify, one batched read, decide, one transaction with the exposure)
// for a known customer, next to one bare GetItem against the same DynamoDB
// Local: the floor is two round trips.
func BenchmarkOfferVsGetItem(b *testing.B) {
	f := newBenchFixture(b)
	ctx := context.Background()
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "CAP#" + offerCapped}}
	b.Run("getitem", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.env.Clients.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(f.env.Tables.State), Key: key}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("offer", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			ans, _ := f.handler.Handle(ctx, flowEvent(fmt.Sprintf("bench-%d-%d", b.N, i), phoneLoyal, nil))
			if ans[offer.KeyDecisionID] == "" {
				b.Fatalf("no decision: %v", ans)
			}
		}
	})
}

func newBenchFixture(b *testing.B) *fixture { return newFixture(b) }
