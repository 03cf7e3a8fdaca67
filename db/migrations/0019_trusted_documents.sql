-- Trusted documents: the GraphQL operations a client registered from its build's manifest
-- (linli documents add). With LINLI_TRUSTED_DOCUMENTS=on only these run, by their id. Rows
-- are never changed: an id always names the same text, so every process may remember them.
CREATE TABLE trusted_documents (
    id       text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
    document text NOT NULL CHECK (document <> ''),
    -- Hex SHA-256 of document: the id APQ clients send when the manifest's id is another kind.
    sha256   text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    source   text NOT NULL DEFAULT '', -- the manifest's file name, for the operator
    added_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trusted_documents_sha256 ON trusted_documents (sha256);
