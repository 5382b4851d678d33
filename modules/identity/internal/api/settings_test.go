package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/kontor-app/kontor/e2e/harness"
	"github.com/kontor-app/kontor/platform/database"
)

var engines = map[string]harness.Engine{"sqlite": harness.SQLite, "postgres": harness.Postgres}

func eachEngine(t *testing.T, fn func(t *testing.T, inst *harness.Instance)) {
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) { fn(t, harness.Start(t, harness.Options{Engine: engines[name]})) })
	}
}

func TestChangeNameAndEmail(t *testing.T) {
	eachEngine(t, func(t *testing.T, inst *harness.Instance) {
		c := inst.Client()
		ada, bob := newEmail("ada"), newEmail("bob")
		u := register(t, c, ada)
		register(t, c, bob)
		me := as(inst, login(t, c, ada).AccessToken)

		etag := me.Get(t, "/api/v1/me").Expect(t, http.StatusOK).Header.Get("ETag")
		if !strings.HasPrefix(etag, `W/"`) {
			t.Fatalf("GET /me ETag %q", etag)
		}
		var got userJSON
		res := me.Do(t, http.MethodPatch, "/api/v1/me", map[string]any{"name": " Ada King "}, "If-Match: "+etag).Expect(t, http.StatusOK)
		res.JSON(t, &got)
		if next := res.Header.Get("ETag"); next == etag || next == "" {
			t.Errorf("ETag after the change %q, before %q", next, etag)
		}
		problem(t, me.Do(t, http.MethodPatch, "/api/v1/me", map[string]any{"name": "Stale"}, "If-Match: "+etag), http.StatusPreconditionFailed, "precondition_failed")
		if got.Name != "Ada King" || got.Email != ada || got.ID != u.ID {
			t.Fatalf("renamed = %+v", got)
		}
		p := problem(t, me.Do(t, http.MethodPatch, "/api/v1/me", map[string]any{"email": "new-" + ada}), http.StatusUnprocessableEntity, "validation_failed")
		if fields(p)["current_password"] == "" {
			t.Errorf("no password: %+v", p)
		}
		p = problem(t, me.Do(t, http.MethodPatch, "/api/v1/me", map[string]any{"email": "new-" + ada, "current_password": "not my password"}), http.StatusUnprocessableEntity, "validation_failed")
		if fields(p)["current_password"] != "is not your current password" {
			t.Errorf("wrong password: %+v", p)
		}
		problem(t, me.Do(t, http.MethodPatch, "/api/v1/me", map[string]any{"email": strings.ToUpper(bob), "current_password": password}), http.StatusConflict, "email_taken")
		problem(t, me.Do(t, http.MethodPatch, "/api/v1/me", map[string]any{"nickname": "x"}), http.StatusBadRequest, "unknown_field")
		problem(t, me.Do(t, http.MethodPatch, "/api/v1/me", map[string]any{}), http.StatusUnprocessableEntity, "validation_failed")
		problem(t, me.Raw(t, http.MethodPatch, "/api/v1/me", []byte("null"), "Content-Type: application/json"), http.StatusUnprocessableEntity, "validation_failed")
		p = problem(t, me.Do(t, http.MethodPatch, "/api/v1/me", map[string]any{"name": ""}), http.StatusUnprocessableEntity, "validation_failed")
		if fields(p)["name"] == "" {
			t.Errorf("empty name: %+v", p)
		}

		me.Do(t, http.MethodPatch, "/api/v1/me", map[string]any{"email": "New-" + ada, "current_password": password}).Expect(t, http.StatusOK).JSON(t, &got)
		if got.Email != "new-"+ada {
			t.Fatalf("e-mail = %q", got.Email)
		}
		login(t, c, "new-"+ada)
		problem(t, c.Post(t, "/api/v1/auth/login", map[string]any{"email": ada, "password": password}), http.StatusUnauthorized, "invalid_credentials")
	})
}

