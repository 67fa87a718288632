package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/logging"
	"github.com/conduit-cx/conduit/shared/stream"
)

// ContactEventsName names the consumer in logs, metrics and idempotency
// keys.
const ContactEventsName = "contactevents"

// ContactEvents applies EventBridge contact events: the contact's state
// timeline and the queues' waiting lists, both in one transaction, each
// event once (by its id), and an event older than the contact's latest
// applied one moves nothing.
type ContactEvents struct {
	Contacts    Contacts
	Idempotency stream.Idempotency
	Metrics     stream.Metrics
	Log         *slog.Logger
}

// Handle is the Lambda handler. A bad event is skipped with a logged reason
// and a metric (retrying cannot fix it); a transient failure is returned,
// so Lambda retries the event and, after its retries, sends it to the
// failure destination.
func (h *ContactEvents) Handle(ctx context.Context, raw json.RawMessage) error {
	ev, err := connect.DecodeContactEvent(raw)
	if err == nil {
		err = checkContactID("detail.contactId", ev.Detail.ContactID)
	}
	if err == nil && len(ev.ID) > maxContactIDLength {
		err = stream.Permanentf(stream.ReasonInvalid, "id: %d bytes, at most %d", len(ev.ID), maxContactIDLength)
	}
	if err == nil && contacts.IsStateEvent(ev.Detail.EventType) && contacts.EventTime(&ev).IsZero() {
		err = stream.Permanentf(stream.ReasonMissingField, "time: missing, and the detail has no timestamp of the %s state", ev.Detail.EventType)
	}
	if err != nil {
		if _, ok := stream.IsPermanent(err); !ok {
			err = classify(raw, err)
		}
		reason, _ := stream.IsPermanent(err)
		h.log().WarnContext(ctx, "contact event skipped", "consumer", ContactEventsName, "reason", reason,
			"problem", err.Error(), "eventId", ev.ID, "bytes", len(raw))
		if h.Metrics != nil {
			h.Metrics.RecordsSkipped(ctx, ContactEventsName, reason, 1)
		}
		return nil
	}
	ctx = logging.WithContactID(ctx, ev.Detail.ContactID)
	if !contacts.IsStateEvent(ev.Detail.EventType) {
		return nil
	}
	key := ContactEventsName + "#" + ev.ID
	if h.Idempotency != nil {
		seen, err := h.Idempotency.Seen(ctx, []string{key})
		if err == nil && seen[key] {
			return nil
		}
	}
	if err := h.apply(ctx, &ev); err != nil {
		if h.Metrics != nil {
			h.Metrics.RecordsFailed(ctx, ContactEventsName, 1)
		}
		return err
	}
	if h.Idempotency != nil {
		if err := h.Idempotency.Remember(ctx, []string{key}); err != nil {
			h.log().WarnContext(ctx, "idempotency key not written; the timeline's order check keeps a redelivery harmless", "error", err.Error())
		}
	}
	return nil
}

func (h *ContactEvents) apply(ctx context.Context, ev *connect.ContactEvent) error {
	d := ev.Detail
	for range conflictAttempts {
		c, err := h.Contacts.Get(ctx, d.ContactID)
		if err != nil && !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
		next := c.Events.Clone()
		queues, changed := next.Apply(ev)
		if !changed {
			return nil
		}
		w := contacts.TimelineChange{
			ContactID:   d.ContactID,
			Events:      *next,
			HadEvents:   c.Events != nil,
			Queues:      queues,
			InitiatedAt: d.InitiationTimestamp.Time,
			Channel:     contacts.ChannelOf(d.Channel),
		}
		if c.Events != nil {
			w.PrevOrder = c.Events.Order
		}
		err = h.Contacts.ApplyEvents(ctx, w)
		if errors.Is(err, apperr.ErrConflict) {
			continue
		}
		return err
	}
	return fmt.Errorf("timeline of contact %s kept changing during %d attempts", d.ContactID, conflictAttempts)
}

func (h *ContactEvents) log() *slog.Logger {
	if h.Log == nil {
		return slog.Default()
	}
	return h.Log
}
