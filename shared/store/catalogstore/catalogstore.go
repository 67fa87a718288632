// Package catalogstore stores the offer catalog (offers and campaigns) in
// the stage's catalog table.
package catalogstore

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/store"
)

// The catalog table holds offers (kind "offer") and campaigns (kind
// "campaign") under the partition key "kind" and the sort key "id", so a
// list is one Query in id order and the decision engine's cache loads the
// whole catalog in two queries.

// Catalog stores offers and campaigns with optimistic locking.
type Catalog struct {
	table dynamo.Table
	name  string
}

// NewCatalog returns the catalog store over the stage's catalog table.
func NewCatalog(db *dynamo.DB, tables store.Tables) *Catalog {
	return &Catalog{table: db.Table(tables.Catalog), name: tables.Catalog}
}

type offerItem struct {
	Kind string `dynamo:"kind"`
	catalog.Offer
}

type campaignItem struct {
	Kind string `dynamo:"kind"`
	catalog.Campaign
}

// maxCatalogAttempts bounds the retries of an edit that raced only with a
// machine change (a decision marking the item referenced).
const maxCatalogAttempts = 4

func catalogNotFound(kind, id string) error {
	return fmt.Errorf("no %s %q: %w", kind, id, apperr.ErrNotFound)
}

func staleVersion(kind, id string, have, want int) error {
	return fmt.Errorf("%w: %s %s is at version %d, not %d; read it again and reapply the change",
		apperr.ErrConflict, kind, id, have, want)
}

// catalogKind is how the catalog table keeps one kind of item (offers,
// campaigns): as I, under its kind as the partition key.
type catalogKind[T, I any] struct {
	kind   string
	wrap   func(item T) I
	unwrap func(stored I) T
	// fill shows empty lists as [] rather than null.
	fill func(item T) T
	meta func(item T) itemMeta
	// clone copies an item deep enough that a change to the copy leaves
	// the original as it was.
	clone func(item T) T
	// keep carries over from cur what a change may not touch, and sets the
	// next version.
	keep func(next *T, cur T)
	// markDeleted marks an item deleted at its next version, for items a
	// decision referenced, which are kept.
	markDeleted func(next *T, at time.Time, by string)
}

// itemMeta is what the catalog's edits check of an item.
type itemMeta struct {
	id         string
	version    int
	referenced bool
	deleted    bool
}

var offerKind = catalogKind[catalog.Offer, offerItem]{
	kind:   catalog.KindOffer,
	wrap:   func(o catalog.Offer) offerItem { return offerItem{Kind: catalog.KindOffer, Offer: o} },
	unwrap: func(it offerItem) catalog.Offer { return it.Offer },
	fill:   fillOffer,
	meta:   func(o catalog.Offer) itemMeta { return itemMeta{o.ID, o.Version, o.Referenced, o.Deleted} },
	clone: func(o catalog.Offer) catalog.Offer {
		o.Channels = slices.Clone(o.Channels)
		o.Transitions = slices.Clone(o.Transitions)
		return o
	},
	keep: func(next *catalog.Offer, cur catalog.Offer) {
		next.ID, next.Version, next.CreatedAt, next.CreatedBy = cur.ID, cur.Version+1, cur.CreatedAt, cur.CreatedBy
		next.Referenced, next.Deleted = cur.Referenced, cur.Deleted
	},
	markDeleted: func(next *catalog.Offer, at time.Time, by string) {
		next.Deleted, next.DeletedAt, next.UpdatedAt, next.UpdatedBy, next.Version = true, at, at, by, next.Version+1
	},
}

var campaignKind = catalogKind[catalog.Campaign, campaignItem]{
	kind:   catalog.KindCampaign,
	wrap:   func(c catalog.Campaign) campaignItem { return campaignItem{Kind: catalog.KindCampaign, Campaign: c} },
	unwrap: func(it campaignItem) catalog.Campaign { return it.Campaign },
	fill:   fillCampaign,
	meta:   func(c catalog.Campaign) itemMeta { return itemMeta{c.ID, c.Version, c.Referenced, c.Deleted} },
	clone: func(c catalog.Campaign) catalog.Campaign {
		c.Transitions = slices.Clone(c.Transitions)
		c.LoadGate.Queues = slices.Clone(c.LoadGate.Queues)
		return c
	},
	keep: func(next *catalog.Campaign, cur catalog.Campaign) {
		next.ID, next.Version, next.CreatedAt, next.CreatedBy = cur.ID, cur.Version+1, cur.CreatedAt, cur.CreatedBy
		next.Referenced, next.Deleted = cur.Referenced, cur.Deleted
	},
	markDeleted: func(next *catalog.Campaign, at time.Time, by string) {
		next.Deleted, next.DeletedAt, next.UpdatedAt, next.UpdatedBy, next.Version = true, at, at, by, next.Version+1
	},
}

