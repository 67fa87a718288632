package simulator

import (
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/offer"
)

// SystemNumber is the contact center's number the calls come in on.
const SystemNumber = "+442079460000"

// ContactRecordFormat is the contact record format version Connect writes.
const ContactRecordFormat = "2017-03-10"

// Attributes the contact flow sets, as the sample flow
// (events/connect-flow/offer-flow.json) stores Conduit's answer.
const (
	AttrIntent      = "intent"
	AttrCustomerID  = "customerId"
	AttrGreeting    = "greetingPlayed"
	AttrHasOffer    = "conduit_hasOffer"
	AttrOutcome     = "conduit_outcome"
	AttrSurveyScore = "surveyScore"
)

// savedAnswer maps the answer's keys to the attributes the flow's
// "save-offer" block stores them under.
var savedAnswer = [][2]string{
	{offer.KeyOffer, "conduit_offer"}, {offer.KeyDecisionID, "conduit_decisionId"}, {offer.KeyReason, "conduit_reason"},
	{offer.KeyOfferName, "conduit_offerName"}, {offer.KeyPitch, "conduit_pitch"}, {offer.KeyWhy, "conduit_why"},
	{offer.KeyScript, "conduit_script"}, {offer.KeyFAQ, "conduit_faq"}, {offer.KeyObjections, "conduit_objections"},
	{offer.KeyVariant, "conduit_variant"},
}

func (c *Contact) voice() bool { return c.Channel == connect.Voice }

func (c *Contact) initiationMethod() string {
	if c.voice() {
		return "INBOUND"
	}
	return "API" // chats start from the website or app through StartChatContact
}

func (c *Contact) subtype() map[string]connect.SegmentAttribute {
	v := "connect:Telephony"
	if !c.voice() {
		v = "connect:Chat"
	}
	return map[string]connect.SegmentAttribute{"connect:Subtype": {ValueString: v}}
}

// flowAttributes are the contact attributes the flow set before it asks
// Conduit: the intent the IVR or bot captured, the customer id when the
// customer proved who they are.
func (c *Contact) flowAttributes() map[string]string {
	a := map[string]string{AttrIntent: c.Intent}
	if c.voice() {
		a[AttrGreeting] = "true"
	}
	if c.Authenticated && c.Customer != nil {
		a[AttrCustomerID] = c.Customer.CustomerID
	}
	return a
}

// savedAttributes adds what the flow stores of Conduit's answer.
func savedAttributes(attrs map[string]string, a Answer) {
	for _, k := range savedAnswer {
		if v, ok := a[k[0]]; ok {
			attrs[k[1]] = v
		}
	}
	if a.Shown() {
		attrs[AttrHasOffer] = "true"
	}
}

func (c *Contact) contactData(in Instance, attrs map[string]string) *connect.ContactData {
	d := &connect.ContactData{
		Attributes: attrs, Channel: c.Channel, ContactID: c.ID, InitialContactID: c.ID,
		InitiationMethod: c.initiationMethod(), InstanceARN: in.InstanceARN(), LanguageCode: c.Language,
		Queue:             &connect.Queue{ARN: c.Queue.ARN, Name: c.Queue.Name},
		SegmentAttributes: c.subtype(),
	}
	if c.voice() {
		d.CustomerEndpoint = &connect.Endpoint{Address: c.Phone, Type: connect.EndpointPhone}
		d.SystemEndpoint = &connect.Endpoint{Address: SystemNumber, Type: connect.EndpointPhone}
	} else {
		d.CustomerEndpointNull = true // chats carry no customer endpoint
	}
	return d
}

