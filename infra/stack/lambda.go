package stack

import (
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"

	"github.com/conduit-cx/conduit/shared/config"
)

// LogRetentionDays are the values CloudWatch Logs accepts.
var LogRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// Actions per access level; see Access.
var dynamoActions = map[Access][]string{
	Read:       {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"},
	Write:      {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"},
	Delete:     {"dynamodb:DeleteItem", "dynamodb:BatchWriteItem"},
	Scan:       {"dynamodb:Scan"},
	Describe:   {"dynamodb:DescribeTable"},
	IndexQuery: {"dynamodb:Query"},
	Dedupe:     {"dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"},
}

// EnvWhatIfFunction names the function that runs what-if chunks
// (shared/lambdas/campaigns.EnvWhatIfFunction; a test keeps the two equal).
const EnvWhatIfFunction = "CONDUIT_WHATIF_FUNCTION"

// whatIfRunner is the deployed function a function hands what-if chunks
// to, if any.
func (s *Stack) whatIfRunner(f Function) (string, bool) {
	if f.WhatIfRunner == "" {
		return "", false
	}
	for _, d := range s.deployed {
		if d.Name == f.WhatIfRunner {
			return s.name(d.Name), true
		}
	}
	return "", false
}

// Stream actions: what an event source mapping needs to read a shard, and what a producer needs.
var (
	streamConsumeActions = []string{"kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"}
	streamPublishActions = []string{"kinesis:PutRecord", "kinesis:PutRecords"}
)

func statement(actions []string, resources ...*string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings(actions...),
		Resources: &resources,
	})
}

func (s *Stack) addFunction(f Function) {
	id := constructID("Fn", f.Name)
	physical := s.name(f.Name)
	role := awsiam.NewRole(s.Stack, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Conduit " + f.Name + ": " + f.Purpose),
	})
	s.Roles[f.Name] = role

	logs := awslogs.NewLogGroup(s.Stack, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String("/aws/lambda/" + physical),
		RemovalPolicy: s.dataRemoval(),
	})
	logs.Node().DefaultChild().(awslogs.CfnLogGroup).SetRetentionInDays(jsii.Number(float64(s.props.LogRetentionDays)))
	// The log group exists before the function, so the role needs no CreateLogGroup.
	role.AddToPolicy(statement([]string{"logs:CreateLogStream", "logs:PutLogEvents"}, logs.LogGroupArn()))

	env := map[string]*string{
		config.EnvStage: jsii.String(s.props.Stage),
		// CloudFormation resolves the dynamic reference at deploy time; the
		// role needs no Secrets Manager access and the template holds no key.
		config.EnvIdentityKey: s.IdentityKey.SecretValue().UnsafeUnwrap(),
	}
	if f.DecisionDeadline {
		env[config.EnvDecisionDeadline] = jsii.String(s.props.DecisionDeadline.String())
	}
	if f.ConnectMetrics && s.props.ConnectInstanceArn != "" {
		env[config.EnvConnectInstanceID] = jsii.String(s.props.ConnectInstanceID())
		if ids := s.props.ConnectQueueIDs(); len(ids) > 0 {
			env[config.EnvConnectQueueIDs] = jsii.String(strings.Join(ids, ","))
		}
	}

	runner, hasRunner := s.whatIfRunner(f)
	if hasRunner {
		env[EnvWhatIfFunction] = jsii.String(runner)
	}

	props := &awslambda.FunctionProps{
		FunctionName: jsii.String(physical),
		Description:  jsii.String(f.Purpose),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(filepath.Join(s.props.CodeDir, f.Name)), nil),
		MemorySize:   jsii.Number(float64(f.MemoryMB)),
		Timeout:      awscdk.Duration_Millis(jsii.Number(float64(f.Timeout.Milliseconds()))),
		Role:         role,
		LogGroup:     logs,
		Environment:  &env,
	}
	if s.props.ReserveConcurrent && f.ReservedConcurrency > 0 {
		props.ReservedConcurrentExecutions = jsii.Number(float64(f.ReservedConcurrency))
	}
	fn := awslambda.NewFunction(s.Stack, jsii.String(id), props)
	s.Functions[f.Name] = fn

	s.grantTables(role, f)
	s.grantStreams(role, f)
	if hasRunner {
		// The ARN is built from the physical name, not taken from the
		// function: the campaigns role invokes its own function, and a
		// reference would make the function and its policy wait on each other.
		arn := s.Stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("lambda"), Resource: jsii.String("function"),
			ResourceName: jsii.String(runner), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})
		role.AddToPolicy(statement([]string{"lambda:InvokeFunction"}, arn))
	}
	if f.ConnectMetrics && s.props.ConnectInstanceArn != "" {
		every := s.props.ConnectInstanceArn + "/queue/*"
		queues := []*string{jsii.String(every)}
		if len(s.props.ConnectQueueArns) == 0 {
			suppress(role, "AwsSolutions-IAM5",
				"No queue ARNs are configured ("+CtxConnectQueueArns+"): the load watcher reads current metrics of every queue of this one Connect instance, "+
					"and the resource stays scoped to that instance. Configure queue ARNs to narrow it.",
				"Resource::"+every)
		}
		if len(s.props.ConnectQueueArns) > 0 {
			queues = *jsii.Strings(s.props.ConnectQueueArns...)
			slices.SortFunc(queues, func(a, b *string) int { return strings.Compare(*a, *b) })
		}
		role.AddToPolicy(statement([]string{"connect:GetCurrentMetricData"}, append([]*string{jsii.String(s.props.ConnectInstanceArn)}, queues...)...))
		role.AddToPolicy(statement([]string{"connect:ListQueues"}, jsii.String(s.props.ConnectInstanceArn)))
	}

	if f.Trigger == TriggerContactFlow {
		aliasProps := &awslambda.AliasProps{
			AliasName:   jsii.String("live"),
			Version:     fn.CurrentVersion(),
			Description: jsii.String("what the contact flow invokes"),
		}
		if f.Name == "offer" && s.props.OfferProvisioned > 0 {
			// Warm instances for the hot path: no cold start inside a contact.
			aliasProps.ProvisionedConcurrentExecutions = jsii.Number(float64(s.props.OfferProvisioned))
		}
		alias := awslambda.NewAlias(s.Stack, jsii.String(id+"Live"), aliasProps)
		s.Aliases[f.Name] = alias
	}
}

