// Package stack is Conduit's whole AWS deployment as one CDK stack: tables and
// streams from shared/store, every function of the Functions table with its
// own least-privilege role, the triggers (contact flow, HTTP API, Kinesis,
// EventBridge, Scheduler), alarms and a dashboard.
package stack

import (
	"fmt"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskinesis"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/conduit-cx/conduit/shared/store"
)

// Stack is the synthesised stack and handles on what it made, for tests and outputs.
type Stack struct {
	Stack awscdk.Stack
	props Props

	Key         awskms.Key
	IdentityKey awssecretsmanager.Secret
	Tables      map[string]awsdynamodb.Table // by store suffix
	Streams     map[string]awskinesis.IStream
	// CreatedStreams are the streams this stack owns (not imported).
	CreatedStreams map[string]awskinesis.Stream
	Functions      map[string]awslambda.Function
	// Aliases are the "live" aliases of contact-flow functions (Connect invokes these).
	Aliases map[string]awslambda.Alias
	Roles   map[string]awsiam.Role
	// DLQs are the dead-letter queues, one per asynchronous consumer, by function name.
	DLQs       map[string]awssqs.Queue
	AlarmTopic awssns.Topic
	API        awsapigatewayv2.HttpApi
	APIStage   awsapigatewayv2.HttpStage

	deployed     []Function
	publicRoutes []string
}

// New builds the stack. Props are validated first; every problem is reported.
func New(scope constructs.Construct, id string, p Props) (*Stack, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	deployed, err := selectFunctions(p.Functions)
	if err != nil {
		return nil, err
	}
	if p.CodeDir == "" {
		return nil, fmt.Errorf("CodeDir is empty: point it at the directory scripts/build writes (dist)")
	}
	st := awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{
		Description: jsii.String(fmt.Sprintf("Conduit (%s): offers in Amazon Connect contacts, measured against a holdout", p.Stage)),
	})
	awscdk.Tags_Of(st).Add(jsii.String("app"), jsii.String("conduit"), nil)
	awscdk.Tags_Of(st).Add(jsii.String("stage"), jsii.String(p.Stage), nil)

	s := &Stack{
		Stack: st, props: p, deployed: deployed,
		Tables: map[string]awsdynamodb.Table{}, Streams: map[string]awskinesis.IStream{},
		CreatedStreams: map[string]awskinesis.Stream{}, Functions: map[string]awslambda.Function{},
		Aliases: map[string]awslambda.Alias{}, Roles: map[string]awsiam.Role{}, DLQs: map[string]awssqs.Queue{},
	}
	s.addKey()
	s.addIdentityKey()
	s.addTables()
	s.addStreams()
	for _, f := range deployed {
		s.addFunction(f)
	}
	for _, f := range deployed {
		s.addTrigger(f)
	}
	s.addMonitoring()
	s.addOutputs()
	s.suppressJustifiedFindings()
	return s, nil
}

// Deployed lists the functions in this stack.
func (s *Stack) Deployed() []Function { return slices.Clone(s.deployed) }

func selectFunctions(names []string) ([]Function, error) {
	if len(names) == 0 {
		return slices.Clone(Functions), nil
	}
	var out []Function
	for _, f := range Functions {
		if slices.Contains(names, f.Name) {
			out = append(out, f)
		}
	}
	for _, n := range names {
		if _, ok := FunctionNamed(n); !ok {
			return nil, fmt.Errorf("function %q is not in the stack's Functions table (infra/stack/functions.go): add it there with its trigger and table access", n)
		}
	}
	return out, nil
}

// name is the physical name of a stage-scoped resource, as shared/store names tables.
func (s *Stack) name(suffix string) string {
	return fmt.Sprintf("conduit-%s-%s", s.props.Stage, suffix)
}

// dataRemoval keeps data of production stages when the stack or a resource goes away.
func (s *Stack) dataRemoval() awscdk.RemovalPolicy {
	if s.props.Production {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}

// addKey makes the stack's customer-managed key for the alarm topic: CloudWatch
// cannot publish to a topic encrypted with the AWS managed SNS key.
func (s *Stack) addKey() {
	s.Key = awskms.NewKey(s.Stack, jsii.String("Key"), &awskms.KeyProps{
		Alias:             jsii.String("alias/conduit-" + s.props.Stage),
		Description:       jsii.String("Conduit " + s.props.Stage + ": the alarm topic"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     s.dataRemoval(),
		PendingWindow:     awscdk.Duration_Days(jsii.Number(30)),
	})
	// CloudWatch alarms publish to the encrypted topic as the CloudWatch service.
	s.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AlarmsPublishToEncryptedTopic"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
		Resources:  jsii.Strings("*"), // in a key policy, "*" is this key
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": s.Stack.Account()}},
	}), nil)
}

