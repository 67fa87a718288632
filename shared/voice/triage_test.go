package voice

import (
	"strings"
	"testing"
)

// post is one hand-written post and where a care or social team would send it.
type post struct {
	name      string
	text      string
	followers int64
	language  string

	route    Route
	topic    string
	severity Severity
	// urgency, priority and action are checked when set.
	urgency  Urgency
	priority string
	action   string
	// reason, when set, must appear in one of the reasons.
	reason string
}

var samplePosts = []post{
	// Outages.
	{name: "outage since the morning", text: "My internet has been down since this morning, working from home is impossible @AcmeTel",
		route: RouteService, topic: "outage", severity: SeverityHigh, urgency: UrgencyHigh, priority: "p2"},
	{name: "repeated outage escalates", text: "@AcmeTel no signal in Leeds city centre again. Third time this week.",
		route: RouteService, topic: "outage", severity: SeverityCritical, priority: "p1", reason: `persistence: "again"`},
	{name: "dropping wifi", text: "Wifi keeps dropping every evening, so frustrating",
		route: RouteService, topic: "outage", severity: SeverityHigh, priority: "p2"},
	{name: "outage question is still an outage", text: "Is there an outage in Bristol? TV and broadband both offline",
		route: RouteService, topic: "outage", severity: SeverityHigh},
	{name: "slow for weeks", text: "Internet's been painfully slow for weeks. Paying for 500Mb, getting 20.",
		route: RouteService, topic: "outage", severity: SeverityCritical, reason: `persistence: "for weeks"`},
	{name: "vulnerable customer in a power cut", text: "My dad is on oxygen at home and your power cut has lasted 6 hours",
		route: RouteService, topic: "outage", severity: SeverityCritical, urgency: UrgencyCritical, priority: "p1", reason: "vulnerable_customer"},

	// Billing.
	{name: "double charge", text: "Just got charged twice for my March bill. Can someone sort this out?",
		route: RouteService, topic: "billing", severity: SeverityMedium, urgency: UrgencyNormal, priority: "p3"},
	{name: "bill went up", text: "Why has my bill gone up by £15 with no warning?",
		route: RouteService, topic: "billing", severity: SeverityMedium},
	{name: "refund still missing, angry", text: "Still no refund after 6 weeks. Called four times. Unacceptable.",
		route: RouteService, topic: "billing", severity: SeverityCritical, priority: "p1"},
	{name: "late fee", text: "There's a £30 late fee on my invoice but I paid on time",
		route: RouteService, topic: "billing", severity: SeverityMedium},
	{name: "praise with a billing question goes to service", text: "Love the new plan, but why was I billed for roaming in France?",
		route: RouteService, topic: "billing", severity: SeverityMedium, reason: "mixed: praise also heard"},
	{name: "legal threat over billing", text: "Overcharged for 4 months. I've contacted trading standards.",
		route: RouteService, topic: "billing", severity: SeverityCritical, priority: "p1", reason: "legal"},

	// Security.
	{name: "sim swap", text: "Someone did a SIM swap on my number and emptied my bank account. Need help NOW",
		route: RouteService, topic: "security", severity: SeverityCritical, priority: "p1"},
	{name: "phishing text", text: "Got a text from 'Acme' asking for my password – is this phishing?",
		route: RouteService, topic: "security", severity: SeverityCritical},

	// Cancellations.
	{name: "cancelling over outages", text: "That's it, I'm cancelling my contract. Three outages in a month.",
		route: RouteService, topic: "outage", severity: SeverityHigh},
	{name: "how to cancel", text: "How do I cancel? Your website won't let me.",
		route: RouteService, topic: "cancellation", severity: SeverityMedium},
	{name: "switching provider", text: "Switching providers next month, Acme has been a joke lately",
		route: RouteService, topic: "cancellation", severity: SeverityMedium},
	{name: "never cancel is loyalty", text: "I'd never cancel Acme, 8 years and counting ❤",
		route: RouteMarketing, topic: "praise", severity: SeverityLow, action: ActionAdvocate, reason: `"cancel" after "never"`},

	// Complaints.
	{name: "not happy", text: "Not happy with the service I got in store today.",
		route: RouteService, topic: "complaint", severity: SeverityMedium, urgency: UrgencyHigh, reason: `"happy" after "not"`},
	{name: "on hold then hung up", text: "On hold for 90 minutes and then they hung up on me. Worst customer service ever.",
		route: RouteService, topic: "complaint", severity: SeverityHigh, priority: "p2"},
	{name: "missed appointment again", text: "Your engineer didn't turn up for the appointment. Again.",
		route: RouteService, topic: "complaint", severity: SeverityHigh},
	{name: "elderly customer treated badly", text: "Absolutely disgusting treatment of my elderly mother in your Leeds store",
		route: RouteService, topic: "complaint", severity: SeverityCritical, urgency: UrgencyCritical, priority: "p1"},
	{name: "ombudsman", text: "I'm taking this to the ombudsman. 3 months of broken promises.",
		route: RouteService, topic: "complaint", severity: SeverityCritical},
	{name: "shouting", text: "THIS IS RIDICULOUS. NOBODY AT ACME ANSWERS THE PHONE!!!",
		route: RouteService, topic: "complaint", severity: SeverityHigh, reason: "shouting"},
	{name: "not recommending", text: "There is no way I'm recommending Acme to anyone",
		route: RouteService, topic: "complaint", severity: SeverityMedium, reason: `"recommending" after "no"`},
	{name: "not impressed with a bill error", text: "Not impressed. Third bill error this year.",
		route: RouteService, topic: "billing", severity: SeverityMedium},

	// Negations that are praise.
	{name: "never had a problem", text: "Never had a problem with Acme broadband in 6 years. Solid.",
		route: RouteMarketing, topic: "praise", severity: SeverityLow, urgency: UrgencyLow, action: ActionAdvocate, reason: `"problem" after "never"`},
	{name: "no complaints", text: "No complaints here, switched to Acme fibre last month and it just works",
		route: RouteMarketing, topic: "praise", severity: SeverityLow, action: ActionAdvocate},
	{name: "can't complain", text: "Can't complain about Acme, engineer was quick and friendly",
		route: RouteMarketing, topic: "praise", severity: SeverityLow, action: ActionAdvocate},
	{name: "not bad at all", text: "The new router isn't bad at all",
		route: RouteMarketing, topic: "praise", severity: SeverityLow, action: ActionAdvocate},
	{name: "a fixed problem is praise", text: "Engineer fixed my internet outage in an hour, thank you!",
		route: RouteMarketing, topic: "praise", severity: SeverityLow, action: ActionAdvocate, reason: `"outage" after "fixed"`},
	{name: "a sorted billing issue is praise", text: "Great customer service from Sam today, sorted my billing issue in 5 minutes!",
		route: RouteMarketing, topic: "praise", severity: SeverityLow, urgency: UrgencyLow, action: ActionAdvocate},
	{name: "not fixed stays a failure", text: "They still haven't fixed my internet outage",
		route: RouteService, topic: "outage", severity: SeverityCritical, priority: "p1"},

	// Mixed posts: a service failure always goes to service.
	{name: "praise and an outage", text: "Love my new Acme phone, but the network is down again in Manchester 😡",
		route: RouteService, topic: "outage", severity: SeverityCritical, priority: "p1", reason: "mixed: praise also heard"},
	{name: "no problems but broadband down", text: "No problems with the phone, but the broadband is down again",
		route: RouteService, topic: "outage", severity: SeverityCritical},
	{name: "not only down but charged", text: "Not only is the internet down, you also charged me twice",
		route: RouteService, topic: "outage", severity: SeverityHigh},
	{name: "sarcasm", text: "Great, another outage. Thanks for nothing Acme.",
		route: RouteService, topic: "outage", severity: SeverityHigh},
	{name: "buying signal with an outage", text: "Want to buy the new Galaxy but my signal is down again, sort it out",
		route: RouteService, topic: "outage", severity: SeverityCritical},

	// Buying signals and product questions: leads.
	{name: "family plan with a roaming question", text: "Thinking of getting the Acme family plan — but does it cover roaming in the US?",
		route: RouteMarketing, topic: "purchase_intent", severity: SeverityLow, urgency: UrgencyNormal, action: ActionLead},
	{name: "praise and another line is a lead", text: "Absolutely love my Acme fibre 😍 thinking of adding a line for my daughter",
		route: RouteMarketing, topic: "purchase_intent", severity: SeverityLow, action: ActionLead},
	{name: "looking to buy", text: "Looking to buy a new phone this week, what deals does @AcmeTel have?",
		route: RouteMarketing, topic: "purchase_intent", severity: SeverityLow, action: ActionLead},
	{name: "moving house", text: "Moving house next month, can I take my Acme broadband with me?",
		route: RouteMarketing, topic: "purchase_intent", severity: SeverityLow, action: ActionLead},
	{name: "need a new phone", text: "Need a new phone, is the Pixel in stock at Acme?",
		route: RouteMarketing, topic: "purchase_intent", severity: SeverityLow, action: ActionLead},
	{name: "coverage question", text: "Do you offer fibre in Canterbury? Moved here recently",
		route: RouteMarketing, topic: "product_question", severity: SeverityLow, action: ActionLead},
	{name: "quick question", text: "Quick question: does the Acme Max plan include Disney+?",
		route: RouteMarketing, topic: "product_question", severity: SeverityLow, action: ActionLead},
	{name: "price question", text: "How much is the unlimited data plan per month?",
		route: RouteMarketing, topic: "product_question", severity: SeverityLow, urgency: UrgencyNormal, action: ActionLead},
	{name: "not interested is no lead", text: "Not interested in upgrading, stop calling me",
		route: RouteService, topic: "complaint", severity: SeverityMedium, reason: `ignored: "interested in" after "not"`},

	// Praise: advocates.
	{name: "thanks to a store agent", text: "Huge thanks to Priya in the Glasgow store, brilliant help setting up my phone 👏",
		route: RouteMarketing, topic: "praise", severity: SeverityLow, urgency: UrgencyLow, action: ActionAdvocate},
	{name: "five stars", text: "5 stars for Acme broadband. Fast, reliable, cheap.",
		route: RouteMarketing, topic: "praise", severity: SeverityLow, action: ActionAdvocate},

	// Reach.
	{name: "an advocate with reach", text: "Huge thanks to Priya in the Glasgow store, brilliant help setting up my phone 👏", followers: 80000,
		route: RouteMarketing, topic: "praise", severity: SeverityLow, urgency: UrgencyHigh, action: ActionAdvocate, reason: "reach: 80000 followers"},
	{name: "an outage with reach", text: "My internet is not working", followers: 12000,
		route: RouteService, topic: "outage", severity: SeverityHigh, urgency: UrgencyCritical, priority: "p1"},
	{name: "a small account", text: "Billing error again?? @AcmeTel", followers: 300,
		route: RouteService, topic: "billing", severity: SeverityHigh, urgency: UrgencyHigh, priority: "p2"},

	// Support questions and the unknown.
	{name: "router reset", text: "How do I reset my router? Lights are flashing orange",
		route: RouteService, topic: "support_question", severity: SeverityLow, urgency: UrgencyLow, priority: "p4"},
	{name: "nothing understood goes to a person in service", text: "@AcmeTel what's going on with your app",
		route: RouteService, topic: "general", severity: SeverityLow, priority: "p4"},
	{name: "another language goes to service", text: "Mi internet no funciona desde ayer", language: "es",
		route: RouteService, topic: "general", severity: SeverityLow, reason: `language "es"`},
}