// OfferEvent is the flow's invocation of the offer function, after the
// queue is set and before the contact is queued: the function input
// parameters are the intent, the customer id when known, and what the bot
// noticed (sentiment, failed self-service).
func (c *Contact) OfferEvent(in Instance) connect.FlowEvent {
	params := connect.Parameters{offer.ParamIntent: connect.StringValue(c.Intent)}
	if c.Authenticated && c.Customer != nil {
		params[offer.ParamCustomerID] = connect.StringValue(c.Customer.CustomerID)
	}
	if c.BotHeardUpset {
		params[offer.ParamSentiment] = connect.StringValue("negative")
	}
	if c.SelfServiceFailed {
		params[offer.ParamSelfServiceFailed] = connect.StringValue("true")
	}
	return connect.FlowEvent{
		Name:    connect.FlowEventName,
		Details: &connect.FlowDetails{ContactData: c.contactData(in, c.flowAttributes()), Parameters: params},
	}
}

// OutcomeEvent is the invocation of the outcome function when the agent
// records the customer's answer to the offer.
func (c *Contact) OutcomeEvent(in Instance, a Answer, outcome string) connect.FlowEvent {
	attrs := c.flowAttributes()
	savedAttributes(attrs, a)
	return connect.FlowEvent{
		Name: connect.FlowEventName,
		Details: &connect.FlowDetails{
			ContactData: c.contactData(in, attrs),
			Parameters: connect.Parameters{
				offer.ParamDecisionID: connect.StringValue(a.DecisionID()),
				offer.ParamOutcome:    connect.StringValue(outcome),
				offer.ParamSource:     connect.StringValue("agent"),
			},
		},
	}
}

// ContactEvents are the contact's EventBridge contact events in the order
// Connect emits them: INITIATED and QUEUED, then CONNECTED_TO_AGENT unless
// the customer gave up, then DISCONNECTED.
func (c *Contact) ContactEvents(in Instance, t Timeline) []connect.ContactEvent {
	types := []string{connect.EventInitiated, connect.EventQueued}
	if !c.Abandoned {
		types = append(types, connect.EventConnectedToAgent)
	}
	types = append(types, connect.EventDisconnected)
	out := make([]connect.ContactEvent, len(types))
	for i, typ := range types {
		out[i] = c.ContactEvent(in, typ, t)
	}
	return out
}

// ContactEvent is one EventBridge "Amazon Connect Contact Event".
func (c *Contact) ContactEvent(in Instance, eventType string, t Timeline) connect.ContactEvent {
	ts := connect.NewTimestamp
	d := &connect.ContactEventDetail{
		EventType: eventType, ContactID: c.ID, InitialContactID: c.ID, Channel: c.Channel,
		InstanceARN: in.InstanceARN(), InitiationMethod: c.initiationMethod(), InitiationTimestamp: ts(t.Initiated),
		Tags: map[string]string{"aws:connect:instanceId": in.ID},
	}
	if c.voice() {
		d.ConnectedToSystemTimestamp = ts(t.Initiated)
		d.Tags["aws:connect:systemEndpoint"] = SystemNumber
	}
	at := t.Initiated
	queue := &connect.QueueInfo{QueueARN: c.Queue.ARN, QueueType: "STANDARD", EnqueueTimestamp: ts(t.Enqueued)}
	agent := func() *connect.AgentInfo {
		return &connect.AgentInfo{AgentARN: c.Agent.ARN, ConnectedToAgentTimestamp: ts(t.Answered)}
	}
	switch eventType {
	case connect.EventQueued:
		d.QueueInfo, at = queue, t.Enqueued
	case connect.EventConnectedToAgent:
		d.QueueInfo, d.AgentInfo, at = queue, agent(), t.Answered
	case connect.EventDisconnected:
		d.QueueInfo, at = queue, t.Disconnected
		if !c.Abandoned {
			d.AgentInfo = agent()
		}
		d.DisconnectTimestamp, d.DisconnectReason = ts(t.Disconnected), c.disconnectReason()
	}
	return connect.ContactEvent{
		Version: "0", ID: stableUUID(c.ID + "/" + eventType), DetailType: connect.ContactEventDetailType,
		Source: connect.ContactEventSource, Account: in.Account, Time: ts(at), Region: in.Region,
		Resources: []string{in.InstanceARN() + "/contact/" + c.ID, in.InstanceARN()}, Detail: d,
	}
}

