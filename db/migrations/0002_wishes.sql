-- Micro-wishes (微心愿): submitted by or for a resident, reviewed by the community, claimed and
-- fulfilled by a volunteer, confirmed and rated by the beneficiary; hours and points credited
-- to the volunteer in an append-only ledger.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Per-community settings; a community without a row uses the defaults here.
CREATE TABLE community_settings (
    community_id       bigint PRIMARY KEY REFERENCES places (id),
    wish_value_cap_fen integer NOT NULL DEFAULT 50000 CHECK (wish_value_cap_fen > 0),
    claim_limit        integer NOT NULL DEFAULT 3 CHECK (claim_limit > 0),
    claim_hours        integer NOT NULL DEFAULT 72 CHECK (claim_hours > 0),
    points_per_hour    integer NOT NULL DEFAULT 10 CHECK (points_per_hour >= 0)
);

CREATE TYPE wish_category AS ENUM ('goods', 'repair', 'companionship', 'escort', 'tutoring', 'paperwork', 'other');
CREATE TYPE wish_state AS ENUM ('submitted', 'published', 'rejected', 'cancelled', 'claimed', 'fulfilled', 'confirmed', 'disputed', 'closed');
CREATE TYPE wish_action AS ENUM ('submit', 'publish', 'reject', 'cancel', 'claim', 'release', 'lapse', 'fulfil', 'confirm', 'dispute', 'settle');

CREATE TABLE wishes (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    beneficiary_id  bigint NOT NULL REFERENCES residents (id),
    -- The account that entered it: the beneficiary's own, or a grid worker's for them (代办).
    submitted_by    bigint NOT NULL REFERENCES accounts (id),
    -- Where it is visible: the beneficiary's grid or community.
    place_id        bigint NOT NULL REFERENCES places (id),
    community_id    bigint NOT NULL REFERENCES places (id),
    category        wish_category NOT NULL,
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 40),
    description     text NOT NULL CHECK (length(description) BETWEEN 1 AND 1000),
    value_fen       integer CHECK (value_fen >= 0),
    deadline        timestamptz NOT NULL,
    state           wish_state NOT NULL DEFAULT 'submitted',
    idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 64),
    -- The current or last claim.
    claim_id        bigint,
    closing_reason  text,
    fulfil_note     text,
    fulfil_minutes  integer CHECK (fulfil_minutes > 0),
    fulfil_photos   text[] NOT NULL DEFAULT '{}',
    fulfilled_at    timestamptz,
    rating          smallint CHECK (rating BETWEEN 1 AND 5),
    rating_comment  text,
    confirmed_at    timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (submitted_by, idempotency_key)
);
CREATE INDEX wishes_place ON wishes (place_id, state);
CREATE INDEX wishes_community ON wishes (community_id, created_at);
CREATE INDEX wishes_beneficiary ON wishes (beneficiary_id);
CREATE INDEX wishes_submitted_by ON wishes (submitted_by);
CREATE INDEX wishes_published_deadline ON wishes (deadline, id) WHERE state = 'published';
-- Substring search that works for Chinese, where words are not separated by spaces.
CREATE INDEX wishes_text ON wishes USING gin ((title || ' ' || description) gin_trgm_ops);

CREATE TYPE claim_end AS ENUM ('released', 'lapsed', 'fulfilled', 'reassigned');

CREATE TABLE wish_claims (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    wish_id    bigint NOT NULL REFERENCES wishes (id),
    claimer_id bigint NOT NULL REFERENCES accounts (id),
    claimed_at timestamptz NOT NULL,
    due_at     timestamptz NOT NULL,
    ended_at   timestamptz,
    end_reason claim_end,
    CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
-- The database itself refuses a second active claim on a wish.
CREATE UNIQUE INDEX wish_claims_one_active ON wish_claims (wish_id) WHERE ended_at IS NULL;
CREATE INDEX wish_claims_claimer ON wish_claims (claimer_id, id);
CREATE INDEX wish_claims_due ON wish_claims (due_at) WHERE ended_at IS NULL;

ALTER TABLE wishes ADD FOREIGN KEY (claim_id) REFERENCES wish_claims (id);

-- Every transition, with who, when and why (留痕).
CREATE TABLE wish_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    wish_id    bigint NOT NULL REFERENCES wishes (id),
    at         timestamptz NOT NULL,
    action     wish_action NOT NULL,
    -- NULL for the system (a lapsed claim).
    actor_id   bigint REFERENCES accounts (id),
    from_state wish_state,
    to_state   wish_state NOT NULL,
    reason     text
);
CREATE INDEX wish_events_wish ON wish_events (wish_id, id);

CREATE TYPE ledger_kind AS ENUM ('credit', 'reversal');

-- Service hours and points. Totals are sums of this ledger, which is only ever appended to:
-- a wrong credit is undone by a reversal entry, never by an edit.
CREATE TABLE volunteer_ledger (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id),
    wish_id     bigint NOT NULL REFERENCES wishes (id),
    claim_id    bigint NOT NULL REFERENCES wish_claims (id),
    at          timestamptz NOT NULL,
    kind        ledger_kind NOT NULL,
    minutes     integer NOT NULL,
    points      integer NOT NULL,
    reverses_id bigint UNIQUE REFERENCES volunteer_ledger (id),
    note        text,
    CHECK ((kind = 'credit') = (reverses_id IS NULL)),
    CHECK ((kind = 'credit') = (minutes > 0))
);
-- A claim is credited once.
CREATE UNIQUE INDEX volunteer_ledger_one_credit ON volunteer_ledger (claim_id) WHERE kind = 'credit';
CREATE INDEX volunteer_ledger_account ON volunteer_ledger (account_id, id);

CREATE FUNCTION volunteer_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the volunteer ledger is never changed, only appended to' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER volunteer_ledger_append_only BEFORE UPDATE OR DELETE ON volunteer_ledger
    FOR EACH ROW EXECUTE FUNCTION volunteer_ledger_append_only();

CREATE TRIGGER wish_events_append_only BEFORE UPDATE OR DELETE ON wish_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
