package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"
	"github.com/guregu/dynamo/v2/dynamodbiface"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/contacts"
)

// Each queue's waiting contacts live on one state item, "queuewait#<queue
// id>", as a map from contact id to the time it was queued (TimeLayout).
// The contact events consumer changes it in the same transaction as the
// contact's timeline, so the two never disagree.
const (
	queueWaitPrefix = "queuewait#"
	attrWaiting     = "waiting"
)

// MaxQueueWait bounds how long a contact is counted as waiting: an entry
// older than this is left over from a lost DISCONNECTED event and is not
// counted.
const MaxQueueWait = 24 * time.Hour

// txConflictAttempts bounds the retries of a transaction that lost a race
// on a busy queue item.
const txConflictAttempts = 6

// Contacts stores contact items: the facts, lens and timeline the stream
// consumers write, read back by the API, and the queues' waiting lists.
type Contacts struct {
	db     dynamodbiface.DynamoDBAPI
	table  string
	state  string
	now    func() time.Time
	queues sync.Map // queue ids whose state item exists
}

// NewContacts returns the contact store of a stage.
func NewContacts(db *dynamo.DB, tables Tables) *Contacts {
	return &Contacts{db: db.Client(), table: tables.Contacts, state: tables.State, now: time.Now}
}

// Get reads a contact item, strongly consistent; apperr.ErrNotFound when
// nothing is known of the contact.
func (s *Contacts) Get(ctx context.Context, contactID string) (contacts.Contact, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            contactKey(contactID),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return contacts.Contact{}, fmt.Errorf("read contact: %w", err)
	}
	if out.Item == nil {
		return contacts.Contact{}, fmt.Errorf("contact %s: %w", contactID, apperr.ErrNotFound)
	}
	return decodeContact(out.Item)
}

// ApplyFacts writes the facts of a contact record, and the index
// attributes they give (initiatedAt, day, agentUsername, channel, queue),
// unless the item already holds facts of a newer record. Facts of the same
// record are written again, unchanged, so a retry after a partial failure
// goes on to the profile. It answers the item after the write (or as it
// is, when a newer record's facts are there), whether the facts were
// written, and whether they are the contact's first.
func (s *Contacts) ApplyFacts(ctx context.Context, contactID string, f contacts.Facts) (contacts.FactsWrite, error) {
	facts, err := dynamo.Marshal(f)
	if err != nil {
		return contacts.FactsWrite{}, fmt.Errorf("encode facts: %w", err)
	}
	first := f.InitiatedAt
	if first.IsZero() {
		first = f.LastUpdate
	}
	u := newUpdate()
	u.set(contacts.AttrFacts, facts)
	u.setIfNotExists(contacts.AttrExpiresAt, num(contacts.ExpiresAt(first)))
	if !f.InitiatedAt.IsZero() {
		u.set(contacts.AttrInitiatedAt, str(contacts.FormatTime(f.InitiatedAt)))
		u.set(contacts.AttrDay, str(contacts.Day(f.InitiatedAt)))
	}
	u.setNonEmpty(contacts.AttrAgentUsername, f.AgentUsername)
	u.setNonEmpty(contacts.AttrChannel, f.Channel)
	u.setNonEmpty(contacts.AttrQueue, f.Queue)
	u.cond = "attribute_not_exists(#facts) OR #facts.#lastUpdate <= :lastUpdate"
	u.names["#lastUpdate"] = "lastUpdate"
	u.values[":lastUpdate"] = num(f.LastUpdate.Unix())
	in := u.input(s.table, contactKey(contactID))
	// The item before the write, and what the write set, make the item
	// after it, and tell whether these are the contact's first facts.
	in.ReturnValues = types.ReturnValueAllOld
	in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	out, err := s.db.UpdateItem(ctx, in)
	var stale *types.ConditionalCheckFailedException
	if errors.As(err, &stale) {
		c, err := decodeContact(stale.Item)
		return contacts.FactsWrite{Contact: c}, err
	}
	if err != nil {
		return contacts.FactsWrite{}, fmt.Errorf("write facts of contact: %w", err)
	}
	c, err := decodeContact(out.Attributes)
	if err != nil {
		return contacts.FactsWrite{}, err
	}
	// The same version again is a retry of the first write, still first.
	w := contacts.FactsWrite{Applied: true, First: c.Facts == nil || c.Facts.LastUpdate.Equal(f.LastUpdate)}
	c.ContactID, c.Facts = contactID, &f
	if c.ExpiresAt == 0 {
		c.ExpiresAt = contacts.ExpiresAt(first)
	}
	if !f.InitiatedAt.IsZero() {
		c.InitiatedAt, c.Day = contacts.FormatTime(f.InitiatedAt), contacts.Day(f.InitiatedAt)
	}
	for _, set := range []struct {
		dst *string
		v   string
	}{{&c.AgentUsername, f.AgentUsername}, {&c.Channel, f.Channel}, {&c.Queue, f.Queue}} {
		if set.v != "" {
			*set.dst = set.v
		}
	}
	w.Contact = c
	return w, nil
}

