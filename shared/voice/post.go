package voice

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/profiles"
)

// Post statuses.
const (
	StatusOpen    = "open"
	StatusHandled = "handled"
)

// Bounds of a post.
const (
	// MaxTextChars bounds a post's text; long reviews fit, a pasted book does not.
	MaxTextChars = 10000
	MaxNoteChars = 1000
	MaxPostIDLen = 128
	// MaxFollowers is far above any account, so a typo of a few digits is caught.
	MaxFollowers = 10_000_000_000
	// Retention is how long a post is kept (and how old one may be when it
	// comes in): thirteen months, like contacts.
	Retention = 396 * 24 * time.Hour
	// clockSkew lets a post be stamped a little after our clock.
	clockSkew = 5 * time.Minute
)

// PostInput is a post as a social-listening tool sends it.
type PostInput struct {
	Network string `json:"network"`
	PostID  string `json:"postId"`
	// Author is the author's handle; only its keyed hash is kept.
	Author    string    `json:"author"`
	Text      string    `json:"text"`
	PostedAt  time.Time `json:"postedAt"`
	Followers int64     `json:"followers"`
	Language  string    `json:"language,omitempty"`
}

// Post is a post as Conduit keeps it: no raw handle, only its keyed hash.
type Post struct {
	Network string `json:"network" dynamo:"network"`
	PostID  string `json:"postId" dynamo:"postId"`
	// AuthorKey is the keyed hash of the author's handle on the network.
	AuthorKey identity.Key `json:"-" dynamo:"authorKey"`
	// ProfileID is the author's profile, when one has the handle.
	ProfileID  string    `json:"profileId,omitempty" dynamo:"profileId,omitempty"`
	Text       string    `json:"text" dynamo:"text"`
	Language   string    `json:"language,omitempty" dynamo:"language,omitempty"`
	Followers  int64     `json:"followers" dynamo:"followers"`
	PostedAt   time.Time `json:"postedAt" dynamo:"postedAt"`
	ReceivedAt time.Time `json:"receivedAt" dynamo:"receivedAt"`
	Triage     Triage    `json:"triage" dynamo:"triage"`
	// Status is open until someone handles the post.
	Status    string    `json:"status" dynamo:"status"`
	HandledBy string    `json:"handledBy,omitempty" dynamo:"handledBy,omitempty"`
	HandledAt time.Time `json:"handledAt,omitzero" dynamo:"handledAt,omitempty"`
	Note      string    `json:"note,omitempty" dynamo:"note,omitempty"`
	// Version counts edits by people (handling), for optimistic locking.
	Version int `json:"version" dynamo:"version"`
	// PublishedAt is when the routed event went out; zero until it did.
	PublishedAt time.Time `json:"publishedAt,omitzero" dynamo:"publishedAt,omitempty"`
}

// Key is the post's key, "<network>#<post id>": one post per network and id.
func (p Post) Key() string { return PostKey(p.Network, p.PostID) }

// PostKey is the key of a post.
func PostKey(network, postID string) string { return network + "#" + postID }

// Build checks a post, hashes its author and triages it. Every problem is
// reported at once, each naming its field.
func (in PostInput) Build(h identity.Hasher, rules *Rules, now time.Time) (Post, error) {
	var p apperr.Problems
	network := strings.ToLower(strings.TrimSpace(in.Network))
	switch {
	case network == "":
		p.Add("network", "is required: one of %s", strings.Join(profiles.SocialNetworks, ", "))
	case !slices.Contains(profiles.SocialNetworks, network):
		p.Add("network", "%q is not a network Conduit takes; use one of %s", clip(in.Network, 20), strings.Join(profiles.SocialNetworks, ", "))
	}
	if !ValidPostID(in.PostID) {
		p.Add("postId", "is required: 1-%d letters, digits or . _ : -", MaxPostIDLen)
	}
	author := strings.TrimSpace(in.Author)
	var key identity.Key
	switch {
	case author == "":
		p.Add("author", "is required: the author's handle on the network")
	case !utf8.ValidString(author) || strings.ContainsFunc(author, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		p.Add("author", "must be one handle, without spaces")
	case network != "":
		k, err := h.SocialHandle(network, author)
		if err != nil {
			p.Add("author", "must be a handle of 1-100 characters")
		}
		key = k
	}
	text := strings.TrimSpace(in.Text)
	switch n := utf8.RuneCountInString(text); {
	case !utf8.ValidString(in.Text):
		p.Add("text", "is not valid UTF-8")
	case strings.ContainsRune(text, utf8.RuneError):
		// A JSON decoder or a gateway turns bytes that are not UTF-8 into
		// U+FFFD on the way: the text is no longer what was posted.
		p.Add("text", "holds U+FFFD replacement characters: it was not valid UTF-8 on its way here")
	case n == 0:
		p.Add("text", "is required: the post as written")
	case n > MaxTextChars:
		p.Add("text", "has %d characters; at most %d", n, MaxTextChars)
	case strings.ContainsFunc(text, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }):
		p.Add("text", "holds control characters")
	}
	switch {
	case in.PostedAt.IsZero():
		p.Add("postedAt", "is required: when the post was published, in RFC 3339")
	case in.PostedAt.After(now.Add(clockSkew)):
		p.Add("postedAt", "is in the future")
	case in.PostedAt.Before(now.Add(-Retention)):
		p.Add("postedAt", "is more than %d days ago; older posts are not kept", int(Retention.Hours()/24))
	}
	if in.Followers < 0 || in.Followers > MaxFollowers {
		p.Add("followers", "must be 0 to %d", int64(MaxFollowers))
	}
	if in.Language != "" && !profiles.ValidLanguage(in.Language) {
		p.Add("language", "must be a language tag such as en or en-GB")
	}
	if err := p.Err(); err != nil {
		return Post{}, err
	}
	post := Post{
		Network: network, PostID: in.PostID, AuthorKey: key, Text: text, Language: in.Language,
		Followers: in.Followers, PostedAt: in.PostedAt.UTC(), ReceivedAt: now.UTC(), Status: StatusOpen, Version: 1,
	}
	post.Triage = rules.Triage(Text{Text: text, Followers: in.Followers, Language: in.Language})
	return post, nil
}

// ValidNetwork reports whether Conduit takes posts of the network.
func ValidNetwork(network string) bool { return slices.Contains(profiles.SocialNetworks, network) }

// ValidPostID reports whether id has the shape of a post id.
func ValidPostID(id string) bool {
	if id == "" || len(id) > MaxPostIDLen {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == ':' || r == '-') {
			return false
		}
	}
	return true
}

// Handle marks the post handled by by, with a note. A handled post stays
// handled: handling it again is a conflict.
func (p *Post) Handle(status, note, by string, at time.Time) error {
	var problems apperr.Problems
	if status != StatusHandled {
		problems.Add("status", "must be %s", StatusHandled)
	}
	note = strings.TrimSpace(note)
	switch {
	case !utf8.ValidString(note):
		problems.Add("note", "is not valid UTF-8")
	case utf8.RuneCountInString(note) > MaxNoteChars:
		problems.Add("note", "has %d characters; at most %d", utf8.RuneCountInString(note), MaxNoteChars)
	}
	if err := problems.Err(); err != nil {
		return err
	}
	if p.Status == StatusHandled {
		return fmt.Errorf("%w: post %s was handled by %s at %s", apperr.ErrConflict, p.Key(), p.HandledBy, p.HandledAt.Format(time.RFC3339))
	}
	p.Status, p.Note, p.HandledBy, p.HandledAt = StatusHandled, note, by, at.UTC()
	return nil
}
