package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/profiles"
)

// The profiles table holds four kinds of item under its one key "pk":
//
//	P#<profile id>    the profile (kind "profile"), or after erasure a
//	                  tombstone with no personal data (kind "erased")
//	I#<identity key>  a copy of the profile for one identity (kind
//	                  "identity", with profileId), so the offer path finds a
//	                  caller's profile by phone in one GetItem; after erasure a
//	                  suppression entry (kind "suppressed")
//
// Every write of a profile puts the profile item and all its identity items
// in one transaction, conditional on the profile's revision, so the copies
// never drift from the profile.
const (
	profilePrefix  = "P#"
	identityPrefix = "I#"

	kindProfile    = "profile"
	kindIdentity   = "identity"
	kindErased     = "erased"
	kindSuppressed = "suppressed"
)

// MaxIdentities bounds the identities of one profile, so every write of a
// profile fits in one transaction (100 items) with room for the offer
// path's own items.
const MaxIdentities = 20

// maxWriteAttempts bounds the read-change-write retries when another write
// of the same profile won the race.
const maxWriteAttempts = 5

// profileItem is a profile item or an identity item: the profile's own
// attributes at the top level, beside the item's key and kind.
type profileItem struct {
	PK        string `dynamo:"pk"`
	Kind      string `dynamo:"kind"`
	ProfileID string `dynamo:"profileId,omitempty"`
	profiles.Profile
}

// suppressionItem replaces a profile item (kind "erased") or an identity
// item (kind "suppressed") when the person is erased: no personal data, only
// the fact and the time.
type suppressionItem struct {
	PK         string    `dynamo:"pk"`
	Kind       string    `dynamo:"kind"`
	Suppressed bool      `dynamo:"suppressed"`
	ErasedAt   time.Time `dynamo:"erasedAt"`
}

// readItem is what a read of any item of the table decodes into.
type readItem struct {
	profileItem
	Suppressed bool      `dynamo:"suppressed"`
	ErasedAt   time.Time `dynamo:"erasedAt"`
}

// Profiles stores customer profiles with their identity items.
type Profiles struct {
	db    *dynamo.DB
	table dynamo.Table
	name  string
}

// NewProfiles returns the profile store over the stage's profiles table.
func NewProfiles(db *dynamo.DB, tables Tables) *Profiles {
	return &Profiles{db: db, table: db.Table(tables.Profiles), name: tables.Profiles}
}

func profileKey(id string) string      { return profilePrefix + id }
func identityPK(k identity.Key) string { return identityPrefix + string(k) }
func notFound(what string, a ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(what, a...), apperr.ErrNotFound)
}

// Get reads a profile by id, strongly consistent. ErrNotFound when no such
// profile was ever stored; ErrSuppressed when it was erased.
func (s *Profiles) Get(ctx context.Context, id string) (profiles.Profile, error) {
	var it readItem
	err := s.table.Get("pk", profileKey(id)).Consistent(true).One(ctx, &it)
	switch {
	case errors.Is(err, dynamo.ErrNotFound):
		return profiles.Profile{}, notFound("profile %s", id)
	case err != nil:
		return profiles.Profile{}, fmt.Errorf("read profile %s: %w", id, err)
	case it.Suppressed || it.Kind != kindProfile:
		return profiles.Profile{}, fmt.Errorf("profile %s: %w", id, apperr.ErrSuppressed)
	}
	return it.Profile, nil
}

// LookupByIdentity finds the profile of an identity key in one GetItem
// (eventually consistent): the identity item holds a copy of the profile.
// ErrNotFound when nobody has the key; ErrSuppressed when its person was
// erased and must never be offered again.
func (s *Profiles) LookupByIdentity(ctx context.Context, key identity.Key) (profiles.Profile, error) {
	if !key.Valid() {
		return profiles.Profile{}, notFound("identity")
	}
	var it readItem
	err := s.table.Get("pk", identityPK(key)).One(ctx, &it)
	switch {
	case errors.Is(err, dynamo.ErrNotFound):
		return profiles.Profile{}, notFound("no profile has this %s", key.Kind())
	case err != nil:
		return profiles.Profile{}, fmt.Errorf("look up %s identity: %w", key.Kind(), err)
	case it.Suppressed || it.Kind != kindIdentity:
		return profiles.Profile{}, fmt.Errorf("%s identity: %w", key.Kind(), apperr.ErrSuppressed)
	}
	return it.Profile, nil
}

