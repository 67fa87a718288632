package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// CheckAwsSolutions applies the cdk-nag AwsSolutions pack to the stack; its
// findings become error and warning annotations that fail `cdk synth`.
// With reports, cdk-nag also writes its CSV report into the cloud assembly.
func CheckAwsSolutions(s awscdk.Stack, reports bool) {
	awscdk.Aspects_Of(s).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{
		Verbose: jsii.Bool(true), Reports: jsii.Bool(reports),
	}), nil)
}

// suppress records why a finding does not apply; cdk-nag prints the reason in its report.
func suppress(c constructs.IConstruct, rule, reason string, appliesTo ...any) {
	sup := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		sup.AppliesTo = &appliesTo
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{sup}, jsii.Bool(true))
}

// suppressJustifiedFindings lists every AwsSolutions finding the stack accepts, each with its reason.
func (s *Stack) suppressJustifiedFindings() {
	suppress(s.IdentityKey, "AwsSolutions-SMG4",
		"The identity HMAC key must never rotate: every stored identity key (hash of a phone number or email) is derived from it, "+
			"and rotating it would orphan every customer's profile. Access is limited to CloudFormation at deploy time.")
	for _, q := range s.DLQs {
		suppress(q, "AwsSolutions-SQS3",
			"This queue is itself a dead-letter queue (on-failure destination of a stream mapping, an EventBridge target or a schedule); "+
				"its depth alarms, and a DLQ of a DLQ would only hide failures.")
	}
}
