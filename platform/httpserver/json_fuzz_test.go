package httpserver_test

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/httpserver"
	"github.com/kontor-app/kontor/platform/money"
)

// fuzzBody is shaped like the request bodies handlers decode: text, money, optional
// and nested values, maps and arrays.
type fuzzBody struct {
	Name     string            `json:"name"`
	Amount   money.Amount      `json:"amount"`
	Opening  *money.Amount     `json:"opening_balance,omitempty"`
	Count    int               `json:"count"`
	Active   *bool             `json:"active,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
	Fields   []struct {
		Label string `json:"label"`
		Value string `json:"value"`
	} `json:"custom_fields,omitempty"`
	Nested *struct {
		Note string `json:"note"`
	} `json:"nested,omitempty"`
}

// FuzzDecodeJSONBytes sends arbitrary bytes through the strict JSON decoder every
// handler uses: it must never panic, every refusal is a client problem (400 or 422
// with a machine code, never an internal error), and an accepted body is valid UTF-8
// JSON whose decoded value survives a re-encode and strict decode unchanged.
func FuzzDecodeJSONBytes(f *testing.F) {
	for _, s := range []string{
		`{"name":"Checking","amount":"25000.50","count":1}`,
		`{"name":"a","amount":12345678.91}`,
		`{"amount":"0.0000000000000000001"}`,
		`{"amount":1e400}`,
		`{"name":"x","name":"y"}`,
		`{"NAME":"x"}`,
		`{"name":"a\u0000b"}`,
		`{"name":"\ud800"}`,
		"{\"name\":\"\xff\"}",
		`{"metadata":{"k":"v","k":"w"}}`,
		`{"custom_fields":[{"label":"a","value":"b","extra":1}]}`,
		`{"nested":{"note":"x","deep":{"a":1}}}`,
		`{"count":"1"}`, `{"count":1.5}`, `{"count":99999999999999999999}`,
		`[]`, `null`, `""`, `{} {}`, `{`, ``, `   `,
		`{"name":"'; DROP TABLE accounts; --","metadata":{"<script>":"</script>"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var dst fuzzBody
		err := httpserver.DecodeJSONBytes(body, &dst)
		if err != nil {
			e, ok := apperr.As(err)
			if !ok || e.Code == "" {
				t.Fatalf("DecodeJSONBytes(%q) = %v: not an apperr problem", body, err)
			}
			if st := apperr.Status(e.Code); st != 400 && st != 422 {
				t.Fatalf("DecodeJSONBytes(%q) = %s (%d), want a 400 or 422 problem", body, e.Code, st)
			}
			return
		}
		if !utf8.Valid(body) || !json.Valid(body) {
			t.Fatalf("DecodeJSONBytes accepted %q, which is not valid UTF-8 JSON", body)
		}
		again, err := json.Marshal(dst)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", dst, err)
		}
		var back fuzzBody
		if err := httpserver.DecodeJSONBytes(again, &back); err != nil {
			t.Fatalf("accepted %q, but its re-encoding %s is refused: %v", body, again, err)
		}
		twice, _ := json.Marshal(back)
		if string(twice) != string(again) {
			t.Fatalf("decode(encode(x)) changed: %s -> %s", again, twice)
		}
	})
}
