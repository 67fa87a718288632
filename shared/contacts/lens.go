package contacts

import (
	"slices"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/profiles"
)

// DefaultSentimentWindow is how many of a participant's latest turns make
// their current sentiment.
const DefaultSentimentWindow = 5

// recentIDs bounds the transcript ids a lens remembers for deduplication;
// offsets catch older repeats.
const recentIDs = 32

// Lens statuses, in the order an analysis goes through them.
const (
	LensStarted   = "started"
	LensAnalysing = "analysing"
	LensCompleted = "completed"
	LensFailed    = "failed"
)

// Participant roles as the lens keys them.
const (
	RoleCustomer = "customer"
	RoleAgent    = "agent"
)

// Lens is what Contact Lens heard on the contact (attribute "lens", written
// by speech only).
type Lens struct {
	// Version counts the writes of the lens; each write requires the version
	// it read, so two writers never lose each other's turns.
	Version  int    `dynamo:"version" json:"version"`
	Status   string `dynamo:"status,omitempty" json:"status,omitempty"`
	Language string `dynamo:"language,omitempty" json:"language,omitempty"`
	// Sentiment is the customer's current sentiment (positive, neutral,
	// mixed, negative): the balance of their latest turns. The empathy gate
	// reads it on the next offer call of the same contact.
	Sentiment string `dynamo:"sentiment,omitempty" json:"sentiment,omitempty"`
	// Participants holds the sentiment of each participant, by role
	// (customer, agent).
	Participants map[string]*ParticipantSentiment `dynamo:"participants,omitempty" json:"participants,omitempty"`
	// IssuesDetected counts the places Contact Lens heard an issue.
	IssuesDetected int        `dynamo:"issuesDetected,omitempty" json:"issuesDetected,omitempty"`
	Categories     []Category `dynamo:"categories,omitempty" json:"categories,omitempty"`
	Signals        []Signal   `dynamo:"signals,omitempty" json:"signals,omitempty"`
	// UpdatedAt is when the last analysis event that changed the lens arrived.
	UpdatedAt time.Time `dynamo:"updatedAt,omitempty" json:"updatedAt,omitzero"`
	// RecentIDs are the latest transcript ids applied, for deduplication.
	RecentIDs []string `dynamo:"recentIds,omitempty" json:"-"`
	// ProfileSynced is the ProfileFingerprint last written to the profile.
	ProfileSynced string `dynamo:"profileSynced,omitempty" json:"-"`
}

// ParticipantSentiment is one participant's sentiment on the contact.
type ParticipantSentiment struct {
	Turns    int `dynamo:"turns" json:"turns"`
	Positive int `dynamo:"positive" json:"positive"`
	Neutral  int `dynamo:"neutral" json:"neutral"`
	Mixed    int `dynamo:"mixed" json:"mixed"`
	Negative int `dynamo:"negative" json:"negative"`
	// Recent are the sentiments of the latest turns, oldest first.
	Recent []string `dynamo:"recent,omitempty" json:"recent,omitempty"`
	// Current is the balance of Recent.
	Current string `dynamo:"current,omitempty" json:"current,omitempty"`
	// LastOffsetMillis is where the latest applied turn began, for
	// deduplication.
	LastOffsetMillis int64 `dynamo:"lastOffsetMillis,omitempty" json:"-"`
}

// Category is a Contact Lens category the conversation matched.
type Category struct {
	Name string `dynamo:"name" json:"name"`
	// OffsetMillis is where in the conversation it first matched.
	OffsetMillis int64     `dynamo:"offsetMillis,omitempty" json:"offsetMillis,omitempty"`
	At           time.Time `dynamo:"at" json:"at"`
}

// Signal is what a matched category means to Conduit.
type Signal struct {
	Kind      string    `dynamo:"kind" json:"kind"`
	LifeEvent string    `dynamo:"lifeEvent,omitempty" json:"lifeEvent,omitempty"`
	Category  string    `dynamo:"category" json:"category"`
	At        time.Time `dynamo:"at" json:"at"`
	// ExpiresAt is when a life event stops being relevant.
	ExpiresAt time.Time `dynamo:"expiresAt,omitempty" json:"expiresAt,omitzero"`
}

// Has reports whether the lens carries a signal of kind.
func (l *Lens) Has(kind string) bool {
	return l != nil && slices.ContainsFunc(l.Signals, func(s Signal) bool { return s.Kind == kind })
}

// Apply adds one Contact Lens event, heard at at, to the lens: sentiment of
// new transcript turns, newly matched categories and their signals, and the
// analysis status. Turns already applied (same id, or not after the
// participant's latest offset) are skipped, so applying an event twice
// changes nothing. It reports whether the lens changed.
func (l *Lens) Apply(ev *connect.LensEvent, at time.Time, table SignalTable, window int) bool {
	if window <= 0 {
		window = DefaultSentimentWindow
	}
	changed := false
	if lang := ev.Language(); lang != "" && l.Language != lang {
		l.Language, changed = lang, true
	}
	switch ev.Type() {
	case connect.LensStarted:
		changed = l.advance(LensStarted) || changed
	case connect.LensCompleted:
		changed = l.advance(LensCompleted) || changed
	case connect.LensFailed:
		changed = l.advance(LensFailed) || changed
	case connect.LensSegments:
		changed = l.advance(LensAnalysing) || changed
		for i := range ev.Segments {
			s := &ev.Segments[i]
			if s.Transcript != nil && l.addTurn(s.Transcript, window) {
				changed = true
			}
			if s.Categories != nil && l.addCategories(s.Categories, at, table) {
				changed = true
			}
		}
	}
	if changed {
		l.UpdatedAt = at.UTC()
	}
	return changed
}

