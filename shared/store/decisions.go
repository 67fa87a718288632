package store

import (
	"context"
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
	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/profiles"
)

// Keys of the state items the decision path uses.
const (
	capPrefix        = "CAP#"
	propensityPrefix = "PROP#"
)

// Decisions is the storage of the offer and outcome functions: the one
// batched read before a decision, the global-cap counters, the one
// transaction that records a decision with the customer's exposure, and
// the propensity counters.
type Decisions struct {
	client   dynamodbiface.DynamoDBAPI
	tables   Tables
	contacts *Contacts
}

// NewDecisions returns the decision store of a stage.
func NewDecisions(db *dynamo.DB, tables Tables) *Decisions {
	return &Decisions{client: db.Client(), tables: tables, contacts: NewContacts(db, tables)}
}

// DecisionContext is what one batched read finds before a decision.
type DecisionContext struct {
	// Profile is the customer, nil when unknown or anonymous.
	Profile *profiles.Profile
	// Suppressed: the identity belongs to an erased person.
	Suppressed bool
	// Contact is what Conduit already knows of the contact (an earlier
	// decision, Contact Lens sentiment), nil when nothing.
	Contact *contacts.Contact
}

// ReadForDecision reads the customer's identity item (which holds the whole
// profile) and the contact item in one BatchGetItem. An empty key skips the
// profile; an invalid one is treated as unknown.
func (s *Decisions) ReadForDecision(ctx context.Context, key identity.Key, contactID string) (DecisionContext, error) {
	req := map[string]types.KeysAndAttributes{}
	if key != "" && key.Valid() {
		req[s.tables.Profiles] = types.KeysAndAttributes{Keys: []map[string]types.AttributeValue{{"pk": str(identityPK(key))}}}
	}
	if contactID != "" {
		req[s.tables.Contacts] = types.KeysAndAttributes{
			Keys:           []map[string]types.AttributeValue{{contacts.AttrContactID: str(contactID)}},
			ConsistentRead: aws.Bool(true),
		}
	}
	var out DecisionContext
	for attempt := 0; len(req) > 0; attempt++ {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return out, err
			}
		}
		res, err := s.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return out, fmt.Errorf("read decision context: %w", err)
		}
		for _, item := range res.Responses[s.tables.Profiles] {
			var it readItem
			if err := dynamo.UnmarshalItem(item, &it); err != nil {
				return out, fmt.Errorf("decode identity item: %w", err)
			}
			if it.Suppressed || it.Kind != kindIdentity {
				out.Suppressed = true
				continue
			}
			p := it.Profile
			out.Profile = &p
		}
		for _, item := range res.Responses[s.tables.Contacts] {
			var c contacts.Contact
			if err := dynamo.UnmarshalItem(item, &c); err != nil {
				return out, fmt.Errorf("decode contact item: %w", err)
			}
			out.Contact = &c
		}
		req = res.UnprocessedKeys
		if attempt >= maxWriteAttempts {
			return out, errors.New("read decision context: keys left unprocessed after retries")
		}
	}
	return out, nil
}

// ReserveCap takes one unit of an offer's global cap atomically; false
// when the cap is used up. Single-item conditional updates serialise, so
// concurrent decisions never exceed the cap.
func (s *Decisions) ReserveCap(ctx context.Context, offerID string, limit int64) (bool, error) {
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.tables.State),
		Key:                      map[string]types.AttributeValue{"pk": str(capPrefix + offerID)},
		UpdateExpression:         aws.String("ADD #used :one"),
		ConditionExpression:      aws.String("attribute_not_exists(#used) OR #used < :limit"),
		ExpressionAttributeNames: map[string]string{"#used": "used"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one":   num(1),
			":limit": num(limit),
		},
	})
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("reserve cap of offer %s: %w", offerID, err)
	}
	return true, nil
}

// ReleaseCap gives back a reservation whose decision was not recorded.
func (s *Decisions) ReleaseCap(ctx context.Context, offerID string) error {
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.tables.State),
		Key:                       map[string]types.AttributeValue{"pk": str(capPrefix + offerID)},
		UpdateExpression:          aws.String("ADD #used :minus"),
		ConditionExpression:       aws.String("#used > :zero"),
		ExpressionAttributeNames:  map[string]string{"#used": "used"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":minus": num(-1), ":zero": num(0)},
	})
	var failed *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &failed) {
		return fmt.Errorf("release cap of offer %s: %w", offerID, err)
	}
	return nil
}

