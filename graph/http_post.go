package graph

import (
	"context"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// rawPOST is gqlgen's JSON POST transport, except that an answer of data alone is written as
// gqlgen's executor produced it. gqlgen's transport hands the whole answer to encoding/json,
// which scans the data gqlgen has just written once more to check and re-escape it: on a
// feed page of 50 wishes (26 KB) that was a twentieth of the server's CPU. Everything else
// (negotiating the media type, statuses, request errors, answers with errors or extensions)
// is gqlgen's POST unchanged.
type rawPOST struct{ transport.POST }

func (t rawPOST) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	rw := &rawWriter{ResponseWriter: w}
	t.POST.Do(rw, r, rawExecutor{GraphExecutor: exec, w: rw})
}

// rawExecutor writes an answer of data alone itself, before the transport would.
type rawExecutor struct {
	graphql.GraphExecutor
	w *rawWriter
}

func (e rawExecutor) DispatchOperation(ctx context.Context, rc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	next, ctx := e.GraphExecutor.DispatchOperation(ctx, rc)
	return func(ctx context.Context) *graphql.Response {
		resp := next(ctx)
		if resp == nil || len(resp.Data) == 0 || len(resp.Errors) > 0 || resp.Label != "" || resp.Path != nil ||
			resp.HasNext != nil || len(resp.Extensions) > 0 {
			return resp
		}
		// What encoding/json would write for this answer, less its escaping of <, > and &
		// inside strings, which JSON does not require.
		b := make([]byte, 0, len(`{"data":}`)+len(resp.Data))
		b = append(append(append(b, `{"data":`...), resp.Data...), '}')
		e.w.ResponseWriter.Write(b)
		e.w.done = true
		return &graphql.Response{} // the transport's encoding of it goes nowhere
	}, ctx
}

// rawWriter drops what the transport writes after rawExecutor has written the answer.
type rawWriter struct {
	http.ResponseWriter
	done bool
}

func (w *rawWriter) Write(b []byte) (int, error) {
	if w.done {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}
