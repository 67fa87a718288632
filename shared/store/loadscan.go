package store

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/profiles"
)

// ScanProfiles reads one page of the whole profile base for a what-if: a
// Scan of the profiles table reading at most limit items, of which the
// canonical profile items (kind "profile") are returned; identity copies,
// erased tombstones and suppression entries are read past. cursor is the
// opaque next of the previous page ("" to begin); next is "" after the
// last page. scanned is the number of items the page read.
func (s *Profiles) ScanProfiles(ctx context.Context, cursor string, limit int) (page []profiles.Profile, next string, scanned int, err error) {
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(s.name),
		Limit:                     aws.Int32(int32(max(1, min(limit, 10000)))),
		FilterExpression:          aws.String("#kind = :profile"),
		ExpressionAttributeNames:  map[string]string{"#kind": "kind"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":profile": str(kindProfile)},
	}
	if cursor != "" {
		pk, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || len(pk) == 0 {
			return nil, "", 0, apperr.Invalid("cursor", "is not a scan cursor this store gave out")
		}
		in.ExclusiveStartKey = map[string]types.AttributeValue{"pk": str(string(pk))}
	}
	out, err := s.db.Client().Scan(ctx, in)
	if err != nil {
		return nil, "", 0, fmt.Errorf("scan profiles: %w", err)
	}
	page = make([]profiles.Profile, 0, len(out.Items))
	for _, item := range out.Items {
		var it profileItem
		if err := dynamo.UnmarshalItem(item, &it); err != nil {
			return nil, "", 0, fmt.Errorf("decode a profile item: %w", err)
		}
		page = append(page, it.Profile)
	}
	if v, ok := out.LastEvaluatedKey["pk"].(*types.AttributeValueMemberS); ok && v.Value != "" {
		next = base64.RawURLEncoding.EncodeToString([]byte(v.Value))
	}
	return page, next, int(out.ScannedCount), nil
}

// ApproxItems is the profiles table's approximate item count, as DynamoDB
// reports it (updated about every six hours): a what-if's progress scale.
func (s *Profiles) ApproxItems(ctx context.Context) (int64, error) {
	out, err := s.db.Client().DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.name)})
	if err != nil {
		return 0, fmt.Errorf("describe the profiles table: %w", err)
	}
	return aws.ToInt64(out.Table.ItemCount), nil
}