// CapUsed is how much of an offer's global cap is taken.
func (s *Decisions) CapUsed(ctx context.Context, offerID string) (int64, error) {
	res, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.tables.State),
		Key:            map[string]types.AttributeValue{"pk": str(capPrefix + offerID)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return 0, fmt.Errorf("read cap of offer %s: %w", offerID, err)
	}
	return numberAttr(res.Item, "used"), nil
}

// DecisionRecord is one decision to store.
type DecisionRecord struct {
	ContactID   string
	Channel     string
	Queue       string
	InitiatedAt time.Time
	Decision    contacts.Decision
}

// ErrDecisionExists is a second decision for a contact that already has one.
var ErrDecisionExists = fmt.Errorf("the contact already has a decision: %w", apperr.ErrConflict)

// RecordDecision writes the decision onto the contact item in one
// conditional update: a contact has one decision, so a retry of Connect
// finds the first. The customer's exposure reaches the profile later, with
// the outcome or the contact record, which keeps the decision to one write.
func (s *Decisions) RecordDecision(ctx context.Context, rec DecisionRecord) error {
	decision, err := dynamo.MarshalItem(rec.Decision)
	if err != nil {
		return fmt.Errorf("encode decision: %w", err)
	}
	initiated := rec.InitiatedAt
	if initiated.IsZero() {
		initiated = rec.Decision.At
	}
	names := map[string]string{
		"#d": contacts.AttrDecision, "#exp": contacts.AttrExpiresAt, "#ch": contacts.AttrChannel,
		"#day": contacts.AttrDay, "#init": contacts.AttrInitiatedAt,
	}
	values := map[string]types.AttributeValue{
		":d":    &types.AttributeValueMemberM{Value: decision},
		":exp":  num(contacts.ExpiresAt(initiated)),
		":ch":   str(rec.Channel),
		":day":  str(contacts.Day(initiated)),
		":init": str(contacts.FormatTime(initiated)),
	}
	update := "SET #d = :d, #exp = if_not_exists(#exp, :exp), #ch = if_not_exists(#ch, :ch), " +
		"#day = if_not_exists(#day, :day), #init = if_not_exists(#init, :init)"
	if rec.Queue != "" {
		names["#q"], values[":q"] = contacts.AttrQueue, str(rec.Queue)
		update += ", #q = if_not_exists(#q, :q)"
	}
	if rec.Decision.ProfileID != "" {
		names["#pid"], values[":pid"] = contacts.AttrProfileID, str(rec.Decision.ProfileID)
		update += ", #pid = if_not_exists(#pid, :pid)"
	}
	_, err = s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.tables.Contacts),
		Key:                       map[string]types.AttributeValue{contacts.AttrContactID: str(rec.ContactID)},
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String("attribute_not_exists(#d)"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return ErrDecisionExists
	case err != nil:
		return fmt.Errorf("record decision for contact: %w", err)
	}
	return nil
}

// WithdrawDecision marks a recorded decision as not shown, with a reason:
// the offer function answered "no offer" before the decision was written
// (its deadline passed), so the agent never saw it. Only the named decision
// is changed; a contact without it is left alone.
func (s *Decisions) WithdrawDecision(ctx context.Context, contactID, decisionID, reason string) error {
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.tables.Contacts),
		Key:                 map[string]types.AttributeValue{contacts.AttrContactID: str(contactID)},
		UpdateExpression:    aws.String("SET #d.#shown = :no, #d.#reason = :reason"),
		ConditionExpression: aws.String("#d.#id = :id"),
		ExpressionAttributeNames: map[string]string{
			"#d": contacts.AttrDecision, "#shown": "shown", "#reason": "reason", "#id": "decisionId",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":no": &types.AttributeValueMemberBOOL{Value: false}, ":reason": str(reason), ":id": str(decisionID),
		},
	})
	var failed *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &failed) {
		return fmt.Errorf("withdraw decision %s: %w", decisionID, err)
	}
	return nil
}

// ReadContact reads a contact item (see Contacts.Get).
func (s *Decisions) ReadContact(ctx context.Context, contactID string) (contacts.Contact, error) {
	return s.contacts.Get(ctx, contactID)
}

// ErrOutcomeExists is a second, different outcome for a decision.
var ErrOutcomeExists = fmt.Errorf("the decision already has another outcome: %w", apperr.ErrConflict)