func (c *Contact) disconnectReason() string {
	if c.Abandoned || c.TextSeed&1 == 0 {
		return "CUSTOMER_DISCONNECT"
	}
	return "AGENT_DISCONNECT"
}

// Record is the contact record Connect streams to Kinesis. final is the
// record after the agent's wrap-up, with the survey score; the early one
// is streamed at disconnect, before wrap-up ends.
func (c *Contact) Record(in Instance, t Timeline, res Result, final bool) connect.ContactRecord {
	ts := func(x time.Time) connect.Timestamp { return connect.NewTimestamp(x.Truncate(time.Second)) }
	attrs := c.flowAttributes()
	savedAttributes(attrs, res.Answer)
	switch {
	case res.Outcome != "":
		attrs[AttrOutcome] = res.Outcome
	case res.Organic:
		attrs[AttrOutcome] = contacts.OutcomeAccepted
	}
	media := "AUDIO"
	if !c.voice() {
		media = "CHAT"
	}
	r := connect.ContactRecord{
		AWSAccountID: in.Account, AWSContactTraceRecordFormatVersion: ContactRecordFormat,
		Attributes: attrs, Channel: c.Channel, ContactID: c.ID,
		InitiationMethod: c.initiationMethod(), InitiationTimestamp: ts(t.Initiated),
		DisconnectTimestamp: ts(t.Disconnected), DisconnectReason: c.disconnectReason(),
		InstanceARN: in.InstanceARN(), LastUpdateTimestamp: ts(t.Disconnected),
		MediaStreams: []connect.MediaStream{{Type: media}}, SegmentAttributes: c.subtype(),
		Tags: map[string]string{"aws:connect:instanceId": in.ID},
	}
	dequeued := t.Answered
	if c.Abandoned {
		dequeued = t.Disconnected
	}
	r.Queue = &connect.RecordQueue{
		ARN: c.Queue.ARN, Name: c.Queue.Name, EnqueueTimestamp: ts(t.Enqueued), DequeueTimestamp: ts(dequeued),
		Duration: int(dequeued.Sub(t.Enqueued) / time.Second),
	}
	if c.voice() {
		r.ConnectedToSystemTimestamp = ts(t.Initiated)
		r.CustomerEndpoint = &connect.Endpoint{Address: c.Phone, Type: connect.EndpointPhone}
		r.SystemEndpoint = &connect.Endpoint{Address: SystemNumber, Type: connect.EndpointPhone}
		r.Tags["aws:connect:systemEndpoint"] = SystemNumber
	}
	if !c.Abandoned {
		r.AgentConnectionAttempts = 1
		a := &connect.RecordAgent{
			ARN: c.Agent.ARN, Username: c.Agent.Username, ConnectedToAgentTimestamp: ts(t.Answered),
			AgentInteractionDuration: int(t.Talk / time.Second), CustomerHoldDuration: int(c.Hold / time.Second),
			NumberOfHolds: c.Holds, LongestHoldDuration: int(c.longestHold() / time.Second),
			AfterContactWorkStartTimestamp: ts(t.Disconnected),
			RoutingProfile:                 &c.Agent.RoutingProfile,
			HierarchyGroups: &connect.HierarchyGroups{
				Level1: &connect.HierarchyGroup{ARN: in.ARN("agent-group", "Customer care"), GroupName: "Customer care"},
				Level2: &connect.HierarchyGroup{ARN: in.ARN("agent-group", c.Agent.Team), GroupName: c.Agent.Team},
			},
		}
		if final {
			a.AfterContactWorkDuration = int(t.ACW / time.Second)
			a.AfterContactWorkEndTimestamp = ts(t.ACWEnd)
			r.LastUpdateTimestamp = ts(t.ACWEnd)
			if s := c.SurveyScore(res); s > 0 {
				attrs[AttrSurveyScore] = strconv.Itoa(s)
			}
		}
		r.Agent = a
	}
	return r
}

