package graph_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"linli/db/dbtest"
	"linli/graph"
)

// GET /schema.graphql serves the schema as client tools need it: one definition per type
// (relay-compiler takes fields under `extend type Query` for client-only ones), @personal
// declared and on its fields, and exactly the types, fields, arguments and descriptions
// the live schema introspects.
func TestSchemaFile(t *testing.T) {
	t.Parallel()
	d, _ := dbtest.New(t)
	e := serve(t, d)

	res, err := http.Get(e.srv.URL + "/schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/graphql; charset=utf-8" {
		t.Fatalf("status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if string(body) != string(graph.PrintedSchema()) {
		t.Fatal("served schema differs from graph.PrintedSchema (linli schema prints that)")
	}
	etag := res.Header.Get("ETag")
	if etag == "" || !strings.Contains(res.Header.Get("Cache-Control"), "max-age") {
		t.Fatalf("ETag %q, Cache-Control %q: want both", etag, res.Header.Get("Cache-Control"))
	}
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/schema.graphql", nil)
	req.Header.Set("If-None-Match", etag)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidating with the ETag: %v %v, want 304", res.Status, err)
	}

	doc, perr := parser.ParseSchema(&ast.Source{Name: "schema.graphql", Input: string(body)})
	if perr != nil {
		t.Fatalf("parsing the served schema: %v", perr)
	}
	if len(doc.Extensions) > 0 {
		t.Fatalf("the served schema extends %s: want every extension merged into its type", doc.Extensions[0].Name)
	}
	if p := doc.Directives.ForName("personal"); p == nil || p.Description == "" {
		t.Fatal("@personal is not declared with a description")
	}
	for _, d := range doc.Directives {
		if d.Name != "personal" {
			t.Errorf("directive @%s printed: want only linli's own", d.Name)
		}
	}
	for _, b := range []string{"String", "Int", "Boolean", "ID", "Float"} {
		if doc.Definitions.ForName(b) != nil {
			t.Errorf("built-in scalar %s printed", b)
		}
	}
	schema, gerr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: string(body)})
	if gerr != nil {
		t.Fatalf("loading the served schema: %v", gerr)
	}
	for _, f := range []string{"Resident.name", "Wish.beneficiaryPhone", "Account.phone"} {
		typ, field, _ := strings.Cut(f, ".")
		if fd := schema.Types[typ].Fields.ForName(field); fd == nil || fd.Directives.ForName("personal") == nil {
			t.Errorf("%s is personal in schema.graphqls but not @personal in the served schema", f)
		}
	}

	// Everything introspection shows, the file shows, and nothing more.
	var in struct {
		Schema introspected `json:"__schema"`
	}
	e.do("", introspectionQuery, nil).Decode(t, &in)
	live, printed := in.Schema.lines(), lines(schema)
	if len(live) < 1000 {
		t.Fatalf("introspection gave %d lines: the query must be wrong", len(live))
	}
	for _, l := range live {
		if !slices.Contains(printed, l) {
			t.Errorf("live schema has, served file lacks: %s", l)
		}
	}
	for _, l := range printed {
		if !slices.Contains(live, l) {
			t.Errorf("served file has, live schema lacks: %s", l)
		}
	}
	for _, op := range []string{"Query.wishFeed", "Mutation.claimWish", "Mutation.castBallot"} {
		if !slices.ContainsFunc(printed, func(l string) bool { return strings.HasPrefix(l, op+"(") || strings.HasPrefix(l, op+":") }) {
			t.Errorf("%s missing from the served schema", op)
		}
	}
}

const introspectionQuery = `fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }
{ __schema { types { kind name description
	fields(includeDeprecated: true) { name description args { name description type { ...T } } type { ...T } }
	inputFields { name description type { ...T } }
	enumValues(includeDeprecated: true) { name description }
	interfaces { name } possibleTypes { name } } } }`

type typeRef struct {
	Kind, Name string
	OfType     *typeRef
}

func (r *typeRef) String() string {
	switch r.Kind {
	case "NON_NULL":
		return r.OfType.String() + "!"
	case "LIST":
		return "[" + r.OfType.String() + "]"
	}
	return r.Name
}

