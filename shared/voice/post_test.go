package voice

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/profiles"
)

var (
	now    = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	hasher = identity.NewHasher([]byte("voice-test-identity-key-32bytes!"))
)

func goodPost() PostInput {
	return PostInput{Network: "x", PostID: "1899001", Author: "@Jane_Doe", Text: "My internet is down again",
		PostedAt: now.Add(-time.Hour), Followers: 420, Language: "en-GB"}
}

func TestBuildPost(t *testing.T) {
	p, err := goodPost().Build(hasher, DefaultRules(), now)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := hasher.SocialHandle("x", "jane_doe")
	if p.AuthorKey != want || p.Key() != "x#1899001" || p.Status != StatusOpen || p.Version != 1 ||
		p.Triage.Route != RouteService || !p.ReceivedAt.Equal(now) {
		t.Fatalf("post %+v", p)
	}
	// The handle is kept only as its keyed hash.
	if strings.Contains(string(p.AuthorKey), "jane") {
		t.Fatalf("author key %s holds the handle", p.AuthorKey)
	}
}

func TestBuildPostRefusesBadInput(t *testing.T) {
	cases := []struct {
		name   string
		change func(*PostInput)
		fields []string
	}{
		{"unknown network", func(p *PostInput) { p.Network = "myspace" }, []string{"network"}},
		{"no network", func(p *PostInput) { p.Network = "" }, []string{"network"}},
		{"empty text", func(p *PostInput) { p.Text = "  \n " }, []string{"text"}},
		{"huge text", func(p *PostInput) { p.Text = strings.Repeat("slow ", MaxTextChars) }, []string{"text"}},
		{"text not UTF-8", func(p *PostInput) { p.Text = "bad \xff\xfe bytes" }, []string{"text"}},
		{"text mangled on the way", func(p *PostInput) { p.Text = "bad \ufffd\ufffd bytes" }, []string{"text"}},
		{"text with control characters", func(p *PostInput) { p.Text = "down\x00again" }, []string{"text"}},
		{"no post id", func(p *PostInput) { p.PostID = "" }, []string{"postId"}},
		{"post id with a slash", func(p *PostInput) { p.PostID = "a/b" }, []string{"postId"}},
		{"post id too long", func(p *PostInput) { p.PostID = strings.Repeat("9", MaxPostIDLen+1) }, []string{"postId"}},
		{"no author", func(p *PostInput) { p.Author = " " }, []string{"author"}},
		{"author with spaces", func(p *PostInput) { p.Author = "jane doe" }, []string{"author"}},
		{"author too long", func(p *PostInput) { p.Author = strings.Repeat("j", 101) }, []string{"author"}},
		{"no date", func(p *PostInput) { p.PostedAt = time.Time{} }, []string{"postedAt"}},
		{"a date in the future", func(p *PostInput) { p.PostedAt = now.Add(time.Hour) }, []string{"postedAt"}},
		{"a date long ago", func(p *PostInput) { p.PostedAt = now.Add(-2 * Retention) }, []string{"postedAt"}},
		{"negative followers", func(p *PostInput) { p.Followers = -1 }, []string{"followers"}},
		{"bad language", func(p *PostInput) { p.Language = "english!" }, []string{"language"}},
		{"everything at once", func(p *PostInput) { *p = PostInput{Followers: -5} },
			[]string{"network", "postId", "author", "text", "postedAt", "followers"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := goodPost()
			tc.change(&in)
			_, err := in.Build(hasher, DefaultRules(), now)
			ps, ok := apperr.AsProblems(err)
			if !ok {
				t.Fatalf("error %v; want problems naming %v", err, tc.fields)
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.Field)
			}
			if !slices.Equal(got, tc.fields) {
				t.Fatalf("problems name %v, want %v (%v)", got, tc.fields, err)
			}
		})
	}
}

func TestHandlePost(t *testing.T) {
	p, _ := goodPost().Build(hasher, DefaultRules(), now)
	if _, ok := apperr.AsProblems(p.Handle("closed", "", "sam", now)); !ok {
		t.Fatal("status closed accepted")
	}
	if _, ok := apperr.AsProblems(p.Handle(StatusHandled, strings.Repeat("n", MaxNoteChars+1), "sam", now)); !ok {
		t.Fatal("huge note accepted")
	}
	if err := p.Handle(StatusHandled, " replied with the outage page ", "sam", now); err != nil {
		t.Fatal(err)
	}
	if p.Status != StatusHandled || p.HandledBy != "sam" || p.Note != "replied with the outage page" || !p.HandledAt.Equal(now) {
		t.Fatalf("handled post %+v", p)
	}
	if err := p.Handle(StatusHandled, "", "kim", now); err == nil || !strings.Contains(err.Error(), "handled by sam") {
		t.Fatalf("second handling: %v", err)
	}
}

