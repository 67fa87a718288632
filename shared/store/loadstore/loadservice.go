package loadstore

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"
	"github.com/guregu/dynamo/v2/dynamodbiface"

	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/loadwatch"
	"github.com/conduit-cx/conduit/shared/store"
)

// MaxServiceLookback is how long before a window a contact may have
// begun and still leave its queue inside the window: a contact that waits
// longer than this is shown by the oldest-wait reading instead.
const MaxServiceLookback = 45 * time.Minute

// QueueService counts recent answered and abandoned contacts per queue
// from the contacts table (byDay index), for the load watcher's ASA and
// service level: the contact events' timeline (queued, connected to an
// agent, disconnected), or a contact record's facts when no events came.
type QueueService struct {
	db    dynamodbiface.DynamoDBAPI
	table string
}

var _ loadwatch.ServiceSource = (*QueueService)(nil)

// NewQueueService returns the recent-service reader of a stage.
func NewQueueService(db *dynamo.DB, tables store.Tables) *QueueService {
	return &QueueService{db: db.Client(), table: tables.Contacts}
}

// RecentService counts, by queue id, the contacts whose queue wait ended
// in (since, until]: answered when an agent took them, abandoned when they
// hung up first. Only the attributes needed are read.
func (s *QueueService) RecentService(ctx context.Context, since, until time.Time, threshold time.Duration) (map[string]loadwatch.ServiceStats, error) {
	out := map[string]loadwatch.ServiceStats{}
	from := since.Add(-MaxServiceLookback).UTC()
	for day := from.Truncate(24 * time.Hour); !day.After(until); day = day.Add(24 * time.Hour) {
		in := &dynamodb.QueryInput{
			TableName:              aws.String(s.table),
			IndexName:              aws.String(store.IndexContactsByDay),
			KeyConditionExpression: aws.String("#day = :day AND #at BETWEEN :from AND :until"),
			ProjectionExpression:   aws.String("#events, #facts"),
			ExpressionAttributeNames: map[string]string{
				"#day": contacts.AttrDay, "#at": contacts.AttrInitiatedAt,
				"#events": contacts.AttrEvents, "#facts": contacts.AttrFacts,
			},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":day":   &types.AttributeValueMemberS{Value: contacts.Day(day)},
				":from":  &types.AttributeValueMemberS{Value: contacts.FormatTime(from)},
				":until": &types.AttributeValueMemberS{Value: contacts.FormatTime(until)},
			},
		}
		for {
			page, err := s.db.Query(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("read recent contacts of %s: %w", contacts.Day(day), err)
			}
			for _, item := range page.Items {
				var c contacts.Contact
				if err := dynamo.UnmarshalItem(item, &c); err != nil {
					continue // one odd item does not blind the gate
				}
				queue, wait, end, answered, ok := leftQueue(c)
				if !ok || !end.After(since) || end.After(until) {
					continue
				}
				st := out[queue]
				st.Add(wait, answered, threshold)
				out[queue] = st
			}
			if len(page.LastEvaluatedKey) == 0 {
				break
			}
			in.ExclusiveStartKey = page.LastEvaluatedKey
		}
	}
	return out, nil
}

// leftQueue says how a contact left its queue: which queue, how long it
// waited, when it left, and whether an agent answered.
func leftQueue(c contacts.Contact) (queue string, wait time.Duration, end time.Time, answered, ok bool) {
	if e := c.Events; e != nil && e.QueueID != "" {
		queued, isQueued := e.States[connect.EventQueued]
		if !isQueued {
			return "", 0, time.Time{}, false, false
		}
		if at, ok := e.States[connect.EventConnectedToAgent]; ok && !at.Before(queued) {
			return e.QueueID, at.Sub(queued), at, true, true
		}
		if at, ok := e.States[connect.EventDisconnected]; ok && !at.Before(queued) {
			return e.QueueID, at.Sub(queued), at, false, true
		}
		return "", 0, time.Time{}, false, false // still waiting
	}
	if f := c.Facts; f != nil && f.QueueID != "" && !f.EnqueuedAt.IsZero() {
		switch {
		case !f.AnsweredAt.IsZero():
			return f.QueueID, f.AnsweredAt.Sub(f.EnqueuedAt), f.AnsweredAt, true, true
		case f.Abandoned && !f.DisconnectedAt.IsZero():
			return f.QueueID, f.DisconnectedAt.Sub(f.EnqueuedAt), f.DisconnectedAt, false, true
		}
	}
	return "", 0, time.Time{}, false, false
}
