package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/rules"
)

// CatalogStore is what the offers and campaigns resources need from
// storage. Updates apply change to the item at version (0: the latest, for
// status moves that name no version) and bump the version; a stale version
// is ErrConflict, and a change that returns an error stores nothing.
type CatalogStore interface {
	CreateOffer(ctx context.Context, o catalog.Offer) (catalog.Offer, error)
	GetOffer(ctx context.Context, id string) (catalog.Offer, error)
	UpdateOffer(ctx context.Context, id string, version int, change func(*catalog.Offer) error) (catalog.Offer, error)
	DeleteOffer(ctx context.Context, id string, version int, by string, at time.Time) error
	ListOffers(ctx context.Context, f catalog.OfferFilter, limit int, cursor string) ([]catalog.Offer, string, error)

	CreateCampaign(ctx context.Context, c catalog.Campaign) (catalog.Campaign, error)
	GetCampaign(ctx context.Context, id string) (catalog.Campaign, error)
	UpdateCampaign(ctx context.Context, id string, version int, change func(*catalog.Campaign) error) (catalog.Campaign, error)
	DeleteCampaign(ctx context.Context, id string, version int, by string, at time.Time) error
	ListCampaigns(ctx context.Context, f catalog.CampaignFilter, limit int, cursor string) ([]catalog.Campaign, string, error)
}

// offerInput is the body of POST and PUT /v1/offers: the marketer's part
// of an offer, an optional id on create, and the version read on update.
type offerInput struct {
	ID string `json:"id,omitempty"`
	catalog.OfferSpec
	Version *int `json:"version,omitempty"`
}

// statusInput is the body of POST /v1/offers/{id}/status and
// /v1/campaigns/{id}/status.
type statusInput struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Version is optional: when given (or sent as If-Match), a stale one
	// is refused; without it the move applies to the latest version.
	Version *int `json:"version,omitempty"`
}

// decodeCatalogJSON is decodeJSON for bodies that embed a catalog spec:
// encoding/json names a type error's field with the embedded Go type
// ("OfferSpec.businessLever"); the caller only knows the JSON path.
func decodeCatalogJSON(r *http.Request, dst any) error {
	err := decodeJSON(r, dst)
	ps, ok := apperr.AsProblems(err)
	if !ok {
		return err
	}
	out := make(apperr.Problems, len(ps))
	for i, p := range ps {
		parts := strings.Split(p.Field, ".")
		parts = slices.DeleteFunc(parts, func(s string) bool { return s != "" && s[0] >= 'A' && s[0] <= 'Z' })
		if len(parts) > 0 {
			p.Field = strings.Join(parts, ".")
		}
		out[i] = p
	}
	return out
}

// catalogID reads {id}: a malformed id cannot name an offer or campaign.
func catalogID(r *http.Request, kind string) (string, error) {
	id := r.PathValue("id")
	if !catalog.ValidID(id) {
		return "", fmt.Errorf("no %s %q: %w", kind, id, apperr.ErrNotFound)
	}
	return id, nil
}

// itemVersion reads the version an edit is based on, from the body or
// from If-Match (the ETag of a read); 0 when neither names one.
func itemVersion(r *http.Request, body *int, kind string) (int, error) {
	header := 0
	if h := strings.TrimSpace(r.Header.Get("If-Match")); h != "" {
		n, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(h, "W/"), `"`))
		if err != nil || n < 1 {
			return 0, apperr.Invalid("If-Match", `must be the %s's version as its ETag shows it, e.g. "3"`, kind)
		}
		header = n
	}
	switch {
	case body != nil && *body < 1:
		return 0, apperr.Invalid("version", "must be a whole number from 1")
	case body != nil && header != 0 && *body != header:
		return 0, apperr.Invalid("version", "is %d but If-Match says %d; send one or make them agree", *body, header)
	case body != nil:
		return *body, nil
	}
	return header, nil
}

// requiredVersion is itemVersion for edits that must name a version.
func requiredVersion(r *http.Request, body *int, kind string) (int, error) {
	v, err := itemVersion(r, body, kind)
	if err == nil && v == 0 {
		err = apperr.Invalid("version", "is required: send the version you read, in the body or as If-Match")
	}
	return v, err
}

// deleteVersion reads the version of a DELETE: If-Match or ?version=.
func deleteVersion(r *http.Request, kind string) (int, error) {
	var body *int
	if q := r.URL.Query().Get("version"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil {
			return 0, apperr.Invalid("version", "must be a whole number from 1")
		}
		body = &n
	}
	return requiredVersion(r, body, kind)
}

func withETag(w http.ResponseWriter, version int) {
	w.Header().Set("ETag", strconv.Quote(strconv.Itoa(version)))
}

// includeDeleted reads ?includeDeleted=true, which shows a deleted item
// (kept because a decision referenced it) instead of 404.
func includeDeleted(r *http.Request) bool { return r.URL.Query().Get("includeDeleted") == "true" }