func (c *Contact) longestHold() time.Duration {
	if c.Holds <= 1 {
		return c.Hold
	}
	return c.Hold - c.Hold/3
}

// turn is one speaker's turn in the conversation.
type turn struct {
	role      string
	text      string
	sentiment connect.Sentiment
	// categories heard in this turn.
	categories []string
}

// intentWords are how customers say why they called.
var intentWords = map[string]string{
	"high_bill":       "My bill is much higher than usual this month and I don't understand why.",
	"payment":         "I'd like to change the date my direct debit comes out.",
	"general_enquiry": "I have a question about when my contract ends.",
	"technical_issue": "My broadband keeps dropping out in the evenings.",
	"outage":          "There has been no internet at all since this morning.",
	"complaint":       "I want to complain about how my last call was handled.",
	"upgrade":         "I'm thinking about a faster broadband package.",
	"move":            "We're moving house and I need the broadband moved with us.",
	"new_account":     "I'd like to sign up for broadband and a mobile plan.",
	"cancel":          "I want to cancel my contract.",
}

// categoryWords are what makes Contact Lens match each category.
var categoryWords = map[string]string{
	CategoryMove:              "The move is on the fourteenth, new address in town.",
	CategoryMarriage:          "We just got married, so we want everything on one account.",
	CategoryNewBaby:           "We've just had a baby, so we're at home a lot more.",
	CategoryNewJob:            "I've started a new job and I work from home now.",
	CategoryChurnRisk:         "Honestly, I'm close to leaving.",
	CategoryCompetitorMention: "Another provider offered me a better deal.",
	CategoryComplaint:         "I want this logged as a formal complaint.",
}

// conversation is the contact's conversation as Contact Lens hears it.
// Upset customers stay negative; the others start neutral (a bill or a
// fault may draw one negative turn) and end positive.
func (c *Contact) conversation(res Result) []turn {
	r := mrand.New(mrand.NewPCG(c.TextSeed, 7))
	agentName := c.Agent.Username
	if i := strings.IndexByte(agentName, '.'); i > 0 {
		agentName = strings.ToUpper(agentName[:1]) + agentName[1:i]
	}
	neutralOr := func(p float64, s connect.Sentiment) connect.Sentiment {
		if r.Float64() < p {
			return s
		}
		return connect.Neutral
	}
	customer := func(text string, s connect.Sentiment, cats ...string) turn {
		return turn{role: connect.RoleCustomer, text: text, sentiment: s, categories: cats}
	}
	agent := func(text string, s connect.Sentiment) turn {
		return turn{role: connect.RoleAgent, text: text, sentiment: s}
	}
	opening := connect.Neutral
	switch {
	case c.Upset:
		opening = connect.Negative
	case c.Intent == "high_bill" || c.Intent == "technical_issue" || c.Intent == "outage":
		opening = neutralOr(0.25, connect.Negative)
	}
	reason := intentWords[c.Intent]
	if c.Upset && c.Repeat {
		reason = "This is the second time I'm calling about this. " + reason
	}
	ts := []turn{
		agent(fmt.Sprintf("Thank you for contacting us, my name is %s. How can I help?", agentName), connect.Neutral),
		customer(reason, opening),
		agent("I'm sorry to hear that, let me take a look for you.", connect.Neutral),
	}
	detail := "Thanks. I've been a customer for a while."
	if len(c.Categories) > 0 {
		var words []string
		for _, cat := range c.Categories {
			words = append(words, categoryWords[cat])
		}
		detail = strings.Join(words, " ")
	}
	detailMood := connect.Neutral
	if c.Upset {
		detailMood = connect.Negative
	}
	ts = append(ts, customer(detail, detailMood, c.Categories...),
		agent("I've sorted that for you now; you'll see it on your account today.", connect.Positive))
	if res.Answer.Shown() {
		pitch := res.Answer[offer.KeyPitch]
		if pitch == "" {
			pitch = "While I have you, there's an offer that could suit you."
		}
		ts = append(ts, agent(pitch, neutralOr(0.5, connect.Positive)))
		switch res.Outcome {
		case contacts.OutcomeAccepted:
			ts = append(ts, customer("That sounds good, let's do it.", connect.Positive))
		case contacts.OutcomeLater:
			ts = append(ts, customer("Let me think about it and come back to you.", connect.Neutral))
		default:
			mood := connect.Neutral
			if c.Upset {
				mood = connect.Negative
			}
			ts = append(ts, customer("No thanks, not right now.", mood))
		}
	}
	closing := customer("Great, thanks for your help.", connect.Positive)
	if c.Upset {
		closing = customer("Fine. I just hope it's fixed this time.", neutralOr(0.6, connect.Mixed))
		if closing.sentiment == connect.Neutral {
			closing.sentiment = connect.Negative
		}
	}
	return append(ts, closing, agent("Thanks for calling, have a good day.", connect.Positive))
}

