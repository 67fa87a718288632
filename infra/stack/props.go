package stack

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Route is one API route and the JWT scopes of which a caller needs one.
// No scopes means the route is public (the OpenAPI document).
type Route struct {
	Method string
	Path   string
	Scopes []string
}

// Props parameterise the stack. FromContext reads them from CDK context.
type Props struct {
	Stage string
	// Production turns on deletion protection and RETAIN for data.
	Production bool
	// CodeDir holds <function>/bootstrap for every function (scripts/build writes dist/).
	CodeDir string
	// Functions names the functions to deploy; empty means all of Functions.
	Functions []string
	// Routes are the API's routes (shared/api), each with its scopes.
	Routes []Route

	// ConnectInstanceArn scopes the invoke permission, the contact-event rule
	// and the load watcher; empty leaves them out.
	ConnectInstanceArn string
	// ConnectQueueArns limits the load watcher to these queues; empty means every queue of the instance.
	ConnectQueueArns []string
	// ContactRecordsStreamArn and ContactLensStreamArn import existing streams
	// instead of creating them; the key ARNs name their KMS keys, if any.
	ContactRecordsStreamArn    string
	ContactRecordsStreamKeyArn string
	ContactLensStreamArn       string
	ContactLensStreamKeyArn    string
	// StreamShards > 0 creates provisioned streams with that many shards; 0 is on-demand.
	StreamShards int

	JWTIssuer   string
	JWTAudience []string
	// CorsOrigins turns on CORS for these origins only.
	CorsOrigins       []string
	APIThrottleRate   float64
	APIThrottleBurst  float64
	AlarmEmail        string
	LogRetentionDays  int
	DecisionDeadline  time.Duration
	OfferProvisioned  int
	ReserveConcurrent bool
}

// Context keys, as set in cdk.json or with `cdk synth -c key=value`.
const (
	CtxStage                   = "conduit:stage"
	CtxProduction              = "conduit:production"
	CtxConnectInstanceArn      = "conduit:connectInstanceArn"
	CtxConnectQueueArns        = "conduit:connectQueueArns"
	CtxContactRecordsStreamArn = "conduit:contactRecordsStreamArn"
	CtxContactRecordsKeyArn    = "conduit:contactRecordsStreamKeyArn"
	CtxContactLensStreamArn    = "conduit:contactLensStreamArn"
	CtxContactLensKeyArn       = "conduit:contactLensStreamKeyArn"
	CtxStreamShards            = "conduit:streamShards"
	CtxJWTIssuer               = "conduit:jwtIssuer"
	CtxJWTAudience             = "conduit:jwtAudience"
	CtxCorsOrigins             = "conduit:corsOrigins"
	CtxAPIThrottleRate         = "conduit:apiThrottleRate"
	CtxAPIThrottleBurst        = "conduit:apiThrottleBurst"
	CtxAlarmEmail              = "conduit:alarmEmail"
	CtxLogRetentionDays        = "conduit:logRetentionDays"
	CtxDecisionDeadline        = "conduit:decisionDeadline"
	CtxOfferProvisioned        = "conduit:offerProvisionedConcurrency"
	CtxReservedConcurrency     = "conduit:reservedConcurrency"
)

// FromContext reads the props through get (the app node's TryGetContext).
// Values from cdk.json arrive as JSON values, values from -c as strings; both
// are accepted. Every problem is reported, not only the first.
func FromContext(get func(key string) any) (Props, error) {
	var problems []error
	str := func(key string) string {
		v := get(key)
		if v == nil {
			return ""
		}
		return strings.TrimSpace(fmt.Sprint(v))
	}
	list := func(key string) []string {
		var out []string
		switch v := get(key).(type) {
		case nil:
		case []any:
			for _, x := range v {
				if s := strings.TrimSpace(fmt.Sprint(x)); s != "" {
					out = append(out, s)
				}
			}
		default:
			for _, s := range strings.Split(fmt.Sprint(v), ",") {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
		}
		return out
	}
	number := func(key string, def float64) float64 {
		s := str(key)
		if s == "" {
			return def
		}
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || n < 0 {
			problems = append(problems, fmt.Errorf("%s=%q must be a number ≥ 0", key, s))
			return def
		}
		return n
	}
	boolean := func(key string, def bool) bool {
		s := str(key)
		if s == "" {
			return def
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s=%q must be true or false", key, s))
			return def
		}
		return b
	}

	p := Props{
		Stage:                      str(CtxStage),
		ConnectInstanceArn:         str(CtxConnectInstanceArn),
		ConnectQueueArns:           list(CtxConnectQueueArns),
		ContactRecordsStreamArn:    str(CtxContactRecordsStreamArn),
		ContactRecordsStreamKeyArn: str(CtxContactRecordsKeyArn),
		ContactLensStreamArn:       str(CtxContactLensStreamArn),
		ContactLensStreamKeyArn:    str(CtxContactLensKeyArn),
		StreamShards:               int(number(CtxStreamShards, 0)),
		JWTIssuer:                  str(CtxJWTIssuer),
		JWTAudience:                list(CtxJWTAudience),
		CorsOrigins:                list(CtxCorsOrigins),
		APIThrottleRate:            number(CtxAPIThrottleRate, 50),
		APIThrottleBurst:           number(CtxAPIThrottleBurst, 100),
		AlarmEmail:                 str(CtxAlarmEmail),
		LogRetentionDays:           int(number(CtxLogRetentionDays, 30)),
		OfferProvisioned:           int(number(CtxOfferProvisioned, 0)),
		ReserveConcurrent:          boolean(CtxReservedConcurrency, true),
		DecisionDeadline:           time.Second,
	}
	if p.Stage == "" {
		p.Stage = "dev"
	}
	p.Production = boolean(CtxProduction, p.Stage == "prod" || p.Stage == "production")
	if s := str(CtxDecisionDeadline); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 || d > 7*time.Second {
			problems = append(problems, fmt.Errorf("%s=%q must be a duration such as 800ms, under Connect's 8s flow timeout", CtxDecisionDeadline, s))
		} else {
			p.DecisionDeadline = d
		}
	}
	return p, errors.Join(append(problems, p.Validate())...)
}

