package connect

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// ResponseBudget is the most bytes Conduit lets a flow response take as JSON.
// Connect refuses responses of 32 KB or more; Conduit keeps well clear of it.
const ResponseBudget = 30000

// ellipsis marks a value cut to fit the budget, so an agent reading it knows
// there was more.
const ellipsis = "…"

// Response is the flat string map a contact flow reads after "Invoke AWS
// Lambda function" (as $.External.<key>). Build it with NewResponse, which
// guarantees what Connect requires: keys of letters, digits, '-' and '_'
// only, string values, and a total size within ResponseBudget.
type Response map[string]string

// Pair is one key and value of a Response, in priority order.
type Pair struct {
	Key, Value string
}

// Trim records a pair NewResponse changed: Dropped, or cut short.
type Trim struct {
	Key     string
	Dropped bool
	Reason  string
}

// NewResponse builds a Response from pairs in priority order. Pairs with an
// invalid key, or a key already given, are dropped. Values are made valid
// UTF-8. When the budget runs short, a later value is cut at a character
// boundary and ends with "…"; when not even that fits, the pair is dropped.
// So the first pairs (offer, reason, decisionId) are always whole, and long
// texts placed last (script, faq) give way. Every change is reported.
func NewResponse(pairs ...Pair) (Response, []Trim) {
	return newResponse(ResponseBudget, pairs)
}

func newResponse(budget int, pairs []Pair) (Response, []Trim) {
	r := make(Response, len(pairs))
	var trims []Trim
	used := 2 // {}
	for _, p := range pairs {
		if !ValidKey(p.Key) {
			trims = append(trims, Trim{Key: p.Key, Dropped: true, Reason: "invalid key: only letters, digits, '-' and '_' are allowed"})
			continue
		}
		if _, dup := r[p.Key]; dup {
			trims = append(trims, Trim{Key: p.Key, Dropped: true, Reason: "key given twice: the first value is kept"})
			continue
		}
		v := strings.ToValidUTF8(p.Value, "\uFFFD")
		// "key":"value" is the key, the value and 5 bytes of quotes and
		// colon, plus a comma before every pair but the first.
		overhead := encodedLen(p.Key) + 6
		if len(r) == 0 {
			overhead--
		}
		// Scans stop at the room left, so an overlong value costs no more
		// than the budget.
		room := budget - used - overhead
		if whole, n := cutToEncoded(v, room); room >= 0 && len(whole) == len(v) {
			r[p.Key] = v
			used += overhead + n
			continue
		}
		cut, n := cutToEncoded(v, room-len(ellipsis))
		if cut == "" {
			trims = append(trims, Trim{Key: p.Key, Dropped: true, Reason: "no room left in the response budget"})
			continue
		}
		r[p.Key] = cut + ellipsis
		used += overhead + n + len(ellipsis)
		trims = append(trims, Trim{Key: p.Key, Reason: "cut to fit the response budget"})
	}
	return r, trims
}

// ValidKey reports whether Connect accepts k as a response key: one or more
// ASCII letters, digits, '-' or '_'.
func ValidKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// Size is the response's size in bytes as encoding/json writes it.
func (r Response) Size() int {
	n := 2
	first := true
	for k, v := range r {
		n += encodedLen(k) + encodedLen(v) + 6
		if first {
			n--
			first = false
		}
	}
	return n
}

// Validate reports every invalid key, invalid UTF-8 value, and a total size
// over ResponseBudget.
func (r Response) Validate() error {
	var p apperr.Problems
	for k, v := range r {
		if !ValidKey(k) {
			p.Add(k, "invalid key: only letters, digits, '-' and '_' are allowed")
		}
		if !utf8.ValidString(v) {
			p.Add(k, "value is not valid UTF-8")
		}
	}
	if n := r.Size(); n > ResponseBudget {
		p.Add(bodyField, "%d bytes, over the %d byte budget", n, ResponseBudget)
	}
	return p.Err()
}

// MarshalJSON encodes the map (defined so Size and the encoding agree on one
// encoder: encoding/json with HTML escaping, as the Lambda runtime uses).
func (r Response) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string(r))
}

// encodedLen is the length of s as encoding/json writes it inside quotes:
// '<', '>', '&', U+2028, U+2029 and control characters other than \b \f \n
// \r \t become six-byte \u escapes; '"' and '\' two bytes; invalid UTF-8
// bytes six bytes (\ufffd).
func encodedLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			n += asciiLen(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += 6
		case r == '\u2028' || r == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}

func asciiLen(c byte) int {
	switch {
	case c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t':
		return 2
	case c < 0x20 || c == '<' || c == '>' || c == '&':
		return 6
	default:
		return 1
	}
}

// cutToEncoded returns the longest prefix of s, ending on a character
// boundary, whose encoded length is at most max, and that length.
func cutToEncoded(s string, max int) (string, int) {
	if max <= 0 {
		return "", 0
	}
	n := 0
	for i := 0; i < len(s); {
		var w, size int
		if c := s[i]; c < utf8.RuneSelf {
			w, size = asciiLen(c), 1
		} else {
			r, sz := utf8.DecodeRuneInString(s[i:])
			size = sz
			switch {
			case r == utf8.RuneError && sz == 1, r == '\u2028', r == '\u2029':
				w = 6
			default:
				w = sz
			}
		}
		if n+w > max {
			return s[:i], n
		}
		n += w
		i += size
	}
	return s, n
}
