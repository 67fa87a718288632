package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"
	"github.com/guregu/dynamo/v2/dynamodbiface"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/voice"
)

// The social table holds one item per post, keyed "<network>#<post id>".
// Beside the post it carries the index attributes of the teams' work
// queues: route ("service" / "marketing"), routeStatus ("service#open") and
// workOrder, which sorts most urgent first, then oldest first.
const (
	attrPost        = "post"
	attrRoute       = "route"
	attrRouteStatus = "routeStatus"
	attrWorkOrder   = "workOrder"
)

type socialItem struct {
	PK          string `dynamo:"post"`
	Route       string `dynamo:"route"`
	RouteStatus string `dynamo:"routeStatus"`
	WorkOrder   string `dynamo:"workOrder"`
	ExpiresAt   int64  `dynamo:"expiresAt"`
	voice.Post
}

func newSocialItem(p voice.Post) socialItem {
	return socialItem{
		PK: p.Key(), Route: string(p.Triage.Route), RouteStatus: routeStatus(p),
		WorkOrder: workOrder(p), ExpiresAt: p.ReceivedAt.Add(voice.Retention).Unix(), Post: p,
	}
}

func routeStatus(p voice.Post) string { return string(p.Triage.Route) + "#" + p.Status }

// workOrder is "<0 critical … 3 low>#<posted at>#<key>".
func workOrder(p voice.Post) string {
	rank := 3 - p.Triage.Urgency.Rank()
	if rank > 3 {
		rank = 3
	}
	return strconv.Itoa(rank) + "#" + contacts.FormatTime(p.PostedAt) + "#" + p.Key()
}

// Social stores social posts.
type Social struct {
	db    dynamodbiface.DynamoDBAPI
	table string
}

// NewSocial returns the social post store of a stage.
func NewSocial(db *dynamo.DB, tables Tables) *Social {
	return &Social{db: db.Client(), table: tables.Social}
}

func postKey(key string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPost: str(key)}
}

// CreatePost stores a new post once per network and post id. When the post
// is there already it answers the stored one, unchanged, and created=false:
// a listening tool that sends a post twice changes nothing.
func (s *Social) CreatePost(ctx context.Context, p voice.Post) (stored voice.Post, created bool, err error) {
	item, err := dynamo.MarshalItem(newSocialItem(p))
	if err != nil {
		return voice.Post{}, false, fmt.Errorf("encode post: %w", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(s.table),
		Item:                                item,
		ConditionExpression:                 aws.String("attribute_not_exists(#post)"),
		ExpressionAttributeNames:            map[string]string{"#post": attrPost},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var exists *types.ConditionalCheckFailedException
	if errors.As(err, &exists) {
		old, err := decodePost(exists.Item)
		return old, false, err
	}
	if err != nil {
		return voice.Post{}, false, fmt.Errorf("store post: %w", err)
	}
	return p, true, nil
}

// GetPost reads a post, strongly consistent; apperr.ErrNotFound when unknown.
func (s *Social) GetPost(ctx context.Context, network, postID string) (voice.Post, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: postKey(voice.PostKey(network, postID)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return voice.Post{}, fmt.Errorf("read post: %w", err)
	}
	if out.Item == nil {
		return voice.Post{}, fmt.Errorf("post %s %s: %w", network, postID, apperr.ErrNotFound)
	}
	return decodePost(out.Item)
}

// MarkPublished records when the post's routed event went out. It is a
// machine's note: the version people edit does not move.
func (s *Social) MarkPublished(ctx context.Context, key string, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       postKey(key),
		UpdateExpression:          aws.String("SET #publishedAt = :at"),
		ConditionExpression:       aws.String("attribute_exists(#post)"),
		ExpressionAttributeNames:  map[string]string{"#publishedAt": "publishedAt", "#post": attrPost},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": str(at.UTC().Format(time.RFC3339Nano))},
	})
	if err != nil {
		return fmt.Errorf("mark post published: %w", err)
	}
	return nil
}

