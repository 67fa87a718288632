package offer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/logging"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/store"
)

// OutcomeStore is the storage the outcome path needs.
type OutcomeStore interface {
	ReadContact(ctx context.Context, contactID string) (contacts.Contact, error)
	RecordOutcome(ctx context.Context, contactID, offerID string, o contacts.Outcome) (first bool, err error)
}

// ProfileMutator applies a machine change to a profile.
type ProfileMutator interface {
	Mutate(ctx context.Context, id string, change func(*profiles.Profile) error) (profiles.Profile, error)
}

// OutcomeDeps are the outcome handler's collaborators.
type OutcomeDeps struct {
	Store     OutcomeStore
	Profiles  ProfileMutator
	Publisher Publisher
	Clock     func() time.Time
	Log       *slog.Logger
}

// OutcomeHandler answers the `outcome` function's invocations.
type OutcomeHandler struct{ d OutcomeDeps }

// NewOutcomeHandler returns the outcome handler.
func NewOutcomeHandler(d OutcomeDeps) *OutcomeHandler {
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &OutcomeHandler{d: d}
}

// Parameters of the outcome function.
const (
	ParamDecisionID = "decisionId"
	ParamOutcome    = "outcome"
	ParamSource     = "source"
)

// Keys and values of the outcome function's answer.
const (
	KeyStatus       = "status"
	KeyMessage      = "message"
	StatusRecorded  = "recorded"
	StatusDuplicate = "duplicate"
	StatusRefused   = "refused"
	StatusError     = "error"
)