// createCatalogItem stores a new item; ErrConflict when the id is taken
// (also by a deleted item: ids are never reused).
func createCatalogItem[T, I any](ctx context.Context, s *Catalog, k catalogKind[T, I], id string, item T) (T, error) {
	var zero T
	err := s.table.Put(k.wrap(item)).If("attribute_not_exists($)", "id").Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return zero, fmt.Errorf("%w: %s %s exists", apperr.ErrConflict, k.kind, id)
	}
	if err != nil {
		return zero, fmt.Errorf("create %s %s: %w", k.kind, id, err)
	}
	return k.fill(item), nil
}

// deleteCatalogItem is DeleteOffer and DeleteCampaign: at version, when
// may allows it; an item a decision referenced is only marked deleted
// (after retire, when set, has changed it), one never referenced is
// removed.
func deleteCatalogItem[T, I any](ctx context.Context, s *Catalog, k catalogKind[T, I], id string, version int, by string, at time.Time,
	may func(ctx context.Context, cur T) error, retire func(next *T)) error {
	for range maxCatalogAttempts {
		cur, err := getCatalogItem(ctx, s, k, id)
		if err != nil {
			return err
		}
		m := k.meta(cur)
		switch {
		case m.deleted:
			return catalogNotFound(k.kind, id)
		case m.version != version:
			return staleVersion(k.kind, id, m.version, version)
		}
		if err := may(ctx, cur); err != nil {
			return err
		}
		if m.referenced {
			next := cur
			if retire != nil {
				retire(&next)
			}
			k.markDeleted(&next, at, by)
			err = s.table.Put(k.wrap(next)).If("$ = ?", "version", m.version).Run(ctx)
		} else {
			err = s.table.Delete("kind", k.kind).Range("id", id).
				If("$ = ? AND $ = ?", "version", m.version, "referenced", false).Run(ctx)
		}
		if dynamo.IsCondCheckFailed(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("delete %s %s: %w", k.kind, id, err)
		}
		return nil
	}
	return fmt.Errorf("%w: %s %s keeps changing; try again", apperr.ErrConflict, k.kind, id)
}

// listCatalogItems reads a page of the query q (limit+1 items tell whether
// there is a next page) and its cursor.
func listCatalogItems[T, I any](ctx context.Context, k catalogKind[T, I], q *dynamo.Query, limit int) ([]T, string, error) {
	var items []I
	if err := q.Limit(limit+1).All(ctx, &items); err != nil {
		return nil, "", fmt.Errorf("list %ss: %w", k.kind, err)
	}
	out := make([]T, 0, min(len(items), limit))
	for _, it := range items[:min(len(items), limit)] {
		out = append(out, k.fill(k.unwrap(it)))
	}
	return out, nextCursor(len(items) > limit, out, func(item T) string { return k.meta(item).id }), nil
}

// getCatalogItem reads an item, strongly consistent, deleted or not.
func getCatalogItem[T, I any](ctx context.Context, s *Catalog, k catalogKind[T, I], id string) (T, error) {
	var it I
	var zero T
	err := s.table.Get("kind", k.kind).Range("id", dynamo.Equal, id).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return zero, catalogNotFound(k.kind, id)
	}
	if err != nil {
		return zero, fmt.Errorf("read %s %s: %w", k.kind, id, err)
	}
	return k.fill(k.unwrap(it)), nil
}

// updateCatalogItem is UpdateOffer and UpdateCampaign: change runs on a
// fresh read each attempt, and the write is refused when the version or
// the referenced flag moved meanwhile.
func updateCatalogItem[T, I any](ctx context.Context, s *Catalog, k catalogKind[T, I], id string, version int, change func(*T) error) (T, error) {
	var zero T
	for range maxCatalogAttempts {
		cur, err := getCatalogItem(ctx, s, k, id)
		if err != nil {
			return zero, err
		}
		m := k.meta(cur)
		if m.deleted {
			return zero, catalogNotFound(k.kind, id)
		}
		if version != 0 && m.version != version {
			return zero, staleVersion(k.kind, id, m.version, version)
		}
		next := k.clone(cur)
		if err := change(&next); err != nil {
			return zero, err
		}
		k.keep(&next, cur)
		err = s.table.Put(k.wrap(next)).
			If("$ = ? AND $ = ?", "version", m.version, "referenced", m.referenced).Run(ctx)
		if dynamo.IsCondCheckFailed(err) {
			continue // re-read: a stale version or only a new referenced flag
		}
		if err != nil {
			return zero, fmt.Errorf("update %s %s: %w", k.kind, id, err)
		}
		return k.fill(next), nil
	}
	return zero, fmt.Errorf("%w: %s %s keeps changing; try again", apperr.ErrConflict, k.kind, id)
}

