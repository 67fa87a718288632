package profiles

import (
	"slices"
	"strings"
	"testing"

	"github.com/conduit-cx/conduit/shared/identity"
)

func TestSocialHandles(t *testing.T) {
	p, err := Input{Phone: "+15551230001", Handles: []SocialHandle{{"x", "@Jane_Doe"}, {"instagram", "jane.doe"}, {"x", "jane_doe"}}}.Build(hasher, now)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := hasher.SocialHandle("x", "jane_doe")
	if len(p.Identities) != 3 || !slices.Contains(p.Identities, x) {
		t.Fatalf("identities %v: want the phone and two handles (the same handle once)", p.Identities)
	}
	for _, k := range p.Identities {
		if strings.Contains(string(k), "jane") {
			t.Fatalf("identity %s holds the raw handle", k)
		}
	}
	// A profile may be known by a handle alone.
	if _, err := (Input{Handles: []SocialHandle{{"tiktok", "jd"}}}).Build(hasher, now); err != nil {
		t.Fatalf("handle-only profile: %v", err)
	}
	// Handles given on an update replace the old ones; left out, they stay.
	if err := (Input{Handles: []SocialHandle{{"reddit", "jd"}}}).Apply(hasher, now, &p); err != nil {
		t.Fatal(err)
	}
	kinds := map[identity.Kind]int{}
	for _, k := range p.Identities {
		kinds[k.Kind()]++
	}
	if kinds[identity.Handle] != 1 || kinds[identity.Phone] != 1 {
		t.Fatalf("after replacing handles: %v", p.Identities)
	}
	if err := (Input{Segments: []string{"families"}}).Apply(hasher, now, &p); err != nil || len(p.Identities) != 2 {
		t.Fatalf("an update without handles dropped them: %v %v", p.Identities, err)
	}
	_, err = Input{Phone: "+15551230001", Handles: []SocialHandle{{"myspace", "jd"}, {"x", ""}, {"x", strings.Repeat("j", 101)}}}.Build(hasher, now)
	if got := fields(err); !slices.Equal(got, []string{"handles[0].network", "handles[1].handle", "handles[2].handle"}) {
		t.Fatalf("problems %v", got)
	}
	many := make([]SocialHandle, MaxHandles+1)
	for i := range many {
		many[i] = SocialHandle{"x", strings.Repeat("h", i+1)}
	}
	if _, err := (Input{Phone: "+15551230001", Handles: many}).Build(hasher, now); !slices.Contains(fields(err), "handles") {
		t.Fatalf("%d handles accepted: %v", len(many), err)
	}
}

func TestCloneCopiesOpenComplaints(t *testing.T) {
	p := Profile{Voice: VoiceSignals{OpenComplaints: []OpenComplaint{{Post: "x#1", At: now}}}}
	c := p.Clone()
	c.Voice.OpenComplaints[0].Post = "x#2"
	if p.Voice.OpenComplaints[0].Post != "x#1" {
		t.Fatal("the clone shares the open complaints")
	}
}
