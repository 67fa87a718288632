// Package decision is the live decision path of the `offer` function: a
// contact flow asks, Conduit identifies the customer, runs the decision
// engine over a cached catalog, records the decision with one batched read
// and one write, and answers a flat string map the flow and the agent's
// workspace read (the keys are in package offer). It never fails the flow:
// any error, panic or missed deadline answers "no offer" with a reason.
package decision

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/decide"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/logging"
	"github.com/conduit-cx/conduit/shared/metrics"
	"github.com/conduit-cx/conduit/shared/offer"
	"github.com/conduit-cx/conduit/shared/store"
)

// Store is the storage the decision path needs.
type Store interface {
	ReadForDecision(ctx context.Context, key identity.Key, contactID string) (store.DecisionContext, error)
	ReserveCap(ctx context.Context, offerID string, limit int64) (bool, error)
	ReleaseCap(ctx context.Context, offerID string) error
	RecordDecision(ctx context.Context, rec store.DecisionRecord) error
	CountShown(ctx context.Context, offerID string) error
	UncountShown(ctx context.Context, offerID string) error
	WithdrawDecision(ctx context.Context, contactID, decisionID, reason string) error
}

// Referencer marks catalog items a decision named, so they can only be
// soft-deleted from then on and history keeps its meaning.
type Referencer interface {
	MarkReferenced(ctx context.Context, kind, id string) error
}

// Deps are the offer handler's collaborators.
type Deps struct {
	Store Store
	// Catalog items are marked referenced once per warm instance.
	Referencer Referencer
	Catalog    *Cache
	Publisher  offer.Publisher
	Hasher     identity.Hasher
	Policy     decide.Policy
	// Deadline bounds the handler's own work, well under the flow timeout.
	Deadline time.Duration
	Clock    func() time.Time
	Log      *slog.Logger
	Metrics  *metrics.Writer
}

// Handler answers the `offer` function's invocations.
type Handler struct {
	d Deps
	// referenced remembers the catalog items this instance has marked.
	referenced sync.Map
}

// NewHandler returns the offer handler.
func NewHandler(d Deps) *Handler {
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Deadline <= 0 {
		d.Deadline = time.Second
	}
	return &Handler{d: d}
}

// States of the race between a decision and the deadline.
const (
	claimPending int32 = iota
	claimDecided
	claimTimedOut
)

// errTooLate is a decision recorded after the answer went out without it.
var errTooLate = errors.New("the decision was recorded after the deadline")

