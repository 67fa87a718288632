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

	// Contacts: facts, sentiment, categories, timeline (issue 6).
	s.handle(http.MethodGet, "/v1/contacts/{contactId}", readers, s.getContact())

	// Offers, campaigns and their rules (issue: marketer API).
	s.handle(http.MethodPost, "/v1/offers", marketers, s.createOffer())
	s.handle(http.MethodGet, "/v1/offers", readers, s.listOffers())
	s.handle(http.MethodGet, "/v1/offers/{id}", readers, s.getOffer())
	s.handle(http.MethodPut, "/v1/offers/{id}", marketers, s.updateOffer())
	s.handle(http.MethodDelete, "/v1/offers/{id}", marketers, s.deleteOffer())
	s.handle(http.MethodPost, "/v1/offers/{id}/status", marketers, s.moveOffer())
	s.handle(http.MethodPost, "/v1/campaigns", marketers, s.createCampaign())
	s.handle(http.MethodGet, "/v1/campaigns", readers, s.listCampaigns())
	s.handle(http.MethodGet, "/v1/campaigns/{id}", readers, s.getCampaign())
	s.handle(http.MethodPut, "/v1/campaigns/{id}", marketers, s.updateCampaign())
	s.handle(http.MethodDelete, "/v1/campaigns/{id}", marketers, s.deleteCampaign())
	s.handle(http.MethodPost, "/v1/campaigns/{id}/status", marketers, s.moveCampaign())
	s.handle(http.MethodPut, "/v1/campaigns/{id}/checklist/{item}", marketers, s.setChecklistItem())
	s.handle(http.MethodPost, "/v1/rules/validate", readers, s.validateRule())
	s.handle(http.MethodGet, "/v1/rules/variables", readers, s.ruleVariables())

	// Measurement: metric catalog, KPIs, impact, scorecards (issue 7).
	s.handle(http.MethodGet, "/v1/metrics", readers, s.listMetrics())
	s.handle(http.MethodPut, "/v1/metrics/{name}/benchmark", admins, s.putBenchmark())
	s.handle(http.MethodGet, "/v1/kpis", readers, s.getKPIs())
	s.handle(http.MethodGet, "/v1/campaigns/{id}/impact", readers, s.getCampaignImpact())
	s.handle(http.MethodGet, "/v1/agents/{username}/scorecard", readers, s.getAgentScorecard())

	// Load-aware marketing: queue load, staffing, forecasts, what-ifs (issue 8).
	s.handle(http.MethodGet, "/v1/queues", readers, s.listQueues())
	s.handle(http.MethodGet, "/v1/staffing", readers, s.getStaffing())
	s.handle(http.MethodGet, "/v1/campaigns/{id}/forecast", readers, s.getCampaignForecast())
	s.handle(http.MethodPost, "/v1/campaigns/{id}/whatif", marketers, s.startWhatIf())
	s.handle(http.MethodGet, "/v1/campaigns/{id}/whatif/{jobId}", readers, s.getWhatIf())

	// Voice of the customer: social posts and post-contact surveys (issue 10).
	s.handle(http.MethodPost, "/v1/social/posts", ingesters, s.createPost())
	s.handle(http.MethodGet, "/v1/social/posts", readers, s.listPosts())
	s.handle(http.MethodGet, "/v1/social/posts/{network}/{postId}", readers, s.getPost())
	s.handle(http.MethodPatch, "/v1/social/posts/{network}/{postId}", postHandlers, s.handlePost())
	s.handle(http.MethodPost, "/v1/contacts/{contactId}/survey", ingesters, s.recordSurvey())

	// The contract of the whole API (public).
	s.handlePublic(http.MethodGet, "/v1/openapi.json", s.openAPI())
}
