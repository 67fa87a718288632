package localaws

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/golang-jwt/jwt/v5"

	"github.com/conduit-cx/conduit/scripts/localauth"
)

var testRoutes = []Route{
	{Method: "GET", Path: "/v1/profiles/{id}", Scopes: []string{"conduit/marketer", "conduit/analyst"}},
	{Method: "GET", Path: "/v1/profiles/lookup", Scopes: []string{"conduit/marketer"}},
	{Method: "POST", Path: "/v1/profiles", Scopes: []string{"conduit/marketer"}},
	{Method: "GET", Path: "/v1/openapi.json"},
	{Method: "GET", Path: "/v1/files/{path+}", Scopes: []string{"conduit/admin"}},
}

// gatewayUnderTest serves testRoutes with a function that records the
// event it got and answers with a fixed response.
func gatewayUnderTest(t *testing.T, answer string) (*httptest.Server, *localauth.Key, *events.APIGatewayV2HTTPRequest) {
	t.Helper()
	key, err := localauth.LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var got events.APIGatewayV2HTTPRequest
	h := lambda.NewHandler(func(_ context.Context, raw json.RawMessage) (json.RawMessage, error) {
		if strings.Contains(string(raw), `"authentication"`) {
			return nil, errors.New("the event carries a mutual-TLS block API Gateway would not send")
		}
		if err := json.Unmarshal(raw, &got); err != nil {
			return nil, err
		}
		return json.RawMessage(answer), nil
	})
	iv := NewInvoker("us-east-1", map[string]lambda.Handler{"api": h}, nil)
	srv := httptest.NewServer(&Gateway{Function: "api", Routes: testRoutes, Invoke: iv.InvokeWith, Tokens: key})
	t.Cleanup(srv.Close)
	return srv, key, &got
}

func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

func TestGatewayAuthorizer(t *testing.T) {
	srv, key, got := gatewayUnderTest(t, `{"statusCode":200,"headers":{"Content-Type":"application/json"},"body":"{\"ok\":true}"}`)
	other, err := localauth.LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	good, _ := key.Mint(localauth.Claims{Subject: "ana", Scopes: []string{"conduit/marketer", "conduit/analyst"}}, now)
	expired, _ := key.Mint(localauth.Claims{Subject: "ana", Scopes: []string{"conduit/marketer"}, TTL: time.Second}, now.Add(-time.Hour))
	foreign, _ := other.Mint(localauth.Claims{Subject: "ana", Scopes: []string{"conduit/marketer"}}, now)
	wrongAudience := signWith(t, key, jwt.MapClaims{"iss": localauth.Issuer, "aud": "another-api", "sub": "ana", "exp": now.Add(time.Hour).Unix()})

	cases := []struct {
		name   string
		path   string
		auth   string
		status int
		detail string
	}{
		{"no token is 401", "/v1/profiles/p1", "", 401, "bearer token is required"},
		{"a token signed with another key is 401", "/v1/profiles/p1", "Bearer " + foreign, 401, "signature"},
		{"an expired token is 401", "/v1/profiles/p1", "Bearer " + expired, 401, "expired"},
		{"a token for another audience is 401", "/v1/profiles/p1", "Bearer " + wrongAudience, 401, "audience"},
		{"garbage is 401", "/v1/profiles/p1", "Bearer x.y.z", 401, "malformed"},
		{"a good token reaches the function", "/v1/profiles/p1", "Bearer " + good, 200, ""},
		{"the token works without the Bearer prefix too", "/v1/profiles/p1", good, 200, ""},
		{"a public route needs no token", "/v1/openapi.json", "", 200, ""},
		{"an unknown route is 404 in the API's shape", "/v2/nothing", "Bearer " + good, 404, "no operation GET /v2/nothing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			*got = events.APIGatewayV2HTTPRequest{}
			req, _ := http.NewRequest("GET", srv.URL+c.path, nil)
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			resp, body := do(t, req)
			if resp.StatusCode != c.status {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, c.status, body)
			}
			if c.status != 200 {
				var e struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code == "" || !strings.Contains(e.Error.Message, c.detail) {
					t.Fatalf("body %s is not an API error about %q", body, c.detail)
				}
				if got.Version != "" {
					t.Fatal("a refused request reached the function")
				}
				if c.status == 401 && resp.Header.Get("Www-Authenticate") == "" {
					t.Error("a 401 without WWW-Authenticate")
				}
				return
			}
			if got.Version != "2.0" {
				t.Fatal("the function was not called")
			}
		})
	}
}