// SetProfile links the contact to a customer profile, unless it is linked
// already (the offer function's link wins).
func (s *Contacts) SetProfile(ctx context.Context, contactID, profileID string) error {
	u := newUpdate()
	u.setIfNotExists(contacts.AttrProfileID, str(profileID))
	_, err := s.db.UpdateItem(ctx, u.input(s.table, contactKey(contactID)))
	if err != nil {
		return fmt.Errorf("link contact to profile: %w", err)
	}
	return nil
}

// MarkRepeat records that the customer contacted again (later) within the
// repeat window after a contact (earlier): earlier, when it was handled,
// becomes repeatWithin7d and later repeatContact, both in one transaction.
// It reports false, and marks nothing, when earlier was not handled or its
// facts are not known yet (its own contact record will mark it when it
// comes). Marking twice changes nothing.
func (s *Contacts) MarkRepeat(ctx context.Context, earlierID, laterID string) (bool, error) {
	yes := &types.AttributeValueMemberBOOL{Value: true}
	e := newUpdate()
	e.set(contacts.AttrRepeatWithin7d, yes)
	e.cond = "#facts.#handled = :handled"
	e.names["#facts"], e.names["#handled"], e.values[":handled"] = contacts.AttrFacts, "handled", yes
	l := newUpdate()
	l.set(contacts.AttrRepeatContact, yes)
	l.setIfNotExists(contacts.AttrExpiresAt, num(contacts.ExpiresAt(s.now())))
	items := make([]types.TransactWriteItem, 0, 2)
	for _, u := range []struct {
		u  *itemUpdate
		id string
	}{{e, earlierID}, {l, laterID}} {
		in := u.u.input(s.table, contactKey(u.id))
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: in.TableName, Key: in.Key, UpdateExpression: in.UpdateExpression,
			ConditionExpression: in.ConditionExpression, ExpressionAttributeNames: in.ExpressionAttributeNames,
			ExpressionAttributeValues: in.ExpressionAttributeValues,
		}})
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) && cancellationCode(canceled) == "ConditionalCheckFailed" {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mark repeat contact: %w", err)
	}
	return true, nil
}

