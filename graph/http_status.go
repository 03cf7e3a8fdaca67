package graph

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strings"
)

// GraphQL over HTTP answers a document that cannot run (it does not parse, the schema refuses
// it, or its variables do not fit) by the media type the client accepts: 200 with the
// errors for application/json, which older clients read whatever the status; 400 for
// application/graphql-response+json, whose clients tell a request error from a field error by
// the status, and then never with a data entry.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// responseMedia is the media type of the answer to r, chosen from Accept the way gqlgen's
// transports choose it, so that the guard's own answers and gqlgen's agree: the first of
// application/json, application/graphql-response+json, application/* or */* listed wins
// (the wildcards and no Accept at all mean application/json); anything else,
// application/graphql-response+json.
func responseMedia(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return mediaJSON
	}
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "*/*", "application/*", mediaJSON:
			return mediaJSON
		case mediaGraphQLResponse:
			return mediaGraphQLResponse
		}
	}
	return mediaGraphQLResponse
}

// mediaWriter answers in the negotiated media type: writeErrors names it as the content
// type, and a refused document (422 from the guard or from gqlgen's JSON and GET
// transports) gets the status that media type calls for.
type mediaWriter struct {
	http.ResponseWriter
	media   string
	refused bool // the document was refused: the answer holds only errors
}

// statusRefusedDocument is what the guard writes for a document that cannot run;
// mediaWriter turns it into 200 or 400.
const statusRefusedDocument = http.StatusUnprocessableEntity

func (m *mediaWriter) WriteHeader(code int) {
	// gqlgen answers application/graphql-response+json with 400 itself.
	m.refused = code == http.StatusBadRequest
	if code == statusRefusedDocument {
		m.refused = true
		code = http.StatusOK
		if m.media == mediaGraphQLResponse {
			code = http.StatusBadRequest
		}
	}
	m.ResponseWriter.WriteHeader(code)
}

// Write drops the "data": null gqlgen adds to a refused document's errors, which
// application/graphql-response+json forbids; gqlgen writes such an answer in one piece.
func (m *mediaWriter) Write(b []byte) (int, error) {
	if !m.refused || m.media != mediaGraphQLResponse || !bytes.Contains(b, []byte(`"data"`)) {
		return m.ResponseWriter.Write(b)
	}
	var answer map[string]json.RawMessage
	if json.Unmarshal(b, &answer) != nil {
		return m.ResponseWriter.Write(b)
	}
	delete(answer, "data")
	out, _ := json.Marshal(answer)
	if _, err := m.ResponseWriter.Write(append(out, '\n')); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (m *mediaWriter) Unwrap() http.ResponseWriter { return m.ResponseWriter }

// Flush lets a subscription over SSE stream its events through.
func (m *mediaWriter) Flush() {
	if f, ok := m.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// contentType is the media type to name in an answer written through w.
func contentType(w http.ResponseWriter) string {
	if m, ok := w.(*mediaWriter); ok {
		return m.media
	}
	return mediaJSON
}
