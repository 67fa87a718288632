package stack

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsconnect"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/jsii-runtime-go"
)

func seconds(d time.Duration) awscdk.Duration {
	return awscdk.Duration_Seconds(jsii.Number(d.Seconds()))
}

func (s *Stack) addTrigger(f Function) {
	switch f.Trigger {
	case TriggerContactFlow:
		s.allowConnect(f)
	case TriggerAPI:
		s.addAPI(f)
	case TriggerStream:
		s.addStreamSource(f)
	case TriggerContactEvents:
		s.addContactEventRule(f)
	case TriggerSchedule:
		s.addSchedule(f)
	default:
		panic(fmt.Sprintf("function %s: unknown trigger %q", f.Name, f.Trigger))
	}
}

// allowConnect lets the Connect instance, and only it, invoke the function's
// live alias, and associates the alias with the instance so flows can pick it.
func (s *Stack) allowConnect(f Function) {
	arn := s.props.ConnectInstanceArn
	if arn == "" {
		awscdk.Annotations_Of(s.Functions[f.Name]).AddWarningV2(jsii.String("conduit:no-connect-instance"),
			jsii.String("no "+CtxConnectInstanceArn+" in context: no Connect instance may invoke "+f.Name+" yet"))
		return
	}
	account := strings.Split(arn, ":")[4]
	perm := &awslambda.Permission{
		Principal:     awsiam.NewServicePrincipal(jsii.String("connect.amazonaws.com"), nil),
		Action:        jsii.String("lambda:InvokeFunction"),
		SourceArn:     jsii.String(arn),
		SourceAccount: jsii.String(account),
	}
	alias := s.Aliases[f.Name]
	alias.AddPermission(jsii.String("ConnectInvoke"), perm)
	awsconnect.NewCfnIntegrationAssociation(s.Stack, jsii.String(constructID("ConnectAssociation", f.Name)), &awsconnect.CfnIntegrationAssociationProps{
		InstanceId:      jsii.String(arn),
		IntegrationType: jsii.String("LAMBDA_FUNCTION"),
		IntegrationArn:  alias.FunctionArn(),
	})
}

// addStreamSource reads the function's stream with partial batch responses,
// bisection and bounded retries; a batch that still fails has its shard
// position sent to the consumer's DLQ, so nothing is dropped silently.
func (s *Stack) addStreamSource(f Function) {
	src := f.Consumes
	fn := s.Functions[f.Name]
	awslambda.NewEventSourceMapping(s.Stack, jsii.String(constructID("Source", f.Name)), &awslambda.EventSourceMappingProps{
		Target:                  fn,
		EventSourceArn:          s.Streams[src.Stream.Suffix].StreamArn(),
		StartingPosition:        awslambda.StartingPosition_TRIM_HORIZON,
		BatchSize:               jsii.Number(float64(src.BatchSize)),
		MaxBatchingWindow:       seconds(src.BatchWindow),
		ParallelizationFactor:   jsii.Number(1), // records of one contact stay in order
		ReportBatchItemFailures: jsii.Bool(true),
		BisectBatchOnError:      jsii.Bool(true),
		RetryAttempts:           jsii.Number(float64(src.RetryAttempts)),
		MaxRecordAge:            seconds(src.MaxRecordAge),
		OnFailure:               awslambdaeventsources.NewSqsDlq(s.dlq(f.Name)),
	})
}

// addContactEventRule routes Amazon Connect contact events of the instance to
// the function. Delivery failures go to the DLQ from EventBridge; failures of
// the function itself go to the same DLQ from Lambda's asynchronous invocation.
func (s *Stack) addContactEventRule(f Function) {
	fn := s.Functions[f.Name]
	dlq := s.dlq(f.Name)
	pattern := &awsevents.EventPattern{
		Source:     jsii.Strings("aws.connect"),
		DetailType: jsii.Strings("Amazon Connect Contact Event"),
	}
	if s.props.ConnectInstanceArn != "" {
		pattern.Detail = &map[string]any{"instanceArn": []string{s.props.ConnectInstanceArn}}
	}
	awsevents.NewRule(s.Stack, jsii.String("ContactEventsRule"), &awsevents.RuleProps{
		RuleName:     jsii.String(s.name("contact-events")),
		Description:  jsii.String("Amazon Connect contact events to Conduit's " + f.Name),
		EventPattern: pattern,
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
			DeadLetterQueue: dlq,
			RetryAttempts:   jsii.Number(8),
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(2)),
		})},
	})
	fn.ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{
		OnFailure:     awslambdadestinations.NewSqsDestination(dlq),
		RetryAttempts: jsii.Number(2),
		MaxEventAge:   awscdk.Duration_Hours(jsii.Number(6)),
	})
}

