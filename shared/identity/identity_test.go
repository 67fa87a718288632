package identity

import (
	"strings"
	"testing"

	"github.com/conduit-cx/conduit/shared/apperr"
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
		{"different numbers differ", "+14155550100", "+14155550101", false, false},
		{"shortest E.164, 7 digits", "+6831234", "+6831235", false, false},
		{"longest E.164, 15 digits", "+882345678901234", "+882345678901235", false, false},
		// Only canonical E.164: a number a person wrote goes through phoneinput.
		{"spaces are not canonical", "+1 415 555 0100", "", false, true},
		{"dashes are not canonical", "+1-415-555-0100", "", false, true},
		{"surrounding space is not canonical", " +14155550100", "", false, true},
		{"no plus is not E.164", "4155550100", "", false, true},
		{"two pluses", "++14155550100", "", false, true},
		{"country code 0 does not exist", "+04155550100", "", false, true},
		{"letters are refused", "+1415CALLNOW", "", false, true},
		{"non-ASCII digits are refused", "+١٤١٥٥٥٥٠١٠٠", "", false, true},
		{"too short", "+123456", "", false, true},
		{"too long", "+1234567890123456", "", false, true},
		{"only a plus", "+", "", false, true},
		{"empty", "", "", false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ka, err := testHasher.Phone(tc.a)
			if tc.wantErr {
				if ps, ok := apperr.AsProblems(err); !ok || len(ps) != 1 || ps[0].Field != "phone" {
					t.Fatalf("Phone(%q): want one problem with phone, got %v", tc.a, err)
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
			if strings.Contains(string(ka), strings.TrimPrefix(tc.a, "+")) || !ka.Valid() || ka.Kind() != Phone {
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

// FuzzPhone: whatever the strict check accepts is "+" and 7-15 ASCII
// digits, the first not 0, and hashes to a valid phone key.
func FuzzPhone(f *testing.F) {
	for _, s := range []string{"+14155550100", "+6831234", "+1 415", "+0123456789", "+١٤١٥٥٥٥٠١٠٠", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := testHasher.Phone(s)
		if err != nil {
			return
		}
		digits, ok := strings.CutPrefix(s, "+")
		if !ok || len(digits) < 7 || len(digits) > 15 || digits[0] == '0' || strings.Trim(digits, "0123456789") != "" {
			t.Fatalf("accepted %q", s)
		}
		if !k.Valid() || k.Kind() != Phone {
			t.Fatalf("bad key %q for %q", k, s)
		}
	})
}
