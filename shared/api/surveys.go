package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/offer"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/voice"
)

// SurveyRecorder records post-contact survey answers (offer.SurveyRecorder).
type SurveyRecorder interface {
	Record(ctx context.Context, a offer.SurveyAnswer) (offer.SurveyResult, error)
}

// surveyRequest is a survey tool's answer for one contact (SMS, email or
// web surveys sent after the contact).
type surveyRequest struct {
	// Score is 1 (very unhappy) to 5 (very happy).
	Score int `json:"score"`
	// Comment is the customer's own words, optional.
	Comment string `json:"comment,omitempty"`
	// Source names the survey channel: sms, email, web... (default api).
	Source string `json:"source,omitempty"`
	// AnsweredAt is when the customer answered; default now.
	AnsweredAt *time.Time `json:"answeredAt,omitempty"`
}

// surveyView is the recorded answer.
type surveyView struct {
	ContactID string          `json:"contactId"`
	Survey    contacts.Survey `json:"survey"`
	// ProfileLinked says the answer is on the customer's profile too.
	ProfileLinked bool `json:"profileLinked"`
}

// recordSurvey records a survey answer for a contact Conduit knows, once:
// 201 the first time, 200 for the same answer again, 409 for a different
// one, 404 for a contact never seen.
func (s *Server) recordSurvey() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		contactID := r.PathValue("contactId")
		if contactID == "" || len(contactID) > 256 || strings.ContainsAny(contactID, " #") {
			writeError(w, r, apperr.ErrNotFound)
			return
		}
		var in surveyRequest
		if err := decodeUTF8JSON(r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		now := s.now()
		in.Comment = strings.TrimSpace(in.Comment)
		problems := voice.SurveyProblems(in.Score, in.Comment, "score", "comment")
		at := now
		if in.AnsweredAt != nil {
			switch {
			case in.AnsweredAt.After(now.Add(5 * time.Minute)):
				problems.Add("answeredAt", "is in the future")
			case in.AnsweredAt.Before(now.Add(-contacts.Retention)):
				problems.Add("answeredAt", "is older than the contacts Conduit keeps")
			default:
				at = in.AnsweredAt.UTC()
			}
		}
		source := strings.TrimSpace(in.Source)
		if source == "" {
			source = "api"
		} else if !validSource(source) {
			problems.Add("source", "must be 1-40 lower-case letters, digits or _ (e.g. sms, email)")
		}
		if err := problems.Err(); err != nil {
			writeError(w, r, err)
			return
		}
		res, err := s.deps.Surveys.Record(r.Context(), offer.SurveyAnswer{
			ContactID: contactID, MustExist: true,
			Survey: contacts.Survey{Score: in.Score, Comment: in.Comment, At: at, Source: source},
		})
		switch {
		case errors.Is(err, apperr.ErrNotFound):
			writeError(w, r, &httpError{http.StatusNotFound, "not_found", "no contact " + contactID + " is known to Conduit"})
			return
		case errors.Is(err, store.ErrSurveyExists):
			writeError(w, r, &httpError{http.StatusConflict, "conflict", "contact " + contactID + " already has a different survey answer; the first one stays"})
			return
		case err != nil:
			writeError(w, r, err)
			return
		}
		status := http.StatusOK
		if res.First {
			status = http.StatusCreated
		}
		writeJSON(w, status, surveyView{ContactID: contactID, Survey: res.Survey, ProfileLinked: res.ProfileID != ""})
	})
}

func validSource(s string) bool {
	if len(s) > 40 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