func TestChangePassword(t *testing.T) {
	eachEngine(t, func(t *testing.T, inst *harness.Instance) {
		c := inst.Client()
		ada := newEmail("ada")
		p := problem(t, c.Post(t, "/api/v1/auth/register", map[string]any{"email": ada, "password": strings.Repeat(" ", 16), "name": "Ada"}), http.StatusUnprocessableEntity, "validation_failed")
		if fields(p)["password"] != "must not be only spaces" {
			t.Errorf("register with spaces: %+v", p)
		}
		register(t, c, ada)
		first, second := login(t, c, ada), login(t, c, ada)
		me := as(inst, first.AccessToken)

		p = problem(t, me.Post(t, "/api/v1/me/password", map[string]any{"current_password": password, "new_password": strings.Repeat(" ", 12)}), http.StatusUnprocessableEntity, "validation_failed")
		if fields(p)["new_password"] != "must not be only spaces" {
			t.Errorf("spaces: %+v", p)
		}
		p = problem(t, me.Post(t, "/api/v1/me/password", map[string]any{"current_password": "nope nope nope", "new_password": "a new long password"}), http.StatusUnprocessableEntity, "validation_failed")
		if fields(p)["current_password"] == "" {
			t.Errorf("wrong current: %+v", p)
		}

		const next = "a new long password"
		var fresh pairJSON
		res := me.Post(t, "/api/v1/me/password", map[string]any{"current_password": password, "new_password": next}).Expect(t, http.StatusOK)
		res.JSON(t, &fresh)
		if fresh.AccessToken == "" || fresh.RefreshToken == "" || res.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("answer = %+v, %v", fresh, res.Header)
		}
		for _, old := range []pairJSON{first, second} {
			problem(t, c.Post(t, "/api/v1/auth/refresh", map[string]any{"refresh_token": old.RefreshToken}), http.StatusUnauthorized, "invalid_token")
		}
		c.Post(t, "/api/v1/auth/refresh", map[string]any{"refresh_token": fresh.RefreshToken}).Expect(t, http.StatusOK)
		problem(t, c.Post(t, "/api/v1/auth/login", map[string]any{"email": ada, "password": password}), http.StatusUnauthorized, "invalid_credentials")
		c.Post(t, "/api/v1/auth/login", map[string]any{"email": ada, "password": next}).Expect(t, http.StatusOK)
	})
}

// sharedOFXFile returns a file of ../shared/testdata/ofx, found from the
// repository root. Outside CI a missing folder skips the test; in CI it fails it.
func sharedOFXFile(t *testing.T, name string) []byte {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	path := filepath.Join(dir, "..", "shared", "testdata", "ofx", name)
	b, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the shared OFX test file is missing: %v", err)
		}
		t.Skipf("the shared OFX test files are not at %s (outside CI): skipping", path)
	}
	return b
}

// seed gives the user of c two manual accounts with entries and a transfer, an
// archived account, and a connection with an imported OFX file, and returns the
// connection's id.
func seed(t *testing.T, c *harness.Client) string {
	t.Helper()
	var a, b, old struct {
		ID string `json:"id"`
	}
	c.Post(t, "/api/v1/accounts", map[string]any{"name": "Girokonto, \"main\"", "account_type": "checking", "currency": "EUR", "opening_balance": "1000.00"}).Expect(t, http.StatusCreated).JSON(t, &a)
	c.Post(t, "/api/v1/accounts", map[string]any{"name": "Savings", "account_type": "savings", "currency": "EUR"}).Expect(t, http.StatusCreated).JSON(t, &b)
	c.Post(t, "/api/v1/accounts", map[string]any{"name": "Old", "account_type": "savings", "currency": "GBP"}).Expect(t, http.StatusCreated).JSON(t, &old)
	c.Do(t, http.MethodPatch, "/api/v1/accounts/"+old.ID, map[string]any{"is_archived": true}, "Content-Type: application/merge-patch+json").Expect(t, http.StatusOK)
	for _, amount := range []string{"-12.34", "=cmd|' /C calc'!A0", "2500"} {
		typ := "deposit"
		if strings.HasPrefix(amount, "-") {
			typ, amount = "withdrawal", amount[1:]
		}
		if strings.HasPrefix(amount, "=") {
			// A description a spreadsheet would run; the CSV must keep it as text.
			c.Post(t, "/api/v1/accounts/"+a.ID+"/transactions", map[string]any{"type": "withdrawal", "amount": "1.00", "description": amount}).Expect(t, http.StatusCreated)
			continue
		}
		c.Post(t, "/api/v1/accounts/"+a.ID+"/transactions", map[string]any{"type": typ, "amount": amount, "description": "Entry, with a comma"}).Expect(t, http.StatusCreated)
	}
	c.Post(t, "/api/v1/transfers", map[string]any{"source_account_id": a.ID, "destination_account_id": b.ID, "amount": "100.00"}).Expect(t, http.StatusCreated)

	var created struct {
		Connection struct {
			ID string `json:"id"`
		} `json:"connection"`
	}
	c.Post(t, "/api/v1/connections", map[string]any{"provider": "ofx", "alias": "Bank export"}).Expect(t, http.StatusCreated).JSON(t, &created)
	conn := created.Connection
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile("file", "statement.qfx")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(sharedOFXFile(t, "actualbudget__actual__1252.qfx"))
	_ = w.Close()
	res := c.Raw(t, http.MethodPost, "/api/v1/connections/"+conn.ID+"/imports", buf.Bytes(), "Content-Type: "+w.FormDataContentType())
	if res.Status >= 300 {
		t.Fatalf("import: %d %s", res.Status, res.Body)
	}
	return conn.ID
}

