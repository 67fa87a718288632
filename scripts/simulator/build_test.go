package simulator

import (
	"encoding/json"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/offer"
)

// answers are the kinds of answer the offer function gives.
var answers = []Answer{
	{"offer": "fibre-1000-switch", "reason": "intent_match", "decisionId": "d-1", "holdout": "false",
		"offerName": "Fibre 1000 for less than your bill", "campaignId": "fibre-upgrade", "variant": "save-first",
		"pitch": "Fibre 1000 is ten times faster and €4 a month less than you pay today.", "script": "…", "why": "…"},
	{"offer": "none", "reason": "holdout", "decisionId": "d-2", "holdout": "true"},
	{"offer": "none", "reason": "negative_sentiment", "decisionId": "d-3", "holdout": "false"},
	nil, // the invocation failed
}

// roundTrip marshals v as the simulator sends it and decodes it with
// decode, as the functions do.
func roundTrip[T any](t *testing.T, what string, v any, decode func([]byte) (T, error)) T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	got, err := decode(b)
	if err != nil {
		t.Fatalf("%s does not decode: %v\n%s", what, err, b)
	}
	return got
}

// TestEventsDecodeAndValidate builds every payload of 400 planned contacts
// under each kind of answer and reads each back with shared/connect's
// decoders, as the functions do; then checks what the functions would
// take from them.
func TestEventsDecodeAndValidate(t *testing.T) {
	in := LocalInstance()
	cs := plan(testModel(t, 11, DefaultMix(), Overload{}), 400)
	for i, c := range cs {
		a := answers[i%len(answers)]
		res := c.Respond(a)
		tl := c.Timeline(res)

		flow := roundTrip(t, "offer event", c.OfferEvent(in), connect.DecodeFlowEvent)
		if flow.ContactID() != c.ID || flow.Channel() != c.Channel {
			t.Fatalf("offer event of %s reads as %s on %s", c.ID, flow.ContactID(), flow.Channel())
		}
		if v, _ := flow.Param(offer.ParamIntent); v != c.Intent {
			t.Fatalf("offer event intent %q, want %q", v, c.Intent)
		}
		phone, hasPhone := flow.CustomerPhone()
		switch c.Channel {
		case connect.Voice:
			if !hasPhone || phone != c.Phone {
				t.Fatalf("call %s reads phone %q", c.ID, phone)
			}
		case connect.Chat:
			if flow.Contact().CustomerEndpointPresence() != connect.Null {
				t.Fatalf("chat %s: customer endpoint %s, want null", c.ID, flow.Contact().CustomerEndpointPresence())
			}
		}
		if id, ok := flow.Param(offer.ParamCustomerID); ok != (c.Authenticated && c.Known()) || ok && id != c.Customer.CustomerID {
			t.Fatalf("contact %s passes customer id %q (%t)", c.ID, id, ok)
		}
		if s, _ := flow.Param(offer.ParamSentiment); (s == "negative") != c.BotHeardUpset {
			t.Fatalf("contact %s passes sentiment %q", c.ID, s)
		}

		if res.Outcome != "" {
			oc := roundTrip(t, "outcome event", c.OutcomeEvent(in, a, res.Outcome), connect.DecodeFlowEvent)
			if d, _ := oc.Param(offer.ParamDecisionID); d != a.DecisionID() {
				t.Fatalf("outcome event names decision %q", d)
			}
			if o, _ := oc.Param(offer.ParamOutcome); o != res.Outcome {
				t.Fatalf("outcome event says %q, want %q", o, res.Outcome)
			}
			if v, _ := oc.Attribute("conduit_decisionId"); v != a.DecisionID() {
				t.Fatalf("outcome event's attributes miss the saved answer: %v", oc.Contact().Attributes)
			}
		}

		var last time.Time
		evs := c.ContactEvents(in, tl)
		for _, e := range evs {
			got := roundTrip(t, "contact event "+e.Detail.EventType, e, connect.DecodeContactEvent)
			at := contacts.EventTime(&got)
			if at.Before(last) {
				t.Fatalf("contact %s: %s at %s before the state before it (%s)", c.ID, e.Detail.EventType, at, last)
			}
			last = at
		}
		if n := len(evs); (n == 3) != c.Abandoned {
			t.Fatalf("contact %s abandoned %t has %d events", c.ID, c.Abandoned, n)
		}
		var timeline contacts.Events
		for _, e := range evs {
			timeline.Apply(&e)
		}
		if timeline.Last != connect.EventDisconnected || timeline.Waiting != nil {
			t.Fatalf("contact %s timeline ends %s, waiting %+v", c.ID, timeline.Last, timeline.Waiting)
		}

		lens := &contacts.Lens{}
		for _, e := range c.LensEvents(in, tl, res) {
			got := roundTrip(t, "Contact Lens event", e, connect.DecodeLensEvent)
			lens.Apply(&got, tl.Disconnected, contacts.DefaultSignalTable(), 0)
		}
		if c.Abandoned {
			if lens.Status != "" {
				t.Fatalf("abandoned contact %s has a Contact Lens analysis", c.ID)
			}
		} else {
			if lens.Status != contacts.LensCompleted {
				t.Fatalf("contact %s: lens status %q", c.ID, lens.Status)
			}
			if (lens.Sentiment == "negative") != c.Upset {
				t.Fatalf("contact %s upset %t reads as %s", c.ID, c.Upset, lens.Sentiment)
			}
			for _, cat := range c.Categories {
				if !slices.ContainsFunc(lens.Categories, func(x contacts.Category) bool { return x.Name == cat }) {
					t.Fatalf("contact %s: category %s not heard (%+v)", c.ID, cat, lens.Categories)
				}
			}
			if slices.Contains(c.Categories, CategoryMove) && !lens.Has(contacts.SignalLifeEvent) {
				t.Fatalf("contact %s: the move gave no life event", c.ID)
			}
		}

		for _, final := range []bool{false, true} {
			rec := roundTrip(t, "contact record", c.Record(in, tl, res, final), connect.DecodeContactRecord)
			f, notes := contacts.FactsOf(&rec)
			if notes != nil {
				t.Fatalf("contact record of %s: %v", c.ID, notes)
			}
			wantStatus := contacts.StatusHandled
			if c.Abandoned {
				wantStatus = contacts.StatusAbandoned
			}
			if f.Status != wantStatus || f.QueueWaitSeconds != int(c.Wait/time.Second) || f.Queue != c.Queue.Name ||
				f.QueueID != c.Queue.ID || f.Intent != c.Intent {
				t.Fatalf("facts of %s: %+v", c.ID, f)
			}
			if f.DecisionID != a.DecisionID() || f.Outcome != outcomeAttr(res) {
				t.Fatalf("facts of %s: decision %q outcome %q; answer %v result %+v", c.ID, f.DecisionID, f.Outcome, a, res)
			}
			if !final || c.Abandoned {
				if f.SurveyScore != 0 {
					t.Fatalf("contact %s has a survey score before wrap-up", c.ID)
				}
				continue
			}
			want := int((tl.Talk + c.Hold + tl.ACW) / time.Second)
			if f.HandleSeconds != want || f.AgentUsername != c.Agent.Username {
				t.Fatalf("facts of %s: handle %d s by %s, want %d s by %s", c.ID, f.HandleSeconds, f.AgentUsername, want, c.Agent.Username)
			}
			if got := strconv.Itoa(c.SurveyScore(res)); c.SurveyScore(res) > 0 && rec.Attributes[AttrSurveyScore] != got {
				t.Fatalf("contact %s survey attribute %q, want %s", c.ID, rec.Attributes[AttrSurveyScore], got)
			}
			if !rec.LastUpdateTimestamp.Equal(tl.ACWEnd) {
				t.Fatalf("contact %s last update %s, want the end of wrap-up %s", c.ID, rec.LastUpdateTimestamp, tl.ACWEnd)
			}
		}
	}
}