// CreateOffer stores a new offer at version 1. ErrConflict when the id is
// taken (also by a deleted offer: ids are never reused).
func (s *Catalog) CreateOffer(ctx context.Context, o catalog.Offer) (catalog.Offer, error) {
	o.Version = 1
	return createCatalogItem(ctx, s, offerKind, o.ID, o)
}

// GetOffer reads an offer, strongly consistent, deleted or not.
func (s *Catalog) GetOffer(ctx context.Context, id string) (catalog.Offer, error) {
	return getCatalogItem(ctx, s, offerKind, id)
}

// UpdateOffer applies change to the offer when it is at version (0: any
// version, for status moves that name none) and stores it at version+1.
// ErrConflict when the version is stale;
// ErrNotFound when there is no such offer (or it was deleted). change may
// run more than once, each time on a fresh read; it must have no other
// effects. Its error is returned as is, and nothing is stored.
func (s *Catalog) UpdateOffer(ctx context.Context, id string, version int, change func(*catalog.Offer) error) (catalog.Offer, error) {
	return updateCatalogItem(ctx, s, offerKind, id, version, change)
}

// DeleteOffer deletes an offer at version. An offer a decision referenced
// is only marked deleted (kept for history and retired); one never
// referenced is removed. An active offer must be paused or retired first.
func (s *Catalog) DeleteOffer(ctx context.Context, id string, version int, by string, at time.Time) error {
	return deleteCatalogItem(ctx, s, offerKind, id, version, by, at,
		func(_ context.Context, cur catalog.Offer) error {
			if cur.Status == catalog.OfferActive {
				return fmt.Errorf("%w: offer %s is active; pause or retire it before deleting it", apperr.ErrConflict, id)
			}
			return nil
		},
		func(next *catalog.Offer) {
			if next.Status != catalog.OfferRetired {
				next.Transitions = append(slices.Clone(next.Transitions), catalog.Transition{
					From: string(next.Status), To: string(catalog.OfferRetired), At: at, By: by, Reason: "deleted"})
				next.Status = catalog.OfferRetired
			}
		})
}

// ListOffers lists offers in id order, a page at a time. cursor is the
// opaque nextCursor of the previous page ("" for the first); the returned
// cursor is "" on the last page. Deleted offers are left out.
func (s *Catalog) ListOffers(ctx context.Context, f catalog.OfferFilter, limit int, cursor string) ([]catalog.Offer, string, error) {
	q, err := s.listQuery(catalog.KindOffer, cursor)
	if err != nil {
		return nil, "", err
	}
	if f.Status != "" {
		q = q.Filter("$ = ?", "status", f.Status)
	}
	if f.CampaignID != "" {
		q = q.Filter("$ = ?", "campaignId", f.CampaignID)
	}
	if f.Channel != "" {
		q = q.Filter("contains($, ?)", "channels", f.Channel)
	}
	return listCatalogItems(ctx, offerKind, q, limit)
}

// CreateCampaign stores a new campaign at version 1, planned.
// ErrConflict when the id is taken.
func (s *Catalog) CreateCampaign(ctx context.Context, c catalog.Campaign) (catalog.Campaign, error) {
	c.Version = 1
	return createCatalogItem(ctx, s, campaignKind, c.ID, c)
}

// GetCampaign reads a campaign, strongly consistent, deleted or not.
func (s *Catalog) GetCampaign(ctx context.Context, id string) (catalog.Campaign, error) {
	return getCatalogItem(ctx, s, campaignKind, id)
}

// UpdateCampaign is UpdateOffer for campaigns. A version of 0 skips the
// version check, for machine moves that must not be refused by a
// marketer's concurrent edit (the scheduler launching or ending a
// campaign, the load watch holding it); the change itself still runs on
// the latest campaign and is written conditionally.
func (s *Catalog) UpdateCampaign(ctx context.Context, id string, version int, change func(*catalog.Campaign) error) (catalog.Campaign, error) {
	return updateCatalogItem(ctx, s, campaignKind, id, version, change)
}

