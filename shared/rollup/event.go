package rollup

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/contacts"
)

// Request is what one invocation asks for: a scheduled run, or a backfill
// of [From, To).
type Request struct {
	Backfill bool
	From, To time.Time
	// ScheduledAt is the schedule's time, when the event carries one.
	ScheduledAt time.Time
}

// Sources of scheduled events: EventBridge rules send aws.events, the
// Scheduler target of the stack sends aws.scheduler.
var scheduledSources = []string{"aws.events", "aws.scheduler"}

// scheduledDetailType is the detail-type of a scheduled event.
const scheduledDetailType = "Scheduled Event"

// maxPayloadBytes bounds the payload; a scheduled event is a few hundred bytes.
const maxPayloadBytes = 64 << 10

// ParseRequest reads an invocation's payload. It takes:
//
//   - nothing, null or {}: a scheduled run;
//   - the EventBridge "Scheduled Event" (source aws.events or aws.scheduler,
//     as the stack's schedule and the local runner send it), whose detail
//     may name a backfill range: {"detail":{"from":…,"to":…}};
//   - a bare backfill: {"from":"2026-03-01T00:00:00Z","to":"2026-03-02T00:00:00Z"}.
//
// A backfill range must be RFC 3339 times, from before to, no longer than
// MaxBackfill, not before the contacts' retention; a to in the future is
// cut to now. Every problem is reported at once (apperr.Problems).
func (o Options) ParseRequest(payload []byte, now time.Time) (Request, error) {
	o = o.withDefaults()
	var p apperr.Problems
	payload = bytes.TrimSpace(payload)
	if len(payload) > maxPayloadBytes {
		return Request{}, apperr.Invalid("payload", "is %d bytes; a scheduled event or backfill request is at most %d", len(payload), maxPayloadBytes)
	}
	if len(payload) == 0 || string(payload) == "null" {
		return Request{}, nil
	}
	var top map[string]json.RawMessage
	if err := strictObject(payload, &top); err != nil {
		return Request{}, apperr.Invalid("payload", "must be a JSON object (a scheduled event or {\"from\",\"to\"}): %v", err)
	}
	var req Request
	var rangeFields map[string]json.RawMessage
	prefix := ""
	if _, isEvent := top["detail-type"]; isEvent || top["source"] != nil || top["detail"] != nil {
		req.ScheduledAt = o.checkEvent(top, &p)
		if raw, ok := top["detail"]; ok && !isNull(raw) {
			if err := strictObject(raw, &rangeFields); err != nil {
				p.Add("detail", "must be an object: %v", err)
			}
			for k := range rangeFields {
				if k != "from" && k != "to" && k != "attempt" {
					p.Add("detail."+k, "is not a known field; the detail may hold from, to and attempt")
				}
			}
			delete(rangeFields, "attempt")
			prefix = "detail."
		}
	} else {
		rangeFields = top
		for k := range top {
			if k != "from" && k != "to" {
				p.Add(k, "is not a known field; a backfill request holds only from and to")
			}
		}
	}
	from, hasFrom := rangeFields["from"]
	to, hasTo := rangeFields["to"]
	if hasFrom || hasTo {
		req.Backfill = true
		req.From = parseTime(prefix+"from", from, hasFrom, &p)
		req.To = parseTime(prefix+"to", to, hasTo, &p)
		if !req.From.IsZero() && !req.To.IsZero() {
			if req.To.After(now) {
				req.To = now.UTC()
			}
			switch {
			case !req.From.Before(req.To):
				p.Add(prefix+"from", "must be before to and before now (%s is not before %s)", stamp(req.From), stamp(req.To))
			case req.To.Sub(req.From) > o.MaxBackfill:
				p.Add(prefix+"to", "a backfill covers at most %s per request (%s to %s is %s); split it into several requests",
					days(o.MaxBackfill), stamp(req.From), stamp(req.To), days(req.To.Sub(req.From)))
			case req.From.Before(now.Add(-contacts.Retention)):
				p.Add(prefix+"from", "is before the contacts' retention of %s; nothing is left to count", days(contacts.Retention))
			}
		}
	}
	if err := p.Err(); err != nil {
		return Request{}, err
	}
	return req, nil
}

// checkEvent validates a scheduled event's envelope and returns its time.
func (o Options) checkEvent(top map[string]json.RawMessage, p *apperr.Problems) time.Time {
	known := []string{"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
	for k := range top {
		if !slices.Contains(known, k) {
			p.Add(k, "is not a field of a scheduled event")
		}
	}
	var detailType, source string
	if err := json.Unmarshal(top["detail-type"], &detailType); err != nil || detailType != scheduledDetailType {
		p.Add("detail-type", "must be %q, the detail-type of a scheduled event", scheduledDetailType)
	}
	if err := json.Unmarshal(top["source"], &source); err != nil || !slices.Contains(scheduledSources, source) {
		p.Add("source", "must be one of %s, the sources of scheduled events", strings.Join(scheduledSources, ", "))
	}
	raw, ok := top["time"]
	if !ok || isNull(raw) {
		return time.Time{}
	}
	return parseTime("time", raw, true, p)
}

func parseTime(field string, raw json.RawMessage, present bool, p *apperr.Problems) time.Time {
	if !present || isNull(raw) {
		p.Add(field, "is required: an RFC 3339 time such as 2026-03-01T00:00:00Z")
		return time.Time{}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		p.Add(field, "must be a string holding an RFC 3339 time such as 2026-03-01T00:00:00Z")
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		p.Add(field, "%q is not an RFC 3339 time such as 2026-03-01T00:00:00Z", clip(s))
		return time.Time{}
	}
	return t.UTC()
}

// strictObject decodes exactly one JSON object.
func strictObject(data []byte, dst *map[string]json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if *dst == nil {
		return fmt.Errorf("null is not an object")
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the object")
	}
	var extra any
	if err := dec.Decode(&extra); err != io.EOF {
		return fmt.Errorf("trailing data after the object")
	}
	return nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func days(d time.Duration) string {
	if d%day == 0 {
		return fmt.Sprintf("%d days", d/day)
	}
	return d.Round(time.Minute).String()
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
