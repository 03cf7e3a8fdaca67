-- Ownership as the law counts it (最高人民法院关于审理建筑物区分所有权纠纷案件适用法律若干问题的
-- 解释, arts. 8–9). household_owners is now the only record of who owns what: residents.is_owner
-- goes. An owners' roll counts heads by exclusive part (专有部分): co-owners of one part are one
-- head, a buyer of several parts is one head, the developer's parts together are one head. A
-- head may have several people who could cast its one ballot (co-owners), or none (the
-- developer, owners without a verified account), so the rolls get a head key:
--   * meeting_entitled, vote_entitled: one row per entry of the roll. For owners, one row per
--     exclusive part, carrying the part's area; the head's possible voters sit on rows of the
--     head (a co-owner beyond the first gets a row of its own with area 0), each voter on one
--     row only; a part nobody can cast for has resident_id NULL. For the other bases, one row
--     per person, head = resident_id, as before.
--   * vote_participation: who took part, now with the head they cast for, unique per head: the
--     database refuses a second ballot for one head, whoever of its co-owners tries.

-- ------------------------------------------------------------------ ownership
-- Every inserted resident still starts a residency; ownership is recorded apart, in
-- household_owners, by whoever knows it (staff, import, registration, demo, generator).
CREATE OR REPLACE FUNCTION residents_start_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO residencies (resident_id, household_id, since)
    SELECT n.id, n.household_id, (n.created_at AT TIME ZONE 'Asia/Shanghai')::date FROM new_rows n;
    RETURN NULL;
END;
$$;
ALTER TABLE residents DROP COLUMN is_owner;

-- At most one co-owner of a part is its named voter at a time.
CREATE UNIQUE INDEX household_owners_one_named ON household_owners (household_id) WHERE until IS NULL AND named_voter;
-- The developer holds a part alone: no co-owners beside it. Statement-level, so a bulk
-- insert costs one check.
CREATE FUNCTION household_owners_developer_alone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM household_owners o WHERE o.until IS NULL
            AND o.household_id IN (SELECT household_id FROM changed)
            GROUP BY o.household_id HAVING bool_or(o.resident_id IS NULL) AND bool_or(o.resident_id IS NOT NULL)) THEN
        RAISE EXCEPTION 'a part is held by the developer or by owners, not both' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER household_owners_developer_alone_insert AFTER INSERT ON household_owners
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION household_owners_developer_alone();
CREATE TRIGGER household_owners_developer_alone_update AFTER UPDATE ON household_owners
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION household_owners_developer_alone();

ALTER TYPE audit_action ADD VALUE 'owners_set';
ALTER TYPE audit_action ADD VALUE 'named_voter_set';

-- ------------------------------------------------------------------ rolls by head
-- An insert that names no head (the other bases, older code) is its own head.
CREATE FUNCTION roll_default_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.head IS NULL THEN
        NEW.head := NEW.resident_id;
    END IF;
    RETURN NEW;
END;
$$;

ALTER TABLE meeting_attendance DROP CONSTRAINT meeting_attendance_meeting_id_resident_id_fkey;
ALTER TABLE meeting_entitled ADD COLUMN head bigint;
UPDATE meeting_entitled SET head = resident_id;
ALTER TABLE meeting_entitled DROP CONSTRAINT meeting_entitled_pkey;
ALTER TABLE meeting_entitled ALTER COLUMN head SET NOT NULL,
    ALTER COLUMN resident_id DROP NOT NULL,
    ADD UNIQUE (meeting_id, resident_id);
CREATE INDEX meeting_entitled_head ON meeting_entitled (meeting_id, head);
CREATE TRIGGER meeting_entitled_head BEFORE INSERT ON meeting_entitled FOR EACH ROW EXECUTE FUNCTION roll_default_head();
ALTER TABLE meeting_attendance ADD FOREIGN KEY (meeting_id, resident_id) REFERENCES meeting_entitled (meeting_id, resident_id);

ALTER TABLE vote_participation DROP CONSTRAINT vote_participation_vote_id_resident_id_fkey;
ALTER TABLE vote_entitled ADD COLUMN head bigint;
UPDATE vote_entitled SET head = resident_id;
ALTER TABLE vote_entitled DROP CONSTRAINT vote_entitled_pkey;
ALTER TABLE vote_entitled ALTER COLUMN head SET NOT NULL,
    ALTER COLUMN resident_id DROP NOT NULL,
    ADD UNIQUE (vote_id, resident_id),
    ADD UNIQUE (vote_id, resident_id, head);
CREATE INDEX vote_entitled_head ON vote_entitled (vote_id, head);
CREATE TRIGGER vote_entitled_head BEFORE INSERT ON vote_entitled FOR EACH ROW EXECUTE FUNCTION roll_default_head();

-- A participation names its head from the roll when the insert does not.
CREATE FUNCTION vote_participation_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.head IS NULL THEN
        SELECT e.head INTO NEW.head FROM vote_entitled e WHERE e.vote_id = NEW.vote_id AND e.resident_id = NEW.resident_id;
    END IF;
    RETURN NEW;
END;
$$;
ALTER TABLE vote_participation ADD COLUMN head bigint;
UPDATE vote_participation SET head = resident_id;
ALTER TABLE vote_participation ALTER COLUMN head SET NOT NULL,
    ADD UNIQUE (vote_id, head),
    ADD FOREIGN KEY (vote_id, resident_id, head) REFERENCES vote_entitled (vote_id, resident_id, head);
CREATE TRIGGER vote_participation_head BEFORE INSERT ON vote_participation FOR EACH ROW EXECUTE FUNCTION vote_participation_head();