type introspected struct {
	Types []struct {
		Kind, Name, Description string
		Fields                  []struct {
			Name, Description string
			Args              []struct {
				Name, Description string
				Type              typeRef
			}
			Type typeRef
		}
		InputFields []struct {
			Name, Description string
			Type              typeRef
		}
		EnumValues []struct{ Name, Description string }
	}
}

// lines describes each type, field, argument and enum value on a line of its own, with
// its description, in a form both introspection and a parsed schema give.
func (s introspected) lines() []string {
	var out []string
	for _, t := range s.Types {
		if strings.HasPrefix(t.Name, "__") || slices.Contains([]string{"String", "Int", "Float", "Boolean", "ID"}, t.Name) {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s %q", t.Kind, t.Name, t.Description))
		for _, f := range t.Fields {
			out = append(out, fmt.Sprintf("%s.%s: %s %q", t.Name, f.Name, f.Type.String(), f.Description))
			for _, a := range f.Args {
				out = append(out, fmt.Sprintf("%s.%s(%s: %s) %q", t.Name, f.Name, a.Name, a.Type.String(), a.Description))
			}
		}
		for _, f := range t.InputFields {
			out = append(out, fmt.Sprintf("%s.%s: %s %q", t.Name, f.Name, f.Type.String(), f.Description))
		}
		for _, v := range t.EnumValues {
			out = append(out, fmt.Sprintf("%s.%s %q", t.Name, v.Name, v.Description))
		}
	}
	return out
}

func lines(s *ast.Schema) []string {
	var out []string
	for _, t := range s.Types {
		if t.BuiltIn || strings.HasPrefix(t.Name, "__") {
			continue
		}
		kind := map[ast.DefinitionKind]string{ast.Scalar: "SCALAR", ast.Object: "OBJECT", ast.Interface: "INTERFACE",
			ast.Union: "UNION", ast.Enum: "ENUM", ast.InputObject: "INPUT_OBJECT"}[t.Kind]
		out = append(out, fmt.Sprintf("%s %s %q", kind, t.Name, t.Description))
		for _, f := range t.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			out = append(out, fmt.Sprintf("%s.%s: %s %q", t.Name, f.Name, f.Type.String(), f.Description))
			for _, a := range f.Arguments {
				out = append(out, fmt.Sprintf("%s.%s(%s: %s) %q", t.Name, f.Name, a.Name, a.Type.String(), a.Description))
			}
		}
		for _, v := range t.EnumValues {
			out = append(out, fmt.Sprintf("%s.%s %q", t.Name, v.Name, v.Description))
		}
	}
	return out
}

// A description of one line is printed on one line, except when it ends in a quote or a
// backslash: """…"""" is what the JavaScript tools refuse, and \""" an escaped quote. Every
// description reads back as it was.
func TestPrintDescriptions(t *testing.T) {
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "t.graphqls", Input: `type Query { a: String b: String c: String d: String e: String f: String }`})
	if err != nil {
		t.Fatal(err)
	}
	schema.Types["Query"].Description = "管理员"
	for name, desc := range map[string]string{
		"a": `姓名，打码后为"张**"`,
		"b": `路径 C:\`,
		"c": "第一行\n  第二行，缩进两格",
		"d": "  以空格开头",
		"e": `含有 """ 的说明`,
		"f": "一行",
	} {
		schema.Types["Query"].Fields.ForName(name).Description = desc
	}
	printed := string(graph.PrintSchema(schema))
	if strings.Contains(printed, `""""`) {
		t.Fatalf("printed a quote right before the closing \"\"\":\n%s", printed)
	}
	for _, want := range []string{`"""管理员"""` + "\ntype Query", `  """一行"""` + "\n  f: String"} {
		if !strings.Contains(printed, want) {
			t.Fatalf("a one-line description not on one line (want %q):\n%s", want, printed)
		}
	}
	again, gerr := gqlparser.LoadSchema(&ast.Source{Name: "printed.graphql", Input: printed})
	if gerr != nil {
		t.Fatalf("printed schema does not parse: %v\n%s", gerr, printed)
	}
	for _, f := range schema.Types["Query"].Fields {
		if g := again.Types["Query"].Fields.ForName(f.Name); g == nil || g.Description != f.Description {
			t.Errorf("field %s: description %q printed as %q", f.Name, f.Description, g.Description)
		}
	}
}
