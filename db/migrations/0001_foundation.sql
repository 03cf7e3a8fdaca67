-- The foundation: places, residents, accounts, sessions, role grants and the audit log.

CREATE TYPE place_level AS ENUM ('subdistrict', 'community', 'compound', 'grid', 'building', 'household');

-- One table for the whole tree, so "a place and everything under it" is one indexed
-- condition on path (the ids from the root down to the place itself).
CREATE TABLE places (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    level          place_level NOT NULL,
    parent_id      bigint REFERENCES places (id),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    path           bigint[] NOT NULL,
    unit           text CHECK (length(unit) <= 20),
    room           text CHECK (length(room) <= 20),
    -- Floor area (专有部分面积) in 0.01 m², kept as an integer so owners' votes count it exactly.
    floor_area_dm2 integer CHECK (floor_area_dm2 > 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((level = 'subdistrict') = (parent_id IS NULL)),
    CHECK ((level = 'household') = (floor_area_dm2 IS NOT NULL AND room IS NOT NULL))
);
CREATE INDEX places_parent ON places (parent_id, id);
CREATE INDEX places_path ON places USING gin (path);

-- The tree's shape is enforced here, not only in code: each level hangs under the right one,
-- and a place never moves (roles and history are scoped by where it sits).
CREATE FUNCTION places_set_path() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parent places%ROWTYPE;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.parent_id IS DISTINCT FROM OLD.parent_id OR NEW.level <> OLD.level OR NEW.path <> OLD.path THEN
            RAISE EXCEPTION 'a place cannot move or change level' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.parent_id IS NULL THEN
        NEW.path := ARRAY[NEW.id];
        RETURN NEW;
    END IF;
    SELECT * INTO parent FROM places WHERE id = NEW.parent_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'parent place % does not exist', NEW.parent_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF NOT (
        (NEW.level = 'community' AND parent.level = 'subdistrict') OR
        (NEW.level = 'compound' AND parent.level = 'community') OR
        (NEW.level = 'grid' AND parent.level IN ('community', 'compound')) OR
        (NEW.level = 'building' AND parent.level = 'grid') OR
        (NEW.level = 'household' AND parent.level = 'building')
    ) THEN
        RAISE EXCEPTION 'a % cannot be placed under a %', NEW.level, parent.level USING ERRCODE = 'check_violation';
    END IF;
    NEW.path := parent.path || NEW.id;
    RETURN NEW;
END;
$$;
CREATE TRIGGER places_set_path BEFORE INSERT OR UPDATE ON places
    FOR EACH ROW EXECUTE FUNCTION places_set_path();

CREATE TABLE accounts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    phone         text NOT NULL UNIQUE CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL
);

CREATE TABLE residents (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    household_id bigint NOT NULL REFERENCES places (id),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    phone        text CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    birth_date   date NOT NULL,
    is_owner     boolean NOT NULL DEFAULT false,
    -- Protected tags (独居老人, 低保 …): shown only to staff and grid workers of the place.
    tags         text[] NOT NULL DEFAULT '{}' CHECK (tags <@ ARRAY['elderly_alone', 'minimum_income', 'disabled', 'left_behind_child', 'veteran', 'special_care']),
    account_id   bigint UNIQUE REFERENCES accounts (id),
    verified_at  timestamptz,
    verified_by  bigint REFERENCES accounts (id),
    created_at   timestamptz NOT NULL,
    -- Demo and imported residents are verified by nobody in particular (verified_by NULL).
    CHECK (verified_by IS NULL OR verified_at IS NOT NULL)
);
CREATE INDEX residents_household ON residents (household_id, id);
CREATE INDEX residents_unverified ON residents (household_id) WHERE verified_at IS NULL;

CREATE FUNCTION residents_household_level() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM places WHERE id = NEW.household_id AND level = 'household') THEN
        RAISE EXCEPTION 'place % is not a household', NEW.household_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER residents_household_level BEFORE INSERT OR UPDATE OF household_id ON residents
    FOR EACH ROW EXECUTE FUNCTION residents_household_level();

CREATE TYPE role AS ENUM (
    'volunteer', 'party_member', 'grid_worker', 'building_leader', 'staff',
    'council_member', 'supervisor', 'analyst', 'admin'
);

-- A role is held in a place and applies to everything under it. Grants are never deleted:
-- revoking one stamps it, so the record of who could do what, when, stays.
CREATE TABLE role_grants (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    bigint NOT NULL REFERENCES accounts (id),
    role          role NOT NULL,
    place_id      bigint NOT NULL REFERENCES places (id),
    granted_by    bigint REFERENCES accounts (id),
    granted_at    timestamptz NOT NULL,
    revoked_by    bigint REFERENCES accounts (id),
    revoked_at    timestamptz,
    revoke_reason text,
    CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);
CREATE UNIQUE INDEX role_grants_active ON role_grants (account_id, role, place_id) WHERE revoked_at IS NULL;
CREATE INDEX role_grants_place ON role_grants (place_id, id);

-- Bearer tokens are stored only as their SHA-256, so a copy of this table signs nobody in.
CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Failed sign-ins per phone number in the current window; a row is removed on success.
CREATE TABLE login_throttle (
    phone    text PRIMARY KEY,
    attempts integer NOT NULL,
    first_at timestamptz NOT NULL
);

CREATE TYPE audit_action AS ENUM (
    'account_registered', 'login_failed', 'login_throttled', 'resident_verified',
    'role_granted', 'role_revoked'
);

-- Who did what, when (留痕). Append-only.
CREATE TABLE audit_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL,
    action       audit_action NOT NULL,
    actor_id     bigint REFERENCES accounts (id),
    place_id     bigint REFERENCES places (id),
    account_id   bigint REFERENCES accounts (id),
    resident_id  bigint REFERENCES residents (id),
    role_grant_id bigint REFERENCES role_grants (id),
    -- The phone number tried, for failed sign-ins (there may be no account to point at).
    phone        text,
    note         text
);
CREATE INDEX audit_events_place ON audit_events USING btree (place_id, id);
CREATE INDEX audit_events_account ON audit_events (account_id, id);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are never changed' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
