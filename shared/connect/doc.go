// Package connect holds the Go types for everything Amazon Connect sends
// Conduit, and their decoders:
//
//   - FlowEvent: what an "Invoke AWS Lambda function" block of a contact flow
//     sends to the offer and outcome functions, and Response, the flat string
//     map the flow reads back.
//   - ContactRecord: a contact record (CTR) as Connect streams it to Kinesis.
//   - LensEvent: a Contact Lens real-time analysis event (voice and chat) on
//     Kinesis.
//   - ContactEvent: an EventBridge "Amazon Connect Contact Event".
//
// AWS's own documentation and samples disagree on field casing (queueInfo and
// QueueInfo, agentArn and AgentArn, Voice and VOICE), so every decoder matches
// field names case-insensitively (encoding/json does) and channels are
// normalised to upper case. Each Decode function returns an apperr.Problems
// naming every field that is missing or wrong, so a consumer can log it or
// route the record to its failure destination with the reason.
//
// The package uses plain encoding/json and knows nothing of Lambda or the AWS
// SDK.
package connect
