// Package simulator drives realistic contact-center traffic through a
// running local Conduit stack (scripts/dev), as Amazon Connect would: for
// each call or chat, the contact events on the event bus, the contact
// flow's invocations of the offer and outcome functions, Contact Lens
// segments and the contact record on their Kinesis streams.
//
// The pieces:
//
//   - Model plans contacts: why the customer calls (intent), on which
//     channel, whether they are a known demo customer (as scripts/seed made
//     them) or an unknown caller, whether they are upset, how long they
//     wait, talk and wrap up, and the dice for what they will do when an
//     agent makes them an offer. A seed makes the plan repeatable.
//   - Queues is the queue model: a few agents per queue, a utilisation
//     that drifts, and an overload incident on request. It gives each
//     contact its queue wait (Erlang C in normal times, a growing backlog
//     when demand outruns the agents) and the current metrics the local
//     Amazon Connect endpoint serves to the load watcher.
//   - The builders turn a planned contact into the payloads Connect sends,
//     built from shared/connect's types so their shapes are right.
//   - Runner paces contacts at a rate, sends them through a Target (the
//     local stack over loopback HTTP and Kinesis), and tallies what Conduit
//     answered for the closing summary.
package simulator
