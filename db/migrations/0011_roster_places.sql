-- Places kept through the API: the tree may now change shape (a household moves to another
-- building, a building to another grid, a grid to another compound) and places retire, and
-- the database still guarantees it is one tree: levels in order, so no cycles; every path
-- the parent's path plus the place's own id, the whole subtree's paths rewritten in the
-- statement that moves it; never across communities (roles, wishes and votes are scoped by
-- community); nothing new under a retired place.
--
-- The level above a subdistrict is not a place and no role grant stands for it: a new
-- subdistrict and its first admin are made by the operator with `linli setup` (README,
-- "Setting up places"); an admin of a subdistrict is the highest role the API knows.

-- One lock for the tree's shape. Moving and retiring take it exclusively, adding a place or
-- putting a resident in a household take it shared: a move never reads a parent's path that
-- another move is rewriting, and a retirement never misses a child or resident that is
-- being added. Callers that lock rows of places take it first (places_tree_lock(true)), so
-- the order is always this lock, then rows.
CREATE FUNCTION places_tree_lock(exclusive boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF exclusive THEN
        PERFORM pg_advisory_xact_lock(7236837489520);
    ELSE
        PERFORM pg_advisory_xact_lock_shared(7236837489520);
    END IF;
END;
$$;

-- The unit a household names ("2单元") lies within its building's unit count, when the
-- building has one.
CREATE FUNCTION places_unit_fits(unit text, units smallint) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT units IS NULL OR coalesce(substring(unit FROM '^([0-9]{1,2})单元$')::int BETWEEN 1 AND units, false)
$$;

CREATE OR REPLACE FUNCTION places_set_path() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parent places%ROWTYPE;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.level <> OLD.level OR NEW.id <> OLD.id THEN
            RAISE EXCEPTION 'a place cannot change level' USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.retired_at IS DISTINCT FROM OLD.retired_at THEN
            IF OLD.retired_at IS NOT NULL THEN
                RAISE EXCEPTION 'a retired place stays retired' USING ERRCODE = 'check_violation';
            END IF;
            PERFORM places_tree_lock(true);
            IF EXISTS (SELECT 1 FROM places WHERE parent_id = NEW.id AND retired_at IS NULL) THEN
                RAISE EXCEPTION 'place % still has live children', NEW.id USING ERRCODE = 'check_violation';
            END IF;
            IF EXISTS (SELECT 1 FROM residents WHERE household_id = NEW.id AND left_on IS NULL) THEN
                RAISE EXCEPTION 'household % still has residents', NEW.id USING ERRCODE = 'check_violation';
            END IF;
        END IF;
        IF NEW.units IS DISTINCT FROM OLD.units AND EXISTS (SELECT 1 FROM places h WHERE h.parent_id = NEW.id
                AND h.retired_at IS NULL AND NOT places_unit_fits(h.unit, NEW.units)) THEN
            RAISE EXCEPTION 'building % has households outside % units', NEW.id, NEW.units USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.parent_id IS NOT DISTINCT FROM OLD.parent_id THEN
            -- Only the rewrite of a moved subtree (places_move_subtree, one trigger level
            -- down) changes the path of a place that keeps its parent.
            IF NEW.path <> OLD.path AND pg_trigger_depth() < 2 THEN
                RAISE EXCEPTION 'a place''s path is kept by the database' USING ERRCODE = 'check_violation';
            END IF;
            IF NEW.level = 'household' AND (NEW.unit IS DISTINCT FROM OLD.unit) THEN
                SELECT * INTO parent FROM places WHERE id = NEW.parent_id;
                IF NOT places_unit_fits(NEW.unit, parent.units) THEN
                    RAISE EXCEPTION 'unit % is not within building %''s % units', NEW.unit, parent.id, parent.units USING ERRCODE = 'check_violation';
                END IF;
            END IF;
            RETURN NEW;
        END IF;
        IF NEW.level IN ('subdistrict', 'community') THEN
            RAISE EXCEPTION 'a % does not move', NEW.level USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.retired_at IS NOT NULL THEN
            RAISE EXCEPTION 'a retired place does not move' USING ERRCODE = 'check_violation';
        END IF;
        PERFORM places_tree_lock(true);
    ELSE
        IF NEW.parent_id IS NULL THEN
            NEW.path := ARRAY[NEW.id];
            RETURN NEW;
        END IF;
        PERFORM places_tree_lock(false);
    END IF;
    -- Read after the lock: in a function each query sees what committed before it began.
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
    -- Levels in order already rule out a cycle; this says so where anyone reading looks.
    IF NEW.id = ANY (parent.path) THEN
        RAISE EXCEPTION 'place % cannot move under itself', NEW.id USING ERRCODE = 'check_violation';
    END IF;
    IF parent.retired_at IS NOT NULL THEN
        RAISE EXCEPTION 'place % is retired and takes no new places', parent.id USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND parent.path[2] IS DISTINCT FROM OLD.path[2] THEN
        RAISE EXCEPTION 'a place does not move to another community' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.level = 'household' AND NOT places_unit_fits(NEW.unit, parent.units) THEN
        RAISE EXCEPTION 'unit % is not within building %''s % units', NEW.unit, parent.id, parent.units USING ERRCODE = 'check_violation';
    END IF;
    NEW.path := parent.path || NEW.id;
    RETURN NEW;
END;
$$;

-- A moved place's subtree follows it, in the same statement; so do the figures of the wishes
-- of the people living there (wish_stats keeps where each beneficiary lives at every level,
-- and must stay equal to a plain recount, wish_stats_source). Only rows still under the old
-- path move: a superuser's UPDATE that moves a place and something under it at once leaves
-- the inner one where its own move put it.
CREATE FUNCTION places_move_subtree() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE places SET path = NEW.path || path[cardinality(OLD.path) + 1:]
    WHERE path @> ARRAY[OLD.id] AND id <> OLD.id AND path[1:cardinality(OLD.path)] = OLD.path;
    UPDATE wish_stats ws SET subdistrict_id = s.subdistrict_id, community_id = s.community_id,
        compound_id = s.compound_id, grid_id = s.grid_id, building_id = s.building_id
    FROM wish_stats_source s
    WHERE s.wish_id = ws.wish_id AND ws.wish_id IN (SELECT w.id FROM wishes w
        JOIN residents r ON r.id = w.beneficiary_id JOIN places h ON h.id = r.household_id
        WHERE h.path @> ARRAY[NEW.id]);
    -- A wish shown in its beneficiary's grid (not the whole community) is shown in the grid
    -- they now live in: the grid's worker and volunteers are the ones who can help.
    UPDATE wishes w SET place_id = h.path[cardinality(h.path) - 2]
    FROM residents r JOIN places h ON h.id = r.household_id
    WHERE r.id = w.beneficiary_id AND h.path @> ARRAY[NEW.id]
        AND w.place_id <> w.community_id AND w.place_id <> h.path[cardinality(h.path) - 2];
    RETURN NULL;
END;
$$;
CREATE TRIGGER places_move_subtree AFTER UPDATE OF parent_id ON places
    FOR EACH ROW WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id) EXECUTE FUNCTION places_move_subtree();

