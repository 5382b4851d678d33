package e2e

import (
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/kontor-app/kontor/e2e/harness"
)

// syncRunJSON is a run as GET /syncs shows it.
type syncRunJSON struct {
	ID           string `json:"id"`
	ConnectionID string `json:"connection_id"`
	Kind         string `json:"kind"`
	Trigger      string `json:"trigger"`
	Status       string `json:"status"`
	Stats        struct {
		Added         int `json:"added"`
		Modified      int `json:"modified"`
		Removed       int `json:"removed"`
		LinkedPending int `json:"linked_pending"`
		Pages         int `json:"pages"`
	} `json:"stats"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// TestSyncEndpointsRefuseBadInput holds the sync endpoints to the contract and to
// API.md's errors, on PostgreSQL: bad bodies, unknown and foreign connections, a
// file connection (nothing to fetch), and the empty audit trail.
func TestSyncEndpointsRefuseBadInput(t *testing.T) {
	inst := start(t, harness.Options{Engine: harness.Postgres})
	k := loadContract(t, inst)
	anon := newAPI(inst, k, false)
	aliceEmail, bobEmail := newEmail("sync-alice"), newEmail("sync-bob")
	register(t, anon, "Alice", aliceEmail)
	register(t, anon, "Bob", bobEmail)
	alice := anon.with(login(t, anon, aliceEmail).AccessToken)
	bob := anon.with(login(t, anon, bobEmail).AccessToken)

	var created struct {
		Connection connectionJSON `json:"connection"`
	}
	alice.post(t, "/api/v1/connections", map[string]any{"provider": "ofx"}).Expect(t, http.StatusCreated).JSON(t, &created)
	ofx := created.Connection.ID

	for _, path := range []string{"/api/v1/accounts/syncs", "/api/v1/transactions/syncs"} {
		// Bad requests bypass the contract check, which refuses them before sending.
		raw := alice.Client
		raw.Post(t, path, map[string]any{}).ExpectProblem(t, http.StatusUnprocessableEntity, "validation_failed")
		raw.Post(t, path, map[string]any{"connection_id": "nope"}).ExpectProblem(t, http.StatusUnprocessableEntity, "validation_failed")
		raw.Post(t, path, map[string]any{"connection_id": ofx, "colour": "red"}).ExpectProblem(t, http.StatusBadRequest, "unknown_field")
		raw.Post(t, path, map[string]any{"connection_id": ofx, "force": "yes"}).ExpectProblem(t, http.StatusUnprocessableEntity, "validation_failed")
		alice.Raw(t, http.MethodPost, path, []byte(`{"connection_id":`), "Content-Type: application/json").ExpectProblem(t, http.StatusBadRequest, "malformed_json")
		alice.Raw(t, http.MethodPost, path, []byte(`connection_id=x`), "Content-Type: application/x-www-form-urlencoded").ExpectProblem(t, http.StatusUnsupportedMediaType, "unsupported_media_type")
		alice.post(t, path, map[string]any{"connection_id": uuid.NewString()}).ExpectProblem(t, http.StatusNotFound, "not_found")
		bob.post(t, path, map[string]any{"connection_id": ofx}).ExpectProblem(t, http.StatusForbidden, "forbidden")
		p := alice.post(t, path, map[string]any{"connection_id": ofx, "force": true}).ExpectProblem(t, http.StatusConflict, "connection_not_active")
		if p.Detail == "" {
			t.Fatal("the refusal of a file connection says nothing")
		}
	}
	alice.post(t, "/api/v1/transactions/syncs", map[string]any{"connection_id": ofx, "start_date": "2026-02-30"}).
		ExpectProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	alice.Client.Post(t, "/api/v1/accounts/syncs", map[string]any{"connection_id": ofx, "start_date": "2026-01-01"}).
		ExpectProblem(t, http.StatusBadRequest, "unknown_field")

	var list struct {
		Syncs      []syncRunJSON `json:"syncs"`
		NextCursor *string       `json:"next_cursor"`
		HasMore    bool          `json:"has_more"`
	}
	alice.get(t, "/api/v1/syncs").Expect(t, http.StatusOK).JSON(t, &list)
	if len(list.Syncs) != 0 || list.HasMore || list.NextCursor != nil {
		t.Fatalf("a refused sync left a run: %+v", list)
	}
	alice.get(t, "/api/v1/syncs?cursor=%%%").ExpectProblem(t, http.StatusBadRequest, "invalid_cursor")
	alice.Client.Get(t, "/api/v1/syncs?limit=0").ExpectProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	alice.Client.Get(t, "/api/v1/syncs?connection_id=x").ExpectProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	alice.get(t, "/api/v1/syncs/"+uuid.NewString()).ExpectProblem(t, http.StatusNotFound, "not_found")
	alice.Client.Get(t, "/api/v1/syncs/not-a-uuid").ExpectProblem(t, http.StatusNotFound, "not_found")
	anon.get(t, "/api/v1/syncs").ExpectProblem(t, http.StatusUnauthorized, "unauthenticated")
}
