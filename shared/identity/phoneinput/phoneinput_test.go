package phoneinput

import (
	"slices"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/identity"
)

var (
	strict  = identity.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	lenient = Hasher{Hasher: strict}
)

func TestNormaliseReadsNumbersAsPeopleWriteThem(t *testing.T) {
	cases := []struct {
		name, raw, want string
	}{
		{"canonical stays", "+14155550100", "+14155550100"},
		{"spaces", "+1 415 555 0100", "+14155550100"},
		{"dashes, dots and brackets", "+1 (415) 555-01.00", "+14155550100"},
		{"surrounding space", "  +442079460000\t", "+442079460000"},
		{"trunk 0 after the country code", "+44 (0)20 7946 0000", "+442079460000"},
		{"Italian leading 0 is part of the number", "+39 06 1234 5678", "+390612345678"},
		{"no plus is not E.164", "4155550100", ""},
		{"letters are refused", "+1415CALLNOW", ""},
		{"an extension is refused", "+14155550100;ext=12", ""},
		{"too short", "+1", ""},
		{"too short for the country", "+1 415 555", ""},
		{"unknown country code", "+999 1234 5678", ""},
		{"a trunk prefix left after stripping one", "+84 00 0000 0000", ""},
		{"empty", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalise(tc.raw)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("Normalise(%q) = %q, want an error", tc.raw, got)
				}
				_, err := lenient.Phone(tc.raw)
				if ps, ok := apperr.AsProblems(err); !ok || len(ps) != 1 || ps[0].Field != "phone" {
					t.Fatalf("Phone(%q): want one problem with phone, got %v", tc.raw, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Normalise(%q) = %q, %v; want %q", tc.raw, got, err, tc.want)
			}
			k, err := lenient.Phone(tc.raw)
			if want, _ := strict.Phone(tc.want); err != nil || k != want {
				t.Fatalf("Phone(%q) = %q, %v; want the strict key of %s", tc.raw, k, err, tc.want)
			}
		})
	}
}

var numberTypes = []phonenumbers.PhoneNumberType{
	phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE,
	phonenumbers.TOLL_FREE, phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST,
	phonenumbers.VOIP, phonenumbers.PERSONAL_NUMBER, phonenumbers.PAGER,
	phonenumbers.UAN, phonenumbers.VOICEMAIL,
}

// writtenBy writes e164 as a person might: digits in groups of gap with sep
// between them.
func writtenBy(e164 string, gap int, sep string) string {
	var b strings.Builder
	for i, d := range e164[1:] {
		if i > 0 && i%gap == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(d)
	}
	return "+" + b.String()
}

// TestEveryExampleNumberHashesAlikeBothWays: for every region and every
// kind of number the library has an example of, Amazon Connect's canonical
// E.164 hashed strictly and the same number as a person writes it (the
// library's international format, spaces, dashes) hashed leniently give
// the same key, so a caller finds the profile a marketer typed in.
func TestEveryExampleNumberHashesAlikeBothWays(t *testing.T) {
	type example struct {
		where string
		num   *phonenumbers.PhoneNumber
	}
	var examples []example
	regions := make([]string, 0, 250)
	for r := range phonenumbers.GetSupportedRegions() {
		regions = append(regions, r)
	}
	slices.Sort(regions)
	for _, r := range regions {
		for _, typ := range numberTypes {
			if num := phonenumbers.GetExampleNumberForType(r, typ); num != nil {
				examples = append(examples, example{r + " " + typeName(typ), num})
			}
		}
	}
	for cc := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		if num := phonenumbers.GetExampleNumberForNonGeoEntity(cc); num != nil {
			examples = append(examples, example{"+" + phonenumbers.GetRegionCodeForCountryCode(cc), num})
		}
	}
	if len(examples) < 1000 {
		t.Fatalf("only %d example numbers: the library's metadata is missing", len(examples))
	}
	for _, ex := range examples {
		e164 := phonenumbers.Format(ex.num, phonenumbers.E164)
		written := []string{
			e164,
			phonenumbers.Format(ex.num, phonenumbers.INTERNATIONAL),
			writtenBy(e164, 3, " "),
			writtenBy(e164, 2, "-"),
		}
		want, err := strict.Phone(e164)
		if err != nil {
			// The library has a few local service numbers of 5-6 digits
			// with the country code (Iran's 4-digit UAN); no customer
			// calls from one, and both paths refuse them alike.
			if len(e164)-1 >= 7 {
				t.Errorf("%s: %s is not accepted as canonical E.164: %v", ex.where, e164, err)
			}
			for _, w := range written {
				if _, err := lenient.Phone(w); err == nil {
					t.Errorf("%s: %q is refused strictly but hashed leniently", ex.where, w)
				}
			}
			t.Logf("%s: %s is shorter than 7 digits: refused on both paths", ex.where, e164)
			continue
		}
		for _, w := range written {
			if got, err := lenient.Phone(w); err != nil || got != want {
				t.Errorf("%s: %q hashes to %q, %v; %s hashes to %q", ex.where, w, got, err, e164, want)
			}
		}
	}
	t.Logf("%d example numbers in %d regions", len(examples), len(regions))
}