func TestTriageOfSamplePosts(t *testing.T) {
	if len(samplePosts) < 40 {
		t.Fatalf("only %d sample posts; keep at least 40", len(samplePosts))
	}
	rules := DefaultRules()
	for _, tc := range samplePosts {
		t.Run(tc.name, func(t *testing.T) {
			got := rules.Triage(Text{Text: tc.text, Followers: tc.followers, Language: tc.language})
			fail := func(what string, got, want any) {
				t.Errorf("%s = %v, want %v\n  post: %s\n  reasons: %s", what, got, want, tc.text, strings.Join(got2reasons(rules, tc), " | "))
			}
			if got.Route != tc.route {
				fail("route", got.Route, tc.route)
			}
			if got.Topic != tc.topic {
				fail("topic", got.Topic, tc.topic)
			}
			if got.Severity != tc.severity {
				fail("severity", got.Severity, tc.severity)
			}
			if tc.urgency != "" && got.Urgency != tc.urgency {
				fail("urgency", got.Urgency, tc.urgency)
			}
			if tc.priority != "" && got.Priority != tc.priority {
				fail("priority", got.Priority, tc.priority)
			}
			if tc.action != "" && got.Action != tc.action {
				fail("action", got.Action, tc.action)
			}
			if tc.reason != "" && !strings.Contains(strings.Join(got.Reasons, "\n"), tc.reason) {
				fail("reasons", got.Reasons, "one containing "+tc.reason)
			}
			// What holds for every post.
			switch got.Route {
			case RouteService:
				if got.Priority == "" || got.Action != "" {
					t.Errorf("service post with priority %q and action %q", got.Priority, got.Action)
				}
			case RouteMarketing:
				if got.Priority != "" || got.Action == "" || got.OpensComplaint {
					t.Errorf("marketing post with priority %q, action %q, complaint %v", got.Priority, got.Action, got.OpensComplaint)
				}
				if got.Urgency == UrgencyCritical {
					t.Errorf("a marketing post is never critical")
				}
			}
			for _, heard := range got.Topics {
				if rules.OpensComplaint(heard) && got.Route != RouteService {
					t.Errorf("%s was heard, yet the post went to %s: a service failure never goes to marketing", heard, got.Route)
				}
			}
			if got.RulesVersion != rules.Version || len(got.Reasons) == 0 || len(got.Topics) > 0 && got.Topics[0] != got.Topic {
				t.Errorf("triage lacks its version, reasons or topic order: %+v", got)
			}
		})
	}
}

func got2reasons(r *Rules, tc post) []string {
	return r.Triage(Text{Text: tc.text, Followers: tc.followers, Language: tc.language}).Reasons
}
