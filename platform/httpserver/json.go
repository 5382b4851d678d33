package httpserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"reflect"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/money"
)

// MaxJSONBody is the largest JSON request body the API accepts (1 MiB).
const MaxJSONBody = 1 << 20

func problemJSON(p Problem) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(p)
	return buf.Bytes(), err
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// DecodeJSON strictly decodes the request body into dst: the content type must be
// JSON, the body at most 1 MiB, one JSON value with only known fields. Type errors
// become validation problems naming the field, so a client learns exactly what to fix.
func DecodeJSON(c *fiber.Ctx, dst any) error {
	if err := RequireJSON(c); err != nil {
		return err
	}
	body := c.Body()
	if len(body) > MaxJSONBody {
		return apperr.New(apperr.PayloadTooLarge, "The JSON body is larger than 1 MiB.")
	}
	return DecodeJSONBytes(body, dst)
}

// RequireJSON answers 415 unless the request declares a JSON content type.
func RequireJSON(c *fiber.Ctx) error {
	ct := c.Get(fiber.HeaderContentType)
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return apperr.New(apperr.UnsupportedMediaType, "Send the body as application/json (got %q).", ct)
	}
	return nil
}

// DecodeJSONBytes is DecodeJSON without the HTTP checks. Beyond encoding/json it
// refuses invalid UTF-8, repeated keys, field names that match only when case is
// ignored, and text with control characters (see checkJSON and TextProblem).
func DecodeJSONBytes(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return apperr.New(apperr.MalformedJSON, "The request body is empty; send a JSON object.")
	}
	if err := checkJSON(body, dst); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apperr.New(apperr.MalformedJSON, "The body holds more than one JSON value.")
	}
	return nil
}

func jsonError(err error) error {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var fieldErr interface{ Field() string }
	switch {
	case errors.As(err, &syntaxErr):
		return apperr.New(apperr.MalformedJSON, "The body is not valid JSON (at byte %d): %s.", syntaxErr.Offset, syntaxErr.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.New(apperr.MalformedJSON, "The body ends before the JSON value does.")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return apperr.New(apperr.MalformedJSON, "The body must be a JSON object.")
		}
		if typeErr.Type == amountType {
			// money.Amount puts its own reason in Value ("must have at most 18 ...").
			return apperr.Validation(apperr.FieldError{Field: field, Message: typeErr.Value})
		}
		return apperr.Validation(apperr.FieldError{Field: field, Message: fmt.Sprintf("must be %s", describeType(typeErr.Type))})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &apperr.Error{Code: apperr.UnknownField, Message: fmt.Sprintf("The field %q is not known here.", name),
			Fields: []apperr.FieldError{{Field: name, Message: "is not a known field"}}}
	case errors.As(err, &fieldErr):
		return apperr.Validation(apperr.FieldError{Field: fieldErr.Field(), Message: err.Error()})
	}
	// Errors from a field's own UnmarshalJSON (money, dates) arrive here without the
	// field name; json wraps them so the message still tells the client what failed.
	return apperr.Validation(apperr.FieldError{Field: "body", Message: strings.TrimPrefix(err.Error(), "json: ")})
}

var amountType = reflect.TypeFor[money.Amount]()

func describeType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a valid value"
}
