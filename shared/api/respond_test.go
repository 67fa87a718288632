package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/logging"
)

func TestWriteErrorMapsEachErrorOnce(t *testing.T) {
	var problems apperr.Problems
	problems.Add("phone", "is not E.164")
	problems.Add("email", "is not an email")
	cases := []struct {
		name    string
		err     error
		status  int
		code    string
		message string // part of the message
		fields  []string
	}{
		{"problems, all of them", fmt.Errorf("create: %w", problems.Err()), 400, "invalid_input", "invalid fields", []string{"phone", "email"}},
		{"not found, wrapped", fmt.Errorf("profile p1: %w", apperr.ErrNotFound), 404, "not_found", "profile p1", nil},
		{"conflict says why", fmt.Errorf("%w: profile p1 is at version 3, not 2", apperr.ErrConflict), 409, "conflict", "version 3, not 2", nil},
		{"suppressed", fmt.Errorf("profile p1: %w", apperr.ErrSuppressed), 410, "suppressed", "erased", nil},
		{"too large", &http.MaxBytesError{Limit: MaxBodyBytes}, 413, "payload_too_large", "262144 bytes", nil},
		{"http error", forbidden([]string{ScopeAdmin}), 403, "forbidden", "conduit/admin", nil},
		{"unauthorized", errUnauthorized, 401, "unauthorized", "bearer token", nil},
		{"anything else hides its words", errors.New("dial tcp 10.0.0.1:443: secret detail"), 500, "internal", "request id", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodGet, "/v1/x", nil)
			r = r.WithContext(logging.WithRequestID(r.Context(), "req-1"))
			writeError(w, r, c.err)
			if w.Code != c.status || w.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("status %d content type %q; want %d JSON", w.Code, w.Header().Get("Content-Type"), c.status)
			}
			var body ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			e := body.Error
			if e.Code != c.code || !strings.Contains(e.Message, c.message) || e.RequestID != "req-1" {
				t.Errorf("error %+v; want code %q, a message with %q, request id req-1", e, c.code, c.message)
			}
			if strings.Contains(w.Body.String(), "secret detail") {
				t.Errorf("internal error words reached the caller: %s", w.Body)
			}
			var fields []string
			for _, d := range e.Details {
				fields = append(fields, d.Field)
			}
			if strings.Join(fields, ",") != strings.Join(c.fields, ",") {
				t.Errorf("details %v; want %v", fields, c.fields)
			}
		})
	}
}

func TestWriteJSONKeepsHTMLCharacters(t *testing.T) {
	w := httptest.NewRecorder()
	writeJSON(w, http.StatusOK, map[string]string{"pitch": "Save <20%> & more"})
	if got := strings.TrimSpace(w.Body.String()); got != `{"pitch":"Save <20%> & more"}` {
		t.Fatalf("body %s", got)
	}
}
