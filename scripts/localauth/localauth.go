// Package localauth is the local stand-in for the identity provider behind
// API Gateway's JWT authorizer: one development signing key, kept under
// .conduit/ and made on first use, that scripts/token signs with and the
// local runner verifies with. The issuer and audience are fixed so a token
// from any other issuer is refused, as in the cloud.
package localauth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/conduit-cx/conduit/scripts/internal/once"
)

// The token's issuer and audience, checked by the local authorizer just as
// the cloud authorizer checks the identity provider's.
const (
	Issuer   = "https://auth.conduit.local"
	Audience = "conduit-api"
)

// KeyFile is the signing key's file name inside the .conduit folder.
const KeyFile = "dev-signing-key.pem"

// DefaultTTL is how long a token lives unless asked otherwise.
const DefaultTTL = time.Hour

// method is ES256: small keys, quick to make on first use.
var method = jwt.SigningMethodES256

// Key is the development signing key.
type Key struct {
	private *ecdsa.PrivateKey
	// ID goes into the token header (kid), as an identity provider's JWKS would.
	ID   string
	Path string
}

// LoadOrCreate reads the key from dir, making it on first use; processes
// racing on first use end up with the same key.
func LoadOrCreate(dir string) (*Key, error) {
	path := filepath.Join(dir, KeyFile)
	raw, err := once.File(path, func() ([]byte, error) {
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
	})
	if err != nil {
		return nil, err
	}
	return parse(path, raw)
}

func parse(path string, raw []byte) (*Key, error) {
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, fmt.Errorf("%s holds no PEM key; delete it to make a new one", path)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w; delete it to make a new one", path, err)
	}
	priv, ok := parsed.(*ecdsa.PrivateKey)
	if !ok || priv.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%s is not a P-256 key; delete it to make a new one", path)
	}
	pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(pub)
	return &Key{private: priv, ID: hex.EncodeToString(sum[:8]), Path: path}, nil
}

// Claims is what a token says about its holder.
type Claims struct {
	Subject string
	Scopes  []string
	TTL     time.Duration
}

// Mint signs a token for c, valid from now for c.TTL (DefaultTTL if zero).
// Scopes go into the "scope" claim, space-separated, as OAuth 2.0 access
// tokens carry them and as API Gateway reads them.
func (k *Key) Mint(c Claims, now time.Time) (string, error) {
	if c.Subject == "" {
		return "", errors.New("a token needs a subject")
	}
	for _, s := range c.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\n") {
			return "", fmt.Errorf("scope %q must be one word", s)
		}
	}
	ttl := c.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	var jti [8]byte
	_, _ = rand.Read(jti[:])
	claims := jwt.MapClaims{
		"iss":       Issuer,
		"aud":       Audience,
		"sub":       c.Subject,
		"iat":       now.Unix(),
		"exp":       now.Add(ttl).Unix(),
		"jti":       hex.EncodeToString(jti[:]),
		"token_use": "access",
	}
	if len(c.Scopes) > 0 {
		claims["scope"] = strings.Join(c.Scopes, " ")
	}
	return k.SignClaims(claims)
}

// SignClaims signs arbitrary claims with the key; tests use it to make
// tokens the checks must refuse.
func (k *Key) SignClaims(claims jwt.MapClaims) (string, error) {
	t := jwt.NewWithClaims(method, claims)
	t.Header["kid"] = k.ID
	return t.SignedString(k.private)
}

// Verify checks the token's signature, expiry, issuer and audience at now
// and returns its claims, numbers kept as written (json.Number).
func (k *Key) Verify(token string, now time.Time) (map[string]any, error) {
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return &k.private.PublicKey, nil },
		jwt.WithValidMethods([]string{method.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithJSONNumber(),
	)
	if err != nil {
		return nil, problem(err)
	}
	return claims, nil
}

// problem words a verification failure the way an authorizer's
// WWW-Authenticate error_description would.
func problem(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return errors.New("the token is malformed")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return errors.New("the token's signature is not valid for the local signing key")
	case errors.Is(err, jwt.ErrTokenExpired):
		return errors.New("the token has expired")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return errors.New("the token has no expiry")
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return fmt.Errorf("the token's audience is not %s", Audience)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return fmt.Errorf("the token's issuer is not %s", Issuer)
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return errors.New("the token is not valid yet")
	}
	return fmt.Errorf("the token is not valid: %v", err)
}
