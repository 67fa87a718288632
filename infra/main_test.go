package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/conduit-cx/conduit/infra/stack"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/lambdas"
	"github.com/conduit-cx/conduit/shared/offer"
)

// TestEveryAPIRouteHasItsScopes synthesises the stack with shared/api's own
// routes: each becomes an HTTP API route with exactly its scopes, and only
// routes without scopes are public.
func TestEveryAPIRouteHasItsScopes(t *testing.T) {
	want := routes()
	if len(want) == 0 {
		t.Fatal("shared/api registers no routes")
	}
	code := t.TempDir()
	if err := os.MkdirAll(filepath.Join(code, "api"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(code, "api", "bootstrap"), []byte("placeholder"), 0o755); err != nil {
		t.Fatal(err)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	s, err := stack.New(app, "Conduit-dev", stack.Props{
		Stage: "dev", CodeDir: code, Functions: []string{"api"}, Routes: want,
		JWTIssuer: "https://issuer.example.com/", JWTAudience: []string{"conduit-api"},
		APIThrottleRate: 10, APIThrottleBurst: 20, LogRetentionDays: 30,
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(assertions.Template_FromStack(s.Stack, nil).FindResources(jsii.String("AWS::ApiGatewayV2::Route"), nil))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]struct {
		Properties struct {
			RouteKey            string
			AuthorizationType   string
			AuthorizationScopes []string
		}
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	byKey := map[string][]string{}
	types := map[string]string{}
	for _, r := range got {
		byKey[r.Properties.RouteKey] = r.Properties.AuthorizationScopes
		types[r.Properties.RouteKey] = r.Properties.AuthorizationType
	}
	if len(byKey) != len(want) {
		t.Errorf("%d routes in the template, shared/api has %d", len(byKey), len(want))
	}
	for _, r := range want {
		key := r.Method + " " + stack.GatewayPath(r.Path)
		scopes, ok := byKey[key]
		switch {
		case !ok:
			t.Errorf("%s: no route", key)
		case len(r.Scopes) == 0 && types[key] != "NONE":
			t.Errorf("%s: public in shared/api, %s in the stack", key, types[key])
		case len(r.Scopes) > 0 && (types[key] != "JWT" || !slices.Equal(scopes, r.Scopes)):
			t.Errorf("%s: %s %v, want JWT %v", key, types[key], scopes, r.Scopes)
		}
	}
}

// TestRegistryAgreesWithStack keeps shared/lambdas (what the local runner
// runs) and the stack's Functions table (what the cloud runs) the same.
func TestRegistryAgreesWithStack(t *testing.T) {
	kinds := map[lambdas.Kind]stack.Trigger{
		lambdas.KindInvoke: stack.TriggerContactFlow, lambdas.KindAPI: stack.TriggerAPI,
		lambdas.KindStream: stack.TriggerStream, lambdas.KindEvents: stack.TriggerContactEvents,
		lambdas.KindSchedule: stack.TriggerSchedule,
	}
	for name, reg := range lambdas.Registry() {
		f, ok := stack.FunctionNamed(name)
		if !ok {
			t.Errorf("%s is in shared/lambdas but not in the stack's Functions table", name)
			continue
		}
		if kinds[reg.Trigger.Kind] != f.Trigger {
			t.Errorf("%s: trigger %s in shared/lambdas, %s in the stack", name, reg.Trigger.Kind, f.Trigger)
		}
		if reg.Timeout != 0 && reg.Timeout != f.Timeout {
			t.Errorf("%s: timeout %s in shared/lambdas, %s in the stack", name, reg.Timeout, f.Timeout)
		}
		switch reg.Trigger.Kind {
		case lambdas.KindStream:
			c := f.Consumes
			tr := reg.Trigger
			if c == nil || c.Stream != tr.Stream || c.BatchSize != tr.BatchSize || c.BatchWindow != tr.BatchWindow || c.RetryAttempts != tr.RetryAttempts {
				t.Errorf("%s: stream source %+v in shared/lambdas, %+v in the stack", name, tr, c)
			}
		case lambdas.KindSchedule:
			if want := stack.RateExpression(reg.Trigger.Every); want != f.Schedule {
				t.Errorf("%s: every %s in shared/lambdas (%s), %q in the stack", name, reg.Trigger.Every, want, f.Schedule)
			}
		case lambdas.KindEvents:
			if reg.Trigger.Source != "aws.connect" || !slices.Equal(reg.Trigger.DetailTypes, []string{"Amazon Connect Contact Event"}) {
				t.Errorf("%s: events %s %v; the stack's rule matches aws.connect contact events", name, reg.Trigger.Source, reg.Trigger.DetailTypes)
			}
		}
	}
}

// TestSampleFlowReadsTheOfferAnswer checks events/connect-flow/offer-flow.json:
// every transition lands on an action, the flow invokes the offer function's
// live alias, and it stores only keys the offer function answers, under the
// attribute names the contact-record consumer reads back.
func TestSampleFlowReadsTheOfferAnswer(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "events", "connect-flow", "offer-flow.json"))
	if err != nil {
		t.Fatal(err)
	}
	var flow struct {
		Version     string
		StartAction string
		Actions     []struct {
			Identifier  string
			Type        string
			Parameters  map[string]any
			Transitions struct {
				NextAction string
				Errors     []struct{ NextAction, ErrorType string }
				Conditions []struct{ NextAction string }
			}
		}
	}
	if err := json.Unmarshal(raw, &flow); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, a := range flow.Actions {
		ids[a.Identifier] = true
	}
	if flow.Version != "2019-10-30" || !ids[flow.StartAction] {
		t.Fatalf("version %q start %q", flow.Version, flow.StartAction)
	}
	answerKeys := []string{offer.KeyOffer, offer.KeyReason, offer.KeyReasonText, offer.KeyDecisionID, offer.KeyOfferName,
		offer.KeyCampaign, offer.KeyPitch, offer.KeyWhy, offer.KeyScript, offer.KeyVariant, offer.KeyHoldout,
		offer.KeyValue, offer.KeyFAQ, offer.KeyObjections}
	invokes, storesDecision := 0, false
	for _, a := range flow.Actions {
		next := []string{a.Transitions.NextAction}
		for _, e := range a.Transitions.Errors {
			next = append(next, e.NextAction)
		}
		for _, c := range a.Transitions.Conditions {
			next = append(next, c.NextAction)
		}
		for _, n := range next {
			if n != "" && !ids[n] {
				t.Errorf("%s goes to unknown action %q", a.Identifier, n)
			}
		}
		switch a.Type {
		case "InvokeLambdaFunction":
			invokes++
			arn, _ := a.Parameters["LambdaFunctionARN"].(string)
			if !strings.HasSuffix(arn, ":function:conduit-dev-offer:live") {
				t.Errorf("invokes %q, want the offer function's live alias", arn)
			}
			if len(a.Transitions.Errors) == 0 || a.Transitions.Errors[0].NextAction == "" {
				t.Error("the invoke block has no error branch to the service path")
			}
		case "UpdateContactAttributes":
			attrs, _ := a.Parameters["Attributes"].(map[string]any)
			for name, v := range attrs {
				path, _ := v.(string)
				key, external := strings.CutPrefix(path, "$.External.")
				if external && !slices.Contains(answerKeys, key) {
					t.Errorf("%s reads %s, which the offer function does not answer", name, path)
				}
				if name == contacts.AttributeDecisionID[0] && key == offer.KeyDecisionID {
					storesDecision = true
				}
			}
		}
	}
	if invokes != 1 {
		t.Errorf("%d invoke blocks, want 1", invokes)
	}
	if !storesDecision {
		t.Errorf("no attribute %s = $.External.%s: contact records could not be joined to decisions", contacts.AttributeDecisionID[0], offer.KeyDecisionID)
	}
}

func TestContextParsing(t *testing.T) {
	ctx := map[string]any{
		stack.CtxStage: "prod", stack.CtxJWTAudience: []any{"a", "b"}, stack.CtxStreamShards: float64(2),
		stack.CtxConnectQueueArns:   "arn:aws:connect:eu-west-2:1:instance/i/queue/q1, arn:aws:connect:eu-west-2:1:instance/i/queue/q2",
		stack.CtxConnectInstanceArn: "arn:aws:connect:eu-west-2:1:instance/i", stack.CtxDecisionDeadline: "800ms",
		stack.CtxReservedConcurrency: "false",
	}
	p, err := stack.FromContext(func(k string) any { return ctx[k] })
	if err != nil {
		t.Fatal(err)
	}
	if !p.Production || p.StreamShards != 2 || len(p.JWTAudience) != 2 || p.DecisionDeadline.String() != "800ms" || p.ReserveConcurrent {
		t.Errorf("props %+v", p)
	}
	if got := p.ConnectQueueIDs(); !slices.Equal(got, []string{"q1", "q2"}) || p.ConnectInstanceID() != "i" {
		t.Errorf("queue ids %v instance %q", got, p.ConnectInstanceID())
	}
	bad := map[string]any{
		stack.CtxStage: "Prod!", stack.CtxStreamShards: "many", stack.CtxDecisionDeadline: "9s",
		stack.CtxConnectInstanceArn: "not-an-arn", stack.CtxJWTIssuer: "http://plain",
	}
	_, err = stack.FromContext(func(k string) any { return bad[k] })
	if err == nil {
		t.Fatal("bad context accepted")
	}
	for _, want := range []string{"stage", stack.CtxStreamShards, stack.CtxDecisionDeadline, "Connect instance", "JWT issuer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}
