package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// decodeJSON reads exactly one JSON object into dst, refusing unknown fields
// and trailing data, and names the field of a type error.
func decodeJSON(r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return &httpError{http.StatusUnsupportedMediaType, "unsupported_media_type", "the body must be application/json"}
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return jsonProblem(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if field, ok := badTimeField(data, reflect.TypeOf(dst)); ok {
			return apperr.Invalid(field, "must be a time in RFC 3339 form, such as 2026-03-02T09:30:00Z")
		}
		return jsonProblem(err)
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		return apperr.Invalid("body", "must hold a single JSON object")
	}
	return nil
}

// jsonProblem turns a decoding error into a problem naming the field.
func jsonProblem(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return err
	case errors.Is(err, io.EOF):
		return apperr.Invalid("body", "is empty; a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.Invalid("body", "is truncated JSON")
	case errors.As(err, &syntax):
		return apperr.Invalid("body", "is not valid JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return apperr.Invalid(field, "must be %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if name == "" {
			name = `""` // a key that is the empty string
		}
		return apperr.Invalid(name, "is not a known field")
	default:
		return apperr.Invalid("body", "could not be read: %v", err)
	}
}

var timeType = reflect.TypeFor[time.Time]()

// badTimeField finds the first time field of t whose JSON value is not an
// RFC 3339 string: encoding/json reports such errors without the field.
func badTimeField(data []byte, t reflect.Type) (string, bool) {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return "", false
	}
	return findBadTime(v, t, "")
}

func findBadTime(v any, t reflect.Type, path string) (string, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return "", false
	}
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	switch {
	case t == timeType:
		s, ok := v.(string)
		if !ok {
			return path, true
		}
		_, err := time.Parse(time.RFC3339, s)
		return path, err != nil
	case t.Kind() == reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.Anonymous && name == "" {
				if p, bad := findBadTime(v, f.Type, path); bad {
					return p, true
				}
				continue
			}
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			for key, val := range obj {
				if strings.EqualFold(key, name) {
					if p, bad := findBadTime(val, f.Type, join(name)); bad {
						return p, true
					}
				}
			}
		}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		arr, _ := v.([]any)
		for i, val := range arr {
			if p, bad := findBadTime(val, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); bad {
				return p, true
			}
		}
	case t.Kind() == reflect.Map:
		obj, _ := v.(map[string]any)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if p, bad := findBadTime(obj[k], t.Elem(), join(k)); bad {
				return p, true
			}
		}
	}
	return "", false
}

func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "a whole number"
	case "float32", "float64":
		return "a number"
	}
	return fmt.Sprintf("a %s", kind)
}

// Paging is the cursor pagination of list endpoints.
type Paging struct {
	Limit  int
	Cursor string
}

const (
	defaultPageSize = 25
	maxPageSize     = 100
)

// pagingFrom reads ?limit= and ?cursor=.
func pagingFrom(r *http.Request) (Paging, error) {
	p := Paging{Limit: defaultPageSize, Cursor: r.URL.Query().Get("cursor")}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			return p, apperr.Invalid("limit", "must be a whole number from 1 to %d", maxPageSize)
		}
		p.Limit = n
	}
	return p, nil
}

// Page is the envelope of every list response.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}
