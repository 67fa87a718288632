package api

import "net/http"

// registerRoutes is the table of contents of the API.
func (s *Server) registerRoutes() {
	// Profiles (issue: foundation).
	s.handle(http.MethodPost, "/v1/profiles", marketers, s.createProfile())
	s.handle(http.MethodGet, "/v1/profiles/{id}", readers, s.getProfile())
	s.handle(http.MethodPut, "/v1/profiles/{id}", marketers, s.updateProfile())
	s.handle(http.MethodGet, "/v1/profiles/lookup", readers, s.lookupProfile())
	s.handle(http.MethodPut, "/v1/profiles/{id}/consent", marketers, s.updateConsent())
	s.handle(http.MethodDelete, "/v1/profiles/{id}", admins, s.eraseProfile())

	// Decisions (issue: real-time next-best offer).
	s.handle(http.MethodPost, "/v1/decisions/simulate", readers, s.simulateDecision())
	s.handle(http.MethodGet, "/v1/contacts/{contactId}/decision", readers, s.getContactDecision())
}
