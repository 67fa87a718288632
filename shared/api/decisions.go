package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/decide"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/offer/decision"
	"github.com/conduit-cx/conduit/shared/profiles"
)

// CatalogView gives the catalog, propensities and load holds in force, as
// the offer function sees them.
type CatalogView interface {
	Get(ctx context.Context) (*decision.View, error)
}

// ContactReader reads what is known of a contact.
type ContactReader interface {
	ReadContact(ctx context.Context, contactID string) (contacts.Contact, error)
}

// simulateRequest asks what the engine would decide for a customer in a
// contact context. The customer is a stored profile (by id, phone, email or
// customer id), or an inline profile, or nobody (anonymous).
type simulateRequest struct {
	ProfileID  string          `json:"profileId,omitempty"`
	Phone      string          `json:"phone,omitempty"`
	Email      string          `json:"email,omitempty"`
	CustomerID string          `json:"customerId,omitempty"`
	Profile    *profiles.Input `json:"profile,omitempty"`
	Contact    decide.Contact  `json:"contact"`
	// At is the moment to decide for; now when absent.
	At *time.Time `json:"at,omitempty"`
}

type simulateResponse struct {
	ProfileID string          `json:"profileId,omitempty"`
	Decision  decide.Decision `json:"decision"`
	// CatalogLoadedAt is when the catalog the decision used was read.
	CatalogLoadedAt time.Time `json:"catalogLoadedAt"`
	Recorded        bool      `json:"recorded"`
}

// simulateDecision runs the real engine without recording anything and
// answers the full explanation: every offer, what dropped it or how it
// scored, and the winner.
func (s *Server) simulateDecision() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req simulateRequest
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, err)
			return
		}
		now := s.deps.Clock().UTC()
		if req.At != nil {
			now = req.At.UTC()
		}
		in := decide.Input{Now: now, Contact: req.Contact}
		if in.Contact.Channel == "" {
			in.Contact.Channel = profiles.ChannelVoice
		}
		if in.Contact.ContactID == "" {
			in.Contact.ContactID = "simulation"
		}
		p, suppressed, err := s.simulatedCustomer(r.Context(), req, now)
		if err != nil {
			writeError(w, r, err)
			return
		}
		in.Profile, in.Suppressed = p, suppressed
		view, err := s.deps.Catalog.Get(r.Context())
		if err != nil {
			writeError(w, r, err)
			return
		}
		in.Propensity = view.Propensity
		in.Held = view.Held(in.Contact.Queue)
		out := simulateResponse{Decision: decide.Decide(in, view.Snapshot, s.deps.Policy), CatalogLoadedAt: view.LoadedAt}
		if p != nil {
			out.ProfileID = p.ID
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// simulatedCustomer resolves who the simulation is for; exactly one way of
// naming the customer may be used.
func (s *Server) simulatedCustomer(ctx context.Context, req simulateRequest, now time.Time) (*profiles.Profile, bool, error) {
	named := 0
	for _, v := range []bool{req.ProfileID != "", req.Phone != "", req.Email != "", req.CustomerID != "", req.Profile != nil} {
		if v {
			named++
		}
	}
	if named > 1 {
		return nil, false, apperr.Invalid("profileId", "name the customer one way only: profileId, phone, email, customerId or profile")
	}
	var p profiles.Profile
	var err error
	switch {
	case req.Profile != nil:
		in := *req.Profile
		if in.Phone == "" && in.Email == "" && in.CustomerID == "" {
			// Inline attributes need no identity: nothing is stored.
			in.CustomerID = "simulation"
		}
		p, err = in.Build(s.identity, now)
		if err != nil {
			if problems, ok := apperr.AsProblems(err); ok {
				for i := range problems {
					problems[i].Field = "profile." + problems[i].Field
				}
				return nil, false, problems
			}
			return nil, false, err
		}
		p.ID = "simulated"
		return &p, false, nil
	case req.ProfileID != "":
		p, err = s.deps.Profiles.Get(ctx, req.ProfileID)
	case req.Phone != "":
		p, err = s.lookupBy(ctx, s.identity.Phone, req.Phone)
	case req.Email != "":
		p, err = s.lookupBy(ctx, s.identity.Email, req.Email)
	case req.CustomerID != "":
		p, err = s.lookupBy(ctx, s.identity.CustomerID, req.CustomerID)
	default:
		return nil, false, nil
	}
	switch {
	case errors.Is(err, apperr.ErrSuppressed):
		return nil, true, nil
	case err != nil:
		return nil, false, err
	}
	return &p, false, nil
}

func (s *Server) lookupBy(ctx context.Context, hash func(string) (identity.Key, error), raw string) (profiles.Profile, error) {
	key, err := hash(raw)
	if err != nil {
		return profiles.Profile{}, err
	}
	return s.deps.Profiles.LookupByIdentity(ctx, key)
}

type contactDecisionView struct {
	ContactID string             `json:"contactId"`
	Decision  *contacts.Decision `json:"decision"`
	Outcome   *contacts.Outcome  `json:"outcome,omitempty"`
}

// getContactDecision answers what was decided for a contact, and what came of it.
func (s *Server) getContactDecision() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.deps.Contacts.ReadContact(r.Context(), r.PathValue("contactId"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		if c.Decision == nil {
			writeError(w, r, &httpError{http.StatusNotFound, "not_found", "no decision was made on contact " + c.ContactID})
			return
		}
		writeJSON(w, http.StatusOK, contactDecisionView{ContactID: c.ContactID, Decision: c.Decision, Outcome: c.Outcome})
	})
}
