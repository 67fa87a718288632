package offer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/logging"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/voice"
)

// SurveyStore writes survey answers onto contact items.
type SurveyStore interface {
	RecordSurvey(ctx context.Context, contactID string, s contacts.Survey, o store.SurveyOptions) (contacts.Contact, bool, error)
}

// SurveyProfiles finds a customer by identity and puts the answer on the profile.
type SurveyProfiles interface {
	ProfileMutator
	LookupByIdentity(ctx context.Context, key identity.Key) (profiles.Profile, error)
}

// SurveyRecorder records post-contact survey answers, for the survey
// function (a contact flow after the call) and the API (a survey tool).
type SurveyRecorder struct {
	Store    SurveyStore
	Profiles SurveyProfiles
	Log      *slog.Logger
}

// SurveyResult is what a recorded answer did.
type SurveyResult struct {
	// Survey is the answer stored: on a retry, the first one.
	Survey contacts.Survey
	// First is false when the same answer was recorded before.
	First bool
	// ProfileID is the customer whose profile holds the answer, if known.
	ProfileID string
}

// SurveyAnswer is one answer to record.
type SurveyAnswer struct {
	ContactID string
	Survey    contacts.Survey
	// Customer identifies the customer when the contact is not linked to a
	// profile yet (the caller's phone, a customer id); "" when unknown.
	Customer identity.Key
	// MustExist refuses a contact Conduit has never heard of.
	MustExist bool
}

// Record writes the answer on the contact once, then onto the customer's
// profile (last survey score and time), where a low score makes the
// empathy gate hold offers on the next contacts for a while. A retry of the
// same answer is recorded again on the profile, in case the first attempt
// stopped half way; both writes are idempotent. Errors: apperr.ErrNotFound
// (unknown contact, with MustExist), store.ErrSurveyExists (a different
// answer is there), or a storage error.
func (r *SurveyRecorder) Record(ctx context.Context, a SurveyAnswer) (SurveyResult, error) {
	link := ""
	if a.Customer.Valid() {
		p, err := r.Profiles.LookupByIdentity(ctx, a.Customer)
		switch {
		case err == nil:
			link = p.ID
		case errors.Is(err, apperr.ErrNotFound), errors.Is(err, apperr.ErrSuppressed):
		default:
			return SurveyResult{}, fmt.Errorf("identify the customer: %w", err)
		}
	}
	c, first, err := r.Store.RecordSurvey(ctx, a.ContactID, a.Survey, store.SurveyOptions{MustExist: a.MustExist, ProfileID: link})
	if err != nil {
		return SurveyResult{}, err
	}
	res := SurveyResult{Survey: a.Survey, First: first, ProfileID: c.ProfileID}
	if c.Survey != nil {
		res.Survey = *c.Survey
	}
	if res.ProfileID == "" {
		return res, nil
	}
	_, err = r.Profiles.Mutate(ctx, res.ProfileID, func(p *profiles.Profile) error {
		if !voice.RecordSurvey(&p.Voice, res.Survey) {
			return profiles.ErrUnchanged
		}
		return nil
	})
	switch {
	case err == nil:
	case errors.Is(err, apperr.ErrNotFound), errors.Is(err, apperr.ErrSuppressed):
		// The profile is gone or erased: the answer stays on the contact only.
		res.ProfileID = ""
	default:
		return res, fmt.Errorf("put the survey on the profile: %w", err)
	}
	return res, nil
}

// Parameters of the survey function: block parameters, or contact
// attributes of the same name (the score also as conduit_surveyScore, the
// attribute the contact-record consumer reads).
const (
	ParamSurveyScore   = "surveyScore"
	ParamSurveyComment = "surveyComment"
)

// Key of the survey function's answer besides status, reason and message.
const KeySurveyScore = "surveyScore"

// Reasons of the survey function's refusals.
const (
	ReasonInvalidInput = "invalid_input"
	ReasonSurveyExists = "survey_exists"
)

// SurveyDeps are the survey handler's collaborators.
type SurveyDeps struct {
	Recorder *SurveyRecorder
	Hasher   identity.Hasher
	// Deadline bounds the handler's own work, well under the flow timeout.
	Deadline time.Duration
	Clock    func() time.Time
	Log      *slog.Logger
}

