package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/stream"
)

// Speech applies Contact Lens real-time events: rolling sentiment per
// participant and matched categories with their signals onto the contact
// (where a second offer call on the same contact reads them), and the
// customer's sentiment and life events onto the profile once the contact
// is linked to one.
type Speech struct {
	Contacts Contacts
	// Profiles may be nil: the contact only.
	Profiles Profiles
	Signals  contacts.SignalTable
	// Window is how many of a participant's latest turns make their current
	// sentiment; 0 means contacts.DefaultSentimentWindow.
	Window int
}

var _ stream.Handler[*connect.LensEvent] = (*Speech)(nil)

// LensKey is the identity of a Contact Lens event: the contact, the event
// type, and a digest of the ids and offsets of its segments.
func LensKey(e *connect.LensEvent) string {
	if len(e.Segments) == 0 {
		return e.ContactID + "#" + string(e.Type())
	}
	d := sha256.New()
	for _, s := range e.Segments {
		switch {
		case s.Transcript != nil:
			d.Write([]byte("T" + s.Transcript.ID + "@" + strconv.FormatInt(s.Transcript.BeginOffsetMillis, 10)))
		case s.Utterance != nil:
			d.Write([]byte("U" + s.Utterance.ID + "@" + strconv.FormatInt(s.Utterance.BeginOffsetMillis, 10)))
		case s.Categories != nil:
			d.Write([]byte("C"))
			for _, c := range s.Categories.MatchedCategories {
				d.Write([]byte(c + ","))
				for _, p := range s.Categories.MatchedDetails[c].PointsOfInterest {
					d.Write([]byte(strconv.FormatInt(p.BeginOffsetMillis, 10) + ";"))
				}
			}
		case s.Event != nil:
			d.Write([]byte("E" + s.Event.ID))
		case s.Attachments != nil:
			d.Write([]byte("A" + s.Attachments.ID))
		default:
			d.Write([]byte("?"))
		}
		d.Write([]byte{0})
	}
	return e.ContactID + "#" + string(e.Type()) + "#" + hex.EncodeToString(d.Sum(nil)[:12])
}

// Decode reads and checks a Contact Lens event.
func (h *Speech) Decode(r stream.Record) (stream.Item[*connect.LensEvent], error) {
	ev, err := connect.DecodeLensEvent(r.Data)
	if err != nil {
		return stream.Item[*connect.LensEvent]{}, classify(r.Data, err)
	}
	if err := checkContactID("ContactId", ev.ContactID); err != nil {
		return stream.Item[*connect.LensEvent]{}, err
	}
	return stream.Item[*connect.LensEvent]{Key: LensKey(&ev), Group: ev.ContactID, Value: &ev}, nil
}

// Apply adds the event to the contact's lens and, when what the profile
// should show changed, to the profile first: a retry after a failed lens
// write repeats an idempotent profile change, never skips it.
func (h *Speech) Apply(ctx context.Context, r stream.Record, it stream.Item[*connect.LensEvent]) error {
	ev := it.Value
	for range conflictAttempts {
		c, err := h.Contacts.Get(ctx, ev.ContactID)
		if err != nil && !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
		c.ContactID = ev.ContactID
		lens := c.Lens
		if lens == nil {
			lens = &contacts.Lens{}
			c.Lens = lens
		}
		changed := lens.Apply(ev, r.ArrivedAt, h.Signals, h.Window)
		fp := lens.ProfileFingerprint()
		sync := h.Profiles != nil && c.ProfileID != "" && fp != lens.ProfileSynced
		if !changed && !sync {
			return nil
		}
		if sync {
			_, err := h.Profiles.Mutate(ctx, c.ProfileID, func(p *profiles.Profile) error {
				contacts.RecordLens(p, &c)
				return nil
			})
			if err != nil && !gone(err) {
				return fmt.Errorf("put what Contact Lens heard on profile: %w", err)
			}
			lens.ProfileSynced = fp
		}
		lens.Version++
		err = h.Contacts.PutLens(ctx, ev.ContactID, *lens, r.ArrivedAt)
		if errors.Is(err, apperr.ErrConflict) {
			continue
		}
		return err
	}
	return fmt.Errorf("lens of contact %s kept changing during %d attempts", ev.ContactID, conflictAttempts)
}