// Handle records one outcome. Like the offer path it answers a flat map
// and never fails the flow: status says what happened, reason why not.
func (h *OutcomeHandler) Handle(ctx context.Context, payload json.RawMessage) (ans connect.Response, _ error) {
	defer func() {
		if p := recover(); p != nil {
			h.d.Log.ErrorContext(ctx, "panic while recording an outcome", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			ans = outcomeAnswer(StatusError, ReasonInternalError, "Conduit hit an error; the outcome was not recorded.", "", "")
		}
	}()
	ev, err := connect.DecodeFlowEvent(payload)
	ctx = logging.WithContactID(ctx, ev.ContactID())
	if err != nil {
		h.d.Log.WarnContext(ctx, "outcome event refused", "problem", err.Error())
		return outcomeAnswer(StatusRefused, ReasonInvalidEvent, err.Error(), "", ""), nil
	}
	decisionID, _ := ev.Lookup(ParamDecisionID)
	decisionID = strings.TrimSpace(decisionID)
	outcome, _ := ev.Lookup(ParamOutcome)
	outcome = strings.ToLower(strings.TrimSpace(outcome))
	var problems apperr.Problems
	if decisionID == "" {
		problems.Add(ParamDecisionID, "is required: pass the decisionId the offer function answered")
	}
	switch outcome {
	case contacts.OutcomeAccepted, contacts.OutcomeDeclined, contacts.OutcomeLater:
	default:
		problems.Add(ParamOutcome, "must be accepted, declined or later")
	}
	if problems != nil {
		return outcomeAnswer(StatusRefused, "invalid_input", problems.Error(), decisionID, outcome), nil
	}

	contact, err := h.findDecision(ctx, ev, decisionID)
	switch {
	case errors.Is(err, apperr.ErrNotFound):
		h.d.Log.WarnContext(ctx, "outcome for an unknown decision", "decision_id", decisionID)
		return outcomeAnswer(StatusRefused, "unknown_decision", "No decision "+decisionID+" was made on this contact.", decisionID, outcome), nil
	case err != nil:
		h.d.Log.ErrorContext(ctx, "contact unreadable", "error", err.Error())
		return outcomeAnswer(StatusError, ReasonStorage, "Conduit could not read the contact; retry.", decisionID, outcome), nil
	}
	d := contact.Decision
	if !d.Shown {
		return outcomeAnswer(StatusRefused, "nothing_offered", "Decision "+decisionID+" showed no offer, so it can have no outcome.", decisionID, outcome), nil
	}
	source, _ := ev.Lookup(ParamSource)
	if source == "" {
		source = "flow"
	}
	now := h.d.Clock().UTC()
	rec := contacts.Outcome{DecisionID: decisionID, Outcome: outcome, At: now, Source: source}
	if outcome == contacts.OutcomeAccepted {
		rec.Value = d.Value
	}
	first, err := h.d.Store.RecordOutcome(ctx, contact.ContactID, d.OfferID, rec)
	switch {
	case errors.Is(err, store.ErrOutcomeExists):
		return outcomeAnswer(StatusRefused, "outcome_exists", "Decision "+decisionID+" already has a different outcome.", decisionID, outcome), nil
	case err != nil:
		h.d.Log.ErrorContext(ctx, "outcome not recorded", "error", err.Error())
		return outcomeAnswer(StatusError, ReasonStorage, "Conduit could not record the outcome; retry.", decisionID, outcome), nil
	}
	// The profile and the stream are brought up to date on a retry as well,
	// in case the first attempt stopped half way; both are idempotent.
	if d.ProfileID != "" {
		_, err := h.d.Profiles.Mutate(ctx, d.ProfileID, func(p *profiles.Profile) error {
			// The outcome usually comes before the contact record, so it
			// brings the exposure to the profile itself.
			added := contacts.RecordExposure(p, &contact)
			if !p.RecordOutcome(decisionID, outcome, now) && !added {
				return profiles.ErrUnchanged
			}
			return nil
		})
		if err != nil && !errors.Is(err, apperr.ErrNotFound) && !errors.Is(err, apperr.ErrSuppressed) {
			h.d.Log.ErrorContext(ctx, "profile not updated with the outcome", "error", err.Error())
		}
	}
	if h.d.Publisher != nil {
		e := Event{
			SchemaVersion: EventSchemaVersion, Type: EventOutcome, DecisionID: decisionID,
			ContactID: contact.ContactID, ProfileID: d.ProfileID, At: now, Channel: contact.Channel, Queue: contact.Queue,
			OfferID: d.OfferID, CampaignID: d.CampaignID, Variant: d.Variant, Shown: d.Shown, Outcome: outcome, Value: rec.Value,
		}
		if err := h.d.Publisher.Publish(ctx, e); err != nil {
			h.d.Log.ErrorContext(ctx, "outcome event not published", "error", err.Error())
		}
	}
	status := StatusRecorded
	if !first {
		status = StatusDuplicate
	}
	h.d.Log.InfoContext(ctx, "outcome recorded", "decision_id", decisionID, "outcome", outcome, "status", status)
	return outcomeAnswer(status, "", "", decisionID, outcome), nil
}

// findDecision finds the contact that carries the decision: this contact,
// or the one it was transferred from.
func (h *OutcomeHandler) findDecision(ctx context.Context, ev connect.FlowEvent, decisionID string) (contacts.Contact, error) {
	c := ev.Contact()
	tried := map[string]bool{}
	for _, id := range []string{c.ContactID, c.InitialContactID, c.PreviousContactID} {
		if id == "" || tried[id] {
			continue
		}
		tried[id] = true
		contact, err := h.d.Store.ReadContact(ctx, id)
		if errors.Is(err, apperr.ErrNotFound) {
			continue
		}
		if err != nil {
			return contacts.Contact{}, err
		}
		if contact.Decision != nil && contact.Decision.DecisionID == decisionID {
			return contact, nil
		}
	}
	return contacts.Contact{}, apperr.ErrNotFound
}

func outcomeAnswer(status, reason, message, decisionID, outcome string) connect.Response {
	r, _ := connect.NewResponse(
		connect.Pair{Key: KeyStatus, Value: status},
		connect.Pair{Key: KeyReason, Value: reason},
		connect.Pair{Key: KeyDecisionID, Value: decisionID},
		connect.Pair{Key: KeyOutcome, Value: outcome},
		connect.Pair{Key: KeyMessage, Value: message},
	)
	return r
}
