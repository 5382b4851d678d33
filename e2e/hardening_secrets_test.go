package e2e

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/kontor-app/kontor/e2e/harness"
)

// TestIdempotencyStoreHoldsNoSecrets holds issue 10 item 3: responses that carry
// credentials (token pairs, a new API key) are replayed for an Idempotency-Key retry,
// but the idempotency_keys table never holds them in clear.
func TestIdempotencyStoreHoldsNoSecrets(t *testing.T) {
	inst := start(t, harness.Options{Engine: harness.Auto})
	a := newAPI(inst, loadContract(t, inst), false)
	email := newEmail("vault")
	register(t, a, "Vault", email)

	loginBody := map[string]any{"email": email, "password": password}
	var pair tokenPair
	first := a.call(t, http.MethodPost, "/api/v1/auth/login", loginBody, "Idempotency-Key: login-1").Expect(t, http.StatusOK)
	first.JSON(t, &pair)
	checkPair(t, pair)
	replayed := a.call(t, http.MethodPost, "/api/v1/auth/login", loginBody, "Idempotency-Key: login-1").Expect(t, http.StatusOK)
	if replayed.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(replayed.Body, first.Body) {
		t.Fatalf("login retry was not replayed: %s", replayed.Body)
	}

	var refreshed tokenPair
	a.call(t, http.MethodPost, "/api/v1/auth/refresh", map[string]any{"refresh_token": pair.RefreshToken}, "Idempotency-Key: refresh-1").
		Expect(t, http.StatusOK).JSON(t, &refreshed)

	authed := a.with(refreshed.AccessToken)
	var key apiKey
	created := authed.call(t, http.MethodPost, "/api/v1/api-keys", map[string]any{"name": "ci"}, "Idempotency-Key: key-1").Expect(t, http.StatusCreated)
	created.JSON(t, &key)
	again := authed.call(t, http.MethodPost, "/api/v1/api-keys", map[string]any{"name": "ci"}, "Idempotency-Key: key-1").Expect(t, http.StatusCreated)
	var replayedKey apiKey
	again.JSON(t, &replayedKey)
	if again.Header.Get("Idempotent-Replayed") != "true" || replayedKey.Key != key.Key || key.Key == "" {
		t.Fatalf("API key retry: replayed=%q key %q, want the first key %q", again.Header.Get("Idempotent-Replayed"), replayedKey.Key, key.Key)
	}

	rows, err := inst.DB.QueryContext(context.Background(), "SELECT key, body, headers FROM idempotency_keys")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	secrets := map[string]string{
		"access token": pair.AccessToken, "refresh token": pair.RefreshToken,
		"refreshed access token": refreshed.AccessToken, "refreshed refresh token": refreshed.RefreshToken,
		"API key": key.Key,
	}
	n := 0
	for rows.Next() {
		var (
			k       string
			body    []byte
			headers *string
		)
		if err := rows.Scan(&k, &body, &headers); err != nil {
			t.Fatal(err)
		}
		n++
		raw := append(body, []byte(deref(headers))...)
		for what, secret := range secrets {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("idempotency key %q stores the %s in clear", k, what)
			}
		}
		for _, field := range []string{"access_token", "refresh_token", `"key"`} {
			if bytes.Contains(body, []byte(field)) {
				t.Errorf("idempotency key %q stores a readable body (%q in it)", k, field)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Fatalf("%d rows in idempotency_keys, want the login, refresh and API key answers", n)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
