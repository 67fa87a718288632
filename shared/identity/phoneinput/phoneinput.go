// Package phoneinput reads phone numbers as people write them: with spaces,
// dashes, dots, brackets or a trunk 0 after the country code. It is the one
// place Conduit parses a number leniently, and the only one that links the
// phone-number library (and through it protobuf, whose reflection keeps
// megabytes of otherwise dead code in a binary): the HTTP API uses it, the
// functions that take Amazon Connect's canonical E.164 do not.
package phoneinput

import (
	"errors"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/identity"
)

// Normalise parses a phone number written with + and the country code and
// returns it in canonical E.164, the form identity.Hasher.Phone takes.
func Normalise(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if !strings.HasPrefix(raw, "+") {
		return "", errors.New("must be in E.164 form, starting with + and the country code")
	}
	if strings.ContainsFunc(raw[1:], func(r rune) bool {
		return !(r >= '0' && r <= '9' || r == ' ' || r == '-' || r == '(' || r == ')' || r == '.')
	}) {
		return "", errors.New("must hold only digits after the +")
	}
	num, err := phonenumbers.Parse(raw, "")
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return "", errors.New("is not a possible phone number in E.164 form")
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	// The library strips a trunk prefix again from a number that still
	// starts with one ("+84 00..." reads as "+84 0...", then as "+84 ..."):
	// such a number has no one canonical form, so no one key.
	if again, err := phonenumbers.Parse(e164, ""); err != nil || phonenumbers.Format(again, phonenumbers.E164) != e164 {
		return "", errors.New("is not a possible phone number in E.164 form")
	}
	return e164, nil
}

// Hasher is an identity.Hasher whose Phone takes a number as a person
// wrote it; the other kinds of identity hash as they do there.
type Hasher struct{ identity.Hasher }

// Phone normalises a number a person wrote and hashes it; a number that
// is not possible is a problem with the field "phone".
func (h Hasher) Phone(raw string) (identity.Key, error) {
	e164, err := Normalise(raw)
	if err != nil {
		return "", apperr.Invalid("phone", "%s", err.Error())
	}
	return h.Hasher.Phone(e164)
}
