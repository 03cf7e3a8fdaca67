-- Residents over time: the roster changes staff and grid workers record (add, move, leave,
-- correct, link to an account) are audited under their own actions; a registration that
-- may be someone already on the roster waits for staff instead of creating a second
-- resident.
ALTER TYPE audit_action ADD VALUE 'resident_added';
ALTER TYPE audit_action ADD VALUE 'resident_moved';
ALTER TYPE audit_action ADD VALUE 'resident_left';
ALTER TYPE audit_action ADD VALUE 'resident_corrected';
ALTER TYPE audit_action ADD VALUE 'resident_linked';

-- A registration held for matching (待匹配): the account exists and can sign in, but it is
-- linked to a resident only when staff choose the roster entry (or decide it is a new
-- person). What the person said about themself is kept to compare with the roster.
CREATE TABLE registrations (
    account_id   bigint PRIMARY KEY REFERENCES accounts (id),
    household_id bigint NOT NULL REFERENCES places (id),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    phone        text NOT NULL,
    birth_date   date NOT NULL,
    is_owner     boolean NOT NULL,
    created_at   timestamptz NOT NULL,
    -- Settled: the resident the account was linked to, by whom, when.
    resident_id  bigint REFERENCES residents (id),
    settled_at   timestamptz,
    settled_by   bigint REFERENCES accounts (id),
    CHECK ((settled_at IS NULL) = (resident_id IS NULL))
);
CREATE INDEX registrations_pending ON registrations (household_id) WHERE settled_at IS NULL;
CREATE INDEX residents_phone ON residents (phone) WHERE phone IS NOT NULL;
