// Package voice is the voice of the customer outside the phone call: posts
// about the brand on social networks and review sites, triaged to the team
// that should act on them, and post-contact survey answers.
//
// Triage reads a post with a versioned rule set (rules.json, embedded; see
// Rules): topic phrases per topic, negations ("not happy", "never had a
// problem", "no complaints"), escalations (persistence, legal threats,
// vulnerable customers, anger, shouting) and reach (followers). It answers a
// route and the reasons for it:
//
//   - service, with a priority p1 (most urgent) to p4, for anything a care
//     team must answer: outages, billing, security, complaints,
//     cancellations, support questions, and posts no rule understood;
//   - marketing, with an action, lead (purchase intent, product questions)
//     or advocate (praise).
//
// A post that mentions a service failure goes to service even when it also
// praises or asks to buy: selling to someone whose service is broken hurts
// both. Triage is plain Go over plain values: no storage, no network.
package voice
