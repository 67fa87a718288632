package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"strconv"

	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/stream"
)

// CTR applies contact records: the facts onto the contact item (the newest
// LastUpdateTimestamp wins), then the contact onto the customer's profile
// (summary, contact count, survey score, what Contact Lens heard) and the
// repeat-contact marks for FCR.
type CTR struct {
	Contacts Contacts
	// Profiles may be nil: facts only.
	Profiles Profiles
	// Hasher turns the caller's phone number into the identity key that
	// finds the profile when no decision linked the contact to one.
	Hasher identity.Hasher
	Log    *slog.Logger
}

var _ stream.Handler[*connect.ContactRecord] = (*CTR)(nil)

// CTRKey is the identity of a contact record: the contact and the version.
func CTRKey(r *connect.ContactRecord) string {
	return r.ContactID + "#" + strconv.FormatInt(r.LastUpdateTimestamp.Unix(), 10)
}

// Decode reads and checks a contact record.
func (h *CTR) Decode(r stream.Record) (stream.Item[*connect.ContactRecord], error) {
	rec, err := connect.DecodeContactRecord(r.Data)
	if err != nil {
		return stream.Item[*connect.ContactRecord]{}, classify(r.Data, err)
	}
	if err := checkContactID("ContactId", rec.ContactID); err != nil {
		return stream.Item[*connect.ContactRecord]{}, err
	}
	return stream.Item[*connect.ContactRecord]{Key: CTRKey(&rec), Group: rec.ContactID, Value: &rec}, nil
}

// Apply writes the record's facts and, when they are the newest, puts the
// contact on the profile.
func (h *CTR) Apply(ctx context.Context, r stream.Record, it stream.Item[*connect.ContactRecord]) error {
	rec := it.Value
	facts, notes := contacts.FactsOf(rec)
	for _, n := range notes {
		h.log().WarnContext(ctx, "contact record value left out", "field", n.Field, "problem", n.Problem)
	}
	w, err := h.Contacts.ApplyFacts(ctx, rec.ContactID, facts)
	if err != nil {
		return err
	}
	c := w.Contact
	if !w.Applied || h.Profiles == nil {
		// A newer record's facts are there; its own delivery updates the
		// profile.
		return nil
	}
	if c.ProfileID == "" {
		id, err := h.identify(ctx, rec)
		if err != nil || id == "" {
			return err
		}
		if err := h.Contacts.SetProfile(ctx, rec.ContactID, id); err != nil {
			return err
		}
		c.ProfileID = id
	}
	var repeats contacts.Repeats
	_, err = h.Profiles.Mutate(ctx, c.ProfileID, func(p *profiles.Profile) error {
		before := p.Clone()
		repeats = contacts.RecordContact(p, &c, w.First)
		if reflect.DeepEqual(before, *p) {
			// A later version that changes nothing the profile shows (only
			// after-contact work, say) costs no profile write.
			return profiles.ErrUnchanged
		}
		return nil
	})
	if gone(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("put contact on profile: %w", err)
	}
	if repeats.Empty() {
		return nil
	}
	// Only the marks not yet on the contact items are written: a customer
	// with many recent contacts costs one read, not a write per contact.
	marks, err := h.Contacts.RepeatMarks(ctx, append(append([]string{c.ContactID}, repeats.Earlier...), repeats.Later...))
	if err != nil {
		return err
	}
	for _, pair := range repeats.Missing(c.ContactID, c.Facts != nil && c.Facts.Handled, marks) {
		if _, err := h.Contacts.MarkRepeat(ctx, pair.Earlier, pair.Later); err != nil {
			return err
		}
	}
	return nil
}

// identify finds the caller's profile by phone number; "" when the caller
// is unknown, erased or the number unusable. Connect gives the number in
// canonical E.164, which is hashed as it is.
func (h *CTR) identify(ctx context.Context, rec *connect.ContactRecord) (string, error) {
	if !rec.CustomerEndpoint.IsPhone() {
		return "", nil
	}
	key, err := h.Hasher.Phone(rec.CustomerEndpoint.Address)
	if err != nil {
		return "", nil
	}
	p, err := h.Profiles.LookupByIdentity(ctx, key)
	if gone(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find caller's profile: %w", err)
	}
	return p.ID, nil
}

func (h *CTR) log() *slog.Logger {
	if h.Log == nil {
		return slog.Default()
	}
	return h.Log
}
