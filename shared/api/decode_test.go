package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// decodeTarget has a field of each kind the API decodes.
type decodeTarget struct {
	Name  string            `json:"name"`
	Count int               `json:"count"`
	Tags  []string          `json:"tags"`
	At    *time.Time        `json:"at"`
	Items []decodeItem      `json:"items"`
	Attrs map[string]string `json:"attrs"`
}

type decodeItem struct {
	When time.Time `json:"when"`
}

func decodeRequest(body, contentType string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/v1/x", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

func TestDecodeJSON(t *testing.T) {
	cases := []struct {
		name        string
		body        string
		contentType string
		field       string // the problem's field; "" when the body decodes
		problem     string // part of the problem's words
		status      int    // for errors that are not field problems
	}{
		{"valid", `{"name":"a","count":2,"tags":["x"],"at":"2026-03-02T09:30:00Z","items":[{"when":"2026-03-02T09:30:00+01:00"}]}`, "application/json", "", "", 0},
		{"no content type is taken as JSON", `{"name":"a"}`, "", "", "", 0},
		{"JSON with a charset", `{"name":"a"}`, "application/json; charset=utf-8", "", "", 0},
		{"another content type", `{"name":"a"}`, "text/plain", "", "", http.StatusUnsupportedMediaType},
		{"empty", ``, "", "body", "is empty", 0},
		{"truncated", `{"name":"a"`, "", "body", "truncated", 0},
		{"syntax error names the byte", `{"name":}`, "", "body", "at byte 9", 0},
		{"trailing data", `{"name":"a"} {"name":"b"}`, "", "body", "single JSON object", 0},
		{"unknown field", `{"name":"a","nmae":"b"}`, "", "nmae", "not a known field", 0},
		{"unknown field with an empty name", `{"":0}`, "", `""`, "not a known field", 0},
		{"string for a number", `{"count":"2"}`, "", "count", "must be a whole number, not string", 0},
		{"fraction for a whole number", `{"count":2.5}`, "", "count", "must be a whole number", 0},
		{"string for a list", `{"tags":"x"}`, "", "tags", "must be an array", 0},
		{"number for an object", `{"attrs":3}`, "", "attrs", "must be an object", 0},
		{"time in another form", `{"at":"02/03/2026"}`, "", "at", "RFC 3339", 0},
		{"time as a number", `{"at":1772443800}`, "", "at", "RFC 3339", 0},
		{"time inside a list", `{"items":[{"when":"2026-03-02T09:30:00Z"},{"when":"soon"}]}`, "", "items[1].when", "RFC 3339", 0},
		{"null time is no time", `{"at":null}`, "", "", "", 0},
		{"array instead of an object", `[1,2]`, "", "body", "must be an object", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var dst decodeTarget
			err := decodeJSON(decodeRequest(c.body, c.contentType), &dst)
			var he *httpError
			switch {
			case c.status != 0:
				if !errors.As(err, &he) || he.status != c.status {
					t.Fatalf("err = %v; want status %d", err, c.status)
				}
			case c.field == "":
				if err != nil {
					t.Fatalf("err = %v; want none", err)
				}
			default:
				problems, ok := apperr.AsProblems(err)
				if !ok || len(problems) != 1 {
					t.Fatalf("err = %#v; want one problem", err)
				}
				if problems[0].Field != c.field || !strings.Contains(problems[0].Problem, c.problem) {
					t.Fatalf("problem %+v; want field %q saying %q", problems[0], c.field, c.problem)
				}
			}
		})
	}
}

func TestDecodeJSONPassesOnTheSizeLimit(t *testing.T) {
	w := httptest.NewRecorder()
	r := decodeRequest(`{"name":"`+strings.Repeat("a", 100)+`"}`, "")
	r.Body = http.MaxBytesReader(w, r.Body, 50)
	var tooLarge *http.MaxBytesError
	if err := decodeJSON(r, &decodeTarget{}); !errors.As(err, &tooLarge) {
		t.Fatalf("err = %v; want *http.MaxBytesError", err)
	}
}

func TestPagingFrom(t *testing.T) {
	cases := []struct {
		query  string
		want   Paging
		errors bool
	}{
		{"", Paging{Limit: defaultPageSize}, false},
		{"limit=10&cursor=abc", Paging{Limit: 10, Cursor: "abc"}, false},
		{"limit=100", Paging{Limit: 100}, false},
		{"limit=0", Paging{}, true},
		{"limit=101", Paging{}, true},
		{"limit=ten", Paging{}, true},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			got, err := pagingFrom(httptest.NewRequest(http.MethodGet, "/v1/x?"+c.query, nil))
			if c.errors {
				if ps, ok := apperr.AsProblems(err); !ok || ps[0].Field != "limit" {
					t.Fatalf("err = %v; want a problem with limit", err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
}

// FuzzDecodeJSON: any body decodes or answers a problem, an unsupported
// media type or a size error; never a panic, never another kind of error.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"name":"a"}`, `{"at":"x"}`, `{"items":[{"when":1}]}`, `[`, `{"attrs":{"a":1}}`, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		w := httptest.NewRecorder()
		r := decodeRequest(string(body), "application/json")
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		err := decodeJSON(r, &decodeTarget{})
		if err == nil {
			return
		}
		if ps, ok := apperr.AsProblems(err); ok {
			if len(ps) == 0 || slices.ContainsFunc(ps, func(p apperr.Problem) bool { return p.Field == "" || p.Problem == "" }) {
				t.Fatalf("empty problem in %v", ps)
			}
			return
		}
		t.Fatalf("err %T %v is not a problem", err, err)
	})
}