func signWith(t *testing.T, key *localauth.Key, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := key.SignClaims(claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestGatewayEventIsWhatAPIGatewaySends(t *testing.T) {
	srv, key, got := gatewayUnderTest(t, `{"statusCode":201,"headers":{"Content-Type":"application/json","X-Request-Id":"r1"},"cookies":["a=1; Path=/","b=2"],"body":"eyJpZCI6InAxIn0=","isBase64Encoded":true}`)
	tok, _ := key.Mint(localauth.Claims{Subject: "ana", Scopes: []string{"conduit/marketer"}}, time.Now())
	req, _ := http.NewRequest("POST", srv.URL+"/v1/profiles?src=crm&tag=a&tag=b", strings.NewReader(`{"email":"a@example.com"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "curl/8.5.0")
	req.Header.Add("X-Custom", "one")
	req.Header.Add("X-Custom", "two")
	req.Header.Set("Cookie", "session=s1; theme=dark")
	resp, body := do(t, req)

	if resp.StatusCode != 201 || body != `{"id":"p1"}` {
		t.Fatalf("response %d %s; want 201 and the decoded body", resp.StatusCode, body)
	}
	if c := resp.Header.Values("Set-Cookie"); len(c) != 2 || c[0] != "a=1; Path=/" {
		t.Errorf("Set-Cookie = %q", c)
	}
	if resp.Header.Get("X-Request-Id") != "r1" || resp.Header.Get("Apigw-Requestid") == "" {
		t.Errorf("headers = %v", resp.Header)
	}

	ev := *got
	checks := []struct {
		what      string
		got, want any
	}{
		{"version", ev.Version, "2.0"},
		{"routeKey", ev.RouteKey, "POST /v1/profiles"},
		{"requestContext.routeKey", ev.RequestContext.RouteKey, "POST /v1/profiles"},
		{"rawPath", ev.RawPath, "/v1/profiles"},
		{"rawQueryString", ev.RawQueryString, "src=crm&tag=a&tag=b"},
		{"queryStringParameters.tag", ev.QueryStringParameters["tag"], "a,b"},
		{"cookies", strings.Join(ev.Cookies, "|"), "session=s1|theme=dark"},
		{"no cookie header", ev.Headers["cookie"], ""},
		{"headers are lower-case and joined", ev.Headers["x-custom"], "one,two"},
		{"content-type", ev.Headers["content-type"], "application/json"},
		{"body", ev.Body, `{"email":"a@example.com"}`},
		{"isBase64Encoded", ev.IsBase64Encoded, false},
		{"method", ev.RequestContext.HTTP.Method, "POST"},
		{"path", ev.RequestContext.HTTP.Path, "/v1/profiles"},
		{"sourceIp", ev.RequestContext.HTTP.SourceIP, "127.0.0.1"},
		{"userAgent", ev.RequestContext.HTTP.UserAgent, "curl/8.5.0"},
		{"stage", ev.RequestContext.Stage, "$default"},
		{"sub claim", ev.RequestContext.Authorizer.JWT.Claims["sub"], "ana"},
		{"scope claim", ev.RequestContext.Authorizer.JWT.Claims["scope"], "conduit/marketer"},
		{"scopes", strings.Join(ev.RequestContext.Authorizer.JWT.Scopes, " "), "conduit/marketer"},
		{"aud claim", ev.RequestContext.Authorizer.JWT.Claims["aud"], localauth.Audience},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.what, c.got, c.want)
		}
	}
	if exp := ev.RequestContext.Authorizer.JWT.Claims["exp"]; len(exp) != 10 || strings.ContainsAny(exp, ".e") {
		t.Errorf("exp claim %q should be whole epoch seconds as a string", exp)
	}
	if ev.RequestContext.RequestID == "" || ev.RequestContext.TimeEpoch == 0 {
		t.Error("requestId and timeEpoch must be set")
	}
	if _, err := time.Parse("02/Jan/2006:15:04:05 -0700", ev.RequestContext.Time); err != nil {
		t.Errorf("time %q is not in API Gateway's form: %v", ev.RequestContext.Time, err)
	}
}

func TestGatewayRoutesLikeAPIGateway(t *testing.T) {
	cases := []struct {
		method, path string
		wantKey      string
		wantParams   map[string]string
	}{
		{"GET", "/v1/profiles/lookup", "GET /v1/profiles/lookup", nil},
		{"GET", "/v1/profiles/p%2F1", "GET /v1/profiles/{id}", map[string]string{"id": "p/1"}},
		{"GET", "/v1/files/a/b/c.csv", "GET /v1/files/{path+}", map[string]string{"path": "a/b/c.csv"}},
		{"GET", "/v1/files/", "", nil},
		{"GET", "/v1/profiles/", "", nil},
		{"DELETE", "/v1/profiles/p1", "", nil},
		{"GET", "/v1/profiles/p1/extra", "", nil},
	}
	for _, c := range cases {
		rt, params, ok := matchRoute(testRoutes, c.method, c.path)
		if c.wantKey == "" {
			if ok {
				t.Errorf("%s %s matched %s, want no route", c.method, c.path, rt.Key())
			}
			continue
		}
		if !ok || rt.Key() != c.wantKey {
			t.Errorf("%s %s matched %q, want %q", c.method, c.path, rt.Key(), c.wantKey)
			continue
		}
		for k, v := range c.wantParams {
			if params[k] != v {
				t.Errorf("%s %s: parameter %s = %q, want %q", c.method, c.path, k, params[k], v)
			}
		}
	}
}

func TestGatewayResponseShapes(t *testing.T) {
	cases := []struct {
		name, answer string
		status       int
		body         string
	}{
		{"plain JSON is a 200 JSON body", `{"hello":"world"}`, 200, `{"hello":"world"}`},
		{"a status without headers", `{"statusCode":204,"body":""}`, 204, ``},
		{"a status outside HTTP is a 500", `{"statusCode":42,"body":"x"}`, 500, "not an HTTP status"},
		{"a bad base64 body is a 500", `{"statusCode":200,"body":"%%%","isBase64Encoded":true}`, 500, "not base64"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, _, _ := gatewayUnderTest(t, c.answer)
			resp, body := do(t, mustRequest("GET", srv.URL+"/v1/openapi.json"))
			if resp.StatusCode != c.status || !strings.Contains(body, c.body) {
				t.Fatalf("got %d %s, want %d with %q", resp.StatusCode, body, c.status, c.body)
			}
		})
	}
}

func TestGatewayBinaryBodyIsBase64(t *testing.T) {
	srv, key, got := gatewayUnderTest(t, `{"statusCode":200,"body":""}`)
	tok, _ := key.Mint(localauth.Claims{Subject: "ana", Scopes: []string{"conduit/marketer"}}, time.Now())
	raw := []byte{0xff, 0x00, 0x10}
	req, _ := http.NewRequest("POST", srv.URL+"/v1/profiles", strings.NewReader(string(raw)))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/octet-stream")
	do(t, req)
	if !got.IsBase64Encoded || got.Body != base64.StdEncoding.EncodeToString(raw) {
		t.Fatalf("body %q base64 %v", got.Body, got.IsBase64Encoded)
	}
}

func mustRequest(method, url string) *http.Request {
	r, err := http.NewRequest(method, url, nil)
	if err != nil {
		panic(err)
	}
	return r
}

func TestClaimsAreStringsAsAPIGatewayWritesThem(t *testing.T) {
	jwtDesc := authorizerJWT(map[string]any{
		"sub": "ana", "exp": json.Number("1767225600"), "admin": true,
		"groups": []any{"north", "south"}, "scp": []any{"a", "b"}, "nothing": nil,
	})
	want := map[string]string{"sub": "ana", "exp": "1767225600", "admin": "true", "groups": "[north south]", "scp": "[a b]"}
	for k, v := range want {
		if jwtDesc.Claims[k] != v {
			t.Errorf("claim %s = %q, want %q", k, jwtDesc.Claims[k], v)
		}
	}
	if _, ok := jwtDesc.Claims["nothing"]; ok {
		t.Error("a null claim should be left out")
	}
	if strings.Join(jwtDesc.Scopes, ",") != "a,b" {
		t.Errorf("scopes from scp = %v", jwtDesc.Scopes)
	}
}
