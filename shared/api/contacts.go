package api

import (
	"net/http"

	"github.com/conduit-cx/conduit/shared/contacts"
)

// contactView is everything Conduit knows of a contact: the facts of its
// contact record, what Contact Lens heard (with the customer's current
// sentiment and the matched categories lifted to the top), its state
// timeline, and the decision and outcome of the offer functions.
type contactView struct {
	contacts.Contact
	// Sentiment is the customer's current sentiment on the contact.
	Sentiment string `json:"sentiment,omitempty"`
	// Categories are the names of the Contact Lens categories matched.
	Categories []string `json:"categories,omitempty"`
	// Signals are what those categories mean to Conduit (life events, churn
	// risk, complaint, competitor mention).
	Signals []contacts.Signal `json:"signals,omitempty"`
}

func newContactView(c contacts.Contact) contactView {
	v := contactView{Contact: c}
	if l := c.Lens; l != nil {
		v.Sentiment, v.Signals = l.Sentiment, l.Signals
		for _, cat := range l.Categories {
			v.Categories = append(v.Categories, cat.Name)
		}
	}
	return v
}

// getContact answers GET /v1/contacts/{contactId}; 404 when nothing is
// known of the contact.
func (s *Server) getContact() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.deps.Contacts.ReadContact(r.Context(), r.PathValue("contactId"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, newContactView(c))
	})
}
