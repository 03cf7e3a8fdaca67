package graph

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
)

// PrintedSchema is the schema as clients need it (GET /schema.graphql, linli schema): the
// schema this service serves, with every `extend type` merged into its base type (relay-compiler
// takes fields under `extend type Query` for client-only ones and would never send them),
// @personal declared with its description and kept on the fields that carry it (introspection
// drops it), and no built-in scalars or directives. Types come in the order of
// schema.graphqls, so the same build always prints the same bytes and a diff stays readable.
func PrintedSchema() []byte { return printedSchema() }

var printedSchema = sync.OnceValue(func() []byte {
	return printSchema(withoutIncremental(NewExecutableSchema(Config{}).Schema()))
})

func printSchema(s *ast.Schema) []byte {
	var b bytes.Buffer
	// One document per definition, so that a blank line separates them.
	emit := func(doc *ast.SchemaDocument) {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchemaDocument(doc)
	}
	// The schema block carries the description of the whole API (its conventions).
	root := &ast.SchemaDefinition{Description: s.Description}
	for _, op := range []struct {
		op  ast.Operation
		def *ast.Definition
	}{{ast.Query, s.Query}, {ast.Mutation, s.Mutation}, {ast.Subscription, s.Subscription}} {
		if op.def != nil {
			root.OperationTypes = append(root.OperationTypes, &ast.OperationTypeDefinition{Operation: op.op, Type: op.def.Name})
		}
	}
	emit(&ast.SchemaDocument{Schema: ast.SchemaDefinitionList{root}})

	var directives []*ast.DirectiveDefinition
	for _, d := range s.Directives {
		if !builtIn(d.Position) {
			directives = append(directives, d)
		}
	}
	slices.SortFunc(directives, func(a, b *ast.DirectiveDefinition) int { return bySource(a.Position, b.Position) })
	for _, d := range directives {
		emit(&ast.SchemaDocument{Directives: ast.DirectiveDefinitionList{d}})
	}

	var types []*ast.Definition
	for _, t := range s.Types {
		if !t.BuiltIn && !strings.HasPrefix(t.Name, "__") && !builtIn(t.Position) {
			types = append(types, t)
		}
	}
	// A type's position is that of its definition, not of its extensions, whose fields
	// gqlparser has appended to it.
	slices.SortFunc(types, func(a, b *ast.Definition) int { return bySource(a.Position, b.Position) })
	for _, t := range types {
		emit(&ast.SchemaDocument{Definitions: ast.DefinitionList{t}})
	}
	return oneLineDescriptions(b.Bytes())
}

// oneLineDescriptions writes a description of one line as """…""" on one line, as
// schema.graphqls does, where the formatter always gives it three: the file stays close to
// the source and a third of the length. The formatter puts every opening and closing """ on
// a line of its own, and escapes a """ within a description, so a line that is only """
// opens or closes one. A description ending in " or \ keeps its three lines: on one line
// its last character would run into the closing """ (the JavaScript tools refuse """").
// On one line a description keeps its leading spaces, which the three lines would lose.
func oneLineDescriptions(sdl []byte) []byte {
	lines := strings.SplitAfter(string(sdl), "\n")
	delim := func(i int) bool { return i < len(lines) && strings.TrimSpace(lines[i]) == `"""` }
	var out strings.Builder
	for i := 0; i < len(lines); i++ {
		if !delim(i) {
			out.WriteString(lines[i])
			continue
		}
		indent := lines[i][:strings.Index(lines[i], `"""`)]
		var body []string
		j := i + 1
		for ; j < len(lines) && !delim(j); j++ {
			body = append(body, lines[j])
		}
		text := strings.TrimSuffix(strings.TrimPrefix(strings.Join(body, ""), indent), "\n")
		if len(body) == 1 && strings.TrimSpace(text) != "" && !strings.HasSuffix(text, `"`) && !strings.HasSuffix(text, `\`) {
			out.WriteString(indent + `"""` + text + `"""` + "\n")
		} else {
			out.WriteString(lines[i])
			for _, l := range body {
				out.WriteString(l)
			}
			if j < len(lines) {
				out.WriteString(lines[j])
			}
		}
		i = j
	}
	return []byte(out.String())
}

func builtIn(p *ast.Position) bool { return p != nil && p.Src != nil && p.Src.BuiltIn }

func bySource(a, b *ast.Position) int {
	name := func(p *ast.Position) string {
		if p == nil || p.Src == nil {
			return ""
		}
		return p.Src.Name
	}
	start := func(p *ast.Position) int {
		if p == nil {
			return 0
		}
		return p.Start
	}
	return cmp.Or(cmp.Compare(name(a), name(b)), cmp.Compare(start(a), start(b)))
}

// schemaFile serves the printed schema at GET /schema.graphql. It changes only with a new
// build, so caches may keep it a while and then revalidate it by its ETag.
func schemaFile(s *ast.Schema) http.Handler {
	sdl := printSchema(s)
	sum := sha256.Sum256(sdl)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/graphql; charset=utf-8")
		h.Set("Cache-Control", "public, max-age=300")
		h.Set("ETag", etag)
		// ServeContent answers If-None-Match with 304, HEAD and ranges.
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(sdl))
	})
}
