// Package decide is Conduit's decision engine: for one live contact it
// decides whether to make an offer, which one, and what the agent is told
// (DESIGN section 4). It is pure code over plain values: no DynamoDB, no
// Lambda, no HTTP, no clock. The same input, snapshot and policy always give
// the same decision, which is what lets POST /v1/decisions/simulate explain
// exactly what the offer function would do.
//
// The path, in order:
//
//  1. Gates that stop every offer, each with a reason code and words for
//     the agent: consent (erased or suppressed, opted out of marketing on
//     the channel, or no opt-in when the policy requires one), empathy
//     (negative sentiment now or on a contact in the last hours, complaint
//     or cancellation, failed self-service, a repeat contact about the same
//     issue, a low survey score, an open social complaint), load (every
//     live campaign held by its queue load), channel (only channels the
//     contact center sells on), and the customer's offer frequency.
//  2. Per offer, cheapest first: status and dates, campaign live and within
//     its dates, campaign held by load, channel, global cap known to be used
//     up, contact policies (accepted lately, declined within the offer's
//     suppression days, per-customer cap), the campaign's audience rule
//     (once per campaign and decision) and the offer's eligibility rule
//     (CEL, through package rules, on one activation per decision).
//  3. Arbitration: priority = propensity × context weight × value ×
//     business lever × priority weight; propensity is the Beta-smoothed
//     acceptance rate (Policy.Propensity); the context weight rises when the
//     offer is made for the contact's intent or an active life event. Ties
//     go to the better-proven offer, then the lower offer id.
//  4. Holdout and variant by deterministic draws (Draw) of the subject
//     (profile id, or the contact id of an anonymous caller) with the
//     campaign id and the offer id.
//
// Use:
//
//	snap := decide.NewSnapshot(offers, campaigns) // once per catalog refresh
//	d := decide.Decide(decide.Input{
//		Now: now, Profile: profile, Suppressed: suppressed, Contact: contact,
//		Held: held, Propensity: counts, Exhausted: exhausted,
//	}, snap, policy)
//	for d.Offered() && !reserve(d.Offer()) { // global caps are the caller's
//		d.CapReached()                    // next ranked offer, or none
//	}
//
// d.Why is what the agent reads (why this offer fits, or why no offer);
// d.Explain() and the decision's JSON give every gate and every offer with
// what dropped it or how it scored. Decisions keep their explanation in a
// compact, pointer-free form, so deciding over thousands of offers stays
// cheap; the readable form is built only when asked for.
package decide
