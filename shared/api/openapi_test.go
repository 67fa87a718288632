package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/conduit-cx/conduit/shared/api"
	"github.com/conduit-cx/conduit/shared/api/apitest"
)

type openAPIDoc struct {
	OpenAPI string                                 `json:"openapi"`
	Paths   map[string]map[string]openAPIOperation `json:"paths"`
}

type openAPIOperation struct {
	OperationID string                `json:"operationId"`
	Security    []map[string][]string `json:"security"`
	Responses   map[string]any        `json:"responses"`
}

func loadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal(api.OpenAPIDocument, &doc); err != nil {
		t.Fatalf("shared/api/openapi.json is not JSON: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	return doc
}

// securityFor is the security requirement the document must state for a
// route: one alternative per scope (any one scope suffices), or none for a
// public route.
func securityFor(scopes []string) string {
	alts := make([]string, len(scopes))
	for i, s := range scopes {
		alts[i] = fmt.Sprintf(`{"conduit": [%q]}`, s)
	}
	return "[" + strings.Join(alts, ", ") + "]"
}

// The document and the server agree: every registered route is documented
// with its scopes, and the document names no route the server lacks.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	for _, r := range api.Routes() {
		key := r.Method + " " + r.Path
		op, ok := doc.Paths[r.Path][strings.ToLower(r.Method)]
		if !ok {
			t.Errorf("%s is registered in shared/api/routes.go but missing from shared/api/openapi.json.\n"+
				"Add under \"paths\" → %q the operation\n  %q: {\"operationId\": \"...\", \"summary\": \"...\", \"tags\": [\"...\"], "+
				"\"security\": %s, \"responses\": {\"200\": {\"description\": \"OK\", \"content\": {\"application/json\": {\"schema\": {\"$ref\": \"#/components/schemas/...\"}}}}}}",
				key, r.Path, strings.ToLower(r.Method), securityFor(r.Scopes))
			continue
		}
		delete(documented, key)
		var got []string
		for _, alt := range op.Security {
			got = append(got, alt["conduit"]...)
		}
		if !slices.Equal(sortedCopy(got), sortedCopy(r.Scopes)) || len(op.Security) != len(r.Scopes) {
			t.Errorf("%s: the document's security %v does not match the route's scopes %v; set \"security\": %s",
				key, op.Security, r.Scopes, securityFor(r.Scopes))
		}
		if op.OperationID == "" || len(op.Responses) == 0 {
			t.Errorf("%s: give the operation an operationId and its responses", key)
		}
	}
	for _, key := range sortedKeys(documented) {
		t.Errorf("%s is in shared/api/openapi.json but no route serves it: register it in shared/api/routes.go or remove it from the document", key)
	}
}

// Every $ref in the document points at something that exists.
func TestOpenAPIReferencesResolve(t *testing.T) {
	var raw map[string]any
	if err := json.Unmarshal(api.OpenAPIDocument, &raw); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				var target any = raw
				for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
					m, _ := target.(map[string]any)
					target = m[part]
				}
				if target == nil {
					t.Errorf("$ref %s points at nothing", ref)
				}
			}
			for _, child := range x {
				walk(child)
			}
		case []any:
			for _, child := range x {
				walk(child)
			}
		}
	}
	walk(raw)
}

// The document is public: no token needed.
func TestOpenAPIServedWithoutToken(t *testing.T) {
	srv := api.NewServer(api.Deps{})
	resp := apitest.Do(t, srv, apitest.Request(http.MethodGet, "/v1/openapi.json", nil))
	if resp.Status != http.StatusOK || !strings.HasPrefix(resp.Headers.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, content type %q", resp.Status, resp.Headers.Get("Content-Type"))
	}
	if string(resp.Body) != string(api.OpenAPIDocument) {
		t.Fatal("the served document differs from the embedded one")
	}
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