func typeName(typ phonenumbers.PhoneNumberType) string {
	return [...]string{"fixed line", "mobile", "fixed line or mobile", "toll free", "premium rate",
		"shared cost", "VoIP", "personal number", "pager", "UAN", "voicemail"}[typ]
}

// TestCanonicalLookingNumbersTheLibraryReadsAsAnother lists the kinds of
// string that pass the strict check yet are not the library's canonical
// form of any number: the lenient parser reads each as another number, so
// the strict key of the string is not the key a marketer's input gets.
// Amazon Connect gives canonical E.164 and never these; a contact arriving
// with one is simply not matched to a profile.
func TestCanonicalLookingNumbersTheLibraryReadsAsAnother(t *testing.T) {
	cases := []struct{ kind, s, readAs string }{
		{"trunk 0 after the country code (UK)", "+4402079460000", "+442079460000"},
		{"trunk 0 after the country code (India)", "+910124430139103", "+91124430139103"},
		{"trunk 8 after the country code (Russia)", "+784951234567", "+74951234567"},
		{"trunk 06 after the country code (Hungary)", "+3606201234567", "+36201234567"},
		{"trunk 1 after the country code (North America)", "+114155550100", "+14155550100"},
		{"trunk 0 and carrier code 31 (Brazil)", "+550312187654321", "+552187654321"},
		{"trunk 0 and carrier code 3 (Colombia)", "+570316012345678", "+5716012345678"},
		{"local form completed (San Marino)", "+378980456", "+3780549980456"},
		{"local form completed (Madagascar)", "+2614993915", "+261204993915"},
		{"local form completed (Norfolk Island)", "+67254650", "+672354650"},
		{"mobile 15 becomes 9 (Argentina)", "+54385154989565", "+5493854989565"},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			if _, err := strict.Phone(tc.s); err != nil {
				t.Fatalf("strict check refuses %s: %v", tc.s, err)
			}
			if got, err := Normalise(tc.s); err != nil || got != tc.readAs {
				t.Fatalf("Normalise(%s) = %s, %v; want %s", tc.s, got, err, tc.readAs)
			}
		})
	}
}

// FuzzStrictAndLenientAgree: a number the strict check accepts is read by
// the lenient parser as exactly itself, refused, or (the kinds listed in
// TestCanonicalLookingNumbersTheLibraryReadsAsAnother) read as another
// number; that number is then canonical on both paths. Whatever a person
// writes, the lenient parser's answer passes the strict check and reads
// as itself, so it has one key wherever it arrives.
func FuzzStrictAndLenientAgree(f *testing.F) {
	for _, s := range []string{"+14155550100", "+442079460000", "+390612345678", "+6831234", "+8821234567",
		"+4402079460000", "+378980456", "+99912345678", "+1 (415) 555-0100", "+44 (0)20 7946 0000", "+98 9601"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Normalise(s)
		if err != nil {
			return
		}
		if _, err := strict.Phone(s); err == nil && got == s {
			return
		}
		// Read from a person's writing, or from a string the strict check
		// accepts but the library reads as another number: the answer must
		// read as itself. The strict check may refuse it (the library takes
		// a few local service numbers of 5-6 digits and Japan's 16-17 digit
		// 00 numbers, beyond E.164); then both paths refuse it.
		if _, err := strict.Phone(got); err != nil {
			if _, err := lenient.Phone(s); err == nil {
				t.Fatalf("Phone(%q) hashed %s, which the strict check refuses", s, got)
			}
			return
		}
		if again, err := Normalise(got); err != nil || again != got {
			t.Fatalf("Normalise(%q) = %s, which reads as %s, %v", s, got, again, err)
		}
	})
}
