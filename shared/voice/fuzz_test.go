package voice

import (
	"slices"
	"testing"
	"time"
)

// FuzzTriage feeds posts from outside (any bytes, any reach) through triage:
// it never panics, always routes, and never sends a service failure to
// marketing.
func FuzzTriage(f *testing.F) {
	for _, p := range samplePosts {
		f.Add(p.text, p.followers, p.language)
	}
	f.Add("\xff\xfe not not not happy !!!", int64(-1), "x")
	f.Add("", int64(1<<62), "")
	r := DefaultRules()
	f.Fuzz(func(t *testing.T, text string, followers int64, lang string) {
		got := r.Triage(Text{Text: text, Followers: followers, Language: lang})
		if got.Route != RouteService && got.Route != RouteMarketing {
			t.Fatalf("route %q", got.Route)
		}
		if got.Severity.Rank() < 0 || got.Urgency.Rank() < 0 || got.Topic == "" || len(got.Reasons) == 0 {
			t.Fatalf("incomplete triage %+v", got)
		}
		if slices.ContainsFunc(got.Topics, r.OpensComplaint) && got.Route != RouteService {
			t.Fatalf("a service failure went to marketing: %+v", got)
		}
	})
}

// FuzzParseRules: a rule set from outside is either refused with problems
// or triages without panicking.
func FuzzParseRules(f *testing.F) {
	f.Add([]byte(rulesJSON), "the network is down again, not happy")
	f.Add(defaultRulesJSON, "love it")
	f.Add([]byte(`{"version":"x"}`), "")
	f.Fuzz(func(t *testing.T, data []byte, text string) {
		r, err := ParseRules(data)
		if err != nil {
			return
		}
		_ = r.Triage(Text{Text: text})
	})
}

// FuzzBuildPost: any post a listening tool sends is refused with problems
// or built with a triage.
func FuzzBuildPost(f *testing.F) {
	f.Add("x", "1899001", "@jane", "internet down", int64(10), "en")
	f.Add("myspace", "", "", "\xff", int64(-3), "??")
	f.Fuzz(func(t *testing.T, network, id, author, text string, followers int64, lang string) {
		in := PostInput{Network: network, PostID: id, Author: author, Text: text, PostedAt: now.Add(-time.Minute), Followers: followers, Language: lang}
		p, err := in.Build(hasher, DefaultRules(), now)
		if err != nil {
			return
		}
		if !p.AuthorKey.Valid() || p.Triage.Route == "" || !ValidPostID(p.PostID) || !ValidNetwork(p.Network) {
			t.Fatalf("built an incomplete post %+v", p)
		}
	})
}

func BenchmarkTriage(b *testing.B) {
	r := DefaultRules()
	long := ""
	for _, p := range samplePosts {
		long += p.text + " "
	}
	b.Run("short", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			p := samplePosts[i%len(samplePosts)]
			_ = r.Triage(Text{Text: p.text, Followers: p.followers})
		}
	})
	b.Run("all-samples-in-one", func(b *testing.B) {
		b.SetBytes(int64(len(long)))
		for b.Loop() {
			_ = r.Triage(Text{Text: long})
		}
	})
}