// grantTables gives the role exactly the actions of each access level, on the
// table and, for reads, Query on each of its indexes by name (no index
// wildcard; an index answers nothing but Query and Scan); IndexQuery names
// the indexes only.
func (s *Stack) grantTables(role awsiam.Role, f Function) {
	for _, use := range f.Tables {
		table := s.Tables[use.Table.Suffix]
		var indexes []*string
		for _, ix := range use.Table.Indexes {
			if len(use.Indexes) == 0 || slices.Contains(use.Indexes, ix.Name) {
				indexes = append(indexes, jsii.String(*table.TableArn()+"/index/"+ix.Name))
			}
		}
		for _, level := range []Access{Read, Write, Delete, Scan, Describe, IndexQuery, Dedupe} {
			if use.Can&level == 0 {
				continue
			}
			var resources []*string
			switch level {
			case Read:
				if len(indexes) > 0 {
					role.AddToPolicy(statement(dynamoActions[IndexQuery], indexes...))
				}
				resources = []*string{table.TableArn()}
			case IndexQuery:
				resources = indexes
			default:
				resources = []*string{table.TableArn()}
			}
			if len(resources) == 0 {
				continue
			}
			role.AddToPolicy(statement(dynamoActions[level], resources...))
		}
	}
}

func (s *Stack) grantStreams(role awsiam.Role, f Function) {
	if f.Consumes != nil {
		stream := s.Streams[f.Consumes.Stream.Suffix]
		role.AddToPolicy(statement(streamConsumeActions, stream.StreamArn()))
		if key := stream.EncryptionKey(); key != nil {
			role.AddToPolicy(statement([]string{"kms:Decrypt"}, key.KeyArn()))
		}
	}
	for _, def := range f.Publishes {
		stream := s.Streams[def.Suffix]
		role.AddToPolicy(statement(streamPublishActions, stream.StreamArn()))
		if key := stream.EncryptionKey(); key != nil {
			role.AddToPolicy(statement([]string{"kms:GenerateDataKey"}, key.KeyArn()))
		}
	}
}
