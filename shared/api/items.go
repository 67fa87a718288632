package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/profiles"
)

// versioned is one kind of item the API keeps under a version (an offer, a
// campaign, a profile) and how the store reads, changes and deletes it. The
// store is reached through the server at request time.
type versioned[T any] struct {
	kind string
	// target reads and checks the path's {id}.
	target func(r *http.Request) (string, error)
	get    func(s *Server, ctx context.Context, id string) (T, error)
	update func(s *Server, ctx context.Context, id string, version int, change func(*T) error) (T, error)
	delete func(s *Server, ctx context.Context, id string, version int, by string, at time.Time) error
	// deleted tells a deleted item that is kept (nil: none is kept).
	deleted func(item T) bool
	// stamp records when and by whom the item last changed.
	stamp func(item *T, now time.Time, by string)
	// answer writes the item with its version as the ETag.
	answer func(w http.ResponseWriter, status int, item T)
}

var offerItems = versioned[catalog.Offer]{
	kind:   catalog.KindOffer,
	target: func(r *http.Request) (string, error) { return catalogID(r, catalog.KindOffer) },
	get: func(s *Server, ctx context.Context, id string) (catalog.Offer, error) {
		return s.deps.CatalogStore.GetOffer(ctx, id)
	},
	update: func(s *Server, ctx context.Context, id string, version int, change func(*catalog.Offer) error) (catalog.Offer, error) {
		return s.deps.CatalogStore.UpdateOffer(ctx, id, version, change)
	},
	delete: func(s *Server, ctx context.Context, id string, version int, by string, at time.Time) error {
		return s.deps.CatalogStore.DeleteOffer(ctx, id, version, by, at)
	},
	deleted: func(o catalog.Offer) bool { return o.Deleted },
	stamp:   func(o *catalog.Offer, now time.Time, by string) { o.UpdatedAt, o.UpdatedBy = now, by },
	answer:  func(w http.ResponseWriter, status int, o catalog.Offer) { writeItem(w, status, o.Version, o) },
}

var campaignItems = versioned[catalog.Campaign]{
	kind:   catalog.KindCampaign,
	target: func(r *http.Request) (string, error) { return catalogID(r, catalog.KindCampaign) },
	get: func(s *Server, ctx context.Context, id string) (catalog.Campaign, error) {
		return s.deps.CatalogStore.GetCampaign(ctx, id)
	},
	update: func(s *Server, ctx context.Context, id string, version int, change func(*catalog.Campaign) error) (catalog.Campaign, error) {
		return s.deps.CatalogStore.UpdateCampaign(ctx, id, version, change)
	},
	delete: func(s *Server, ctx context.Context, id string, version int, by string, at time.Time) error {
		return s.deps.CatalogStore.DeleteCampaign(ctx, id, version, by, at)
	},
	deleted: func(c catalog.Campaign) bool { return c.Deleted },
	stamp:   func(c *catalog.Campaign, now time.Time, by string) { c.UpdatedAt, c.UpdatedBy = now, by },
	answer:  func(w http.ResponseWriter, status int, c catalog.Campaign) { writeItem(w, status, c.Version, c) },
}

// profileItems has no delete: erasing a profile is its own flow.
var profileItems = versioned[profiles.Profile]{
	kind:   "profile",
	target: profileID,
	get: func(s *Server, ctx context.Context, id string) (profiles.Profile, error) {
		return s.deps.Profiles.Get(ctx, id)
	},
	update: func(s *Server, ctx context.Context, id string, version int, change func(*profiles.Profile) error) (profiles.Profile, error) {
		return s.deps.Profiles.Update(ctx, id, version, change)
	},
	// A profile's changes name no one: consent choices carry who recorded them.
	stamp:  func(p *profiles.Profile, now time.Time, _ string) { p.UpdatedAt = now },
	answer: writeProfile,
}

// writeItem answers with an item kept under a version, the version as its ETag.
func writeItem(w http.ResponseWriter, status, version int, item any) {
	withETag(w, version)
	writeJSON(w, status, item)
}

// writeCreated answers a create: where the new item lives, then the item.
func writeCreated[T any](w http.ResponseWriter, items versioned[T], location string, item T) {
	w.Header().Set("Location", location)
	items.answer(w, http.StatusCreated, item)
}

