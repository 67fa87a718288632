// Package invoke hands a what-if's next chunk to the campaigns function by
// an asynchronous Lambda invocation (InvocationType Event): the Lambda
// Invoke API, POST /2015-03-31/functions/{name}/invocations, signed with
// Signature Version 4. Locally the runner serves the same API, so only the
// endpoint differs. (The module pins no Lambda SDK client; one signed
// request is all this needs.)
package invoke

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/conduit-cx/conduit/shared/campaignjob"
)

// Lambda invokes one function asynchronously.
type Lambda struct {
	// Endpoint is the Lambda API's base URL; empty means the region's.
	Endpoint string
	Region   string
	// Function is the name (or ARN) of the function to invoke.
	Function    string
	Credentials aws.CredentialsProvider
	HTTP        *http.Client
	Clock       func() time.Time
}

var _ campaignjob.Starter = (*Lambda)(nil)

// Payload is what the campaigns function receives for a background chunk.
type Payload struct {
	WhatIf *campaignjob.WhatIfRun `json:"whatif"`
}

// StartWhatIf queues the chunk; Lambda answers 202 once it has the event.
func (l *Lambda) StartWhatIf(ctx context.Context, run campaignjob.WhatIfRun) error {
	body, err := json.Marshal(Payload{WhatIf: &run})
	if err != nil {
		return err
	}
	return l.Event(ctx, body)
}

// Event invokes the function with InvocationType Event.
func (l *Lambda) Event(ctx context.Context, payload []byte) error {
	base := l.Endpoint
	if base == "" {
		base = fmt.Sprintf("https://lambda.%s.amazonaws.com", l.Region)
	}
	u := strings.TrimRight(base, "/") + "/2015-03-31/functions/" + url.PathEscape(l.Function) + "/invocations"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("invoke %s: %w", l.Function, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amz-Invocation-Type", "Event")
	if l.Credentials != nil {
		creds, err := l.Credentials.Retrieve(ctx)
		if err != nil {
			return fmt.Errorf("invoke %s: credentials: %w", l.Function, err)
		}
		sum := sha256.Sum256(payload)
		now := time.Now
		if l.Clock != nil {
			now = l.Clock
		}
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "lambda", l.Region, now()); err != nil {
			return fmt.Errorf("invoke %s: sign: %w", l.Function, err)
		}
	}
	client := l.HTTP
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("invoke %s: %w", l.Function, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusAccepted {
		return nil
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return fmt.Errorf("invoke %s: %s %s: %s", l.Function, resp.Status, resp.Header.Get("X-Amzn-ErrorType"), bytes.TrimSpace(msg))
}
