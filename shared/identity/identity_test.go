package identity

import (
	"strings"
	"testing"
)

var testHasher = NewHasher([]byte("0123456789abcdef0123456789abcdef"))

func TestPhoneKeysAreStableAndNeverRaw(t *testing.T) {
	cases := []struct {
		name    string
		a, b    string
		same    bool
		wantErr bool
	}{
		{"same number same key", "+14155550100", "+14155550100", true, false},
		{"spaces are normalised away", "+1 415 555 0100", "+14155550100", true, false},
		{"different numbers differ", "+14155550100", "+14155550101", false, false},
		{"no plus is not E.164", "4155550100", "", false, true},
		{"letters are refused", "+1415CALLNOW", "", false, true},
		{"too short", "+1", "", false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ka, err := testHasher.Phone(tc.a)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("want an error for %q", tc.a)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			kb, _ := testHasher.Phone(tc.b)
			if (ka == kb) != tc.same {
				t.Fatalf("keys %s and %s: same=%v, want %v", ka, kb, ka == kb, tc.same)
			}
			if strings.Contains(string(ka), "4155550100") || !ka.Valid() || ka.Kind() != Phone {
				t.Fatalf("bad key %q", ka)
			}
		})
	}
}

func TestEmailKeysIgnoreCase(t *testing.T) {
	a, err := testHasher.Email("Ana.Silva@Example.com ")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := testHasher.Email("ana.silva@example.com")
	if a != b || a.Kind() != Email {
		t.Fatalf("%s != %s", a, b)
	}
	for _, bad := range []string{"", "ana", "ana@", "ana@example", "Ana <ana@example.com>", "a b@example.com"} {
		if _, err := testHasher.Email(bad); err == nil {
			t.Errorf("email %q accepted", bad)
		}
	}
}

func TestKindsNeverCollide(t *testing.T) {
	c, _ := testHasher.CustomerID("+14155550100")
	p, _ := testHasher.Phone("+14155550100")
	if c == p {
		t.Fatal("a customer id and a phone number with the same text share a key")
	}
	other := NewHasher([]byte("another-secret-key-of-32-bytes!!"))
	p2, _ := other.Phone("+14155550100")
	if p == p2 {
		t.Fatal("different secrets give the same key")
	}
}

func TestKeyValid(t *testing.T) {
	k, _ := testHasher.SocialHandle("twitter", "@Ana")
	for key, want := range map[Key]bool{k: true, "phone#abc": false, "fax#" + Key(strings.Repeat("a", 64)): false, "": false} {
		if key.Valid() != want {
			t.Errorf("%q.Valid() = %v", key, !want)
		}
	}
}

func BenchmarkPhone(b *testing.B) {
	for b.Loop() {
		_, _ = testHasher.Phone("+14155550100")
	}
}
