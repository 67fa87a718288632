package connect

import (
	"encoding/json"
	"errors"
	"reflect"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// bodyField names the whole input in a Problem.
const bodyField = "body"

// decodeProblems turns an encoding/json error into problems that name the
// field (as a JSON path, e.g. Details.ContactData.Attributes) and say what is
// wrong in words.
func decodeProblems(err error) apperr.Problems {
	var p apperr.Problems
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		p.Add(bodyField, "not valid JSON (byte %d): %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = bodyField
		}
		p.Add(field, "got %s, want %s", typ.Value, describe(typ.Type))
	default:
		p.Add(bodyField, "%s", err.Error())
	}
	return p
}

// describe says in words what a Go type expects in JSON.
func describe(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t {
	case reflect.TypeFor[Timestamp]():
		return `an RFC 3339 time such as "2019-08-21T17:46:06Z"`
	case reflect.TypeFor[Channel]():
		return "a channel name string such as VOICE"
	case reflect.TypeFor[RawJSON]():
		return "JSON"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number in range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "an object"
	}
	return t.String()
}

// missing reports an absent or empty required string.
func missing(p *apperr.Problems, field, value string) {
	if isBlank(value) {
		p.Add(field, "missing")
	}
}

func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return false
		}
	}
	return true
}
