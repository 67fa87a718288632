// Package identity turns the ways a customer can be recognised (phone number,
// email, customer id, social handle) into keyed hashes. Conduit stores and
// compares only these keys; the raw values never reach a table or a log.
package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// Kind is the kind of identity a key stands for.
type Kind string

// Kinds of identity.
const (
	Phone    Kind = "phone"
	Email    Kind = "email"
	Customer Kind = "customer"
	Handle   Kind = "handle"
)

// Key is a keyed hash of one identity: "<kind>#<hex HMAC-SHA256>".
type Key string

// Kind of the key.
func (k Key) Kind() Kind {
	kind, _, _ := strings.Cut(string(k), "#")
	return Kind(kind)
}

// Valid reports whether k has the shape of a key made by a Hasher.
func (k Key) Valid() bool {
	kind, hash, ok := strings.Cut(string(k), "#")
	if !ok || len(hash) != sha256.Size*2 {
		return false
	}
	switch Kind(kind) {
	case Phone, Email, Customer, Handle:
	default:
		return false
	}
	_, err := hex.DecodeString(hash)
	return err == nil
}

// Hasher makes identity keys with a secret key.
type Hasher struct{ key []byte }

// NewHasher returns a Hasher over the secret key.
func NewHasher(secret []byte) Hasher { return Hasher{key: append([]byte(nil), secret...)} }

func (h Hasher) key_(kind Kind, normalised string) Key {
	mac := hmac.New(sha256.New, h.key)
	mac.Write([]byte(kind))
	mac.Write([]byte{0})
	mac.Write([]byte(normalised))
	return Key(string(kind) + "#" + hex.EncodeToString(mac.Sum(nil)))
}

// Phone hashes a phone number in canonical E.164: "+", a first digit 1-9
// and 7-15 digits in all, nothing else. Amazon Connect gives the caller's
// number in this form; a number a person typed (with spaces, dashes or a
// trunk 0) goes through phoneinput first. The check stays this strict and
// cheap so that every function can hash a caller's number without linking
// a phone-number library, and the same number always makes the same key.
func (h Hasher) Phone(e164 string) (Key, error) {
	if !isE164(e164) {
		return "", apperr.Invalid("phone", "must be in canonical E.164 form: +, the country code and the number, 7-15 digits and nothing else")
	}
	return h.key_(Phone, e164), nil
}

// isE164 reports whether s is a phone number in canonical E.164 form: "+",
// a first digit 1-9 and 7-15 digits in all, nothing else.
func isE164(s string) bool {
	digits := strings.TrimPrefix(s, "+")
	if len(digits) == len(s) || len(digits) < 7 || len(digits) > 15 || digits[0] == '0' {
		return false
	}
	for i := range len(digits) {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

// Email hashes an email address, lower-cased.
func (h Hasher) Email(raw string) (Key, error) {
	addr := strings.ToLower(strings.TrimSpace(raw))
	parsed, err := mail.ParseAddress(addr)
	if err != nil || parsed.Address != addr || !strings.Contains(addr[strings.LastIndex(addr, "@")+1:], ".") {
		return "", apperr.Invalid("email", "is not a valid email address")
	}
	return h.key_(Email, addr), nil
}

// CustomerID hashes the business's own customer id, as given.
func (h Hasher) CustomerID(raw string) (Key, error) {
	id := strings.TrimSpace(raw)
	if id == "" || len(id) > 128 || !utf8.ValidString(id) {
		return "", apperr.Invalid("customerId", "must be 1-128 characters of text")
	}
	return h.key_(Customer, id), nil
}

// SocialHandle hashes a handle on a social network, lower-cased, without a leading @.
func (h Hasher) SocialHandle(network, handle string) (Key, error) {
	network = strings.ToLower(strings.TrimSpace(network))
	handle = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(handle), "@"))
	if network == "" || handle == "" || len(handle) > 100 || !utf8.ValidString(handle) {
		return "", apperr.Invalid("author", "must be a handle of 1-100 characters on a named network")
	}
	return h.key_(Handle, network+":"+handle), nil
}