var statusRank = map[string]int{"": 0, LensStarted: 1, LensAnalysing: 2, LensCompleted: 3, LensFailed: 3}

// advance moves the status forward only: a late STARTED never reopens a
// completed analysis.
func (l *Lens) advance(status string) bool {
	if statusRank[status] <= statusRank[l.Status] {
		return false
	}
	l.Status = status
	return true
}

func (l *Lens) addTurn(t *connect.Transcript, window int) bool {
	role := strings.ToLower(strings.TrimSpace(t.ParticipantRole))
	if role == "" {
		role = strings.ToLower(strings.TrimSpace(t.ParticipantID))
	}
	if role == "" {
		return false
	}
	offset := t.BeginOffsetMillis
	if offset == 0 && t.Time != nil && !t.Time.AbsoluteTime.IsZero() {
		offset = t.Time.AbsoluteTime.UnixMilli()
	}
	if t.ID != "" && slices.Contains(l.RecentIDs, t.ID) {
		return false
	}
	if l.Participants == nil {
		l.Participants = map[string]*ParticipantSentiment{}
	}
	p := l.Participants[role]
	if p == nil {
		p = &ParticipantSentiment{}
		l.Participants[role] = p
	}
	if offset > 0 && offset <= p.LastOffsetMillis {
		return false
	}
	if offset > 0 {
		p.LastOffsetMillis = offset
	}
	if t.ID != "" {
		l.RecentIDs = append(l.RecentIDs, t.ID)
		if len(l.RecentIDs) > recentIDs {
			l.RecentIDs = l.RecentIDs[len(l.RecentIDs)-recentIDs:]
		}
	}
	p.Turns++
	l.IssuesDetected += len(t.IssuesDetected)
	s := sentimentOf(t.Sentiment)
	if s == "" {
		return true
	}
	switch s {
	case profiles.SentimentPositive:
		p.Positive++
	case profiles.SentimentNegative:
		p.Negative++
	case profiles.SentimentMixed:
		p.Mixed++
	default:
		p.Neutral++
	}
	p.Recent = append(p.Recent, s)
	if len(p.Recent) > window {
		p.Recent = p.Recent[len(p.Recent)-window:]
	}
	p.Current = Balance(p.Recent)
	if role == RoleCustomer {
		l.Sentiment = p.Current
	}
	return true
}

// Balance is the sentiment of a run of turns: negative when negative turns
// outnumber positive ones, positive the other way round, mixed when both
// are there in equal number, neutral otherwise. One negative turn among
// neutral ones is enough to read the customer as upset: the empathy gate
// would rather hold an offer than sell to someone unhappy.
func Balance(recent []string) string {
	pos, neg := 0, 0
	for _, s := range recent {
		switch s {
		case profiles.SentimentPositive:
			pos++
		case profiles.SentimentNegative:
			neg++
		}
	}
	switch {
	case len(recent) == 0:
		return ""
	case neg > pos:
		return profiles.SentimentNegative
	case pos > neg:
		return profiles.SentimentPositive
	case pos > 0:
		return profiles.SentimentMixed
	}
	return profiles.SentimentNeutral
}

func sentimentOf(s connect.Sentiment) string {
	switch s {
	case connect.Positive:
		return profiles.SentimentPositive
	case connect.Negative:
		return profiles.SentimentNegative
	case connect.Mixed:
		return profiles.SentimentMixed
	case connect.Neutral:
		return profiles.SentimentNeutral
	}
	return ""
}

func (l *Lens) addCategories(c *connect.Categories, at time.Time, table SignalTable) bool {
	changed := false
	for _, name := range c.MatchedCategories {
		name = strings.TrimSpace(name)
		if name == "" || slices.ContainsFunc(l.Categories, func(x Category) bool { return strings.EqualFold(x.Name, name) }) {
			continue
		}
		cat := Category{Name: name, At: at.UTC()}
		if d, ok := c.MatchedDetails[name]; ok {
			for i, poi := range d.PointsOfInterest {
				if i == 0 || poi.BeginOffsetMillis < cat.OffsetMillis {
					cat.OffsetMillis = poi.BeginOffsetMillis
				}
			}
		}
		l.Categories = append(l.Categories, cat)
		changed = true
		m, ok := table.Lookup(name)
		if !ok {
			continue
		}
		sig := Signal{Kind: m.Signal, LifeEvent: m.LifeEvent, Category: name, At: at.UTC()}
		if m.Signal == SignalLifeEvent {
			sig.ExpiresAt = sig.At.Add(m.TTL())
		}
		if !slices.ContainsFunc(l.Signals, func(x Signal) bool { return x.Kind == sig.Kind && x.LifeEvent == sig.LifeEvent }) {
			l.Signals = append(l.Signals, sig)
		}
	}
	return changed
}

// ProfileFingerprint sums up what the lens puts on the profile (the
// customer's sentiment and the life events), so a writer can tell whether
// the profile needs writing again.
func (l *Lens) ProfileFingerprint() string {
	if l == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(l.Sentiment)
	for _, s := range l.Signals {
		if s.Kind == SignalLifeEvent {
			b.WriteString("|" + s.LifeEvent)
		}
	}
	return b.String()
}