// SurveyHandler answers the `survey` function: a contact flow, after the
// conversation, passes the customer's 1-5 score and an optional comment.
type SurveyHandler struct{ d SurveyDeps }

// NewSurveyHandler returns the survey handler.
func NewSurveyHandler(d SurveyDeps) *SurveyHandler {
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Deadline <= 0 {
		d.Deadline = time.Second
	}
	return &SurveyHandler{d: d}
}

// Handle records one survey answer. Like the offer path it answers a flat
// map and never fails the flow: status is recorded, duplicate, refused
// (with the reason) or error.
func (h *SurveyHandler) Handle(ctx context.Context, payload json.RawMessage) (ans connect.Response, _ error) {
	defer func() {
		if p := recover(); p != nil {
			h.d.Log.ErrorContext(ctx, "panic while recording a survey", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			ans = surveyAnswer(StatusError, ReasonInternalError, "Conduit hit an error; the survey was not recorded.", 0)
		}
	}()
	ev, err := connect.DecodeFlowEvent(payload)
	ctx = logging.WithContactID(ctx, ev.ContactID())
	if err != nil {
		h.d.Log.WarnContext(ctx, "survey event refused", "problem", err.Error())
		return surveyAnswer(StatusRefused, ReasonInvalidEvent, err.Error(), 0), nil
	}
	raw, ok := ev.Param(ParamSurveyScore)
	for _, name := range contacts.AttributeSurveyScore {
		if ok {
			break
		}
		raw, ok = ev.Attribute(name)
	}
	score, valid := voice.ParseScore(raw)
	if !valid {
		score = -1
	}
	comment, _ := ev.Lookup(ParamSurveyComment)
	comment = strings.TrimSpace(comment)
	if problems := voice.SurveyProblems(score, comment, ParamSurveyScore, ParamSurveyComment); problems != nil {
		return surveyAnswer(StatusRefused, ReasonInvalidInput, problems.Error(), 0), nil
	}
	source, _ := ev.Lookup(ParamSource)
	if source = strings.TrimSpace(source); source == "" || len(source) > 40 {
		source = "flow"
	}
	ctx, cancel := context.WithTimeout(ctx, h.d.Deadline)
	defer cancel()
	res, err := h.d.Recorder.Record(ctx, SurveyAnswer{
		ContactID: ev.ContactID(),
		Survey:    contacts.Survey{Score: score, Comment: comment, At: h.d.Clock().UTC(), Source: source},
		Customer:  identifyCaller(ev, h.d.Hasher),
	})
	switch {
	case errors.Is(err, store.ErrSurveyExists):
		return surveyAnswer(StatusRefused, ReasonSurveyExists, "This contact already has a different survey answer; the first one stays.", score), nil
	case err != nil:
		h.d.Log.ErrorContext(ctx, "survey not recorded", "error", err.Error())
		return surveyAnswer(StatusError, ReasonStorage, "Conduit could not record the survey; retry.", score), nil
	}
	status := StatusRecorded
	if !res.First {
		status = StatusDuplicate
	}
	// The comment is the customer's own words: never logged.
	h.d.Log.InfoContext(ctx, "survey recorded", "score", res.Survey.Score, "status", status, "profile_linked", res.ProfileID != "")
	return surveyAnswer(status, "", "", res.Survey.Score), nil
}

// identifyCaller is the customer's identity key from the flow: a customer
// id parameter wins over the caller's phone number (Connect's canonical
// E.164, hashed as it is); "" when neither is usable.
func identifyCaller(ev connect.FlowEvent, h identity.Hasher) identity.Key {
	if id, ok := ev.Lookup(ParamCustomerID); ok && strings.TrimSpace(id) != "" {
		if k, err := h.CustomerID(id); err == nil {
			return k
		}
	}
	if phone, ok := ev.CustomerPhone(); ok {
		if k, err := h.Phone(phone); err == nil {
			return k
		}
	}
	return ""
}

func surveyAnswer(status, reason, message string, score int) connect.Response {
	s := ""
	if score > 0 {
		s = strconv.Itoa(score)
	}
	r, _ := connect.NewResponse(
		connect.Pair{Key: KeyStatus, Value: status},
		connect.Pair{Key: KeyReason, Value: reason},
		connect.Pair{Key: KeySurveyScore, Value: s},
		connect.Pair{Key: KeyMessage, Value: message},
	)
	return r
}