// DeleteCampaign deletes a planned or ended campaign that no offer
// (deleted or not) still names. A campaign a decision referenced is only
// marked deleted.
func (s *Catalog) DeleteCampaign(ctx context.Context, id string, version int, by string, at time.Time) error {
	return deleteCatalogItem(ctx, s, campaignKind, id, version, by, at,
		func(ctx context.Context, cur catalog.Campaign) error {
			if cur.Status != catalog.CampaignPlanned && cur.Status != catalog.CampaignEnded {
				return fmt.Errorf("%w: campaign %s is %s; end it before deleting it", apperr.ErrConflict, id, cur.Status)
			}
			n, err := s.table.Get("kind", catalog.KindOffer).Filter("$ = ?", "campaignId", id).
				Filter("attribute_not_exists($) OR $ = ?", "deleted", "deleted", false).Count(ctx)
			if err != nil {
				return fmt.Errorf("count offers of campaign %s: %w", id, err)
			}
			if n > 0 {
				return fmt.Errorf("%w: campaign %s still has %d offers; delete them or move them to another campaign first", apperr.ErrConflict, id, n)
			}
			return nil
		},
		nil)
}

// ListCampaigns lists campaigns in id order, a page at a time (see
// ListOffers). Deleted campaigns are left out.
func (s *Catalog) ListCampaigns(ctx context.Context, f catalog.CampaignFilter, limit int, cursor string) ([]catalog.Campaign, string, error) {
	q, err := s.listQuery(catalog.KindCampaign, cursor)
	if err != nil {
		return nil, "", err
	}
	if f.Status != "" {
		q = q.Filter("$ = ?", "status", f.Status)
	}
	return listCatalogItems(ctx, campaignKind, q, limit)
}

// MarkReferenced records that a decision named the offer or campaign, so
// it can from then on only be soft-deleted. It is idempotent and leaves
// the version alone (it is not a person's edit); call it once per item
// and warm instance, not once per decision.
func (s *Catalog) MarkReferenced(ctx context.Context, kind, id string) error {
	err := s.table.Update("kind", kind).Range("id", id).Set("referenced", true).
		If("attribute_exists($)", "id").Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return catalogNotFound(kind, id)
	}
	if err != nil {
		return fmt.Errorf("mark %s %s referenced: %w", kind, id, err)
	}
	return nil
}

// LoadActive reads what the decision engine's cache holds: every active,
// not deleted offer, and the not deleted campaigns those offers belong to
// (in any status, so a decision can say a campaign is held).
func (s *Catalog) LoadActive(ctx context.Context) ([]catalog.Offer, []catalog.Campaign, error) {
	var offerItems []offerItem
	err := s.table.Get("kind", catalog.KindOffer).
		Filter("$ = ?", "status", catalog.OfferActive).
		Filter("attribute_not_exists($) OR $ = ?", "deleted", "deleted", false).
		All(ctx, &offerItems)
	if err != nil {
		return nil, nil, fmt.Errorf("load active offers: %w", err)
	}
	var campaignItems []campaignItem
	err = s.table.Get("kind", catalog.KindCampaign).
		Filter("attribute_not_exists($) OR $ = ?", "deleted", "deleted", false).
		All(ctx, &campaignItems)
	if err != nil {
		return nil, nil, fmt.Errorf("load campaigns: %w", err)
	}
	used := make(map[string]bool, len(campaignItems))
	offers := make([]catalog.Offer, len(offerItems))
	for i, it := range offerItems {
		offers[i] = fillOffer(it.Offer)
		used[it.CampaignID] = true
	}
	var campaigns []catalog.Campaign
	for _, it := range campaignItems {
		if used[it.ID] {
			campaigns = append(campaigns, fillCampaign(it.Campaign))
		}
	}
	return offers, campaigns, nil
}

// The cursor is the last id of a page, encoded so callers treat it as
// opaque (and a later change of paging need not break them).
const cursorPrefix = "c1:"

func (s *Catalog) listQuery(kind, cursor string) (*dynamo.Query, error) {
	q := s.table.Get("kind", kind).
		Filter("attribute_not_exists($) OR $ = ?", "deleted", "deleted", false)
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		after, ok := strings.CutPrefix(string(raw), cursorPrefix)
		if err != nil || !ok || after == "" {
			return nil, apperr.Invalid("cursor", "is not a cursor this API gave out; start again without it")
		}
		q = q.Range("id", dynamo.Greater, after)
	}
	return q, nil
}

func nextCursor[T any](more bool, page []T, id func(T) string) string {
	if !more || len(page) == 0 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + id(page[len(page)-1])))
}

// fillOffer gives lists that DynamoDB does not store when empty their
// empty value, so JSON shows [] rather than null.
func fillOffer(o catalog.Offer) catalog.Offer {
	if o.Channels == nil {
		o.Channels = []string{}
	}
	if o.Transitions == nil {
		o.Transitions = []catalog.Transition{}
	}
	return o
}

func fillCampaign(c catalog.Campaign) catalog.Campaign {
	if c.LoadGate.Queues == nil {
		c.LoadGate.Queues = []string{}
	}
	if c.Transitions == nil {
		c.Transitions = []catalog.Transition{}
	}
	return c
}
