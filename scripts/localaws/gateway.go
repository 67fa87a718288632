package localaws

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Route is one API route as the stack declares it: a method, a path with
// {parameters} (a last {name+} or {name...} takes the rest of the path),
// and the JWT scopes it accepts; no scopes means no authorizer.
type Route struct {
	Method string
	Path   string
	Scopes []string
}

// Key is the API Gateway route key, "GET /v1/profiles/{id}".
func (r Route) Key() string { return r.Method + " " + r.Path }

// TokenVerifier checks a bearer token and returns its claims.
type TokenVerifier interface {
	Verify(token string, now time.Time) (map[string]any, error)
}

// maxGatewayBody is API Gateway's payload limit.
const maxGatewayBody = 10 << 20

// Gateway emulates an API Gateway HTTP API with a JWT authorizer in front
// of one function (payload format 2.0): it matches the route, verifies the
// token on routes that have scopes, builds the event exactly as API Gateway
// does and turns the function's answer into the HTTP response. Scopes
// themselves are left to the function, which reads them from the event.
type Gateway struct {
	Function string
	Routes   []Route
	Invoke   InvokeFunc
	Tokens   TokenVerifier
	Clock    func() time.Time
	Log      *slog.Logger
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	if g.Clock != nil {
		now = g.Clock()
	}
	requestID := newGatewayRequestID()
	w.Header().Set("Apigw-Requestid", requestID)
	route, params, ok := matchRoute(g.Routes, r.Method, r.URL.EscapedPath())
	if !ok {
		writeAPIError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no operation %s %s", r.Method, r.URL.Path))
		return
	}
	var auth *events.APIGatewayV2HTTPRequestContextAuthorizerDescription
	if len(route.Scopes) > 0 {
		token, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("Www-Authenticate", `Bearer`)
			writeAPIError(w, http.StatusUnauthorized, "unauthorized", "a bearer token is required (Authorization: Bearer <token>); scripts/token makes one")
			return
		}
		claims, err := g.Tokens.Verify(token, now)
		if err != nil {
			w.Header().Set("Www-Authenticate", fmt.Sprintf(`Bearer error="invalid_token" error_description=%q`, err.Error()))
			writeAPIError(w, http.StatusUnauthorized, "unauthorized", err.Error())
			return
		}
		auth = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: authorizerJWT(claims)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxGatewayBody))
	if err != nil {
		writeAPIError(w, http.StatusRequestEntityTooLarge, "payload_too_large", "the body is larger than API Gateway's 10 MB")
		return
	}
	ev := buildEvent(r, route, params, body, requestID, now)
	ev.RequestContext.Authorizer = auth
	payload := marshalEvent(ev)
	out, ferr, err := g.Invoke(r.Context(), g.Function, payload, Invocation{})
	if err == nil && ferr != nil {
		err = fmt.Errorf("%s: %s", ferr.Type, ferr.Message)
	}
	if err != nil {
		// API Gateway answers 500 when the integration fails.
		g.logger().Error("the API function failed", "function", g.Function, "error", err.Error())
		writeAPIError(w, http.StatusInternalServerError, "internal", "the "+g.Function+" function failed: "+err.Error())
		return
	}
	if err := writeGatewayResponse(w, out); err != nil {
		g.logger().Error("the API function answered in an unknown shape", "function", g.Function, "error", err.Error())
		writeAPIError(w, http.StatusInternalServerError, "internal", "the "+g.Function+" function answered in a shape API Gateway cannot use: "+err.Error())
	}
}

func (g *Gateway) logger() *slog.Logger {
	if g.Log == nil {
		return slog.Default()
	}
	return g.Log
}

// bearer takes the token from an Authorization header; like API Gateway it
// accepts the token with or without the "Bearer " prefix.
func bearer(header string) (string, bool) {
	header = strings.TrimSpace(header)
	if len(header) > 7 && strings.EqualFold(header[:7], "bearer ") {
		header = strings.TrimSpace(header[7:])
	}
	return header, header != ""
}

// authorizerJWT renders claims as API Gateway does: every value a string
// (numbers as written, arrays as "[a b]"), scopes from the scope claim.
func authorizerJWT(claims map[string]any) *events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription {
	out := &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{}}
	for k, v := range claims {
		if v != nil {
			out.Claims[k] = claimString(v)
		}
	}
	switch s := claims["scope"].(type) {
	case string:
		out.Scopes = strings.Fields(s)
	}
	if out.Scopes == nil {
		switch s := claims["scp"].(type) {
		case string:
			out.Scopes = strings.Fields(s)
		case []any:
			for _, x := range s {
				out.Scopes = append(out.Scopes, claimString(x))
			}
		}
	}
	return out
}

func claimString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = claimString(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	default:
		raw, _ := json.Marshal(x)
		return string(raw)
	}
}