// Handle answers one invocation. It never returns an error: Connect would
// take the flow's error branch, and a failed offer must never disturb the
// service the customer called for.
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) (connect.Response, error) {
	start := h.d.Clock()
	ctx, cancel := context.WithTimeout(ctx, h.d.Deadline)
	defer cancel()
	done := make(chan connect.Response, 1)
	var contactID string
	var mu sync.Mutex
	// Whoever claims first decides what Connect hears: the decision, once
	// recorded, or the deadline. A decision that loses is withdrawn.
	var claim atomic.Int32
	go func() {
		defer func() {
			if p := recover(); p != nil {
				h.d.Log.ErrorContext(ctx, "panic while deciding", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				done <- noOffer(offer.ReasonInternalError, "", "")
			}
		}()
		done <- h.decide(ctx, payload, func(id string) { mu.Lock(); contactID = id; mu.Unlock() }, &claim)
	}()
	var answer connect.Response
	select {
	case answer = <-done:
	case <-ctx.Done():
		if claim.CompareAndSwap(claimPending, claimTimedOut) {
			answer = noOffer(offer.ReasonTimeout, "", "")
		} else {
			answer = <-done // the decision was recorded in time and is on its way
		}
	}
	mu.Lock()
	lctx := logging.WithContactID(ctx, contactID)
	mu.Unlock()
	elapsed := h.d.Clock().Sub(start)
	h.d.Log.InfoContext(lctx, "offer answered", "offer", answer[offer.KeyOffer], "reason", answer[offer.KeyReason],
		"decision_id", answer[offer.KeyDecisionID], "holdout", answer[offer.KeyHoldout], "ms", float64(elapsed.Microseconds())/1000)
	h.emit(answer, elapsed)
	return answer, nil
}

func (h *Handler) emit(answer connect.Response, elapsed time.Duration) {
	m := h.d.Metrics
	if m == nil {
		return
	}
	m.Duration(metrics.DecisionLatency, elapsed)
	if answer[offer.KeyOffer] != offer.NoOffer {
		m.Count(metrics.OffersMade, 1)
	} else {
		m.Count(metrics.OffersSuppressed, 1, metrics.Dim(metrics.DimReason, answer[offer.KeyReason]))
	}
	switch answer[offer.KeyReason] {
	case offer.ReasonTimeout, offer.ReasonInternalError, offer.ReasonStorage:
		m.Count(metrics.DecisionErrors, 1, metrics.Dim(metrics.DimReason, answer[offer.KeyReason]))
	}
	_ = m.Flush()
}

func (h *Handler) decide(ctx context.Context, payload json.RawMessage, seen func(contactID string), claim *atomic.Int32) connect.Response {
	ev, err := connect.DecodeFlowEvent(payload)
	seen(ev.ContactID())
	ctx = logging.WithContactID(ctx, ev.ContactID())
	if err != nil {
		h.d.Log.WarnContext(ctx, "offer event refused", "problem", err.Error())
		return noOffer(offer.ReasonInvalidEvent, "", "")
	}
	contactID := ev.ContactID()
	key := h.identify(ctx, ev)

	view, err := h.d.Catalog.Get(ctx)
	if err != nil {
		h.d.Log.ErrorContext(ctx, "catalog unavailable", "error", err.Error())
		return noOffer(offer.ReasonStorage, "", "")
	}
	dc, err := h.d.Store.ReadForDecision(ctx, key, contactID)
	if err != nil {
		h.d.Log.ErrorContext(ctx, "decision context unavailable", "error", err.Error())
		return noOffer(offer.ReasonStorage, "", "")
	}
	if dc.Contact != nil && dc.Contact.Decision != nil {
		// Connect retried, or the flow asked again: same contact, same answer.
		return answerFor(dc.Contact.Decision, view)
	}

	now := h.d.Clock()
	in := decide.Input{
		Now:        now,
		Profile:    dc.Profile,
		Suppressed: dc.Suppressed,
		Contact:    contactOf(ev, dc.Contact),
		Propensity: view.Propensity,
	}
	in.Held = view.Held(in.Contact.Queue)
	d := decide.Decide(in, view.Snapshot, h.d.Policy)
	decisionID := newDecisionID()

	reserved := ""
	for d.Offered() {
		o := d.Offer()
		if o.Caps.Global <= 0 {
			break
		}
		ok, err := h.d.Store.ReserveCap(ctx, o.ID, o.Caps.Global)
		if err != nil {
			h.d.Log.ErrorContext(ctx, "cap reservation failed", "offer", o.ID, "error", err.Error())
			return noOffer(offer.ReasonStorage, "", "")
		}
		if ok {
			reserved = o.ID
			break
		}
		d.CapReached()
	}
	release := func() {
		if reserved != "" {
			if err := h.d.Store.ReleaseCap(context.WithoutCancel(ctx), reserved); err != nil {
				h.d.Log.ErrorContext(ctx, "cap release failed", "offer", reserved, "error", err.Error())
			}
		}
	}

	rec := h.record(ev, in, &d, decisionID, now)
	err = h.commit(ctx, rec, &d)
	if err == nil && !claim.CompareAndSwap(claimPending, claimDecided) {
		err = errTooLate
	}
	switch {
	case errors.Is(err, errTooLate), err != nil && ctx.Err() != nil:
		// Connect heard "no offer": what was recorded must not say otherwise.
		h.withdraw(rec, reserved, errors.Is(err, errTooLate))
		return noOffer(offer.ReasonTimeout, "", "")
	case errors.Is(err, store.ErrDecisionExists):
		release()
		again, rerr := h.d.Store.ReadForDecision(ctx, "", contactID)
		if rerr == nil && again.Contact != nil && again.Contact.Decision != nil {
			return answerFor(again.Contact.Decision, view)
		}
		return noOffer(offer.ReasonBusy, "", "")
	case err != nil:
		release()
		h.d.Log.ErrorContext(ctx, "decision not recorded", "error", err.Error())
		return noOffer(offer.ReasonStorage, "", "")
	}
	return answerOf(&d, decisionID)
}

// commit records the decision and, at the same time, publishes it and
// counts the showing, so the path costs one write round trip; when the
// record fails, the event is voided and the count given back.
func (h *Handler) commit(ctx context.Context, rec store.DecisionRecord, d *decide.Decision) error {
	event := decisionEvent(rec)
	var wg sync.WaitGroup
	var pubErr, countErr error
	wg.Add(1)
	go func() { defer wg.Done(); pubErr = h.publish(ctx, event) }()
	shown := d.Offered()
	if shown {
		wg.Add(1)
		go func() { defer wg.Done(); countErr = h.d.Store.CountShown(ctx, d.OfferID) }()
	}
	for _, ref := range h.unmarked(d) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.d.Referencer.MarkReferenced(ctx, ref[0], ref[1]); err != nil {
				h.d.Log.ErrorContext(ctx, "catalog item not marked referenced", "kind", ref[0], "id", ref[1], "error", err.Error())
				h.referenced.Delete(ref[0] + "/" + ref[1])
			}
		}()
	}
	err := h.d.Store.RecordDecision(ctx, rec)
	wg.Wait()
	if countErr != nil {
		h.d.Log.ErrorContext(ctx, "propensity count failed", "offer", d.OfferID, "error", countErr.Error())
	}
	if err != nil {
		bg := context.WithoutCancel(ctx)
		if pubErr == nil {
			_ = h.publish(bg, voided(event))
		}
		if shown && countErr == nil {
			_ = h.d.Store.UncountShown(bg, d.OfferID)
		}
		return err
	}
	if pubErr != nil {
		h.d.Log.ErrorContext(ctx, "decision event not published", "decision_id", rec.Decision.DecisionID, "error", pubErr.Error())
	}
	return nil
}

