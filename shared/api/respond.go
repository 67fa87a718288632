package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/logging"
)

// ErrorBody is the API's one error shape.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong, in a code for programs and words for people.
type ErrorDetail struct {
	Code      string            `json:"code"`
	Message   string            `json:"message"`
	Details   []apperr.Problem  `json:"details,omitempty"`
	RequestID string            `json:"requestId,omitempty"`
	Extra     map[string]string `json:"extra,omitempty"`
}

// httpError is an error that knows its status and code.
type httpError struct {
	status  int
	code    string
	message string
}

func (e *httpError) Error() string { return e.message }

var errUnauthorized = &httpError{http.StatusUnauthorized, "unauthorized", "a valid bearer token is required"}

func forbidden(scopes []string) error {
	return &httpError{http.StatusForbidden, "forbidden", "this operation needs one of the scopes " + strings.Join(scopes, ", ")}
}

func errNoRoute(r *http.Request) error {
	return &httpError{http.StatusNotFound, "not_found", fmt.Sprintf("no operation %s %s", r.Method, r.URL.Path)}
}

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, "invalid_input", fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// writeError maps an error to a response, once, at the edge.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	body := ErrorBody{Error: ErrorDetail{RequestID: logging.RequestID(r.Context())}}
	status := http.StatusInternalServerError
	var he *httpError
	var tooLarge *http.MaxBytesError
	problems, isInput := apperr.AsProblems(err)
	switch {
	case errors.As(err, &he):
		status, body.Error.Code, body.Error.Message = he.status, he.code, he.message
	case errors.As(err, &tooLarge):
		status, body.Error.Code = http.StatusRequestEntityTooLarge, "payload_too_large"
		body.Error.Message = fmt.Sprintf("the body is larger than %d bytes", tooLarge.Limit)
	case isInput:
		status, body.Error.Code, body.Error.Message = http.StatusBadRequest, "invalid_input", "the request has invalid fields"
		body.Error.Details = problems
	case errors.Is(err, apperr.ErrNotFound):
		status, body.Error.Code, body.Error.Message = http.StatusNotFound, "not_found", err.Error()
	case errors.Is(err, apperr.ErrConflict):
		status, body.Error.Code, body.Error.Message = http.StatusConflict, "conflict", err.Error()
	case errors.Is(err, apperr.ErrSuppressed):
		status, body.Error.Code, body.Error.Message = http.StatusGone, "suppressed", "this person was erased and is suppressed"
	default:
		body.Error.Code, body.Error.Message = "internal", "something went wrong; the request id identifies it in the logs"
		slog.ErrorContext(r.Context(), "request failed", "error", err.Error(), "path", r.URL.Path)
	}
	writeJSON(w, status, body)
}
