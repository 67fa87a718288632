// Package ingest holds the handlers of the contact-center streams: contact
// records (ctr), Contact Lens real-time segments (speech) and EventBridge
// contact events (contactevents). Each turns what Connect sends into the
// contact item and the customer's profile through small store interfaces,
// and keeps every write idempotent, so a record delivered twice, late or
// out of order changes nothing it should not.
package ingest

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/stream"
)

// Contacts is what the consumers need of the contact store.
type Contacts interface {
	Get(ctx context.Context, contactID string) (contacts.Contact, error)
	ApplyFacts(ctx context.Context, contactID string, f contacts.Facts) (contacts.FactsWrite, error)
	SetProfile(ctx context.Context, contactID, profileID string) error
	MarkRepeat(ctx context.Context, earlierID, laterID string) (bool, error)
	RepeatMarks(ctx context.Context, ids []string) (map[string]contacts.RepeatMarks, error)
	PutLens(ctx context.Context, contactID string, l contacts.Lens, seen time.Time) error
	ApplyEvents(ctx context.Context, w contacts.TimelineChange) error
}

// Profiles is what the consumers need of the profile store.
type Profiles interface {
	// Mutate applies a machine's change to a profile; change may run more
	// than once.
	Mutate(ctx context.Context, id string, change func(*profiles.Profile) error) (profiles.Profile, error)
	LookupByIdentity(ctx context.Context, key identity.Key) (profiles.Profile, error)
}

// conflictAttempts bounds the read-change-write rounds when another write
// of the same contact came first.
const conflictAttempts = 5

// gone reports a profile that cannot take the change: unknown, or erased
// (its suppression entry must stay empty of contact data).
func gone(err error) bool {
	return errors.Is(err, apperr.ErrNotFound) || errors.Is(err, apperr.ErrSuppressed)
}

// maxContactIDLength bounds a contact id: Connect's are UUIDs, and a longer
// one could not key an item.
const maxContactIDLength = 128

// checkContactID refuses a contact id no item can be keyed by.
func checkContactID(field, id string) error {
	if len(id) > maxContactIDLength || strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return stream.Permanentf(stream.ReasonInvalid, "%s: not a contact id (%d bytes, at most %d printable)", field, len(id), maxContactIDLength)
	}
	return nil
}

// versionFields name the version field of each payload, for classifying
// decoding problems.
var versionFields = []string{"AWSContactTraceRecordFormatVersion", "Version"}

// classify turns a decoding error into a permanent stream error with the
// reason a metric and a log can group by.
func classify(data []byte, err error) error {
	if reason := stream.JSONReason(data); reason != "" {
		return stream.Permanent(reason, err)
	}
	problems, ok := apperr.AsProblems(err)
	if !ok {
		return stream.Permanent(stream.ReasonInvalid, err)
	}
	reason := stream.ReasonInvalid
	for _, p := range problems {
		switch {
		case isVersionField(p.Field) && strings.HasPrefix(p.Problem, "unsupported"):
			return stream.Permanent(stream.ReasonUnknownVersion, err)
		case strings.HasPrefix(p.Problem, "missing"):
			reason = stream.ReasonMissingField
		}
	}
	return stream.Permanent(reason, err)
}

func isVersionField(f string) bool {
	for _, v := range versionFields {
		if f == v {
			return true
		}
	}
	return false
}