// Create stores a new profile at version 1 and revision 1, with a fresh id
// unless p has one. ErrConflict when an identity belongs to another profile
// (or the id is taken); ErrSuppressed when an identity belongs to an erased
// person.
func (s *Profiles) Create(ctx context.Context, p profiles.Profile) (profiles.Profile, error) {
	if p.ID == "" {
		p.ID = profiles.NewID()
	}
	p.Version, p.Revision = 1, 0
	items, err := s.writeItems(p, 0, nil)
	if err != nil {
		return profiles.Profile{}, err
	}
	if err := s.run(ctx, p, items); err != nil {
		if errors.Is(err, errRevisionRace) {
			return profiles.Profile{}, fmt.Errorf("%w: profile %s exists", apperr.ErrConflict, p.ID)
		}
		return profiles.Profile{}, err
	}
	p.Revision = 1
	return p, nil
}

// Update is a person's edit: it applies change to the current profile when
// the profile is at version (0 skips the check, for edits that must never be
// refused, such as an opt-out) and bumps the version. ErrConflict when the
// version is stale. change may run more than once, each time on a fresh
// read; it must not have other effects.
func (s *Profiles) Update(ctx context.Context, id string, version int, change func(*profiles.Profile) error) (profiles.Profile, error) {
	return s.change(ctx, id, change, true, version)
}

// Mutate is a machine's change (a decision, an outcome, a contact record, a
// speech signal): it applies change to the current profile and writes it
// conditional on the revision, retrying a few times when another write won
// the race. The person-facing version does not move. change may run more
// than once; it must not have other effects. A change that returns
// profiles.ErrUnchanged writes nothing, and Mutate returns the profile as
// it is with no error.
func (s *Profiles) Mutate(ctx context.Context, id string, change func(*profiles.Profile) error) (profiles.Profile, error) {
	return s.change(ctx, id, change, false, 0)
}

func (s *Profiles) change(ctx context.Context, id string, change func(*profiles.Profile) error, personEdit bool, version int) (profiles.Profile, error) {
	for attempt := range maxWriteAttempts {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return profiles.Profile{}, err
			}
		}
		cur, err := s.Get(ctx, id)
		if err != nil {
			return profiles.Profile{}, err
		}
		if personEdit && version != 0 && cur.Version != version {
			return profiles.Profile{}, fmt.Errorf("%w: profile %s is at version %d, not %d; read it again and reapply the change",
				apperr.ErrConflict, id, cur.Version, version)
		}
		next := cur.Clone()
		if err := change(&next); errors.Is(err, profiles.ErrUnchanged) {
			return cur, nil
		} else if err != nil {
			return profiles.Profile{}, err
		}
		next.ID, next.Version, next.CreatedAt = cur.ID, cur.Version, cur.CreatedAt
		next.Identities = uniqueIdentities(next.Identities)
		if personEdit {
			next.Version++
		}
		items, err := s.writeItems(next, cur.Revision, removedIdentities(cur.Identities, next.Identities))
		if err != nil {
			return profiles.Profile{}, err
		}
		err = s.run(ctx, next, items)
		if errors.Is(err, errRevisionRace) {
			continue
		}
		if err != nil {
			return profiles.Profile{}, err
		}
		next.Revision = cur.Revision + 1
		return next, nil
	}
	return profiles.Profile{}, fmt.Errorf("%w: profile %s changed %d times while this change was written; try again",
		apperr.ErrConflict, id, maxWriteAttempts)
}

