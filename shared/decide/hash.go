package decide

import (
	"crypto/sha256"
	"encoding/binary"
	"math"

	"github.com/conduit-cx/conduit/shared/catalog"
)

// Draw is the deterministic draw behind holdouts and variants: the first 8
// bytes of SHA-256(kind "\x00" subject "\x00" key) as a big-endian integer,
// its top 53 bits scaled to [0, 1). The same subject and key always give the
// same number, on every instance and in any later analysis, and different
// kinds ("holdout", "variant") give independent draws.
func Draw(kind, subject, key string) float64 {
	var buf [192]byte
	b := append(buf[:0], kind...)
	b = append(b, 0)
	b = append(b, subject...)
	b = append(b, 0)
	b = append(b, key...)
	sum := sha256.Sum256(b)
	return float64(binary.BigEndian.Uint64(sum[:8])>>11) * 0x1p-53
}

// Kinds of draws.
const (
	drawHoldout = "holdout"
	drawVariant = "variant"
)

// InHoldout reports whether subject (a profile id, or "contact#"+contact
// id for an anonymous caller) falls into the campaign's control group.
func InHoldout(subject, campaignID string, share float64) bool {
	if !(share > 0) || math.IsNaN(share) {
		return false
	}
	return Draw(drawHoldout, subject, campaignID) < share
}

// ChooseVariant picks one of the offer's script variants for subject, in
// proportion to their weights; the same subject always gets the same
// variant of the same offer. Variants with a weight that is not a positive
// number are never chosen; when none has one, all are equally likely. It
// returns -1 when the offer has no variants.
func ChooseVariant(subject, offerID string, variants []catalog.Variant) int {
	if len(variants) == 0 {
		return -1
	}
	total := 0.0
	for _, v := range variants {
		total += usableWeight(v.Weight)
	}
	u := Draw(drawVariant, subject, offerID)
	if !(total > 0) || math.IsInf(total, 0) {
		return min(int(u*float64(len(variants))), len(variants)-1)
	}
	target, acc, last := u*total, 0.0, -1
	for i, v := range variants {
		w := usableWeight(v.Weight)
		if w == 0 {
			continue
		}
		acc += w
		last = i
		if target < acc {
			return i
		}
	}
	return last // rounding at the very top of the range
}

func usableWeight(w float64) float64 {
	if w > 0 && !math.IsInf(w, 0) {
		return w
	}
	return 0
}