// campaignMustExist names the campaignId field when the campaign is
// unknown or deleted.
func (s *Server) campaignMustExist(ctx context.Context, id string) error {
	c, err := s.deps.CatalogStore.GetCampaign(ctx, id)
	switch {
	case errors.Is(err, apperr.ErrNotFound) || (err == nil && c.Deleted):
		return apperr.Invalid("campaignId", "there is no campaign %q; create it first", id)
	case err != nil:
		return err
	}
	return nil
}

// checkOffer normalizes and validates an offer spec, including that its
// campaign exists.
func (s *Server) checkOffer(ctx context.Context, spec *catalog.OfferSpec) error {
	spec.Normalize()
	if err := spec.Validate(rules.Check); err != nil {
		return err
	}
	return s.campaignMustExist(ctx, spec.CampaignID)
}

func (s *Server) createOffer() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in offerInput
		if err := decodeCatalogJSON(r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		var problems apperr.Problems
		in.ID, problems = newItemID(in.ID, in.Version, catalog.KindOffer)
		if err := problems.Err(); err != nil {
			writeError(w, r, err)
			return
		}
		if err := s.checkOffer(r.Context(), &in.OfferSpec); err != nil {
			writeError(w, r, err)
			return
		}
		now, by := s.now(), actor(r)
		o, err := s.deps.CatalogStore.CreateOffer(r.Context(), catalog.Offer{
			ID: in.ID, OfferSpec: in.OfferSpec, Status: catalog.OfferDraft,
			CreatedAt: now, UpdatedAt: now, CreatedBy: by, UpdatedBy: by,
		})
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeCreated(w, offerItems, "/v1/offers/"+o.ID, o)
	})
}

func (s *Server) getOffer() http.Handler { return readItem(s, offerItems) }

func (s *Server) listOffers() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paging, err := pagingFrom(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		q := r.URL.Query()
		f := catalog.OfferFilter{CampaignID: q.Get("campaignId"), Channel: q.Get("channel")}
		var problems apperr.Problems
		if st := q.Get("status"); st != "" {
			if f.Status, err = catalog.ParseOfferStatus(st); err != nil {
				problems.Add("status", "%v", err)
			}
		}
		if f.Channel != "" && !slices.Contains(catalog.Channels, f.Channel) {
			problems.Add("channel", "must be one of %s, not %q", strings.Join(catalog.Channels, ", "), f.Channel)
		}
		if err := problems.Err(); err != nil {
			writeError(w, r, err)
			return
		}
		items, next, err := s.deps.CatalogStore.ListOffers(r.Context(), f, paging.Limit, paging.Cursor)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, Page[catalog.Offer]{Items: nonNil(items), NextCursor: next})
	})
}

func (s *Server) updateOffer() http.Handler {
	return editItem(s, offerItems, itemEdit[offerInput, catalog.Offer]{
		decode: decodeCatalogJSON,
		check: func(r *http.Request, id string, in *offerInput) (int, error) {
			version, err := putVersion(r, in.Version, in.ID, id, catalog.KindOffer, "an offer's")
			if err == nil {
				err = s.checkOffer(r.Context(), &in.OfferSpec)
			}
			return version, err
		},
		change: func(e edit, in *offerInput, o *catalog.Offer) error {
			if o.Status == catalog.OfferRetired {
				return fmt.Errorf("%w: offer %s is retired and cannot change; create a new offer", apperr.ErrConflict, e.id)
			}
			o.OfferSpec = in.OfferSpec
			return nil
		},
	})
}

func (s *Server) deleteOffer() http.Handler { return deleteItem(s, offerItems) }

func (s *Server) moveOffer() http.Handler {
	return editItem(s, offerItems, itemEdit[statusInput, catalog.Offer]{
		decode: decodeJSON,
		check:  statusCheck(catalog.KindOffer, "draft, active, paused, retired"),
		change: func(e edit, in *statusInput, o *catalog.Offer) error {
			return o.Transition(catalog.OfferStatus(in.Status), e.by, in.Reason, e.now)
		},
	})
}

// ruleInput is the body of POST /v1/rules/validate.
type ruleInput struct {
	Source string `json:"source"`
}

// ruleCheck answers whether a rule compiles, and where it does not.
type ruleCheck struct {
	OK       bool          `json:"ok"`
	Problems []rules.Issue `json:"problems"`
}

func (s *Server) validateRule() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in ruleInput
		if err := decodeJSON(r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		out := ruleCheck{OK: true, Problems: []rules.Issue{}}
		if _, err := rules.Compile(in.Source); err != nil {
			var ce *rules.CompileError
			if !errors.As(err, &ce) {
				writeError(w, r, err)
				return
			}
			out = ruleCheck{OK: false, Problems: ce.Issues}
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (s *Server) ruleVariables() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"variables": rules.Variables})
	})
}