// Erase removes a profile: the profile item becomes a tombstone without
// personal data and each identity item a suppression entry, in one
// transaction, so the person is never offered again and their phone or
// email cannot be given a new profile. Erasing an erased profile again is
// not an error; ErrNotFound when no such profile was ever stored.
func (s *Profiles) Erase(ctx context.Context, id string, at time.Time) error {
	for attempt := range maxWriteAttempts {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
		}
		cur, err := s.Get(ctx, id)
		if errors.Is(err, apperr.ErrSuppressed) {
			return nil
		}
		if err != nil {
			return err
		}
		at = at.UTC()
		tomb, err := dynamo.MarshalItem(suppressionItem{PK: profileKey(id), Kind: kindErased, Suppressed: true, ErasedAt: at})
		if err != nil {
			return err
		}
		items := []types.TransactWriteItem{{Put: &types.Put{
			TableName:                aws.String(s.name),
			Item:                     tomb,
			ConditionExpression:      aws.String("#rev = :rev"),
			ExpressionAttributeNames: map[string]string{"#rev": "revision"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":rev": &types.AttributeValueMemberN{Value: fmt.Sprint(cur.Revision)},
			},
		}}}
		for _, k := range uniqueIdentities(cur.Identities) {
			marker, err := dynamo.MarshalItem(suppressionItem{PK: identityPK(k), Kind: kindSuppressed, Suppressed: true, ErasedAt: at})
			if err != nil {
				return err
			}
			items = append(items, types.TransactWriteItem{Put: &types.Put{
				TableName:                           aws.String(s.name),
				Item:                                marker,
				ConditionExpression:                 aws.String("attribute_not_exists(#pk) OR #pid = :id OR #sup = :true"),
				ExpressionAttributeNames:            map[string]string{"#pk": "pk", "#pid": "profileId", "#sup": "suppressed"},
				ExpressionAttributeValues:           map[string]types.AttributeValue{":id": str(id), ":true": &types.AttributeValueMemberBOOL{Value: true}},
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			}})
		}
		err = s.run(ctx, cur, items)
		if errors.Is(err, errRevisionRace) {
			continue
		}
		return err
	}
	return fmt.Errorf("%w: profile %s changed %d times while it was erased; try again", apperr.ErrConflict, id, maxWriteAttempts)
}

func (s *Profiles) writeItems(p profiles.Profile, expectedRevision int, removed []identity.Key) ([]types.TransactWriteItem, error) {
	if !profiles.ValidID(p.ID) {
		return nil, fmt.Errorf("write profile: id %q is not a profile id", p.ID)
	}
	p.Identities = uniqueIdentities(p.Identities)
	if len(p.Identities) > MaxIdentities {
		return nil, apperr.Invalid("identities", "a profile has at most %d identities, not %d", MaxIdentities, len(p.Identities))
	}
	for _, k := range p.Identities {
		if !k.Valid() {
			return nil, fmt.Errorf("write profile %s: identity %q is not an identity key", p.ID, k.Kind())
		}
	}
	p.Revision = expectedRevision + 1
	canonical, err := dynamo.MarshalItem(profileItem{PK: profileKey(p.ID), Kind: kindProfile, Profile: p})
	if err != nil {
		return nil, fmt.Errorf("encode profile %s: %w", p.ID, err)
	}
	put := &types.Put{TableName: aws.String(s.name), Item: canonical}
	if expectedRevision == 0 {
		put.ConditionExpression = aws.String("attribute_not_exists(#pk)")
		put.ExpressionAttributeNames = map[string]string{"#pk": "pk"}
	} else {
		put.ConditionExpression = aws.String("#rev = :rev")
		put.ExpressionAttributeNames = map[string]string{"#rev": "revision"}
		put.ExpressionAttributeValues = map[string]types.AttributeValue{
			":rev": &types.AttributeValueMemberN{Value: fmt.Sprint(expectedRevision)},
		}
	}
	items := []types.TransactWriteItem{{Put: put}}
	owned := map[string]string{"#pk": "pk", "#pid": "profileId"}
	ownedBy := map[string]types.AttributeValue{":id": str(p.ID)}
	for _, k := range p.Identities {
		copyItem, err := dynamo.MarshalItem(profileItem{PK: identityPK(k), Kind: kindIdentity, ProfileID: p.ID, Profile: p})
		if err != nil {
			return nil, fmt.Errorf("encode identity item of profile %s: %w", p.ID, err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName:                           aws.String(s.name),
			Item:                                copyItem,
			ConditionExpression:                 aws.String("attribute_not_exists(#pk) OR #pid = :id"),
			ExpressionAttributeNames:            owned,
			ExpressionAttributeValues:           ownedBy,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}})
	}
	for _, k := range uniqueIdentities(removed) {
		if slices.Contains(p.Identities, k) || !k.Valid() {
			continue
		}
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{
			TableName:                 aws.String(s.name),
			Key:                       map[string]types.AttributeValue{"pk": str(identityPK(k))},
			ConditionExpression:       aws.String("attribute_not_exists(#pk) OR #pid = :id"),
			ExpressionAttributeNames:  owned,
			ExpressionAttributeValues: ownedBy,
		}})
	}
	return items, nil
}