// RecordOutcome writes the outcome onto the contact item once and, for an
// acceptance, counts it on the offer's propensity counters in the same
// transaction, so a retry never counts twice. The same outcome again is a
// retry and succeeds with first=false; a different one is
// ErrOutcomeExists; a decision id the contact does not carry is
// ErrNotFound.
func (s *Decisions) RecordOutcome(ctx context.Context, contactID, offerID string, o contacts.Outcome) (first bool, err error) {
	item, err := dynamo.MarshalItem(o)
	if err != nil {
		return false, fmt.Errorf("encode outcome: %w", err)
	}
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName:           aws.String(s.tables.Contacts),
		Key:                 map[string]types.AttributeValue{contacts.AttrContactID: str(contactID)},
		UpdateExpression:    aws.String("SET #o = :o"),
		ConditionExpression: aws.String("attribute_exists(#d) AND #d.#id = :id AND attribute_not_exists(#o)"),
		ExpressionAttributeNames: map[string]string{
			"#o": contacts.AttrOutcome, "#d": contacts.AttrDecision, "#id": "decisionId",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":o": &types.AttributeValueMemberM{Value: item}, ":id": str(o.DecisionID),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}}
	if o.Outcome == contacts.OutcomeAccepted && offerID != "" {
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:                 aws.String(s.tables.State),
			Key:                       map[string]types.AttributeValue{"pk": str(propensityPrefix + offerID)},
			UpdateExpression:          aws.String("ADD #f :one"),
			ExpressionAttributeNames:  map[string]string{"#f": "accepted"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1)},
		}})
	}
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var canceled *types.TransactionCanceledException
	if !errors.As(err, &canceled) {
		if err != nil {
			return false, fmt.Errorf("record outcome: %w", err)
		}
		return true, nil
	}
	reasons := canceled.CancellationReasons
	if len(reasons) == 0 || aws.ToString(reasons[0].Code) != "ConditionalCheckFailed" {
		return false, fmt.Errorf("record outcome: %w", err)
	}
	var old contacts.Contact
	if reasons[0].Item != nil {
		if err := dynamo.UnmarshalItem(reasons[0].Item, &old); err != nil {
			return false, fmt.Errorf("decode contact: %w", err)
		}
	}
	switch {
	case old.Decision == nil || old.Decision.DecisionID != o.DecisionID:
		return false, fmt.Errorf("decision %s on contact %s: %w", o.DecisionID, contactID, apperr.ErrNotFound)
	case old.Outcome != nil && old.Outcome.Outcome == o.Outcome:
		return false, nil
	default:
		return false, ErrOutcomeExists
	}
}

// CountShown adds one showing to an offer's propensity counters.
func (s *Decisions) CountShown(ctx context.Context, offerID string) error {
	return s.count(ctx, offerID, "shown")
}

// UncountShown takes back a showing whose decision was not recorded.
func (s *Decisions) UncountShown(ctx context.Context, offerID string) error {
	return s.add(ctx, offerID, "shown", -1)
}

func (s *Decisions) count(ctx context.Context, offerID, field string) error {
	return s.add(ctx, offerID, field, 1)
}

func (s *Decisions) add(ctx context.Context, offerID, field string, n int64) error {
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.tables.State),
		Key:                       map[string]types.AttributeValue{"pk": str(propensityPrefix + offerID)},
		UpdateExpression:          aws.String("ADD #f :one"),
		ExpressionAttributeNames:  map[string]string{"#f": field},
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(n)},
	})
	if err != nil {
		return fmt.Errorf("count %s of offer %s: %w", field, offerID, err)
	}
	return nil
}

// LoadPropensities reads the counters of the given offers, 100 per
// BatchGetItem; offers never shown are absent from the answer.
func (s *Decisions) LoadPropensities(ctx context.Context, offerIDs []string) (map[string]catalog.OfferCounts, error) {
	out := make(map[string]catalog.OfferCounts, len(offerIDs))
	keys := make([]map[string]types.AttributeValue, 0, len(offerIDs))
	seen := make(map[string]bool, len(offerIDs))
	for _, id := range offerIDs {
		if !seen[id] {
			seen[id] = true
			keys = append(keys, map[string]types.AttributeValue{"pk": str(propensityPrefix + id)})
		}
	}
	err := batchGet(ctx, s.client, s.tables.State, keys, types.KeysAndAttributes{}, "load propensities",
		func(item map[string]types.AttributeValue) error {
			pk, _ := item["pk"].(*types.AttributeValueMemberS)
			if pk != nil && len(pk.Value) > len(propensityPrefix) {
				out[pk.Value[len(propensityPrefix):]] = catalog.OfferCounts{
					Shown: numberAttr(item, "shown"), Accepted: numberAttr(item, "accepted"),
				}
			}
			return nil
		})
	return out, err
}

func num[N int | int64](n N) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(int64(n), 10)}
}

func numberAttr(item map[string]types.AttributeValue, name string) int64 {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	n, _ := strconv.ParseInt(v.Value, 10, 64)
	return n
}