// ScheduledEventInput is what a schedule sends: the EventBridge scheduled-event
// shape the local runner also sends, filled from Scheduler's context attributes.
const ScheduledEventInput = `{"version":"0","id":"<aws.scheduler.execution-id>","detail-type":"Scheduled Event",` +
	`"source":"aws.scheduler","time":"<aws.scheduler.scheduled-time>","resources":["<aws.scheduler.schedule-arn>"],` +
	`"detail":{"attempt":"<aws.scheduler.attempt-number>"}}`

// addSchedule invokes the function on its schedule through a role that may
// invoke only it and send only to its DLQ.
func (s *Stack) addSchedule(f Function) {
	fn := s.Functions[f.Name]
	dlq := s.dlq(f.Name)
	id := constructID("Schedule", f.Name)
	role := awsiam.NewRole(s.Stack, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": s.Stack.Account()}},
		}),
		Description: jsii.String("EventBridge Scheduler: invoke Conduit " + f.Name),
	})
	role.AddToPolicy(statement([]string{"lambda:InvokeFunction"}, fn.FunctionArn()))
	role.AddToPolicy(statement([]string{"sqs:SendMessage"}, dlq.QueueArn()))
	s.Roles["schedule-"+f.Name] = role

	schedule := awsscheduler.NewCfnSchedule(s.Stack, jsii.String(id), &awsscheduler.CfnScheduleProps{
		Name:               jsii.String(s.name(f.Name)),
		Description:        jsii.String(f.Purpose),
		ScheduleExpression: jsii.String(f.Schedule),
		State:              jsii.String("ENABLED"),
		FlexibleTimeWindow: &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
		Target: &awsscheduler.CfnSchedule_TargetProperty{
			Arn:              fn.FunctionArn(),
			RoleArn:          role.RoleArn(),
			Input:            jsii.String(ScheduledEventInput),
			DeadLetterConfig: &awsscheduler.CfnSchedule_DeadLetterConfigProperty{Arn: dlq.QueueArn()},
			// The next run comes soon and the jobs are idempotent: retry briefly.
			RetryPolicy: &awsscheduler.CfnSchedule_RetryPolicyProperty{
				MaximumRetryAttempts:     jsii.Number(3),
				MaximumEventAgeInSeconds: jsii.Number(300),
			},
		},
	})
	schedule.Node().AddDependency(role)
	fn.ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{
		OnFailure:     awslambdadestinations.NewSqsDestination(dlq),
		RetryAttempts: jsii.Number(1),
		MaxEventAge:   awscdk.Duration_Minutes(jsii.Number(15)),
	})
}

var (
	wildcardSegment = regexp.MustCompile(`\{([A-Za-z0-9_]+)\.\.\.\}`)
)

// GatewayPath turns a net/http ServeMux pattern path into an API Gateway route
// path: "{rest...}" becomes "{rest+}" and a trailing "{$}" is dropped.
func GatewayPath(p string) string {
	p = wildcardSegment.ReplaceAllString(p, "{$1+}")
	p = strings.TrimSuffix(p, "{$}")
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	return p
}

