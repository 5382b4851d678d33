package bench

import (
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/money"
)

// NewFloor returns the floor of the transaction page: the least a correct server
// must do for GET /api/v1/accounts/{id}/transactions, to measure Kontor's cost over
// it. A bare Fiber v2 app with one handler and no middleware verifies the HS256
// bearer token Kontor issued (under the key Kontor derives from secret), runs the
// one keyset query of the page restricted to the token's user, and encodes the same
// JSON as Kontor (the same fields, next_cursor in the same format). It reads the
// same database as the application. What it leaves out is what a production server
// adds: request ids, access log, metrics, security headers, rate limits, casbin,
// telling 403 from 404 (an account that is not the caller's is an empty page here),
// the list's filters and any check of the cursor beyond decoding it.
func NewFloor(db *database.DB, secret string) *fiber.App {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("kontor-jwt"))
	key := mac.Sum(nil)
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
	keyFunc := func(*jwt.Token) (any, error) { return key, nil }

	userFilter := "+user_id = ?"
	if db.Dialect == database.Postgres {
		userFilter = "user_id = ?"
	}
	const columns = "SELECT id, account_id, external_id, provider_transaction_id, type, amount, currency, description, counterparty, status, booked_at, transfer_id, created_at FROM transactions WHERE account_id = ? AND "
	first := columns + userFilter + " ORDER BY booked_at DESC, id DESC LIMIT ?"
	later := columns + userFilter + " AND (booked_at, id) < (?, ?) ORDER BY booked_at DESC, id DESC LIMIT ?"

	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/api/v1/accounts/:id/transactions", func(c *fiber.Ctx) error {
		h := c.Get(fiber.HeaderAuthorization)
		if len(h) < 8 || !strings.EqualFold(h[:7], "Bearer ") {
			return c.SendStatus(fiber.StatusUnauthorized)
		}
		var claims jwt.RegisteredClaims
		if _, err := parser.ParseWithClaims(h[7:], &claims, keyFunc); err != nil {
			return c.SendStatus(fiber.StatusUnauthorized)
		}
		user, err := uuid.Parse(claims.Subject)
		if err != nil {
			return c.SendStatus(fiber.StatusUnauthorized)
		}
		account, err := uuid.Parse(c.Params("id"))
		if err != nil {
			return c.SendStatus(fiber.StatusNotFound)
		}
		limit := 50
		if raw := c.Query("limit"); raw != "" {
			if limit, err = strconv.Atoi(raw); err != nil || limit < 1 || limit > 200 {
				return c.SendStatus(fiber.StatusBadRequest)
			}
		}
		var rows *sql.Rows
		if raw := c.Query("cursor"); raw != "" {
			at, id, ok := floorCursor(raw)
			if !ok {
				return c.SendStatus(fiber.StatusBadRequest)
			}
			rows, err = db.QueryContext(c.UserContext(), later, account, user, at, id, limit+1)
		} else {
			rows, err = db.QueryContext(c.UserContext(), first, account, user, limit+1)
		}
		if err != nil {
			return err
		}
		defer rows.Close()
		page := make([]floorTransaction, 0, limit+1)
		for rows.Next() {
			var t floorTransaction
			var external, provider, counterparty sql.NullString
			var transfer uuid.NullUUID
			var booked, created time.Time
			if err := rows.Scan(&t.ID, &t.AccountID, &external, &provider, &t.Type, &t.Amount.Amount, &t.Currency,
				&t.Description, &counterparty, &t.Status, &booked, &transfer, &created); err != nil {
				return err
			}
			t.Amount.Currency = money.Currency(t.Currency) // written in its minor units, as Kontor does
			t.ExternalID, t.ProviderTransactionID, t.Counterparty = nullString(external), nullString(provider), nullString(counterparty)
			t.BookedAt, t.CreatedAt = booked.UTC().Format(time.RFC3339Nano), created.UTC().Format(time.RFC3339Nano)
			if transfer.Valid {
				s := transfer.UUID.String()
				t.TransferID = &s
			}
			page = append(page, t)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		out := floorPage{Transactions: page}
		if len(page) > limit {
			out.Transactions, out.HasMore = page[:limit], true
			last := page[limit-1]
			b, _ := json.Marshal(floorCursorJSON{Kind: "transactions", Value: last.BookedAt, ID: last.ID})
			next := base64.RawURLEncoding.EncodeToString(b)
			out.NextCursor = &next
		}
		return c.JSON(out)
	})
	return app
}

// floorTransaction is the transaction object of the API contract.
type floorTransaction struct {
	ID                    string           `json:"id"`
	AccountID             string           `json:"account_id"`
	ExternalID            *string          `json:"external_id"`
	ProviderTransactionID *string          `json:"provider_transaction_id"`
	Type                  string           `json:"type"`
	Amount                money.InCurrency `json:"amount"`
	Currency              string           `json:"currency"`
	Description           string           `json:"description"`
	Counterparty          *string          `json:"counterparty"`
	Status                string           `json:"status"`
	BookedAt              string           `json:"booked_at"`
	TransferID            *string          `json:"transfer_id"`
	CreatedAt             string           `json:"created_at"`
}

// floorPage is the page object, its keys in the order Kontor writes them.
type floorPage struct {
	HasMore      bool               `json:"has_more"`
	NextCursor   *string            `json:"next_cursor"`
	Transactions []floorTransaction `json:"transactions"`
}

// floorCursorJSON is Kontor's cursor format, so the floor and the application
// accept each other's cursors.
type floorCursorJSON struct {
	Kind  string `json:"k"`
	Sort  string `json:"s,omitempty"`
	Value string `json:"v"`
	ID    string `json:"i"`
}

func floorCursor(raw string) (time.Time, uuid.UUID, bool) {
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return time.Time{}, uuid.Nil, false
	}
	var c floorCursorJSON
	if json.Unmarshal(b, &c) != nil || c.Kind != "transactions" {
		return time.Time{}, uuid.Nil, false
	}
	at, err := time.Parse(time.RFC3339Nano, c.Value)
	if err != nil {
		return time.Time{}, uuid.Nil, false
	}
	id, err := uuid.Parse(c.ID)
	return at.UTC(), id, err == nil
}

func nullString(s sql.NullString) *string {
	if !s.Valid || s.String == "" {
		return nil
	}
	return &s.String
}
