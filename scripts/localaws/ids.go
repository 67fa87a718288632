package localaws

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// NewRequestID returns a random UUID, the form of Lambda's request ids.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// newGatewayRequestID returns an id of the form API Gateway gives requests.
func newGatewayRequestID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}