func decode(t *testing.T, what string, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v: %s", what, err, b)
	}
	return v
}

// sameJSON fails unless the archive's file and the API's answer hold the same JSON.
func sameJSON(t *testing.T, name string, file, api []byte) {
	t.Helper()
	if f, a := decode(t, name, file), decode(t, "API for "+name, api); !reflect.DeepEqual(f, a) {
		t.Errorf("%s differs from the API's answer:\nfile %s\napi  %s", name, file, api)
	}
}

func TestExportMatchesTheAPI(t *testing.T) {
	eachEngine(t, func(t *testing.T, inst *harness.Instance) {
		c := inst.Client()
		ada := newEmail("ada")
		register(t, c, ada)
		me := as(inst, login(t, c, ada).AccessToken)
		seed(t, me)
		me.Post(t, "/api/v1/api-keys", map[string]any{"name": "backup script"}).Expect(t, http.StatusCreated)
		// Another user's data stays out of the archive.
		bob := newEmail("bob")
		register(t, c, bob)
		as(inst, login(t, c, bob).AccessToken).Post(t, "/api/v1/accounts", map[string]any{"name": "Bob's", "account_type": "checking", "currency": "USD"}).Expect(t, http.StatusCreated)

		res := me.Get(t, "/api/v1/me/export").Expect(t, http.StatusOK)
		if ct := res.Header.Get("Content-Type"); ct != "application/zip" {
			t.Errorf("content type %q", ct)
		}
		if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="kontor-export-`) || !strings.HasSuffix(cd, `.zip"`) {
			t.Errorf("content disposition %q", cd)
		}
		files := res.ZipFiles(t)

		sameJSON(t, "profile.json", files["profile.json"], me.Get(t, "/api/v1/me").Expect(t, http.StatusOK).Body)
		sameJSON(t, "api_keys.json", files["api_keys.json"], me.Get(t, "/api/v1/api-keys").Expect(t, http.StatusOK).Body)
		sameJSON(t, "accounts.json", files["accounts.json"], me.Get(t, "/api/v1/accounts?include_archived=true&limit=200").Expect(t, http.StatusOK).Body)
		sameJSON(t, "connections.json", files["connections.json"], me.Get(t, "/api/v1/connections?limit=200").Expect(t, http.StatusOK).Body)
		if !bytes.Contains(files["connections.json"], []byte(`"Bank export"`)) {
			t.Errorf("connections.json lacks the connection: %s", files["connections.json"])
		}

		var list struct {
			Accounts []struct {
				ID       string  `json:"id"`
				Name     string  `json:"name"`
				Archived bool    `json:"is_archived"`
				Linked   *string `json:"connection_id"`
			} `json:"accounts"`
		}
		if err := json.Unmarshal(files["accounts.json"], &list); err != nil {
			t.Fatal(err)
		}
		var archived, linked bool
		for _, a := range list.Accounts {
			archived = archived || a.Archived
			linked = linked || a.Linked != nil
		}
		if len(list.Accounts) < 4 || !archived || !linked {
			t.Fatalf("accounts in the archive: %+v", list.Accounts)
		}
		want := map[string]bool{"profile.json": true, "api_keys.json": true, "accounts.json": true, "connections.json": true}
		entries := 0
		for _, a := range list.Accounts {
			dir := "accounts/" + a.ID + "/"
			want[dir+"transactions.json"], want[dir+"transactions.csv"] = true, true
			api := me.Get(t, "/api/v1/accounts/"+a.ID+"/transactions?limit=200").Expect(t, http.StatusOK).Body
			sameJSON(t, dir+"transactions.json", files[dir+"transactions.json"], api)

			var txs struct {
				Transactions []map[string]any `json:"transactions"`
			}
			if err := json.Unmarshal(api, &txs); err != nil {
				t.Fatal(err)
			}
			rows, err := csv.NewReader(bytes.NewReader(files[dir+"transactions.csv"])).ReadAll()
			if err != nil {
				t.Fatalf("%s: %v", dir+"transactions.csv", err)
			}
			if len(rows) != len(txs.Transactions)+1 {
				t.Fatalf("%s has %d rows for %d entries", dir, len(rows)-1, len(txs.Transactions))
			}
			header := rows[0]
			for i, tx := range txs.Transactions {
				for j, col := range header {
					want := ""
					if v, ok := tx[col]; ok && v != nil {
						want = v.(string)
					}
					switch col {
					case "description", "counterparty", "external_id", "provider_transaction_id":
						// Free text that a spreadsheet would run as a formula is marked as text.
						if strings.ContainsAny(want[:min(1, len(want))], "=+-@\t\r") {
							want = "'" + want
						}
					}
					if rows[i+1][j] != want {
						t.Errorf("%s row %d %s = %q, API says %q", dir, i+1, col, rows[i+1][j], want)
					}
				}
			}
			entries += len(txs.Transactions)
		}
		formulas := 0
		for name, b := range files {
			if strings.HasSuffix(name, ".csv") && bytes.Contains(b, []byte("=cmd|")) {
				formulas++
				if !bytes.Contains(b, []byte("'=cmd|")) {
					t.Errorf("%s holds a formula as is", name)
				}
			}
		}
		if formulas != 1 {
			t.Errorf("the seeded formula is in %d CSV files", formulas)
		}
		if entries < 8 {
			t.Errorf("only %d entries in the archive", entries)
		}
		for name := range files {
			if !want[name] {
				t.Errorf("unexpected file %s", name)
			}
			delete(want, name)
		}
		for name := range want {
			t.Errorf("missing file %s", name)
		}
		for name, b := range files {
			if bytes.Contains(b, []byte("Bob's")) {
				t.Errorf("another user's account is in %s", name)
			}
		}
		c.Get(t, "/api/v1/me/export").ExpectProblem(t, http.StatusUnauthorized, "unauthenticated")
	})
}

// columnTables lists the tables that have a column named col.
func columnTables(t *testing.T, db *database.DB, col string) []string {
	t.Helper()
	ctx := context.Background()
	var tables []string
	var err error
	if db.Dialect == database.Postgres {
		err = db.NewSelect().TableExpr("information_schema.columns").Column("table_name").
			Where("column_name = ?", col).Where("table_schema = current_schema()").Scan(ctx, &tables)
	} else {
		err = db.NewSelect().TableExpr("sqlite_master AS m, pragma_table_info(m.name) AS p").ColumnExpr("m.name").
			Where("m.type = 'table'").Where("p.name = ?", col).Scan(ctx, &tables)
	}
	if err != nil {
		t.Fatal(err)
	}
	return tables
}

// ownedRows counts, in every table with an account_id or connection_id column,
// the rows naming one of ids, by table.
func ownedRows(t *testing.T, db *database.DB, col string, ids []string) map[string]int {
	t.Helper()
	out := map[string]int{}
	if len(ids) == 0 {
		return out
	}
	for _, table := range columnTables(t, db, col) {
		var n int
		err := db.NewSelect().TableExpr(table).ColumnExpr("count(*)").Where("CAST("+col+" AS TEXT) IN (?)", bun.In(ids)).Scan(context.Background(), &n)
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

func idsOf(t *testing.T, c *harness.Client, path, key string) []string {
	t.Helper()
	var body map[string]json.RawMessage
	c.Get(t, path).Expect(t, http.StatusOK).JSON(t, &body)
	var list []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body[key], &list); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var ids []string
	for _, v := range list {
		ids = append(ids, v.ID)
	}
	return ids
}

// userRows counts, in every table with a user_id column, the rows of userID, and
// the casbin rules naming it.
func userRows(t *testing.T, db *database.DB, userID string) map[string]int {
	t.Helper()
	ctx := context.Background()
	tables := columnTables(t, db, "user_id")
	if len(tables) < 8 {
		t.Fatalf("only %d tables with user_id: %v", len(tables), tables)
	}
	out := map[string]int{}
	for _, table := range tables {
		var n int
		if err := db.NewSelect().TableExpr(table).ColumnExpr("count(*)").Where("CAST(user_id AS TEXT) = ?", userID).Scan(ctx, &n); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		out[table] = n
	}
	var n int
	if err := db.NewSelect().TableExpr("users").ColumnExpr("count(*)").Where("CAST(id AS TEXT) = ?", userID).Scan(ctx, &n); err != nil {
		t.Fatal(err)
	}
	out["users"] = n
	if err := db.NewSelect().TableExpr("casbin_rules").ColumnExpr("count(*)").Where("v0 = ?", userID).Scan(ctx, &n); err != nil {
		t.Fatal(err)
	}
	out["casbin_rules"] = n
	if err := db.NewSelect().TableExpr("idempotency_keys").ColumnExpr("count(*)").Where("scope = ?", "user:"+userID).Scan(ctx, &n); err != nil {
		t.Fatal(err)
	}
	out["idempotency_keys"] = n
	return out
}

func TestDeleteMeLeavesNothingAndTouchesNoOneElse(t *testing.T) {
	eachEngine(t, func(t *testing.T, inst *harness.Instance) {
		c := inst.Client()
		ada, bob := newEmail("ada"), newEmail("bob")
		u := register(t, c, ada)
		b := register(t, c, bob)
		pair := login(t, c, ada)
		me := as(inst, pair.AccessToken)
		seed(t, me)
		me.Post(t, "/api/v1/accounts", map[string]any{"name": "Idempotent", "account_type": "cash", "currency": "EUR"}, "Idempotency-Key: k-1").Expect(t, http.StatusCreated)
		var key apiKeyJSON
		me.Post(t, "/api/v1/api-keys", map[string]any{"name": "script"}).Expect(t, http.StatusCreated).JSON(t, &key)
		other := as(inst, login(t, c, bob).AccessToken)
		seed(t, other)
		bobBefore := userRows(t, inst.DB, b.ID)
		before := userRows(t, inst.DB, u.ID)
		accountIDs := idsOf(t, me, "/api/v1/accounts?include_archived=true&limit=200", "accounts")
		connectionIDs := idsOf(t, me, "/api/v1/connections", "connections")
		bobAccounts := ownedRows(t, inst.DB, "account_id", idsOf(t, other, "/api/v1/accounts?include_archived=true&limit=200", "accounts"))
		bobConnections := ownedRows(t, inst.DB, "connection_id", idsOf(t, other, "/api/v1/connections", "connections"))
		if len(accountIDs) < 4 || len(connectionIDs) != 1 || bobAccounts["transactions"] == 0 {
			t.Fatalf("seed: accounts %v, connections %v, bob's %v", accountIDs, connectionIDs, bobAccounts)
		}
		if owned := ownedRows(t, inst.DB, "connection_id", connectionIDs); owned["accounts"] == 0 || owned["connection_status_history"] == 0 {
			t.Fatalf("seed: the connection owns %v", owned)
		}
		t.Logf("rows by connection before: %v", ownedRows(t, inst.DB, "connection_id", connectionIDs))
		for _, table := range []string{"users", "accounts", "transactions", "transfers", "connections", "refresh_tokens", "api_keys", "casbin_rules", "idempotency_keys"} {
			if before[table] == 0 {
				t.Errorf("the seed left nothing in %s", table)
			}
		}

		for _, typed := range []string{"", "delete", bob} {
			p := problem(t, me.Do(t, http.MethodDelete, "/api/v1/me", map[string]any{"confirmation": typed}), http.StatusUnprocessableEntity, "validation_failed")
			if fields(p)["confirmation"] == "" {
				t.Errorf("%q: %+v", typed, p)
			}
		}
		problem(t, as(inst, key.Key).Do(t, http.MethodDelete, "/api/v1/me", map[string]any{"confirmation": "DELETE"}), http.StatusForbidden, "forbidden")
		if n := userRows(t, inst.DB, u.ID)["users"]; n != 1 {
			t.Fatal("refused deletions deleted the user")
		}

		// With an Idempotency-Key, as a careful client sends it: on PostgreSQL the key
		// is settled in the deletion's own transaction.
		me.Do(t, http.MethodDelete, "/api/v1/me", map[string]any{"confirmation": strings.ToUpper(ada)}, "Idempotency-Key: delete-me").Expect(t, http.StatusNoContent)

		for table, n := range userRows(t, inst.DB, u.ID) {
			if table == "idempotency_keys" {
				// Only the deletion's own answer, kept until it expires.
				var keys []string
				if err := inst.DB.NewSelect().TableExpr("idempotency_keys").Column("key").Where("scope = ?", "user:"+u.ID).Scan(context.Background(), &keys); err != nil {
					t.Fatal(err)
				}
				if len(keys) != 1 || keys[0] != "delete-me" {
					t.Errorf("idempotency keys of the deleted user: %v", keys)
				}
				continue
			}
			if table == "event_log" {
				// Only the announcement that the user's access tokens are revoked (a
				// user id and a time, nothing personal), which every instance reads
				// for one access-token lifetime; the daily prune removes it.
				var types []string
				if err := inst.DB.NewSelect().TableExpr("event_log").Column("type").Where("user_id = ?", u.ID).Scan(context.Background(), &types); err != nil {
					t.Fatal(err)
				}
				if len(types) != 1 || types[0] != "AccessTokensRevoked" {
					t.Errorf("events of the deleted user: %v", types)
				}
				continue
			}
			if n != 0 {
				t.Errorf("%s keeps %d rows of the deleted user", table, n)
			}
		}
		for col, ids := range map[string][]string{"account_id": accountIDs, "connection_id": connectionIDs} {
			for table, n := range ownedRows(t, inst.DB, col, ids) {
				if n != 0 {
					t.Errorf("%s keeps %d rows by %s of the deleted user", table, n, col)
				}
			}
		}
		if after := ownedRows(t, inst.DB, "account_id", idsOf(t, other, "/api/v1/accounts?include_archived=true&limit=200", "accounts")); !reflect.DeepEqual(after, bobAccounts) {
			t.Errorf("the other user's account rows changed: %v, were %v", after, bobAccounts)
		}
		if after := ownedRows(t, inst.DB, "connection_id", idsOf(t, other, "/api/v1/connections", "connections")); !reflect.DeepEqual(after, bobConnections) {
			t.Errorf("the other user's connection rows changed: %v, were %v", after, bobConnections)
		}
		if after := userRows(t, inst.DB, b.ID); !reflect.DeepEqual(after, bobBefore) {
			t.Errorf("the other user's rows changed:\nbefore %v\nafter  %v", bobBefore, after)
		}
		problem(t, me.Get(t, "/api/v1/me"), http.StatusUnauthorized, "invalid_token")
		problem(t, as(inst, key.Key).Get(t, "/api/v1/accounts"), http.StatusUnauthorized, "invalid_token")
		problem(t, c.Post(t, "/api/v1/auth/refresh", map[string]any{"refresh_token": pair.RefreshToken}), http.StatusUnauthorized, "invalid_token")
		problem(t, c.Post(t, "/api/v1/auth/login", map[string]any{"email": ada, "password": password}), http.StatusUnauthorized, "invalid_credentials")
		other.Get(t, "/api/v1/accounts").Expect(t, http.StatusOK)
		// The address is free again.
		register(t, c, ada)
	})
}
