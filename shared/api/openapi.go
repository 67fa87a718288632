package api

import (
	_ "embed"
	"net/http"
)

// OpenAPIDocument is the OpenAPI 3.1 contract of the whole API. A test
// keeps it true: every registered route is in it and it names no other.
//
//go:embed openapi.json
var OpenAPIDocument []byte

func (s *Server) openAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(OpenAPIDocument)
	})
}
