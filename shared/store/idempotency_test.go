package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

func TestIdempotencyKeysAreRememberedUntilTheyExpire(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	idem := store.NewIdempotency(env.Clients.Dynamo, env.Tables, 0)
	keys := make([]string, 0, 260)
	for i := range 260 {
		keys = append(keys, fmt.Sprintf("ctr#c%03d#%d", i, i))
	}
	if err := idem.Remember(ctx, append(keys[:130:130], keys[0])); err != nil {
		t.Fatal(err)
	}
	seen, err := idem.Seen(ctx, append(keys, keys[0]))
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 130 || !seen[keys[0]] || !seen[keys[129]] || seen[keys[130]] {
		t.Errorf("seen %d of 130", len(seen))
	}
	if err := idem.Forget(ctx, keys[:1]); err != nil {
		t.Fatal(err)
	}
	short := store.NewIdempotency(env.Clients.Dynamo, env.Tables, time.Nanosecond)
	if err := short.Remember(ctx, []string{"gone"}); err != nil {
		t.Fatal(err)
	}
	seen, _ = idem.Seen(ctx, []string{keys[0], "gone"})
	if len(seen) != 0 {
		t.Errorf("forgotten or expired keys seen: %v", seen)
	}
}