// withdraw takes back a decision that may have been recorded after the
// answer went out without it: the shown offer becomes not shown (so no
// exposure reaches the profile later), the cap and the showing are given
// back and the decision event is voided. A holdout or a "no offer" stands
// as it is: it showed nothing either way. When the write itself failed
// (recorded is false), commit has already given back the showing and
// voided the event; the write may still have landed, so the contact is put
// right all the same.
func (h *Handler) withdraw(rec store.DecisionRecord, reserved string, recorded bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d := rec.Decision
	log := func(what string, err error) {
		if err != nil {
			h.d.Log.ErrorContext(ctx, "late decision not fully withdrawn", "step", what, "decision_id", d.DecisionID, "error", err.Error())
		}
	}
	if reserved != "" {
		log("cap", h.d.Store.ReleaseCap(ctx, reserved))
	}
	if !d.Shown {
		return
	}
	log("contact", h.d.Store.WithdrawDecision(ctx, rec.ContactID, d.DecisionID, offer.ReasonTimeout))
	if recorded {
		log("count", h.d.Store.UncountShown(ctx, d.OfferID))
		log("event", h.publish(ctx, voided(decisionEvent(rec))))
	}
	h.d.Log.WarnContext(ctx, "decision withdrawn: recorded after the deadline", "decision_id", d.DecisionID, "offer", d.OfferID)
}

// unmarked lists the decision's offer and campaign this instance has not
// marked referenced yet, and claims them.
func (h *Handler) unmarked(d *decide.Decision) [][2]string {
	if h.d.Referencer == nil || d.OfferID == "" {
		return nil
	}
	var out [][2]string
	for _, ref := range [][2]string{{catalog.KindOffer, d.OfferID}, {catalog.KindCampaign, d.CampaignID}} {
		if ref[1] == "" {
			continue
		}
		if _, seen := h.referenced.LoadOrStore(ref[0]+"/"+ref[1], true); !seen {
			out = append(out, ref)
		}
	}
	return out
}

func (h *Handler) publish(ctx context.Context, e offer.Event) error {
	if h.d.Publisher == nil {
		return nil
	}
	return h.d.Publisher.Publish(ctx, e)
}

// record is what is stored of a decision: on the contact, in one
// conditional write. The customer's profile gets the exposure from the
// outcome, or from the contact record at the end of the contact
// (contacts.RecordContact), so the decision costs one write.
func (h *Handler) record(ev connect.FlowEvent, in decide.Input, d *decide.Decision, decisionID string, now time.Time) store.DecisionRecord {
	c := ev.Contact()
	rec := store.DecisionRecord{
		ContactID: c.ContactID,
		Channel:   contacts.ChannelOf(c.Channel),
		Queue:     queueName(c),
		Decision: contacts.Decision{
			DecisionID: decisionID, At: now.UTC(),
			OfferID: d.OfferID, CampaignID: d.CampaignID,
			Shown: d.Offered(), Holdout: d.Holdout, Variant: d.Variant,
			Reason: string(d.Why.Reason), Invocations: 1,
		},
	}
	if o := d.Offer(); o != nil {
		rec.Decision.Value, _ = strconv.ParseFloat(o.Value.Amount, 64)
	}
	if in.Profile != nil {
		rec.Decision.ProfileID = in.Profile.ID
	}
	return rec
}