// buildEvent is the payload format 2.0 event API Gateway sends for r.
func buildEvent(r *http.Request, route Route, params map[string]string, body []byte, requestID string, now time.Time) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	var cookies []string
	for name, values := range r.Header {
		lname := strings.ToLower(name)
		if lname == "cookie" {
			// API Gateway moves cookies out of the headers into their own list.
			for _, v := range values {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[lname] = strings.Join(values, ",")
	}
	host := r.Host
	headers["host"] = host
	if len(body) > 0 {
		headers["content-length"] = strconv.Itoa(len(body))
	}
	sourceIP, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		sourceIP = r.RemoteAddr
	}
	_, port, _ := net.SplitHostPort(host)
	headers["x-forwarded-for"] = sourceIP
	headers["x-forwarded-proto"] = "http"
	if port != "" {
		headers["x-forwarded-port"] = port
	}
	headers["x-amzn-trace-id"] = fmt.Sprintf("Root=1-%08x-%s", now.Unix(), strings.ReplaceAll(NewRequestID(), "-", "")[:24])

	ev := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       route.Key(),
		RawPath:        r.URL.EscapedPath(),
		RawQueryString: r.URL.RawQuery,
		Cookies:        cookies,
		Headers:        headers,
		PathParameters: params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     route.Key(),
			AccountID:    AccountID,
			Stage:        "$default",
			RequestID:    requestID,
			APIID:        "local",
			DomainName:   host,
			DomainPrefix: strings.SplitN(host, ".", 2)[0],
			Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.EscapedPath(),
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if q, err := url.ParseQuery(r.URL.RawQuery); err == nil && len(q) > 0 {
		// Repeated parameters arrive joined with commas.
		ev.QueryStringParameters = map[string]string{}
		for k, vs := range q {
			ev.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	if len(body) > 0 {
		if isText(r.Header.Get("Content-Type"), body) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// marshalEvent encodes the event without the empty mutual-TLS block that
// aws-lambda-go always writes and API Gateway sends only with mutual TLS.
func marshalEvent(ev events.APIGatewayV2HTTPRequest) []byte {
	raw, _ := json.Marshal(ev)
	var doc map[string]json.RawMessage
	var rc map[string]json.RawMessage
	if json.Unmarshal(raw, &doc) != nil || json.Unmarshal(doc["requestContext"], &rc) != nil {
		return raw
	}
	delete(rc, "authentication")
	doc["requestContext"], _ = json.Marshal(rc)
	out, _ := json.Marshal(doc)
	return out
}

// isText reports whether API Gateway would pass the body as text rather
// than base64: a textual media type and valid UTF-8.
func isText(contentType string, body []byte) bool {
	if !utf8.Valid(body) {
		return false
	}
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "json") || strings.HasSuffix(mt, "+json") ||
		strings.HasSuffix(mt, "xml") || mt == "application/x-www-form-urlencoded" || mt == "application/javascript"
}

// writeGatewayResponse turns a function's answer into the HTTP response. A
// JSON object with a statusCode is a full response; any other valid JSON is
// the body of a 200 application/json response, as API Gateway infers it.
func writeGatewayResponse(w http.ResponseWriter, out []byte) error {
	var probe map[string]json.RawMessage
	if json.Unmarshal(out, &probe) != nil || probe["statusCode"] == nil {
		if !json.Valid(out) {
			return fmt.Errorf("the answer is not JSON")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(out)
		return nil
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return err
	}
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		return fmt.Errorf("statusCode %d is not an HTTP status", resp.StatusCode)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		raw, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			return fmt.Errorf("isBase64Encoded is set but the body is not base64: %w", err)
		}
		body = raw
	}
	h := w.Header()
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	h.Del("Content-Length")
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
	return nil
}

// writeAPIError answers in the API's one error shape.
func writeAPIError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(map[string]any{"error": map[string]string{"code": code, "message": message}})
}

// matchRoute finds the route API Gateway would choose for method and path:
// the most specific one, literal segments before parameters and
// parameters before a greedy tail; ANY matches every method.
func matchRoute(routes []Route, method, escapedPath string) (Route, map[string]string, bool) {
	type candidate struct {
		route  Route
		params map[string]string
		rank   []int
	}
	var found []candidate
	segs := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	for _, rt := range routes {
		if rt.Method != method && rt.Method != "ANY" {
			continue
		}
		if params, rank, ok := matchPath(rt.Path, segs); ok {
			found = append(found, candidate{rt, params, rank})
		}
	}
	if len(found) == 0 {
		return Route{}, nil, false
	}
	sort.SliceStable(found, func(i, j int) bool {
		a, b := found[i], found[j]
		for k := 0; k < len(a.rank) && k < len(b.rank); k++ {
			if a.rank[k] != b.rank[k] {
				return a.rank[k] < b.rank[k]
			}
		}
		if len(a.rank) != len(b.rank) {
			return len(a.rank) > len(b.rank)
		}
		return a.route.Method != "ANY" && b.route.Method == "ANY"
	})
	return found[0].route, found[0].params, true
}

// Segment ranks: lower is more specific.
const (
	segLiteral = iota
	segParam
	segGreedy
)

func matchPath(pattern string, segs []string) (map[string]string, []int, bool) {
	pats := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	var params map[string]string
	var rank []int
	for i, p := range pats {
		name, isParam := strings.CutPrefix(p, "{")
		name, _ = strings.CutSuffix(name, "}")
		greedy := isParam && (strings.HasSuffix(name, "+") || strings.HasSuffix(name, "..."))
		switch {
		case greedy:
			if i >= len(segs) || (i == len(segs)-1 && segs[i] == "") {
				return nil, nil, false
			}
			name = strings.TrimSuffix(strings.TrimSuffix(name, "+"), "...")
			if params == nil {
				params = map[string]string{}
			}
			params[name] = unescape(strings.Join(segs[i:], "/"))
			return params, append(rank, segGreedy), true
		case i >= len(segs):
			return nil, nil, false
		case isParam:
			if segs[i] == "" {
				return nil, nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[name] = unescape(segs[i])
			rank = append(rank, segParam)
		case p != segs[i]:
			return nil, nil, false
		default:
			rank = append(rank, segLiteral)
		}
	}
	if len(pats) != len(segs) {
		return nil, nil, false
	}
	return params, rank, true
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}