// HandlePost is a person's edit of a post at version: change (voice.Post.Handle)
// runs on the stored post and the handling fields are written, with the
// version bumped, unless someone else changed the post first
// (apperr.ErrConflict). Only the handling attributes are written, so a
// concurrent MarkPublished is never undone.
func (s *Social) HandlePost(ctx context.Context, network, postID string, version int, change func(*voice.Post) error) (voice.Post, error) {
	p, err := s.GetPost(ctx, network, postID)
	if err != nil {
		return voice.Post{}, err
	}
	if p.Version != version {
		return voice.Post{}, fmt.Errorf("%w: post %s is at version %d, not %d; read it again", apperr.ErrConflict, p.Key(), p.Version, version)
	}
	if err := change(&p); err != nil {
		return voice.Post{}, err
	}
	p.Version++
	u := newUpdate()
	u.set("status", str(p.Status))
	u.set(attrRouteStatus, str(routeStatus(p)))
	u.set("handledBy", str(p.HandledBy))
	u.set("handledAt", str(p.HandledAt.UTC().Format(time.RFC3339Nano)))
	u.set("version", num(int64(p.Version)))
	if p.Note != "" {
		u.set("note", str(p.Note))
	}
	u.cond = "#version = :was"
	u.values[":was"] = num(int64(version))
	_, err = s.db.UpdateItem(ctx, u.input(s.table, postKey(p.Key())))
	var stale *types.ConditionalCheckFailedException
	if errors.As(err, &stale) {
		return voice.Post{}, fmt.Errorf("%w: post %s changed meanwhile; read it again", apperr.ErrConflict, p.Key())
	}
	if err != nil {
		return voice.Post{}, fmt.Errorf("write post: %w", err)
	}
	return p, nil
}

// socialCursor is where a page of a work queue ended.
type socialCursor struct {
	Queue string `json:"q"`
	Post  string `json:"p"`
	Order string `json:"o"`
}

// ListPosts lists a team's posts (route), all or of one status, most
// urgent first, then oldest first, a page at a time.
func (s *Social) ListPosts(ctx context.Context, route voice.Route, status string, limit int, cursor string) ([]voice.Post, string, error) {
	index, pkName, pk := IndexSocialByRoute, attrRoute, string(route)
	if status != "" {
		index, pkName, pk = IndexSocialByQueue, attrRouteStatus, string(route)+"#"+status
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(index),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": pkName},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
		Limit:                     aws.Int32(int32(limit)),
	}
	if cursor != "" {
		var c socialCursor
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || json.Unmarshal(raw, &c) != nil || c.Queue != pk || c.Post == "" || c.Order == "" {
			return nil, "", apperr.Invalid("cursor", "is not a cursor this list gave out; start again without it")
		}
		in.ExclusiveStartKey = map[string]types.AttributeValue{attrPost: str(c.Post), pkName: str(pk), attrWorkOrder: str(c.Order)}
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("list posts: %w", err)
	}
	posts := make([]voice.Post, 0, len(out.Items))
	for _, item := range out.Items {
		p, err := decodePost(item)
		if err != nil {
			return nil, "", err
		}
		posts = append(posts, p)
	}
	next := ""
	if len(out.LastEvaluatedKey) > 0 && len(posts) > 0 {
		last := posts[len(posts)-1]
		raw, _ := json.Marshal(socialCursor{Queue: pk, Post: last.Key(), Order: workOrder(last)})
		next = base64.RawURLEncoding.EncodeToString(raw)
	}
	return posts, next, nil
}

func decodePost(item map[string]types.AttributeValue) (voice.Post, error) {
	var it socialItem
	if err := dynamo.UnmarshalItem(item, &it); err != nil {
		return voice.Post{}, fmt.Errorf("decode post: %w", err)
	}
	p := it.Post
	if p.Triage.Topics == nil {
		p.Triage.Topics = []string{}
	}
	if p.Triage.Reasons == nil {
		p.Triage.Reasons = []string{}
	}
	return p, nil
}

// EraseProfile deletes every post linked to the profile: the customer asked
// to be forgotten, and a post with its author's profile is personal data.
// Running it again deletes nothing more.
func (s *Social) EraseProfile(ctx context.Context, profileID string) error {
	var start map[string]types.AttributeValue
	for {
		out, err := s.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(s.table),
			IndexName:                 aws.String(IndexSocialByProfile),
			KeyConditionExpression:    aws.String("#pid = :pid"),
			ExpressionAttributeNames:  map[string]string{"#pid": contacts.AttrProfileID, "#post": attrPost},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pid": str(profileID)},
			ProjectionExpression:      aws.String("#post"),
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return fmt.Errorf("find posts of profile: %w", err)
		}
		for _, item := range out.Items {
			if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
				TableName: aws.String(s.table), Key: map[string]types.AttributeValue{attrPost: item[attrPost]},
			}); err != nil {
				return fmt.Errorf("delete post of profile: %w", err)
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		start = out.LastEvaluatedKey
	}
}