// identify turns what the flow knows of the customer into an identity key:
// a customer id from the flow wins over the caller's phone number. An
// unusable identity makes the caller anonymous; it is never logged. Connect
// gives the caller's number in canonical E.164, which is hashed as it is.
func (h *Handler) identify(ctx context.Context, ev connect.FlowEvent) identity.Key {
	if id, ok := ev.Lookup(offer.ParamCustomerID); ok && strings.TrimSpace(id) != "" {
		k, err := h.d.Hasher.CustomerID(id)
		if err == nil {
			return k
		}
		h.d.Log.WarnContext(ctx, "customer id unusable; trying the phone number", "problem", "customerId is not 1-128 characters of text")
	}
	if phone, ok := ev.CustomerPhone(); ok {
		k, err := h.d.Hasher.Phone(phone)
		if err == nil {
			return k
		}
		h.d.Log.WarnContext(ctx, "caller's number is not E.164; deciding for an anonymous caller")
	}
	return ""
}

// contactOf gathers the live contact's context from the flow and from what
// Contact Lens already heard on this contact.
func contactOf(ev connect.FlowEvent, known *contacts.Contact) decide.Contact {
	c := ev.Contact()
	out := decide.Contact{
		ContactID: c.ContactID,
		Channel:   contacts.ChannelOf(c.Channel),
		Queue:     queueName(c),
		Language:  c.LanguageCode,
	}
	if v, ok := ev.Lookup(offer.ParamIntent); ok {
		out.Intent = strings.ToLower(strings.TrimSpace(v))
	}
	if v, ok := ev.Lookup(offer.ParamLanguage); ok && v != "" {
		out.Language = v
	}
	if v, ok := ev.Lookup(offer.ParamSentiment); ok {
		out.Sentiment = strings.ToLower(strings.TrimSpace(v))
	}
	if v, ok := ev.Lookup(offer.ParamSelfServiceFailed); ok {
		out.SelfServiceFailed, _ = strconv.ParseBool(strings.TrimSpace(v))
	}
	switch out.Intent {
	case "complaint":
		out.Complaint = true
	case "cancel", "cancellation", "close_account":
		out.Cancellation = true
	}
	if known != nil && known.Lens != nil {
		if out.Sentiment == "" {
			out.Sentiment = known.Lens.Sentiment
		}
		out.Complaint = out.Complaint || known.Lens.Has(contacts.SignalComplaint)
		out.Cancellation = out.Cancellation || known.Lens.Has(contacts.SignalChurnRisk)
	}
	if known != nil && known.RepeatContact {
		out.RepeatContact = true
	}
	return out
}

func queueName(c *connect.ContactData) string {
	if c == nil || c.Queue == nil {
		return ""
	}
	return c.Queue.Name
}

// answerOf turns a fresh decision into the flow's answer.
func answerOf(d *decide.Decision, decisionID string) connect.Response {
	switch {
	case d.Offered():
		return offerAnswer(decisionID, string(d.Why.Reason), d.Why.Words, d.Variant, d.Script(), d.Offer())
	case d.Holdout:
		return holdoutAnswer(decisionID, d.Why.Words)
	default:
		return noOffer(string(d.Why.Reason), d.Why.Words, decisionID)
	}
}

// answerFor rebuilds the answer of a decision recorded earlier for the
// same contact from the catalog in force.
func answerFor(rec *contacts.Decision, view *View) connect.Response {
	switch {
	case rec.Holdout:
		return holdoutAnswer(rec.DecisionID, decide.ReasonHoldout.Words())
	case !rec.Shown || rec.OfferID == "":
		return noOffer(rec.Reason, decide.Reason(rec.Reason).Words(), rec.DecisionID)
	}
	o := view.Snapshot.Offer(rec.OfferID)
	if o == nil {
		return noOffer("offer_withdrawn", "The offer decided earlier on this contact was withdrawn: no offer.", rec.DecisionID)
	}
	script := o.Content.Script
	for _, v := range o.Content.Variants {
		if v.ID == rec.Variant {
			script = v.Script
		}
	}
	return offerAnswer(rec.DecisionID, rec.Reason, "", rec.Variant, script, o)
}

func newDecisionID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "d-" + hex.EncodeToString(b[:])
}
