package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/profiles"
)

// ProfileStore is what the profiles resource needs from storage.
type ProfileStore interface {
	// Create stores a new profile with a fresh id at version 1; an identity
	// of another profile is ErrConflict, an erased one ErrSuppressed.
	Create(ctx context.Context, p profiles.Profile) (profiles.Profile, error)
	// Get reads a profile; ErrNotFound when unknown, ErrSuppressed when erased.
	Get(ctx context.Context, id string) (profiles.Profile, error)
	// Update applies change to the current profile when its version is
	// version (0: any version) and bumps the version; ErrConflict when stale.
	Update(ctx context.Context, id string, version int, change func(*profiles.Profile) error) (profiles.Profile, error)
	// LookupByIdentity finds the profile of an identity key.
	LookupByIdentity(ctx context.Context, key identity.Key) (profiles.Profile, error)
	// Erase removes the profile and leaves suppression entries for its
	// identities; erasing an erased profile again is not an error.
	Erase(ctx context.Context, id string, at time.Time) error
}

// Eraser removes what one store holds about a profile when the person asks
// to be forgotten (contacts, offer history). It must be idempotent: a
// retried erasure runs every eraser again.
type Eraser interface {
	EraseProfile(ctx context.Context, profileID string) error
}

// EraserFunc lets a plain function be an Eraser.
type EraserFunc func(ctx context.Context, profileID string) error

// EraseProfile calls f.
func (f EraserFunc) EraseProfile(ctx context.Context, profileID string) error {
	return f(ctx, profileID)
}

// profileView is a profile as the API shows it: identities by kind only
// ("phone", "email", "customer", "handle"), never a raw value or a hash.
type profileView struct {
	profiles.Profile
	Identities []identity.Kind `json:"identities"`
}

func profileViewOf(p profiles.Profile) profileView {
	v := profileView{Profile: p, Identities: []identity.Kind{}}
	for _, k := range p.Identities {
		v.Identities = append(v.Identities, k.Kind())
	}
	// Empty lists show as [] rather than null.
	v.Segments = nonNil(v.Segments)
	v.Products = nonNil(v.Products)
	v.LifeEvents = nonNil(v.LifeEvents)
	v.RecentContacts = nonNil(v.RecentContacts)
	v.RecentOffers = nonNil(v.RecentOffers)
	if v.Consent == nil {
		v.Consent = map[string]profiles.Consent{}
	}
	return v
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// writeProfile answers with the profile and its version as the ETag.
func writeProfile(w http.ResponseWriter, status int, p profiles.Profile) {
	writeItem(w, status, p.Version, profileViewOf(p))
}

// now is the request's clock reading, UTC, to the millisecond.
func (s *Server) now() time.Time { return s.deps.Clock().UTC().Truncate(time.Millisecond) }

// profileID reads {id}; a malformed id cannot name a profile.
func profileID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !profiles.ValidID(id) {
		return "", fmt.Errorf("profile %q: %w", id, apperr.ErrNotFound)
	}
	return id, nil
}

func (s *Server) createProfile() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in profiles.Input
		if err := decodeJSON(r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		now := s.now()
		p, err := in.Build(s.identity, now)
		if err != nil {
			writeError(w, r, err)
			return
		}
		by := actor(r)
		for ch, c := range p.Consent {
			c.UpdatedBy = by
			p.Consent[ch] = c
		}
		p.CreatedAt, p.UpdatedAt = now, now
		p, err = s.deps.Profiles.Create(r.Context(), p)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeCreated(w, profileItems, "/v1/profiles/"+p.ID, p)
	})
}

func (s *Server) getProfile() http.Handler { return readItem(s, profileItems) }

func (s *Server) updateProfile() http.Handler {
	return editItem(s, profileItems, itemEdit[profiles.Input, profiles.Profile]{
		decode: decodeJSON,
		check: func(r *http.Request, _ string, in *profiles.Input) (int, error) {
			return requiredVersion(r, in.Version, profileItems.kind)
		},
		change: func(e edit, in *profiles.Input, p *profiles.Profile) error {
			return in.Apply(s.identity, e.now, p)
		},
	})
}

// lookupKeys are the query parameters a profile can be found by.
var lookupKeys = []string{"phone", "email", "customerId"}

func (s *Server) lookupProfile() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := s.lookupKey(r)
		if err == nil {
			var p profiles.Profile
			if p, err = s.deps.Profiles.LookupByIdentity(r.Context(), key); err == nil {
				writeProfile(w, http.StatusOK, p)
				return
			}
		}
		writeError(w, r, err)
	})
}

// lookupKey hashes the one identity the query names. The raw value goes no
// further than this function.
func (s *Server) lookupKey(r *http.Request) (identity.Key, error) {
	q := r.URL.Query()
	var given []string
	for _, name := range lookupKeys {
		if q.Has(name) {
			given = append(given, name)
		}
	}
	if len(given) != 1 {
		return "", apperr.Invalid("query", "needs exactly one of phone, email or customerId (got %d)", len(given))
	}
	value := q.Get(given[0])
	switch given[0] {
	case "phone":
		// An unencoded + in a query string arrives as a space.
		if rest, ok := strings.CutPrefix(value, " "); ok {
			value = "+" + rest
		}
		return s.identity.Phone(value)
	case "email":
		return s.identity.Email(value)
	default:
		return s.identity.CustomerID(value)
	}
}

// consentRequest records a customer's marketing choices, channel by channel.
type consentRequest struct {
	// Consent maps a channel (voice, chat, task, email, sms or all) to opt_in or opt_out.
	Consent map[string]string `json:"consent"`
	// Source is where the customer said it: call, chat, web, ...
	Source string `json:"source"`
	// Version is optional: when given (or sent as If-Match), a stale one is refused.
	Version *int `json:"version,omitempty"`
}

func (s *Server) updateConsent() http.Handler {
	return editItem(s, profileItems, itemEdit[consentRequest, profiles.Profile]{
		decode: decodeJSON,
		// Without a version the choice applies to the latest profile: an
		// opt-out must not be lost to a concurrent edit.
		check: func(r *http.Request, _ string, in *consentRequest) (int, error) {
			return itemVersion(r, in.Version, profileItems.kind)
		},
		change: func(e edit, in *consentRequest, p *profiles.Profile) error {
			return p.SetConsent(in.Consent, in.Source, e.by, e.now)
		},
	})
}

func (s *Server) eraseProfile() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := profileID(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		ctx := r.Context()
		if err := s.deps.Profiles.Erase(ctx, id, s.now()); err != nil {
			writeError(w, r, err)
			return
		}
		// The profile is gone and its identities suppressed; now the other
		// stores. A failure answers 500 and a retried DELETE runs them all again.
		var errs []error
		for _, e := range s.deps.Erasers {
			if err := e.EraseProfile(ctx, id); err != nil {
				errs = append(errs, err)
			}
		}
		if err := errors.Join(errs...); err != nil {
			writeError(w, r, fmt.Errorf("erase profile %s from other stores: %w", id, err))
			return
		}
		s.deps.Log.InfoContext(ctx, "profile erased", "profile_id", id, "by", actor(r))
		w.WriteHeader(http.StatusNoContent)
	})
}