// RepeatMarks reads, in one strongly consistent BatchGetItem per 100
// contacts, what the repeat-contact marks need of each contact: whether it
// was handled and which marks it carries. Unknown contacts are left out.
func (s *Contacts) RepeatMarks(ctx context.Context, ids []string) (map[string]contacts.RepeatMarks, error) {
	ids = distinct(ids)
	out := make(map[string]contacts.RepeatMarks, len(ids))
	keys := make([]map[string]types.AttributeValue, len(ids))
	for i, id := range ids {
		keys[i] = contactKey(id)
	}
	read := types.KeysAndAttributes{
		ConsistentRead:       aws.Bool(true),
		ProjectionExpression: aws.String("#id, #facts.#handled, #rw, #rc"),
		ExpressionAttributeNames: map[string]string{"#id": contacts.AttrContactID, "#facts": contacts.AttrFacts, "#handled": "handled",
			"#rw": contacts.AttrRepeatWithin7d, "#rc": contacts.AttrRepeatContact},
	}
	err := batchGet(ctx, s.db, s.table, keys, read, "read repeat marks", func(item map[string]types.AttributeValue) error {
		c, err := decodeContact(item)
		if err != nil {
			return err
		}
		out[c.ContactID] = contacts.RepeatMarks{
			Handled: c.Facts != nil && c.Facts.Handled, RepeatWithin7d: c.RepeatWithin7d, RepeatContact: c.RepeatContact,
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PutLens writes a contact's lens, whose Version must be one more than the
// stored lens's (1 for the first); apperr.ErrConflict when another write
// came first. seen is when the contact was first heard of, for its expiry.
func (s *Contacts) PutLens(ctx context.Context, contactID string, l contacts.Lens, seen time.Time) error {
	lens, err := dynamo.Marshal(l)
	if err != nil {
		return fmt.Errorf("encode lens: %w", err)
	}
	u := newUpdate()
	u.set(contacts.AttrLens, lens)
	u.setIfNotExists(contacts.AttrExpiresAt, num(contacts.ExpiresAt(seen)))
	if l.Version <= 1 {
		u.cond = "attribute_not_exists(#lens)"
	} else {
		u.cond = "#lens.#version = :prev"
		u.names["#version"], u.values[":prev"] = "version", num(int64(l.Version-1))
	}
	_, err = s.db.UpdateItem(ctx, u.input(s.table, contactKey(contactID)))
	var conflict *types.ConditionalCheckFailedException
	if errors.As(err, &conflict) {
		return fmt.Errorf("lens of contact %s changed meanwhile: %w", contactID, apperr.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("write lens of contact: %w", err)
	}
	return nil
}

// ApplyEvents writes a contact's new timeline and the change of the
// queues' waiting lists in one transaction, conditional on the timeline
// being the one it was made from; apperr.ErrConflict when another event was
// applied first (read again and reapply).
func (s *Contacts) ApplyEvents(ctx context.Context, w contacts.TimelineChange) error {
	ev, err := dynamo.Marshal(w.Events)
	if err != nil {
		return fmt.Errorf("encode events: %w", err)
	}
	u := newUpdate()
	u.set(contacts.AttrEvents, ev)
	first := w.InitiatedAt
	if first.IsZero() {
		first = s.now()
	}
	u.setIfNotExists(contacts.AttrExpiresAt, num(contacts.ExpiresAt(first)))
	if !w.InitiatedAt.IsZero() {
		u.setIfNotExists(contacts.AttrInitiatedAt, str(contacts.FormatTime(w.InitiatedAt)))
		u.setIfNotExists(contacts.AttrDay, str(contacts.Day(w.InitiatedAt)))
	}
	if w.Channel != "" {
		u.setIfNotExists(contacts.AttrChannel, str(w.Channel))
	}
	if w.HadEvents {
		u.cond = "#events.#order = :prev"
		u.names["#order"], u.values[":prev"] = "order", num(w.PrevOrder)
	} else {
		u.cond = "attribute_not_exists(#events)"
	}
	in := u.input(s.table, contactKey(w.ContactID))
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName: in.TableName, Key: in.Key, UpdateExpression: in.UpdateExpression,
		ConditionExpression: in.ConditionExpression, ExpressionAttributeNames: in.ExpressionAttributeNames,
		ExpressionAttributeValues: in.ExpressionAttributeValues,
	}}}
	leave, join := w.Queues.Leave, w.Queues.Join
	if leave != nil && join != nil && leave.QueueID == join.QueueID {
		leave = nil // putting it on the same queue again replaces its entry
	}
	for _, q := range []*contacts.QueueEntry{leave, join} {
		if q == nil {
			continue
		}
		if err := s.ensureQueue(ctx, q.QueueID); err != nil {
			return err
		}
		up := &types.Update{
			TableName:                aws.String(s.state),
			Key:                      map[string]types.AttributeValue{StateTable.PartitionKey.Name: str(queueWaitPrefix + q.QueueID)},
			ExpressionAttributeNames: map[string]string{"#w": attrWaiting, "#c": q.ContactID},
		}
		if q == join {
			up.UpdateExpression = aws.String("SET #w.#c = :since")
			up.ExpressionAttributeValues = map[string]types.AttributeValue{":since": str(contacts.FormatTime(q.Since))}
		} else {
			up.UpdateExpression = aws.String("REMOVE #w.#c")
		}
		items = append(items, types.TransactWriteItem{Update: up})
	}
	for attempt := 0; ; attempt++ {
		if len(items) == 1 {
			_, err = s.db.UpdateItem(ctx, in)
		} else {
			_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		}
		var failed *types.ConditionalCheckFailedException
		var canceled *types.TransactionCanceledException
		switch {
		case err == nil:
			return nil
		case errors.As(err, &failed):
			return fmt.Errorf("timeline of contact %s changed meanwhile: %w", w.ContactID, apperr.ErrConflict)
		case errors.As(err, &canceled):
			code := cancellationCode(canceled)
			if code == "ConditionalCheckFailed" {
				return fmt.Errorf("timeline of contact %s changed meanwhile: %w", w.ContactID, apperr.ErrConflict)
			}
			if code == "TransactionConflict" && attempt+1 < txConflictAttempts {
				if err := pause(ctx, attempt+1); err != nil {
					return err
				}
				continue
			}
		}
		return fmt.Errorf("write timeline of contact: %w", err)
	}
}

// ensureQueue creates a queue's waiting item once, so entries can be set
// and removed on it.
func (s *Contacts) ensureQueue(ctx context.Context, queueID string) error {
	if _, ok := s.queues.Load(queueID); ok {
		return nil
	}
	u := newUpdate()
	u.setIfNotExists(attrWaiting, &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}})
	_, err := s.db.UpdateItem(ctx, u.input(s.state, map[string]types.AttributeValue{
		StateTable.PartitionKey.Name: str(queueWaitPrefix + queueID),
	}))
	if err != nil {
		return fmt.Errorf("create waiting list of queue %s: %w", queueID, err)
	}
	s.queues.Store(queueID, true)
	return nil
}

