package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func (s *Stack) output(id, description string, value *string) {
	awscdk.NewCfnOutput(s.Stack, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
}

// addOutputs prints what an operator needs after a deploy: what the contact
// flow invokes, where the API is, where alarms go.
func (s *Stack) addOutputs() {
	for _, name := range sortedKeys(s.Aliases) {
		s.output(constructID("InvokeArn", name), "ARN the contact flow's Invoke AWS Lambda function block calls for "+name,
			s.Aliases[name].FunctionArn())
	}
	if s.APIStage != nil {
		s.output("ApiUrl", "Conduit API base URL", s.APIStage.Url())
	}
	for _, suffix := range sortedKeys(s.CreatedStreams) {
		s.output(constructID("StreamName", suffix), "Kinesis stream "+suffix+" (point Connect data streaming here)",
			s.CreatedStreams[suffix].StreamName())
	}
	s.output("AlarmTopicArn", "SNS topic every Conduit alarm notifies", s.AlarmTopic.TopicArn())
	s.output("IdentityKeySecretArn", "Secret holding the identity HMAC key (never rotate)", s.IdentityKey.SecretArn())
}