// addAPI puts the API function behind an HTTP API: one route per API route,
// each with the JWT authorizer and that route's scopes.
func (s *Stack) addAPI(f Function) {
	fn := s.Functions[f.Name]
	if s.props.JWTIssuer == "" || len(s.props.JWTAudience) == 0 {
		awscdk.Annotations_Of(fn).AddWarningV2(jsii.String("conduit:no-jwt-issuer"),
			jsii.String("no "+CtxJWTIssuer+" or "+CtxJWTAudience+" in context: the API has no routes"))
		return
	}
	apiProps := &awsapigatewayv2.HttpApiProps{
		ApiName:            jsii.String(s.name("api")),
		Description:        jsii.String("Conduit " + s.props.Stage + " marketer and analyst API"),
		CreateDefaultStage: jsii.Bool(false),
	}
	if len(s.props.CorsOrigins) > 0 {
		apiProps.CorsPreflight = &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins: jsii.Strings(s.props.CorsOrigins...),
			AllowMethods: &[]awsapigatewayv2.CorsHttpMethod{
				awsapigatewayv2.CorsHttpMethod_GET, awsapigatewayv2.CorsHttpMethod_POST, awsapigatewayv2.CorsHttpMethod_PUT,
				awsapigatewayv2.CorsHttpMethod_PATCH, awsapigatewayv2.CorsHttpMethod_DELETE,
			},
			AllowHeaders:  jsii.Strings("authorization", "content-type", "if-match", "x-request-id"),
			ExposeHeaders: jsii.Strings("etag", "x-request-id"),
			MaxAge:        awscdk.Duration_Hours(jsii.Number(1)),
		}
	}
	api := awsapigatewayv2.NewHttpApi(s.Stack, jsii.String("Api"), apiProps)
	s.API = api

	accessLogs := awslogs.NewLogGroup(s.Stack, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String("/aws/vendedlogs/" + s.name("api-access")),
		RemovalPolicy: s.dataRemoval(),
	})
	accessLogs.Node().DefaultChild().(awslogs.CfnLogGroup).SetRetentionInDays(jsii.Number(float64(s.props.LogRetentionDays)))
	stage := awsapigatewayv2.NewHttpStage(s.Stack, jsii.String("ApiStage"), &awsapigatewayv2.HttpStageProps{
		HttpApi:    api,
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle: &awsapigatewayv2.ThrottleSettings{
			RateLimit:  jsii.Number(s.props.APIThrottleRate),
			BurstLimit: jsii.Number(s.props.APIThrottleBurst),
		},
	})
	stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: accessLogs.LogGroupArn(),
		Format:         jsii.String(accessLogFormat),
	})
	s.APIStage = stage

	jwt := awsapigatewayv2authorizers.NewHttpJwtAuthorizer(jsii.String("Jwt"), jsii.String(s.props.JWTIssuer),
		&awsapigatewayv2authorizers.HttpJwtAuthorizerProps{
			AuthorizerName: jsii.String("conduit-jwt"),
			JwtAudience:    jsii.Strings(s.props.JWTAudience...),
		})
	// One permission for the whole API instead of one per route keeps the
	// function's resource policy far under its 20 KB limit as routes grow.
	integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("ApiIntegration"), fn,
		&awsapigatewayv2integrations.HttpLambdaIntegrationProps{
			PayloadFormatVersion:   awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
			ScopePermissionToRoute: jsii.Bool(false),
		})
	for _, r := range s.props.Routes {
		opts := &awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(GatewayPath(r.Path)),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(strings.ToUpper(r.Method))},
			Integration: integration,
		}
		if len(r.Scopes) > 0 {
			opts.Authorizer = jwt
			opts.AuthorizationScopes = jsii.Strings(r.Scopes...)
		} else {
			opts.Authorizer = awsapigatewayv2.NewHttpNoneAuthorizer()
			s.publicRoutes = append(s.publicRoutes, strings.ToUpper(r.Method)+" "+GatewayPath(r.Path))
		}
		routes := api.AddRoutes(opts)
		if len(r.Scopes) == 0 {
			for _, route := range *routes {
				suppress(route, "AwsSolutions-APIG4",
					"A public route of the API (shared/api registers it with handlePublic, no scopes): the OpenAPI document, which holds no customer data.")
			}
		}
	}
}

// accessLogFormat is one JSON line per request; it holds no token and no body.
const accessLogFormat = `{"requestId":"$context.requestId","requestTime":"$context.requestTime",` +
	`"routeKey":"$context.routeKey","status":"$context.status","responseLength":"$context.responseLength",` +
	`"latencyMs":"$context.responseLatency","integrationLatencyMs":"$context.integrationLatency",` +
	`"integrationError":"$context.integrationErrorMessage","authorizerError":"$context.authorizer.error",` +
	`"subject":"$context.authorizer.claims.sub","sourceIp":"$context.identity.sourceIp"}`