// QueueWaiting lists the contacts waiting in a queue, oldest first,
// leaving out entries older than MaxQueueWait.
func (s *Contacts) QueueWaiting(ctx context.Context, queueID string) ([]contacts.QueueEntry, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.state),
		Key:            map[string]types.AttributeValue{StateTable.PartitionKey.Name: str(queueWaitPrefix + queueID)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("read waiting list of queue %s: %w", queueID, err)
	}
	m, _ := out.Item[attrWaiting].(*types.AttributeValueMemberM)
	if m == nil {
		return nil, nil
	}
	cut := s.now().Add(-MaxQueueWait)
	list := make([]contacts.QueueEntry, 0, len(m.Value))
	for id, v := range m.Value {
		sv, _ := v.(*types.AttributeValueMemberS)
		if sv == nil {
			continue
		}
		since, err := time.Parse(time.RFC3339, sv.Value)
		if err != nil || since.Before(cut) {
			continue
		}
		list = append(list, contacts.QueueEntry{QueueID: queueID, ContactID: id, Since: since})
	}
	sortEntries(list)
	return list, nil
}

// QueueCounters is the live load of a queue for the load gate: how many
// contacts wait in it now and how long the one waiting longest has waited
// (0 when none waits). One strongly consistent GetItem.
func (s *Contacts) QueueCounters(ctx context.Context, queueID string) (waiting int, oldestWait time.Duration, err error) {
	list, err := s.QueueWaiting(ctx, queueID)
	if err != nil || len(list) == 0 {
		return 0, 0, err
	}
	return len(list), max(s.now().Sub(list[0].Since), 0), nil
}

