package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/voice"
)

// SocialStore is what the social posts resource needs from storage.
type SocialStore interface {
	// CreatePost stores a post once per network and post id; the same post
	// again answers the stored one and created=false.
	CreatePost(ctx context.Context, p voice.Post) (stored voice.Post, created bool, err error)
	GetPost(ctx context.Context, network, postID string) (voice.Post, error)
	// MarkPublished records when the routed event went out.
	MarkPublished(ctx context.Context, key string, at time.Time) error
	// HandlePost applies change to the post at version; ErrConflict when stale.
	HandlePost(ctx context.Context, network, postID string, version int, change func(*voice.Post) error) (voice.Post, error)
	// ListPosts lists a team's posts, most urgent first, then oldest first.
	ListPosts(ctx context.Context, route voice.Route, status string, limit int, cursor string) ([]voice.Post, string, error)
}

// EventPublisher sends routed posts to the teams' tools (voice.RoutedEvent).
type EventPublisher interface {
	Publish(ctx context.Context, events ...voice.RoutedEvent) error
}

// ProfileMutator applies a machine's change to a profile (its voice signals).
type ProfileMutator interface {
	Mutate(ctx context.Context, id string, change func(*profiles.Profile) error) (profiles.Profile, error)
}

// postHandlers may mark posts handled: marketers (leads, advocates), the
// care team's tools (ingest) and administrators.
var postHandlers = []string{ScopeMarketer, ScopeIngest, ScopeAdmin}

func (s *Server) voiceRules() *voice.Rules {
	if s.deps.VoiceRules != nil {
		return s.deps.VoiceRules
	}
	return voice.DefaultRules()
}

// createPost takes a post from a social-listening tool: it is checked,
// triaged, linked to its author's profile, stored once, put on the
// author's profile and published to the team it is routed to. A failure
// after the post is stored answers 500; the tool's retry finds the post
// (200) and finishes what was left, so nothing is lost or stored twice.
func (s *Server) createPost() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in voice.PostInput
		if err := decodeUTF8JSON(r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		now := s.now()
		post, err := in.Build(s.deps.Identity, s.voiceRules(), now)
		if err != nil {
			writeError(w, r, err)
			return
		}
		ctx := r.Context()
		// The author's profile, when one has the handle. An erased person's
		// handle is suppressed: the post is kept unlinked.
		author, err := s.deps.Profiles.LookupByIdentity(ctx, post.AuthorKey)
		switch {
		case err == nil:
			post.ProfileID = author.ID
		case errors.Is(err, apperr.ErrNotFound), errors.Is(err, apperr.ErrSuppressed):
		default:
			writeError(w, r, fmt.Errorf("look up the author: %w", err))
			return
		}
		stored, created, err := s.deps.Social.CreatePost(ctx, post)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if stored.ProfileID != "" && s.deps.VoiceProfiles != nil {
			_, err := s.deps.VoiceProfiles.Mutate(ctx, stored.ProfileID, func(p *profiles.Profile) error {
				if !voice.RecordPost(&p.Voice, stored) {
					return profiles.ErrUnchanged
				}
				return nil
			})
			if err != nil && !errors.Is(err, apperr.ErrNotFound) && !errors.Is(err, apperr.ErrSuppressed) {
				writeError(w, r, fmt.Errorf("put the post on the author's profile: %w", err))
				return
			}
		}
		if stored.PublishedAt.IsZero() && s.deps.VoiceEvents != nil {
			if err := s.deps.VoiceEvents.Publish(ctx, voice.EventOf(stored)); err != nil {
				writeError(w, r, fmt.Errorf("publish the routed post: %w", err))
				return
			}
			at := s.now()
			// Not marking it only means a retry publishes it again; consumers dedupe on the event id.
			if err := s.deps.Social.MarkPublished(ctx, stored.Key(), at); err != nil {
				s.deps.Log.WarnContext(ctx, "routed post published but not marked", "post", stored.Key(), "error", err.Error())
			} else {
				stored.PublishedAt = at
			}
		}
		s.deps.Log.InfoContext(ctx, "social post taken", "post", stored.Key(), "created", created, "route", stored.Triage.Route,
			"topic", stored.Triage.Topic, "urgency", stored.Triage.Urgency, "profile_linked", stored.ProfileID != "")
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		w.Header().Set("Location", "/v1/social/posts/"+stored.Network+"/"+stored.PostID)
		withETag(w, stored.Version)
		writeJSON(w, status, stored)
	})
}

