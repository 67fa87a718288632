package catalog

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// currencyDigits is the number of minor-unit digits of the ISO 4217
// currencies Conduit accepts.
var currencyDigits = map[string]int{
	"AED": 2, "AUD": 2, "BGN": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2,
	"COP": 2, "CZK": 2, "DKK": 2, "EGP": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2,
	"ILS": 2, "INR": 2, "ISK": 0, "JOD": 3, "JPY": 0, "KES": 2, "KRW": 0, "KWD": 3, "MAD": 2,
	"MXN": 2, "MYR": 2, "NGN": 2, "NOK": 2, "NZD": 2, "OMR": 3, "PEN": 2, "PHP": 2, "PKR": 2,
	"PLN": 2, "QAR": 2, "RON": 2, "SAR": 2, "SEK": 2, "SGD": 2, "THB": 2, "TND": 3, "TRY": 2,
	"TWD": 2, "UAH": 2, "USD": 2, "VND": 0, "ZAR": 2,
}

// CurrencyDigits reports the minor-unit digits of an ISO 4217 currency.
func CurrencyDigits(code string) (int, bool) {
	d, ok := currencyDigits[code]
	return d, ok
}

// maxMinor bounds an amount (in minor units) far above any real offer.
const maxMinor = 1e12

// MinorUnits returns the amount in the currency's minor units (cents for
// EUR, yen for JPY). It refuses a malformed amount, a negative one, an
// unknown currency, and more fraction digits than the currency has.
func (m Money) MinorUnits() (int64, error) {
	digits, ok := currencyDigits[m.Currency]
	if !ok {
		return 0, fmt.Errorf("currency %q is not an ISO 4217 code Conduit knows (e.g. EUR, USD, GBP)", m.Currency)
	}
	s := m.Amount
	if s == "" {
		return 0, fmt.Errorf("amount is required, as a decimal string such as \"19.99\"")
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) || (hasDot && (frac == "" || !allDigits(frac))) {
		return 0, fmt.Errorf("amount %q must be a decimal string such as \"19.99\" (digits, one optional dot, no sign)", s)
	}
	if len(frac) > digits {
		return 0, fmt.Errorf("amount %q has %d decimals; %s has %d", s, len(frac), m.Currency, digits)
	}
	frac += strings.Repeat("0", digits-len(frac))
	if len(whole)+len(frac) > 15 {
		return 0, fmt.Errorf("amount %q is too large", s)
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || n > maxMinor {
		return 0, fmt.Errorf("amount %q is too large", s)
	}
	return n, nil
}

// Major returns the amount in major units (19.99 for "19.99" EUR), for
// arbitration weights; 0 when the amount is invalid. Never use it to add
// money up: use MinorUnits.
func (m Money) Major() float64 {
	n, err := m.MinorUnits()
	if err != nil {
		return 0
	}
	return float64(n) / math.Pow10(currencyDigits[m.Currency])
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