// EraseProfile deletes the contact items of an erased customer (found
// through the byProfile index).
func (s *Contacts) EraseProfile(ctx context.Context, profileID string) error {
	var start map[string]types.AttributeValue
	for {
		out, err := s.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(s.table),
			IndexName:                 aws.String(IndexContactsByProfile),
			KeyConditionExpression:    aws.String("#p = :p"),
			ExpressionAttributeNames:  map[string]string{"#p": contacts.AttrProfileID, "#id": contacts.AttrContactID},
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": str(profileID)},
			ProjectionExpression:      aws.String("#id"),
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return fmt.Errorf("find contacts of profile: %w", err)
		}
		var reqs []types.WriteRequest
		for _, item := range out.Items {
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{
				Key: map[string]types.AttributeValue{contacts.AttrContactID: item[contacts.AttrContactID]},
			}})
		}
		if err := batchWrite(ctx, s.db, s.table, reqs); err != nil {
			return fmt.Errorf("delete contacts of profile: %w", err)
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		start = out.LastEvaluatedKey
	}
}

func decodeContact(item map[string]types.AttributeValue) (contacts.Contact, error) {
	var c contacts.Contact
	if item == nil {
		return c, nil
	}
	if err := dynamo.UnmarshalItem(item, &c); err != nil {
		return c, fmt.Errorf("decode contact: %w", err)
	}
	return c, nil
}

func contactKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{contacts.AttrContactID: str(id)}
}

func cancellationCode(e *types.TransactionCanceledException) string {
	code := ""
	for _, r := range e.CancellationReasons {
		switch c := aws.ToString(r.Code); c {
		case "ConditionalCheckFailed":
			return c
		case "", "None":
		default:
			code = c
		}
	}
	return code
}

func sortEntries(list []contacts.QueueEntry) {
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && entryLess(list[j], list[j-1]); j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
}

func entryLess(a, b contacts.QueueEntry) bool {
	if !a.Since.Equal(b.Since) {
		return a.Since.Before(b.Since)
	}
	return a.ContactID < b.ContactID
}

// itemUpdate builds an UpdateItem of SET clauses on named paths, with
// placeholders for every name and value.
type itemUpdate struct {
	sets   []string
	cond   string
	names  map[string]string
	values map[string]types.AttributeValue
}

func newUpdate() *itemUpdate {
	return &itemUpdate{names: map[string]string{}, values: map[string]types.AttributeValue{}}
}

func (u *itemUpdate) placeholder(attr string) (string, string) {
	name := "#" + attr
	u.names[name] = attr
	return name, ":" + attr
}

func (u *itemUpdate) set(attr string, v types.AttributeValue) {
	n, p := u.placeholder(attr)
	u.sets = append(u.sets, n+" = "+p)
	u.values[p] = v
}

func (u *itemUpdate) setIfNotExists(attr string, v types.AttributeValue) {
	n, p := u.placeholder(attr)
	u.sets = append(u.sets, n+" = if_not_exists("+n+", "+p+")")
	u.values[p] = v
}

func (u *itemUpdate) setNonEmpty(attr, v string) {
	if v != "" {
		u.set(attr, str(v))
	}
}

func (u *itemUpdate) input(table string, key map[string]types.AttributeValue) *dynamodb.UpdateItemInput {
	in := &dynamodb.UpdateItemInput{
		TableName:                 aws.String(table),
		Key:                       key,
		UpdateExpression:          aws.String("SET " + strings.Join(u.sets, ", ")),
		ExpressionAttributeNames:  u.names,
		ExpressionAttributeValues: u.values,
	}
	if u.cond != "" {
		in.ConditionExpression = aws.String(u.cond)
		// Conditions name the attribute they guard with the same placeholder.
		for _, attr := range []string{contacts.AttrFacts, contacts.AttrLens, contacts.AttrEvents} {
			if strings.Contains(u.cond, "#"+attr) {
				u.names["#"+attr] = attr
			}
		}
	}
	if len(in.ExpressionAttributeValues) == 0 {
		in.ExpressionAttributeValues = nil
	}
	return in
}
