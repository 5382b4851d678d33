package idempotency_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
	"github.com/kontor-app/kontor/platform/idempotency"
)

// TestReplayAfterSecretKeyRotation holds the idempotency part of issue 10: stored
// answers are sealed with the server's secret key, and rotating that key must not
// turn a replay into a 500. With the old key kept as a previous key the replay
// works; without it the retry gets a clean 409 idempotency_response_unavailable and
// the request is not run again.
func TestReplayAfterSecretKeyRotation(t *testing.T) {
	oldKey := strings.Repeat("o", 40)
	newKey := strings.Repeat("n", 40)
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		before := newServer(t, db, idempotency.WithSecret(oldKey))
		c := call{method: "POST", path: "/things", body: `{"name":"rent"}`, key: "rotate-1"}
		first := before.do(t, c)
		if first.status != http.StatusCreated {
			t.Fatalf("first: %d %s", first.status, first.body)
		}
		var raw []byte
		if err := db.NewSelect().Table("idempotency_keys").Column("body").Where("key = ?", c.key).Scan(context.Background(), &raw); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), "rent") {
			t.Fatalf("the stored body is in clear: %q", raw)
		}

		kept := newServer(t, db, idempotency.WithSecret(newKey, oldKey))
		if r := kept.do(t, c); r.status != http.StatusCreated || r.body != first.body || r.header.Get(idempotency.HeaderReplayed) != "true" {
			t.Fatalf("replay with the old key kept: %d %q, want 201 %q", r.status, r.body, first.body)
		}
		kept.wantRuns(t, 0)

		lost := newServer(t, db, idempotency.WithSecret(newKey))
		r := lost.do(t, c)
		if r.status != http.StatusConflict || codeOf(t, r) != "idempotency_response_unavailable" {
			t.Fatalf("replay with the old key gone: %d %s, want 409 idempotency_response_unavailable", r.status, r.body)
		}
		lost.wantRuns(t, 0)
		// Another request with the same key is still refused as a reuse.
		if r := lost.do(t, call{method: "POST", path: "/things", body: `{"name":"other"}`, key: c.key}); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("same key, other body: %d %s", r.status, r.body)
		}
		// New answers are sealed with the new key and replay under it.
		c2 := call{method: "POST", path: "/things", body: `{"name":"gas"}`, key: "rotate-2"}
		if a, b := lost.do(t, c2), lost.do(t, c2); a.status != http.StatusCreated || b.body != a.body {
			t.Fatalf("after the rotation: %d %q then %q", a.status, a.body, b.body)
		}
	})
}