// addIdentityKey makes the secret key of the identity HMAC (DESIGN 4.1). It is
// 44 characters of [A-Za-z0-9]: valid standard base64 of 33 bytes, which is what
// config.EnvIdentityKey expects (≥ 16 bytes).
func (s *Stack) addIdentityKey() {
	s.IdentityKey = awssecretsmanager.NewSecret(s.Stack, jsii.String("IdentityKey"), &awssecretsmanager.SecretProps{
		SecretName:  jsii.String("conduit/" + s.props.Stage + "/identity-key"),
		Description: jsii.String("Conduit " + s.props.Stage + ": HMAC key that turns phone numbers and emails into identity keys. Never rotate: every stored identity depends on it."),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(44),
			ExcludePunctuation: jsii.Bool(true),
			IncludeSpace:       jsii.Bool(false),
		},
		// Losing the key loses every customer's identity mapping: keep it unless the stage is disposable.
		RemovalPolicy: s.dataRemoval(),
	})
}

func attrType(t store.AttrType) awsdynamodb.AttributeType {
	if t == store.Number {
		return awsdynamodb.AttributeType_NUMBER
	}
	return awsdynamodb.AttributeType_STRING
}

func attr(k *store.Key) *awsdynamodb.Attribute {
	if k == nil {
		return nil
	}
	return &awsdynamodb.Attribute{Name: jsii.String(k.Name), Type: attrType(k.Type)}
}

// addTables maps every table of shared/store one to one.
func (s *Stack) addTables() {
	for _, t := range store.AllTables {
		props := &awsdynamodb.TableProps{
			TableName:    jsii.String(t.Name(s.props.Stage)),
			PartitionKey: attr(&t.PartitionKey),
			SortKey:      attr(t.SortKey),
			BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
			Encryption:   awsdynamodb.TableEncryption_AWS_MANAGED,
			PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
				PointInTimeRecoveryEnabled: jsii.Bool(true),
			},
			DeletionProtection: jsii.Bool(s.props.Production),
			RemovalPolicy:      s.dataRemoval(),
		}
		if t.TTLAttribute != "" {
			props.TimeToLiveAttribute = jsii.String(t.TTLAttribute)
		}
		table := awsdynamodb.NewTable(s.Stack, jsii.String(constructID("Table", t.Suffix)), props)
		for _, ix := range t.Indexes {
			table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
				IndexName:      jsii.String(ix.Name),
				PartitionKey:   attr(&ix.PartitionKey),
				SortKey:        attr(ix.SortKey),
				ProjectionType: awsdynamodb.ProjectionType_ALL,
			})
		}
		s.Tables[t.Suffix] = table
	}
}

// addStreams creates the streams, or imports the Connect streams that exist already.
func (s *Stack) addStreams() {
	imported := map[string][2]string{
		store.ContactRecordsStream.Suffix: {s.props.ContactRecordsStreamArn, s.props.ContactRecordsStreamKeyArn},
		store.ContactLensStream.Suffix:    {s.props.ContactLensStreamArn, s.props.ContactLensStreamKeyArn},
	}
	for _, def := range store.AllStreams {
		id := constructID("Stream", def.Suffix)
		if arn := imported[def.Suffix]; arn[0] != "" {
			attrs := &awskinesis.StreamAttributes{StreamArn: jsii.String(arn[0])}
			if arn[1] != "" {
				attrs.EncryptionKey = awskms.Key_FromKeyArn(s.Stack, jsii.String(id+"Key"), jsii.String(arn[1]))
			}
			s.Streams[def.Suffix] = awskinesis.Stream_FromStreamAttributes(s.Stack, jsii.String(id), attrs)
			continue
		}
		// The AWS managed key (aws/kinesis): Amazon Connect can write with it
		// without key-policy grants to its service-linked role, consumers need
		// no KMS permissions, and it costs no key or per-request key charges.
		props := &awskinesis.StreamProps{
			StreamName:      jsii.String(def.Name(s.props.Stage)),
			Encryption:      awskinesis.StreamEncryption_MANAGED,
			RetentionPeriod: awscdk.Duration_Hours(jsii.Number(24)),
			StreamMode:      awskinesis.StreamMode_ON_DEMAND,
			RemovalPolicy:   s.dataRemoval(),
		}
		if s.props.StreamShards > 0 {
			props.StreamMode = awskinesis.StreamMode_PROVISIONED
			props.ShardCount = jsii.Number(float64(s.props.StreamShards))
		}
		stream := awskinesis.NewStream(s.Stack, jsii.String(id), props)
		s.Streams[def.Suffix] = stream
		s.CreatedStreams[def.Suffix] = stream
	}
}

// dlq makes the encrypted dead-letter queue of one consumer.
func (s *Stack) dlq(owner string) awssqs.Queue {
	q := awssqs.NewQueue(s.Stack, jsii.String(constructID("DLQ", owner)), &awssqs.QueueProps{
		QueueName:       jsii.String(s.name(owner + "-dlq")),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		RemovalPolicy:   s.dataRemoval(),
	})
	s.DLQs[owner] = q
	return q
}

// constructID turns "Table","contact-records" into "TableContactRecords".
func constructID(kind, name string) string {
	out := []rune(kind)
	upper := true
	for _, r := range name {
		if r == '-' || r == '_' {
			upper = true
			continue
		}
		if upper && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		upper = false
		out = append(out, r)
	}
	return string(out)
}
