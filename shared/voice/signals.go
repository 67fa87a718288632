package voice

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/profiles"
)

// MaxOpenComplaints bounds the open complaints a profile remembers; the
// newest are kept, and they are the ones that hold offers longest.
const MaxOpenComplaints = 10

// RecordPost puts a triaged post onto its author's voice signals: the last
// social topic and route (unless a newer post is there) and, for a service
// failure not handled yet, an open complaint that holds offers until service
// handles it. It reports whether anything changed; applying it twice
// changes nothing.
func RecordPost(v *profiles.VoiceSignals, p Post) bool {
	changed := false
	if !p.PostedAt.Before(v.LastSocialAt) &&
		(v.LastSocialTopic != p.Triage.Topic || v.LastSocialRoute != string(p.Triage.Route) || !v.LastSocialAt.Equal(p.PostedAt)) {
		v.LastSocialTopic, v.LastSocialRoute, v.LastSocialAt = p.Triage.Topic, string(p.Triage.Route), p.PostedAt
		changed = true
	}
	key := p.Key()
	if p.Triage.OpensComplaint && p.Status == StatusOpen &&
		!slices.ContainsFunc(v.OpenComplaints, func(c profiles.OpenComplaint) bool { return c.Post == key }) {
		list := append(slices.Clone(v.OpenComplaints), profiles.OpenComplaint{Post: key, At: p.PostedAt})
		slices.SortStableFunc(list, func(a, b profiles.OpenComplaint) int { return b.At.Compare(a.At) })
		if len(list) > MaxOpenComplaints {
			list = list[:MaxOpenComplaints]
		}
		// A complaint older than all the remembered ones is not kept.
		if slices.ContainsFunc(list, func(c profiles.OpenComplaint) bool { return c.Post == key }) {
			v.OpenComplaints = list
			setComplaintOpenedAt(v)
			changed = true
		}
	}
	return changed
}

// HandlePost closes the open complaint of a handled post; the newest of
// the others, if any, keeps holding offers. It reports whether anything
// changed.
func HandlePost(v *profiles.VoiceSignals, key string) bool {
	i := slices.IndexFunc(v.OpenComplaints, func(c profiles.OpenComplaint) bool { return c.Post == key })
	if i < 0 {
		return false
	}
	v.OpenComplaints = slices.Delete(slices.Clone(v.OpenComplaints), i, i+1)
	setComplaintOpenedAt(v)
	return true
}

// setComplaintOpenedAt makes ComplaintOpenedAt the newest open complaint,
// or zero when none is open.
func setComplaintOpenedAt(v *profiles.VoiceSignals) bool {
	var at time.Time
	for _, c := range v.OpenComplaints {
		if c.At.After(at) {
			at = c.At
		}
	}
	if v.ComplaintOpenedAt.Equal(at) {
		return false
	}
	v.ComplaintOpenedAt = at
	return true
}

// MaxCommentChars bounds a survey comment.
const MaxCommentChars = 2000

// ParseScore reads a survey score as a flow or a survey tool sends it: a
// whole number from 1 to 5.
func ParseScore(raw string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil || n < contacts.MinSurveyScore || n > contacts.MaxSurveyScore {
		return 0, false
	}
	return n, true
}

// SurveyProblems checks a survey answer; the fields are named as the
// caller's input names them.
func SurveyProblems(score int, comment, scoreField, commentField string) apperr.Problems {
	var p apperr.Problems
	if score < contacts.MinSurveyScore || score > contacts.MaxSurveyScore {
		p.Add(scoreField, "must be a whole number from %d to %d", contacts.MinSurveyScore, contacts.MaxSurveyScore)
	}
	switch {
	case !utf8.ValidString(comment):
		p.Add(commentField, "is not valid UTF-8")
	case utf8.RuneCountInString(comment) > MaxCommentChars:
		p.Add(commentField, "has %d characters; at most %d", utf8.RuneCountInString(comment), MaxCommentChars)
	}
	return p
}

// RecordSurvey puts a survey answer onto the customer's voice signals,
// unless a newer answer is there. A low score makes the empathy gate hold
// offers for a while (decide.Policy LowSurveyScore and LowSurveyDays). It
// reports whether anything changed.
func RecordSurvey(v *profiles.VoiceSignals, s contacts.Survey) bool {
	if s.At.Before(v.LastSurveyAt) || v.LastSurveyScore == s.Score && v.LastSurveyAt.Equal(s.At) {
		return false
	}
	v.LastSurveyScore, v.LastSurveyAt = s.Score, s.At.UTC()
	return true
}