func TestOpenComplaintsHoldUntilHandled(t *testing.T) {
	var v profiles.VoiceSignals
	post := func(id, text string, at time.Time) Post {
		in := goodPost()
		in.PostID, in.Text, in.PostedAt = id, text, at
		p, err := in.Build(hasher, DefaultRules(), now)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	older := post("1", "billing charged me twice", now.Add(-48*time.Hour))
	newer := post("2", "internet is down", now.Add(-time.Hour))
	praise := post("3", "love the new router", now.Add(-30*time.Minute))

	if !RecordPost(&v, older) || !RecordPost(&v, newer) || RecordPost(&v, newer) {
		t.Fatal("recording posts: want changes once each")
	}
	if !v.ComplaintOpenedAt.Equal(newer.PostedAt) || len(v.OpenComplaints) != 2 || v.LastSocialTopic != "outage" {
		t.Fatalf("signals %+v", v)
	}
	// Praise moves the last topic, not the open complaints.
	if !RecordPost(&v, praise) || v.LastSocialTopic != "praise" || v.LastSocialRoute != "marketing" || len(v.OpenComplaints) != 2 {
		t.Fatalf("after praise %+v", v)
	}
	// An older post arriving late does not move the last topic back.
	if RecordPost(&v, older) || v.LastSocialTopic != "praise" {
		t.Fatalf("late post changed %+v", v)
	}
	// Handling the newer complaint leaves the older one holding offers.
	if !HandlePost(&v, newer.Key()) || HandlePost(&v, newer.Key()) || !v.ComplaintOpenedAt.Equal(older.PostedAt) {
		t.Fatalf("after handling the newer %+v", v)
	}
	if !HandlePost(&v, older.Key()) || !v.ComplaintOpenedAt.IsZero() || len(v.OpenComplaints) != 0 {
		t.Fatalf("after handling both %+v", v)
	}
	// A handled post opens nothing when it is recorded again.
	_ = older.Handle(StatusHandled, "", "sam", now)
	RecordPost(&v, older)
	if len(v.OpenComplaints) != 0 {
		t.Fatalf("a handled post reopened a complaint: %+v", v)
	}
	// The list stays bounded, newest kept.
	for i := range MaxOpenComplaints + 3 {
		RecordPost(&v, post("b"+string(rune('a'+i)), "outage again", now.Add(-time.Duration(i)*time.Hour)))
	}
	if len(v.OpenComplaints) != MaxOpenComplaints || v.OpenComplaints[0].Post != "x#ba" {
		t.Fatalf("open complaints %+v", v.OpenComplaints)
	}
}

func TestRecordSurvey(t *testing.T) {
	var v profiles.VoiceSignals
	low := contacts.Survey{Score: 2, At: now}
	if !RecordSurvey(&v, low) || RecordSurvey(&v, low) || v.LastSurveyScore != 2 {
		t.Fatalf("first survey: %+v", v)
	}
	if RecordSurvey(&v, contacts.Survey{Score: 5, At: now.Add(-time.Hour)}) || v.LastSurveyScore != 2 {
		t.Fatalf("an older answer replaced a newer one: %+v", v)
	}
	if !RecordSurvey(&v, contacts.Survey{Score: 5, At: now.Add(time.Hour)}) || v.LastSurveyScore != 5 {
		t.Fatalf("a newer answer was not taken: %+v", v)
	}
	for raw, want := range map[string]int{"1": 1, " 5 ": 5, "0": 0, "6": 0, "4.5": 0, "four": 0, "": 0} {
		if got, _ := ParseScore(raw); got != want {
			t.Errorf("ParseScore(%q) = %d, want %d", raw, got, want)
		}
	}
	if ps := SurveyProblems(7, strings.Repeat("x", MaxCommentChars+1), "surveyScore", "surveyComment"); len(ps) != 2 ||
		ps[0].Field != "surveyScore" || ps[1].Field != "surveyComment" {
		t.Fatalf("problems %v", ps)
	}
}