// newItemID is the id of an item being created: the one the body names, or
// a new one; a version in the body is refused, the server sets it.
func newItemID(id string, version *int, kind string) (string, apperr.Problems) {
	var problems apperr.Problems
	if version != nil {
		problems.Add("version", "is set by the server on create; leave it out")
	}
	if id == "" {
		id = catalog.NewID(kind)
	} else if !catalog.ValidID(id) {
		problems.Add("id", "must be 2-64 lower-case letters, digits, - or _, starting with a letter or digit")
	}
	return id, problems
}

// readItem answers GET of one item; a deleted item that is kept answers
// 404 unless ?includeDeleted=true.
func readItem[T any](s *Server, items versioned[T]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := items.target(r)
		if err == nil {
			var item T
			if item, err = items.get(s, r.Context(), id); err == nil {
				if items.deleted != nil && items.deleted(item) && !includeDeleted(r) {
					err = fmt.Errorf("%s %s was deleted (add ?includeDeleted=true to see it): %w", items.kind, id, apperr.ErrNotFound)
				} else {
					items.answer(w, http.StatusOK, item)
					return
				}
			}
		}
		writeError(w, r, err)
	})
}

// deleteItem answers DELETE of one item at the version If-Match or
// ?version= names.
func deleteItem[T any](s *Server, items versioned[T]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := items.target(r)
		var version int
		if err == nil {
			version, err = deleteVersion(r, items.kind)
		}
		if err == nil {
			err = items.delete(s, r.Context(), id, version, actor(r), s.now())
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// edit is one change in progress: the request, the item's id, and when and
// by whom it is made.
type edit struct {
	r   *http.Request
	id  string
	now time.Time
	by  string
}

// itemEdit is one kind of edit to an item kept under a version: a PUT, a
// status move, a checklist tick, a consent choice.
type itemEdit[In, T any] struct {
	// path, when set, checks what else the path names, before the body.
	path func(r *http.Request) error
	// decode reads the body: decodeJSON, or decodeCatalogJSON for bodies
	// that embed a spec.
	decode func(r *http.Request, dst any) error
	// check reads the version the edit is based on and checks the input.
	check func(r *http.Request, id string, in *In) (int, error)
	// change applies the edit to the stored item; an error stores nothing.
	change func(e edit, in *In, item *T) error
	// done, when set, runs after the change is stored.
	done func(e edit, item T)
}

// editItem is the one flow of every edit: read the path's id, decode the
// body, read the version and check the input, apply the change through the
// store under that version, stamped with when and by whom, and answer with
// the stored item and its version as the ETag. The first error answers.
func editItem[In, T any](s *Server, items versioned[T], e itemEdit[In, T]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := items.target(r)
		if err == nil && e.path != nil {
			err = e.path(r)
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		var in In
		if err := e.decode(r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		version, err := e.check(r, id, &in)
		if err != nil {
			writeError(w, r, err)
			return
		}
		at := edit{r: r, id: id, now: s.now(), by: actor(r)}
		item, err := items.update(s, r.Context(), id, version, func(item *T) error {
			if err := e.change(at, &in, item); err != nil {
				return err
			}
			items.stamp(item, at.now, at.by)
			return nil
		})
		if err != nil {
			writeError(w, r, err)
			return
		}
		if e.done != nil {
			e.done(at, item)
		}
		items.answer(w, http.StatusOK, item)
	})
}

// statusCheck reads the version of a status move, which may name none (the
// move then applies to the latest version), and requires the status.
func statusCheck(kind, statuses string) func(r *http.Request, id string, in *statusInput) (int, error) {
	return func(r *http.Request, _ string, in *statusInput) (int, error) {
		version, err := itemVersion(r, in.Version, kind)
		if err == nil && in.Status == "" {
			err = apperr.Invalid("status", "is required: one of %s", statuses)
		}
		return version, err
	}
}

// putVersion reads the version a PUT must name; its body may repeat the
// path's id but not change it. whose is the item's possessive in the
// message: "an offer's".
func putVersion(r *http.Request, version *int, bodyID, id, kind, whose string) (int, error) {
	v, err := requiredVersion(r, version, kind)
	if err == nil && bodyID != "" && bodyID != id {
		err = apperr.Invalid("id", "is %q but the path names %q; %s id cannot change", bodyID, id, whose)
	}
	return v, err
}