-- Live households are unique per building, unit and room.
CREATE UNIQUE INDEX places_household_address ON places (parent_id, coalesce(unit, ''), room)
    WHERE level = 'household' AND retired_at IS NULL;

-- A resident comes into a live household only.
CREATE OR REPLACE FUNCTION residents_household_level() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM places_tree_lock(false);
    IF NOT EXISTS (SELECT 1 FROM places WHERE id = NEW.household_id AND level = 'household') THEN
        RAISE EXCEPTION 'place % is not a household', NEW.household_id USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM places WHERE id = NEW.household_id AND retired_at IS NOT NULL) THEN
        RAISE EXCEPTION 'household % is retired and takes no new residents', NEW.household_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

-- Community settings: the bounds the API checks (db/roster_settings.go, settingBounds) are
-- these, so a value the API accepts the database accepts and the other way round.
ALTER TABLE community_settings
    ADD CONSTRAINT community_settings_wish_value_cap_bounds CHECK (wish_value_cap_fen BETWEEN 100 AND 500000),
    ADD CONSTRAINT community_settings_claim_limit_bounds CHECK (claim_limit BETWEEN 1 AND 1000),
    ADD CONSTRAINT community_settings_claim_hours_bounds CHECK (claim_hours BETWEEN 1 AND 720),
    ADD CONSTRAINT community_settings_points_per_hour_bounds CHECK (points_per_hour BETWEEN 0 AND 1000),
    ADD CONSTRAINT community_settings_cosign_threshold_bounds CHECK (cosign_threshold BETWEEN 1 AND 1000);

ALTER TYPE audit_action ADD VALUE 'place_created';
ALTER TYPE audit_action ADD VALUE 'place_changed';
ALTER TYPE audit_action ADD VALUE 'place_moved';
ALTER TYPE audit_action ADD VALUE 'place_retired';
ALTER TYPE audit_action ADD VALUE 'settings_changed';