// Validate checks the props that FromContext cannot check one by one.
func (p Props) Validate() error {
	var problems []error
	if !validStage(p.Stage) {
		problems = append(problems, fmt.Errorf("stage %q must be 1-16 lower-case letters, digits or '-'", p.Stage))
	}
	arn := func(what, v, service, resource string) {
		if v != "" && !(strings.HasPrefix(v, "arn:aws") && strings.Contains(v, ":"+service+":") && strings.Contains(v, ":"+resource)) {
			problems = append(problems, fmt.Errorf("%s %q is not an %s ARN (arn:aws:%s:<region>:<account>:%s...)", what, v, service, service, resource))
		}
	}
	arn("Connect instance", p.ConnectInstanceArn, "connect", "instance/")
	for _, q := range p.ConnectQueueArns {
		arn("Connect queue", q, "connect", "instance/")
		if !strings.Contains(q, "/queue/") {
			problems = append(problems, fmt.Errorf("Connect queue %q is not a queue ARN (…/instance/<id>/queue/<id>)", q))
		}
		if p.ConnectInstanceArn != "" && !strings.HasPrefix(q, p.ConnectInstanceArn+"/queue/") {
			problems = append(problems, fmt.Errorf("Connect queue %q does not belong to instance %q", q, p.ConnectInstanceArn))
		}
	}
	if len(p.ConnectQueueArns) > 0 && p.ConnectInstanceArn == "" {
		problems = append(problems, errors.New("Connect queue ARNs need the Connect instance ARN"))
	}
	arn("contact-record stream", p.ContactRecordsStreamArn, "kinesis", "stream/")
	arn("Contact Lens stream", p.ContactLensStreamArn, "kinesis", "stream/")
	arn("contact-record stream key", p.ContactRecordsStreamKeyArn, "kms", "key/")
	arn("Contact Lens stream key", p.ContactLensStreamKeyArn, "kms", "key/")
	if p.JWTIssuer != "" && !strings.HasPrefix(p.JWTIssuer, "https://") {
		problems = append(problems, fmt.Errorf("JWT issuer %q must be an https URL", p.JWTIssuer))
	}
	if p.OfferProvisioned > 0 && p.OfferProvisioned > 1000 {
		problems = append(problems, fmt.Errorf("offer provisioned concurrency %d is above 1000", p.OfferProvisioned))
	}
	for _, r := range p.Routes {
		if r.Method == "" || !strings.HasPrefix(r.Path, "/") {
			problems = append(problems, fmt.Errorf("route %q %q needs a method and a path starting with /", r.Method, r.Path))
		}
	}
	return errors.Join(problems...)
}

// ConnectInstanceID is the instance id at the end of the instance ARN.
func (p Props) ConnectInstanceID() string {
	_, id, _ := strings.Cut(p.ConnectInstanceArn, ":instance/")
	return id
}

// ConnectQueueIDs are the queue ids at the end of the queue ARNs.
func (p Props) ConnectQueueIDs() []string {
	var ids []string
	for _, q := range p.ConnectQueueArns {
		if i := strings.LastIndex(q, "/queue/"); i >= 0 {
			ids = append(ids, q[i+len("/queue/"):])
		}
	}
	return ids
}

func validStage(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
