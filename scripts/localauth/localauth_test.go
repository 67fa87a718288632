package localauth

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestKeyIsMadeOnceAndShared(t *testing.T) {
	dir := t.TempDir()
	keys := make([]*Key, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := LoadOrCreate(dir)
			if err != nil {
				t.Error(err)
				return
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if k == nil || keys[0] == nil || k.ID != keys[0].ID {
			t.Fatalf("processes racing on first use got different keys")
		}
	}
	now := time.Now()
	tok, err := keys[3].Mint(Claims{Subject: "ana", Scopes: []string{"conduit/marketer"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Verify(tok, now); err != nil {
		t.Fatalf("a token signed before a reload must verify after it: %v", err)
	}
}

func TestVerify(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	key, err := LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	other, err := LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	good, _ := key.Mint(Claims{Subject: "ana", Scopes: []string{"conduit/marketer", "conduit/analyst"}}, now)
	foreign, _ := other.Mint(Claims{Subject: "ana"}, now)
	signed := func(claims jwt.MapClaims) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
		s, err := tok.SignedString(key.private)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cases := []struct {
		name    string
		token   string
		at      time.Time
		problem string
	}{
		{"a fresh token passes", good, now, ""},
		{"a token signed with another key fails", foreign, now, "signature"},
		{"an expired token fails", good, now.Add(DefaultTTL + time.Minute), "expired"},
		{"a token for another audience fails", signed(jwt.MapClaims{"iss": Issuer, "aud": "someone-else", "sub": "x", "exp": now.Add(time.Hour).Unix()}), now, "audience"},
		{"a token from another issuer fails", signed(jwt.MapClaims{"iss": "https://evil.example", "aud": Audience, "sub": "x", "exp": now.Add(time.Hour).Unix()}), now, "issuer"},
		{"a token without expiry fails", signed(jwt.MapClaims{"iss": Issuer, "aud": Audience, "sub": "x"}), now, "expiry"},
		{"garbage fails", "not.a.token", now, "malformed"},
		{"an unsigned token fails", unsigned(), now, "signature"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			claims, err := key.Verify(c.token, c.at)
			if c.problem == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if claims["scope"] != "conduit/marketer conduit/analyst" || claims["sub"] != "ana" {
					t.Fatalf("claims = %v", claims)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.problem) {
				t.Fatalf("err = %v, want one about %q", err, c.problem)
			}
		})
	}
}

func unsigned() string {
	s, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"iss": Issuer, "aud": Audience, "sub": "x", "exp": time.Now().Add(time.Hour).Unix()}).
		SignedString(jwt.UnsafeAllowNoneSignatureType)
	return s
}

func TestMintRefusesBadInput(t *testing.T) {
	key, err := LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := key.Mint(Claims{}, time.Now()); err == nil {
		t.Error("a token without subject was signed")
	}
	if _, err := key.Mint(Claims{Subject: "a", Scopes: []string{"two words"}}, time.Now()); err == nil {
		t.Error("a scope with a space was signed")
	}
}
