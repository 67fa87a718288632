package decide

import "strings"

// Contact is what is known about the live contact when the flow asks for an
// offer: from the Connect event, flow parameters and Contact Lens.
type Contact struct {
	ContactID string `json:"contactId"`
	// Channel is voice, chat, task, email or sms; Connect's upper-case
	// VOICE, CHAT, ... are accepted too.
	Channel string `json:"channel"`
	Queue   string `json:"queue,omitempty"`
	// Intent is the reason of the contact as the flow or a bot knows it,
	// for example high_bill, new_account, move.
	Intent   string `json:"intent,omitempty"`
	Language string `json:"language,omitempty"`
	// Sentiment is the customer's current sentiment (positive, neutral,
	// mixed, negative) from Contact Lens or a flow parameter.
	Sentiment string `json:"sentiment,omitempty"`
	// SelfServiceFailed: the customer tried self-service (IVR, bot, web)
	// just before and it did not solve the issue.
	SelfServiceFailed bool `json:"selfServiceFailed,omitempty"`
	// Complaint and Cancellation are set when a bot, a Contact Lens category
	// or the flow recognised a complaint or a wish to cancel.
	Complaint    bool `json:"complaint,omitempty"`
	Cancellation bool `json:"cancellation,omitempty"`
	// RepeatContact is set when the flow already knows this is a repeat
	// contact about the same issue; the engine also finds repeats in the
	// profile's recent contacts.
	RepeatContact bool `json:"repeatContact,omitempty"`
}

// normalise lower-cases the fields compared with catalog and profile values,
// so VOICE and voice, High_Bill and high_bill are the same.
func (c Contact) normalise() Contact {
	c.Channel = lower(strings.TrimSpace(c.Channel))
	c.Intent = lower(strings.TrimSpace(c.Intent))
	c.Sentiment = lower(strings.TrimSpace(c.Sentiment))
	return c
}

// lower avoids the allocation of strings.ToLower for strings that are
// already lower case, the usual case.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(s)
		}
	}
	return s
}