// decodeUTF8JSON is decodeJSON for bodies whose text must arrive intact:
// encoding/json would quietly turn bytes that are not UTF-8 into U+FFFD,
// so they are refused first, naming the field that holds them.
func decodeUTF8JSON(r *http.Request, dst any) error {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return jsonProblem(err)
	}
	if !utf8.Valid(data) {
		var fields map[string]json.RawMessage
		if json.Unmarshal(data, &fields) == nil {
			var problems apperr.Problems
			for _, name := range slices.Sorted(maps.Keys(fields)) {
				if !utf8.Valid(fields[name]) {
					problems.Add(name, "is not valid UTF-8")
				}
			}
			if err := problems.Err(); err != nil {
				return err
			}
		}
		return apperr.Invalid("body", "is not valid UTF-8")
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	return decodeJSON(r, dst)
}

// postPath reads {network} and {postId}; a malformed one names no post.
func postPath(r *http.Request) (network, postID string, err error) {
	network, postID = r.PathValue("network"), r.PathValue("postId")
	if !voice.ValidNetwork(network) || !voice.ValidPostID(postID) {
		return "", "", fmt.Errorf("no post %s/%s: %w", network, postID, apperr.ErrNotFound)
	}
	return network, postID, nil
}

func (s *Server) getPost() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		network, postID, err := postPath(r)
		if err == nil {
			var p voice.Post
			if p, err = s.deps.Social.GetPost(r.Context(), network, postID); err == nil {
				withETag(w, p.Version)
				writeJSON(w, http.StatusOK, p)
				return
			}
		}
		writeError(w, r, err)
	})
}

// listPosts is a team's work queue: ?route= (required) and ?status=.
func (s *Server) listPosts() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paging, err := pagingFrom(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		q := r.URL.Query()
		route, status := voice.Route(q.Get("route")), q.Get("status")
		var problems apperr.Problems
		if route != voice.RouteService && route != voice.RouteMarketing {
			problems.Add("route", "is required: service or marketing")
		}
		if status != "" && status != voice.StatusOpen && status != voice.StatusHandled {
			problems.Add("status", "must be open or handled")
		}
		if err := problems.Err(); err != nil {
			writeError(w, r, err)
			return
		}
		items, next, err := s.deps.Social.ListPosts(r.Context(), route, status, paging.Limit, paging.Cursor)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, Page[voice.Post]{Items: nonNil(items), NextCursor: next})
	})
}

// handlePostRequest marks a post handled.
type handlePostRequest struct {
	Status string `json:"status"`
	Note   string `json:"note,omitempty"`
	// Version is the version read; or send it as If-Match.
	Version *int `json:"version,omitempty"`
}

// handlePost records who handled a post (the caller) and when. A service
// failure's open complaint on the author's profile closes with it, so
// offers are no longer held for it.
func (s *Server) handlePost() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		network, postID, err := postPath(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		var in handlePostRequest
		if err := decodeUTF8JSON(r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		version, err := requiredVersion(r, in.Version, "post")
		if err != nil {
			writeError(w, r, err)
			return
		}
		ctx := r.Context()
		now, by := s.now(), actor(r)
		p, err := s.deps.Social.HandlePost(ctx, network, postID, version, func(p *voice.Post) error {
			return p.Handle(in.Status, in.Note, by, now)
		})
		if err != nil {
			writeError(w, r, err)
			return
		}
		if p.ProfileID != "" && p.Triage.OpensComplaint && s.deps.VoiceProfiles != nil {
			// Should this fail, the complaint stays open on the profile and
			// holds offers until it ages out: the safe side for the customer.
			_, err := s.deps.VoiceProfiles.Mutate(ctx, p.ProfileID, func(pr *profiles.Profile) error {
				if !voice.HandlePost(&pr.Voice, p.Key()) {
					return profiles.ErrUnchanged
				}
				return nil
			})
			if err != nil && !errors.Is(err, apperr.ErrNotFound) && !errors.Is(err, apperr.ErrSuppressed) {
				s.deps.Log.ErrorContext(ctx, "handled post's complaint still open on the profile", "post", p.Key(), "error", err.Error())
			}
		}
		withETag(w, p.Version)
		writeJSON(w, http.StatusOK, p)
	})
}