// LensEvents are the Contact Lens real-time analysis events of the
// conversation with the agent: STARTED, SEGMENTS two turns at a time with
// the categories matched so far, COMPLETED. None when the customer gave up
// in the queue.
func (c *Contact) LensEvents(in Instance, t Timeline, res Result) []connect.LensEvent {
	if c.Abandoned {
		return nil
	}
	base := connect.LensEvent{Channel: c.Channel, AccountID: in.Account, InstanceID: in.ID, ContactID: c.ID}
	typed := func(typ connect.LensEventType) connect.LensEvent {
		e := base
		if c.voice() {
			e.Version, e.LanguageCode, e.EventType = "1.1.0", c.Language, typ
		} else {
			e.Version, e.StreamingEventType, e.OutputType = "2.0.0", typ, "Raw"
			e.StreamingSettings = &connect.StreamingSettings{LanguageCode: c.Language, Output: "Raw"}
		}
		return e
	}
	turns := c.conversation(res)
	out := []connect.LensEvent{typed(connect.LensStarted)}
	step := t.Talk / time.Duration(len(turns))
	var pending []connect.LensSegment
	for i, tn := range turns {
		id := stableUUID(fmt.Sprintf("%s/turn/%d", c.ID, i))
		begin := time.Duration(i) * step
		tr := &connect.Transcript{ID: id, ParticipantRole: tn.role, Content: tn.text, Sentiment: tn.sentiment}
		if c.voice() {
			tr.ParticipantID = tn.role
			tr.BeginOffsetMillis, tr.EndOffsetMillis = begin.Milliseconds(), (begin + step*4/5).Milliseconds()
		} else {
			tr.ParticipantID = stableUUID(c.ID + "/" + tn.role)
			tr.DisplayName = "Customer"
			if tn.role == connect.RoleAgent {
				tr.DisplayName = c.Agent.Username
			}
			tr.ContentType = "text/plain"
			tr.Time = &connect.ChatTime{AbsoluteTime: connect.NewTimestamp(t.Answered.Add(begin))}
		}
		pending = append(pending, connect.LensSegment{Transcript: tr})
		if len(tn.categories) > 0 {
			cats := &connect.Categories{MatchedDetails: map[string]connect.CategoryDetails{}}
			for _, name := range tn.categories {
				poi := connect.PointOfInterest{BeginOffsetMillis: tr.BeginOffsetMillis, EndOffsetMillis: tr.EndOffsetMillis}
				if !c.voice() {
					poi = connect.PointOfInterest{TranscriptItems: []connect.TranscriptItem{{ID: id}}}
				}
				cats.MatchedCategories = append(cats.MatchedCategories, name)
				cats.MatchedDetails[name] = connect.CategoryDetails{PointsOfInterest: []connect.PointOfInterest{poi}}
			}
			pending = append(pending, connect.LensSegment{Categories: cats})
		}
		if i%2 == 1 || i == len(turns)-1 {
			e := typed(connect.LensSegments)
			e.Segments = pending
			out = append(out, e)
			pending = nil
		}
	}
	return append(out, typed(connect.LensCompleted))
}
