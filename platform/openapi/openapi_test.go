package openapi_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/openapi"
)

const partA = `{
  "tags": [{"name": "Things", "description": "Things you own."}],
  "paths": {"/things": {"get": {"tags": ["Things"], "summary": "List things", "parameters": [{"$ref": "#/components/parameters/Limit"}],
    "responses": {"200": {"description": "The things.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                  "401": {"$ref": "#/components/responses/Unauthorized"}}}}},
  "components": {"schemas": {"Thing": {"type": "object", "properties": {"id": {"type": "string"}}}}}
}`

const partB = `{
  "paths": {"/things": {"post": {"tags": ["Things"], "summary": "Create a thing", "security": [],
    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
    "responses": {"201": {"description": "Created."}}}}}
}`

func TestBuildMergesPartsIntoAValidDocument(t *testing.T) {
	doc, err := openapi.Build([]openapi.Spec{{Name: "b", JSON: []byte(partB)}, {Name: "a", JSON: []byte(partA)}})
	if err != nil {
		t.Fatal(err)
	}
	loader := openapi3.NewLoader()
	parsed, err := loader.LoadFromData(doc.JSON)
	if err != nil {
		t.Fatal(err)
	}
	if err := parsed.Validate(context.Background()); err != nil {
		t.Fatalf("merged document is not valid: %v", err)
	}
	item := parsed.Paths.Find("/things")
	if item == nil || item.Get == nil || item.Post == nil {
		t.Fatalf("both operations should be merged under /things: %+v", item)
	}
	sections := doc.Sections()
	if len(sections) != 1 || sections[0].Tag != "Things" || len(sections[0].Operations) != 2 {
		t.Fatalf("sections %+v", sections)
	}
	get, post := sections[0].Operations[0], sections[0].Operations[1]
	if get.Method != "GET" || post.Method != "POST" || !post.Public || get.Public {
		t.Fatalf("operations %+v %+v", get, post)
	}
	if len(get.Parameters) != 1 || get.Parameters[0].Name != "limit" || get.Parameters[0].Type != "integer" {
		t.Fatalf("parameters %+v", get.Parameters)
	}
	if post.RequestBody != "application/json: Thing" {
		t.Fatalf("request body %q", post.RequestBody)
	}
}

func TestBuildRefusesDuplicates(t *testing.T) {
	for name, parts := range map[string][]openapi.Spec{
		"same operation twice": {{Name: "a", JSON: []byte(partA)}, {Name: "a2", JSON: []byte(partA)}},
		"unknown key":          {{Name: "x", JSON: []byte(`{"info": {}}`)}},
		"not JSON":             {{Name: "x", JSON: []byte(`{`)}},
	} {
		if _, err := openapi.Build(parts); err == nil {
			t.Errorf("%s: no error", name)
		} else if name == "same operation twice" && !strings.Contains(err.Error(), "defined twice") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestBaseDocumentIsValid(t *testing.T) {
	doc, err := openapi.Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := openapi3.NewLoader().LoadFromData(doc.JSON)
	if err != nil {
		t.Fatal(err)
	}
	if err := parsed.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if parsed.OpenAPI != "3.1.0" {
		t.Fatalf("version %q", parsed.OpenAPI)
	}
}

// TestProblemsAreTypedPerOperation holds issue 10's "problems typed per operation":
// each error response lists the codes its operation answers (the shared
// middleware's, those its description names under that status, and the operation's
// x-problem-codes), a code with a details schema gets a typed variant, and prose
// naming a code of another status adds nothing.
func TestProblemsAreTypedPerOperation(t *testing.T) {
	part := `{
  "paths": {"/things/{id}": {"delete": {"operationId": "dropThing", "summary": "Drop a thing",
    "x-problem-codes": {"409": ["conflict"], "422": ["conflict"]},
    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
    "responses": {"204": {"description": "Dropped."},
      "409": {"description": "account_not_empty when it still holds money; not_found is no 409.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
      "404": {"$ref": "#/components/responses/NotFound"}}}}},
  "components": {"schemas": {"NotEmptyDetails": {"type": "object", "x-problem-code": "account_not_empty", "properties": {"current_balance": {"type": "string"}}}}}
}`
	apperr.Register("account_not_empty", 409, "Account not empty")
	doc, err := openapi.Build([]openapi.Spec{{Name: "t", JSON: []byte(part)}})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := openapi3.NewLoader().LoadFromData(doc.JSON)
	if err != nil {
		t.Fatal(err)
	}
	if err := parsed.Validate(context.Background()); err != nil {
		t.Fatalf("not valid: %v", err)
	}
	s := string(doc.JSON)
	for _, want := range []string{`"x-problem-codes"`} {
		if strings.Contains(s, want) {
			t.Errorf("%s is left in the served document", want)
		}
	}
	op := parsed.Paths.Find("/things/{id}").Delete
	codes := func(status string) []string {
		var out []string
		var walk func(*openapi3.SchemaRef)
		walk = func(r *openapi3.SchemaRef) {
			if r == nil || r.Value == nil {
				return
			}
			if c := r.Value.Properties["code"]; c != nil && c.Value != nil {
				for _, e := range c.Value.Enum {
					out = append(out, e.(string))
				}
			}
			for _, l := range [][]*openapi3.SchemaRef{r.Value.AllOf, r.Value.OneOf} {
				for _, sub := range l {
					walk(sub)
				}
			}
		}
		walk(op.Responses.Value(status).Value.Content.Get("application/problem+json").Schema)
		sort.Strings(out)
		return out
	}
	if got := strings.Join(codes("409"), ","); got != "account_not_empty,conflict,idempotency_request_in_progress,idempotency_response_unavailable" {
		t.Errorf("409 codes %s", got)
	}
	if got := strings.Join(codes("404"), ","); got != "not_found" {
		t.Errorf("404 codes %s", got)
	}
	if got := strings.Join(codes("401"), ","); got != "invalid_token,unauthenticated" {
		t.Errorf("401 codes %s", got)
	}
	if !strings.Contains(s, `"AccountNotEmptyProblem"`) || !strings.Contains(s, `"#/components/schemas/NotEmptyDetails"`) {
		t.Error("account_not_empty has no typed variant with its details")
	}
	if codes("default") == nil {
		t.Error("the default response lists no codes")
	}
}
