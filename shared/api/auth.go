package api

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/akrylysov/algnhsa"
)

// Scopes of the API (DESIGN section 9).
const (
	ScopeMarketer = "conduit/marketer"
	ScopeAnalyst  = "conduit/analyst"
	ScopeAdmin    = "conduit/admin"
	ScopeIngest   = "conduit/ingest"
)

// Scope sets used by routes.
var (
	readers   = []string{ScopeMarketer, ScopeAnalyst, ScopeAdmin}
	marketers = []string{ScopeMarketer, ScopeAdmin}
	admins    = []string{ScopeAdmin}
	ingesters = []string{ScopeIngest, ScopeAdmin}
)

// Principal is the caller as the JWT authorizer saw them.
type Principal struct {
	Subject string
	Scopes  []string
}

// Has reports whether the caller holds scope.
func (p Principal) Has(scope string) bool { return slices.Contains(p.Scopes, scope) }

// PrincipalFrom reads the caller from the API Gateway v2 request context that
// the Lambda adapter (or the local runner) put into ctx.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	ev, ok := algnhsa.APIGatewayV2RequestFromContext(ctx)
	if !ok || ev.RequestContext.Authorizer == nil || ev.RequestContext.Authorizer.JWT == nil {
		return Principal{}, false
	}
	jwt := ev.RequestContext.Authorizer.JWT
	p := Principal{Subject: jwt.Claims["sub"], Scopes: jwt.Scopes}
	if len(p.Scopes) == 0 {
		// API Gateway fills scopes from the "scope" claim; tokens from some
		// issuers carry it only as a claim.
		p.Scopes = strings.Fields(jwt.Claims["scope"])
	}
	return p, true
}

func requireScope(scopes []string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := PrincipalFrom(r.Context())
		if !ok {
			writeError(w, r, errUnauthorized)
			return
		}
		if !slices.ContainsFunc(scopes, p.Has) {
			writeError(w, r, forbidden(scopes))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// actor names the caller in audit fields (who moved a campaign, who erased).
func actor(r *http.Request) string {
	if p, ok := PrincipalFrom(r.Context()); ok && p.Subject != "" {
		return p.Subject
	}
	return "unknown"
}
