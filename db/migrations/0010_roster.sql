-- The roster (电子装户图) over time: what the places, residents and owners tables need so that
-- a community can be kept current and read as it stood on any past day. Later migrations
-- add the rules that use these columns (moving places, recording moves, counting owners).

-- ------------------------------------------------------------------ places
-- Retiring a place keeps it (wishes, votes and meetings point at it) but takes it off the
-- live roster. A building's unit count (单元数) bounds the units its households name.
ALTER TABLE places
    ADD COLUMN retired_at timestamptz,
    ADD COLUMN units smallint CHECK (units BETWEEN 1 AND 99),
    ADD CHECK (units IS NULL OR level = 'building');

-- ------------------------------------------------------------------ residents
-- gender and relationship (与户主关系) as the roster sheets keep them. An ID number (身份证号)
-- is never stored: only its keyed digest, to recognise the same person on the next import;
-- the key lives outside the database, so the digest cannot be reversed by trying numbers.
-- A resident who moves away or dies keeps the row (and their last household), with the
-- day it happened: nothing that points at them is lost.
ALTER TABLE residents
    ADD COLUMN gender text CHECK (gender IN ('male', 'female')),
    ADD COLUMN relationship text CHECK (length(relationship) BETWEEN 1 AND 20),
    ADD COLUMN id_digest bytea UNIQUE,
    ADD COLUMN left_on date,
    ADD COLUMN left_reason text CHECK (left_reason IN ('moved_away', 'died')),
    ADD CHECK ((left_on IS NULL) = (left_reason IS NULL));
CREATE INDEX residents_present ON residents (household_id) WHERE left_on IS NULL;

-- Where each resident lived, from which day until which day (until excluded, NULL: still
-- there). The roster as of day D is the residencies with since <= D < until.
CREATE TABLE residencies (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resident_id  bigint NOT NULL REFERENCES residents (id),
    household_id bigint NOT NULL REFERENCES places (id),
    since        date NOT NULL,
    until        date,
    CHECK (until IS NULL OR until > since)
);
CREATE INDEX residencies_resident ON residencies (resident_id, since);
CREATE INDEX residencies_household ON residencies (household_id, since);
-- At most one open residency per resident.
CREATE UNIQUE INDEX residencies_one_current ON residencies (resident_id) WHERE until IS NULL;

-- Owners of each exclusive part (专有部分: a household's flat), over time. resident_id NULL is
-- the developer (开发建设单位) holding a part it has not sold. Co-owners are several rows of
-- one household; named_voter marks the co-owner they named to vote for the part.
CREATE TABLE household_owners (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    household_id bigint NOT NULL REFERENCES places (id),
    resident_id  bigint REFERENCES residents (id),
    named_voter  boolean NOT NULL DEFAULT false,
    since        date NOT NULL,
    until        date,
    CHECK (until IS NULL OR until > since),
    CHECK (NOT (named_voter AND resident_id IS NULL))
);
CREATE INDEX household_owners_household ON household_owners (household_id, since);
CREATE INDEX household_owners_resident ON household_owners (resident_id, since);
CREATE UNIQUE INDEX household_owners_one_current ON household_owners (household_id, coalesce(resident_id, 0)) WHERE until IS NULL;

-- Every resident inserted, by whatever path (API, import, demo, generator), starts a
-- residency where they live; an owner flag still written by older code starts an ownership.
-- Statement-level, so a COPY of 300,000 residents costs one INSERT … SELECT.
CREATE FUNCTION residents_start_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO residencies (resident_id, household_id, since)
    SELECT n.id, n.household_id, (n.created_at AT TIME ZONE 'Asia/Shanghai')::date FROM new_rows n;
    INSERT INTO household_owners (household_id, resident_id, since)
    SELECT n.household_id, n.id, (n.created_at AT TIME ZONE 'Asia/Shanghai')::date FROM new_rows n WHERE n.is_owner;
    RETURN NULL;
END;
$$;
CREATE TRIGGER residents_start_history AFTER INSERT ON residents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION residents_start_history();

INSERT INTO residencies (resident_id, household_id, since)
SELECT id, household_id, (created_at AT TIME ZONE 'Asia/Shanghai')::date FROM residents ORDER BY id;
INSERT INTO household_owners (household_id, resident_id, since)
SELECT household_id, id, (created_at AT TIME ZONE 'Asia/Shanghai')::date FROM residents WHERE is_owner ORDER BY id;
