package simulator

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/connect"
)

// counterIDs makes contact ids that repeat between models, so two plans
// from the same seed compare equal.
func counterIDs() func() string {
	n := 0
	return func() string { n++; return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }
}

func testModel(t *testing.T, seed uint64, mix Mix, o Overload) *Model {
	t.Helper()
	m, err := NewModel(seed, mix, DemoCustomers(t0), testQueues(t, o), LocalInstance())
	if err != nil {
		t.Fatal(err)
	}
	m.NewID = counterIDs()
	return m
}

// plan plans n contacts arriving a second apart.
func plan(m *Model, n int) []*Contact {
	out := make([]*Contact, n)
	for i := range out {
		out[i] = m.Next(t0.Add(time.Duration(i) * time.Second))
	}
	return out
}

func share(cs []*Contact, f func(*Contact) bool) float64 {
	n := 0
	for _, c := range cs {
		if f(c) {
			n++
		}
	}
	return float64(n) / float64(len(cs))
}

func within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.4f, want %.3f ± %.3f", what, got, want, tol)
	}
}

// TestModelShares plans 20,000 contacts with a fixed seed and checks the
// traffic has the make-up asked for.
func TestModelShares(t *testing.T) {
	for _, mix := range []Mix{DefaultMix(), {ChatShare: 0.6, UpsetShare: 0.3, KnownShare: 0.5, RepeatShare: 0.1}} {
		t.Run(fmt.Sprintf("chat%.1f_upset%.1f", mix.ChatShare, mix.UpsetShare), func(t *testing.T) {
			cs := plan(testModel(t, 42, mix, Overload{}), 20000)
			within(t, "chat share", share(cs, func(c *Contact) bool { return c.Channel == connect.Chat }), mix.ChatShare, 0.015)
			within(t, "upset share", share(cs, func(c *Contact) bool { return c.Upset }), mix.UpsetShare, 0.015)
			within(t, "known share", share(cs, (*Contact).Known), mix.KnownShare, 0.015)
			for _, it := range Intents {
				within(t, it.Name+" share", share(cs, func(c *Contact) bool { return c.Intent == it.Name }), it.Share, 0.01)
			}
			if ab := share(cs, func(c *Contact) bool { return c.Abandoned }); ab > 0.06 {
				t.Errorf("%.3f abandoned in normal times", ab)
			}
			known := share(cs, (*Contact).Known)
			if rep := share(cs, func(c *Contact) bool { return c.Repeat }) / known; rep < mix.RepeatShare/2 || rep > mix.RepeatShare*2 {
				t.Errorf("repeats are %.3f of known customers' contacts, want about %.2f", rep, mix.RepeatShare)
			}
		})
	}
}

// TestModelBehaviour checks the plan hangs together the way a contact
// center's traffic does.
func TestModelBehaviour(t *testing.T) {
	cs := plan(testModel(t, 7, DefaultMix(), Overload{}), 20000)
	of := func(intent string) []*Contact {
		return slices.DeleteFunc(slices.Clone(cs), func(c *Contact) bool { return c.Intent != intent })
	}
	upset := func(c *Contact) bool { return c.Upset }
	if a, b, c := share(of("complaint"), upset), share(of("high_bill"), upset), share(of("upgrade"), upset); !(a > b && b > c) {
		t.Errorf("upset shares complaint %.2f, high_bill %.2f, upgrade %.2f: want complaints angriest, upgrades calmest", a, b, c)
	}
	if k := share(of("new_account"), (*Contact).Known); k > 0.3 {
		t.Errorf("%.2f of new-account contacts come from known customers", k)
	}
	if m := share(of("move"), func(c *Contact) bool { return slices.Contains(c.Categories, CategoryMove) }); m < 0.75 {
		t.Errorf("Contact Lens hears the move on only %.2f of move contacts", m)
	}
	demo := map[string]bool{}
	for _, c := range DemoCustomers(t0) {
		demo[c.Phone] = true
	}
	queues := map[string]string{}
	for _, it := range Intents {
		queues[it.Name] = it.Queue
	}
	for _, c := range cs {
		end := c.Timeline(Result{Answer: Answer{"offer": "x"}, Outcome: "accepted"}).LastUpdate()
		switch {
		case c.Channel == connect.Chat && c.Phone != "":
			t.Fatalf("chat %s has a phone number", c.ID)
		case c.Channel == connect.Voice && demo[c.Phone] != c.Known():
			t.Fatalf("call %s: phone %s, known %t", c.ID, c.Phone, c.Known())
		case c.Channel == connect.Voice && !strings.HasPrefix(c.Phone, "+447700"):
			t.Fatalf("call %s from %s, outside the drama range", c.ID, c.Phone)
		case c.Queue.Name != queues[c.Intent]:
			t.Fatalf("%s contact routed to %s", c.Intent, c.Queue.Name)
		case c.Abandoned != (c.Agent.Username == ""):
			t.Fatalf("contact %s abandoned %t with agent %q", c.ID, c.Abandoned, c.Agent.Username)
		case end.After(t0.Add(20000 * time.Second)):
			t.Fatalf("contact %s ends in the future", c.ID)
		case c.Initiated.Nanosecond() != 0 || c.Wait%time.Second != 0 || c.Talk%time.Second != 0:
			t.Fatalf("contact %s has times finer than Connect's records", c.ID)
		}
	}
}

func TestModelIsRepeatable(t *testing.T) {
	a, b := plan(testModel(t, 5, DefaultMix(), Overload{}), 500), plan(testModel(t, 5, DefaultMix(), Overload{}), 500)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed planned different contacts")
	}
	c := plan(testModel(t, 6, DefaultMix(), Overload{}), 500)
	if reflect.DeepEqual(a, c) {
		t.Fatal("different seeds planned the same contacts")
	}
}

// TestOverloadLengthensWaits checks contacts arriving during an incident
// wait longer and give up more.
func TestOverloadLengthensWaits(t *testing.T) {
	o := Overload{After: time.Hour, For: time.Hour, Queues: []string{QueueBilling, QueueSales}, Utilisation: 2.5}
	m := testModel(t, 9, DefaultMix(), o)
	var normal, incident []*Contact
	for i := range 4 * 3600 {
		c := m.Next(t0.Add(time.Duration(i) * time.Second))
		if c.Queue.Name != QueueBilling {
			continue
		}
		switch h := i / 3600; h {
		case 0:
			normal = append(normal, c)
		case 1:
			incident = append(incident, c)
		}
	}
	aband := func(c *Contact) bool { return c.Abandoned }
	an, ai := share(normal, aband), share(incident, aband)
	if !(ai > 0.3 && an < 0.06) {
		t.Errorf("abandoned: %.2f in normal times, %.2f during the incident", an, ai)
	}
}

func TestMixValidate(t *testing.T) {
	if err := (Mix{ChatShare: 1.2, UpsetShare: -0.1}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "chat-share") || !strings.Contains(err.Error(), "upset-share") {
		t.Fatalf("bad shares: %v", err)
	}
	if err := DefaultMix().Validate(); err != nil {
		t.Fatal(err)
	}
}