// errRevisionRace is another write of the same profile landing first.
var errRevisionRace = errors.New("profile changed concurrently")

// run writes items in one transaction and names what refused it.
func (s *Profiles) run(ctx context.Context, p profiles.Profile, items []types.TransactWriteItem) error {
	_, err := s.db.Client().TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil
	}
	var canceled *types.TransactionCanceledException
	if !errors.As(err, &canceled) {
		return fmt.Errorf("write profile %s: %w", p.ID, err)
	}
	return s.cancellation(ctx, p, items, canceled.CancellationReasons)
}

// cancellation turns the reasons of a canceled transaction into the error
// a caller can act on. The profile item's reason comes first: when its
// revision moved, everything else may be stale too.
func (s *Profiles) cancellation(ctx context.Context, p profiles.Profile, items []types.TransactWriteItem, reasons []types.CancellationReason) error {
	code := func(i int) string {
		if i < len(reasons) && reasons[i].Code != nil {
			return *reasons[i].Code
		}
		return ""
	}
	switch code(0) {
	case "ConditionalCheckFailed", "TransactionConflict":
		return errRevisionRace
	}
	for i := 1; i < len(items); i++ {
		switch code(i) {
		case "", "None":
			continue
		case "TransactionConflict":
			return errRevisionRace
		case "ConditionalCheckFailed":
			return s.identityRefused(ctx, items[i], reasons[i].Item)
		default:
			return fmt.Errorf("write profile %s: item %d refused: %s", p.ID, i, code(i))
		}
	}
	return fmt.Errorf("write profile %s: transaction canceled: %v", p.ID, reasons)
}

// identityRefused explains why an identity item could not be written:
// it belongs to another profile, or to an erased person.
func (s *Profiles) identityRefused(ctx context.Context, item types.TransactWriteItem, old map[string]types.AttributeValue) error {
	var key map[string]types.AttributeValue
	switch {
	case item.Put != nil:
		key = map[string]types.AttributeValue{"pk": item.Put.Item["pk"]}
	case item.Delete != nil:
		key = item.Delete.Key
	}
	var pk string
	if v, ok := key["pk"].(*types.AttributeValueMemberS); ok {
		pk = v.Value
	}
	kind := identity.Key(pk[min(len(pk), len(identityPrefix)):]).Kind()
	suppressed := false
	if v, ok := old["suppressed"].(*types.AttributeValueMemberBOOL); ok {
		suppressed = v.Value
	} else if old == nil { // a server that does not return the item: read it
		var it readItem
		suppressed = s.table.Get("pk", pk).Consistent(true).One(ctx, &it) == nil && it.Suppressed
	}
	if suppressed {
		return fmt.Errorf("this %s belongs to an erased person: %w", kind, apperr.ErrSuppressed)
	}
	return fmt.Errorf("%w: this %s belongs to another profile", apperr.ErrConflict, kind)
}

func removedIdentities(before, after []identity.Key) []identity.Key {
	var out []identity.Key
	for _, k := range before {
		if !slices.Contains(after, k) {
			out = append(out, k)
		}
	}
	return out
}

func uniqueIdentities(keys []identity.Key) []identity.Key {
	out := make([]identity.Key, 0, len(keys))
	for _, k := range keys {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

// backoff waits a little, longer each attempt, with jitter so racing writers
// do not collide again.
func backoff(ctx context.Context, attempt int) error {
	return sleep(ctx, time.Duration(attempt)*5*time.Millisecond+rand.N(5*time.Millisecond))
}