func outcomeAttr(res Result) string {
	if res.Organic {
		return contacts.OutcomeAccepted
	}
	return res.Outcome
}

// TestRespond checks how customers answer offers.
func TestRespond(t *testing.T) {
	cs := plan(testModel(t, 13, DefaultMix(), Overload{}), 20000)
	counts := map[string]int{}
	shown, holdouts, organic := 0, 0, 0
	matched, other := [2]int{}, [2]int{}
	for i, c := range cs {
		if c.Abandoned || c.Upset {
			continue
		}
		a := answers[0]
		if i%2 == 1 {
			a = Answer{"offer": "fibre-1000-switch", "reason": "best_fit", "decisionId": "d"}
		}
		res := c.Respond(a)
		shown++
		counts[res.Outcome]++
		acc := 0
		if res.Outcome == contacts.OutcomeAccepted {
			acc = 1
		}
		if i%2 == 0 {
			matched[0] += acc
			matched[1]++
		} else {
			other[0] += acc
			other[1]++
		}
		if h := c.Respond(answers[1]); h.Outcome != "" {
			t.Fatalf("a held-back customer answered an offer: %+v", h)
		} else {
			holdouts++
			if h.Organic {
				organic++
			}
		}
		if r := c.Respond(answers[2]); r.Outcome != "" || r.Organic {
			t.Fatalf("no offer, yet %+v", r)
		}
	}
	if counts[""] != 0 || counts[contacts.OutcomeAccepted] == 0 || counts[contacts.OutcomeDeclined] == 0 || counts[contacts.OutcomeLater] == 0 {
		t.Fatalf("outcomes %v", counts)
	}
	pm, po := float64(matched[0])/float64(matched[1]), float64(other[0])/float64(other[1])
	if !(pm > po && po > 0.1 && pm < 0.5) {
		t.Errorf("acceptance %.3f when the offer matches the intent, %.3f otherwise", pm, po)
	}
	if o := float64(organic) / float64(holdouts); o < 0.01 || o > 0.06 {
		t.Errorf("organic conversion %.3f", o)
	}
	t.Logf("acceptance %.3f matched, %.3f best fit; declined %d, later %d; organic %.3f", pm, po,
		counts[contacts.OutcomeDeclined], counts[contacts.OutcomeLater], float64(organic)/float64(holdouts))
}

// TestSurveyScores checks upset customers and long waits score lower.
func TestSurveyScores(t *testing.T) {
	cs := plan(testModel(t, 17, DefaultMix(), Overload{}), 20000)
	var calm, upset [2]int
	for _, c := range cs {
		s := c.SurveyScore(Result{})
		if s == 0 {
			continue
		}
		if s < 1 || s > 5 {
			t.Fatalf("score %d", s)
		}
		if c.Upset {
			upset[0] += s
			upset[1]++
		} else {
			calm[0] += s
			calm[1]++
		}
	}
	mc, mu := float64(calm[0])/float64(calm[1]), float64(upset[0])/float64(upset[1])
	if !(mc > 4 && mu < 3) {
		t.Errorf("mean survey score %.2f of calm customers, %.2f of upset ones", mc, mu)
	}
}
