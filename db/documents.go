package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// A TrustedDocument is a GraphQL operation registered from a client's manifest.
type TrustedDocument struct {
	ID       string    `db:"id"`
	Document string    `db:"document"`
	SHA256   string    `db:"sha256"`
	Source   string    `db:"source"`
	AddedAt  time.Time `db:"added_at"`
}

// DocumentHash is the hex SHA-256 of a document's text: the id APQ clients and the
// GraphQL-codegen client preset (with hashAlgorithm sha256) give it.
func DocumentHash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// ParseManifest reads a persisted-documents manifest, {"<id>": "<document>", …}: what
// relay-compiler's persist option and the GraphQL-codegen client preset's
// persisted-documents.json hold. An id that is a SHA-256 (64 hex digits, optionally after
// "sha256:") must be the hash of its document; any other id (relay-compiler's MD5, a
// codegen SHA-1) is stored as given.
func ParseManifest(b []byte) ([]TrustedDocument, error) {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("want a JSON object of id to document text, as relay-compiler and graphql-codegen write: %w", err)
	}
	if len(m) == 0 {
		return nil, errors.New("the manifest lists no documents")
	}
	docs := make([]TrustedDocument, 0, len(m))
	var errs []error
	for id, text := range m {
		id = DocumentID(id)
		hash := DocumentHash(text)
		switch {
		case id == "" || len(id) > 200:
			errs = append(errs, fmt.Errorf("id %.40q: want 1 to 200 characters", id))
		case strings.TrimSpace(text) == "":
			errs = append(errs, fmt.Errorf("id %s: the document is empty", id))
		case isSHA256(id) && strings.ToLower(id) != hash:
			errs = append(errs, fmt.Errorf("id %s: not the SHA-256 of its document (which is %s)", id, hash))
		default:
			if isSHA256(id) {
				id = hash
			}
			docs = append(docs, TrustedDocument{ID: id, Document: text, SHA256: hash})
		}
	}
	return docs, errors.Join(errs...)
}

// DocumentID is id as stored: without the "sha256:" prefix of the GraphQL-over-HTTP
// persisted documents proposal.
func DocumentID(id string) string {
	if rest, ok := strings.CutPrefix(id, "sha256:"); ok && isSHA256(rest) {
		return strings.ToLower(rest)
	}
	return id
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// AddTrustedDocuments registers docs, all or none: an id already registered with another
// text is refused (the client's build would run something else than it asked for). It
// returns how many were new.
func AddTrustedDocuments(ctx context.Context, d *sqlx.DB, docs []TrustedDocument, source string) (int, error) {
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	added := 0
	for _, doc := range docs {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO trusted_documents (id, document, sha256, source) VALUES ($1, $2, $3, $4)
			ON CONFLICT (id) DO NOTHING`, doc.ID, doc.Document, doc.SHA256, source)
		if err != nil {
			return 0, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			added++
			continue
		}
		var existing string
		if err := tx.GetContext(ctx, &existing, `SELECT document FROM trusted_documents WHERE id = $1`, doc.ID); err != nil {
			return 0, err
		}
		if existing != doc.Document {
			return 0, fmt.Errorf("id %s is registered already with another document: a manifest never reuses an id for other text", doc.ID)
		}
	}
	return added, tx.Commit()
}

// TrustedDocuments lists the registered documents, oldest first.
func TrustedDocuments(ctx context.Context, d *sqlx.DB) ([]TrustedDocument, error) {
	var docs []TrustedDocument
	err := d.SelectContext(ctx, &docs, `SELECT id, document, sha256, source, added_at FROM trusted_documents ORDER BY added_at, id`)
	return docs, err
}

// TrustedDocument returns the text registered under id (a manifest's id, or the SHA-256 of
// the text), or false when there is none.
func (s *Store) TrustedDocument(ctx context.Context, id string) (string, bool, error) {
	var text string
	err := s.DB.GetContext(ctx, &text, `
		SELECT document FROM trusted_documents WHERE id = $1 OR sha256 = $1 ORDER BY id = $1 DESC LIMIT 1`, DocumentID(id))
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return text, err == nil, err
}
