package localaws

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Lambda's request payload limit for synchronous invocations.
const maxInvokePayload = 6 << 20

// LambdaAPI serves the Lambda Invoke API (POST
// /2015-03-31/functions/{name}/invocations), so the AWS CLI and SDKs can
// call local functions with an endpoint override, and EventBridge's
// PutEvents (POST / with X-Amz-Target: AWSEvents.PutEvents) when a bus is set.
type LambdaAPI struct {
	Invoker *Invoker
	Bus     *EventBus
}

func (a *LambdaAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == "/" && a.Bus != nil &&
		r.Header.Get("X-Amz-Target") == "AWSEvents.PutEvents" {
		a.Bus.ServePutEvents(w, r)
		return
	}
	name, ok := functionFromPath(r.URL.EscapedPath())
	if !ok || r.Method != http.MethodPost {
		writeAWSError(w, http.StatusNotFound, "UnknownOperationException",
			fmt.Sprintf("no operation %s %s; this endpoint serves POST /2015-03-31/functions/{name}/invocations", r.Method, r.URL.Path))
		return
	}
	if q := r.URL.Query().Get("Qualifier"); q != "" && q != "$LATEST" {
		writeAWSError(w, http.StatusNotFound, "ResourceNotFoundException",
			fmt.Sprintf("Function not found: %s:%s", a.Invoker.ARN(name), q))
		return
	}
	if !a.Invoker.Has(name) {
		writeAWSError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+a.Invoker.ARN(name))
		return
	}
	payload, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInvokePayload))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeAWSError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException",
			fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", maxInvokePayload))
		return
	case err != nil:
		writeAWSError(w, http.StatusBadRequest, "InvalidRequestContentException", "could not read the request body: "+err.Error())
		return
	case len(payload) > 0 && !json.Valid(payload):
		writeAWSError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: the payload is not valid JSON")
		return
	}
	inv := Invocation{RequestID: NewRequestID()}
	if cc := r.Header.Get("X-Amz-Client-Context"); cc != "" {
		var err error
		if inv.ClientContext, err = clientContext(cc); err != nil {
			writeAWSError(w, http.StatusBadRequest, "InvalidRequestContentException", "X-Amz-Client-Context must be base64 of a JSON object")
			return
		}
	}
	w.Header().Set("X-Amzn-Requestid", inv.RequestID)
	switch typ := r.Header.Get("X-Amz-Invocation-Type"); typ {
	case "", "RequestResponse":
	case "Event":
		_ = a.Invoker.InvokeAsync(r.Context(), name, payload, inv)
		w.WriteHeader(http.StatusAccepted)
		return
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		writeAWSError(w, http.StatusBadRequest, "InvalidParameterValueException",
			fmt.Sprintf("X-Amz-Invocation-Type %q must be RequestResponse, Event or DryRun", typ))
		return
	}
	out, ferr, err := a.Invoker.InvokeWith(r.Context(), name, payload, inv)
	if err != nil {
		writeAWSError(w, http.StatusInternalServerError, "ServiceException", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	if ferr != nil {
		// Lambda answers 200 and flags the function's failure in a header;
		// the payload is the runtime's error document.
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		out, _ = json.Marshal(ferr)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

// functionFromPath reads the function name from the invoke path. The name
// may be a plain name, a partial ARN (123456789012:function:name) or a full
// ARN, each perhaps with a qualifier; only the name counts locally.
func functionFromPath(escaped string) (string, bool) {
	rest, ok := strings.CutPrefix(escaped, "/2015-03-31/functions/")
	if !ok {
		return "", false
	}
	raw, ok := strings.CutSuffix(rest, "/invocations")
	if !ok || raw == "" || strings.Contains(raw, "/") {
		return "", false
	}
	name, err := url.PathUnescape(raw)
	if err != nil {
		return "", false
	}
	if i := strings.Index(name, "function:"); i >= 0 {
		name = name[i+len("function:"):]
	}
	name, _, _ = strings.Cut(name, ":")
	return name, name != ""
}

// writeAWSError answers in the AWS REST-JSON error form the SDKs parse:
// the code in x-amzn-ErrorType, the message in the body.
func writeAWSError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "Message": message})
}

// clientContext decodes the base64 JSON client context the SDKs send.
func clientContext(header string) (lambdacontext.ClientContext, error) {
	var cc lambdacontext.ClientContext
	raw, err := base64.StdEncoding.DecodeString(header)
	if err != nil {
		return cc, err
	}
	return cc, json.Unmarshal(raw, &cc)
}
