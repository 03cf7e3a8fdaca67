-- Grid work, first half (issue 17): household care assignments (包联), visits and the
-- people's-conditions diary (入户走访, 民情日记), the visiting rhythm per vulnerable tag and the
-- reminder of an overdue visit.

-- ------------------------------------------------------------------ care assignments
-- A person who looks after a household (包联): a party member, council member or volunteer
-- of its community, placed there by staff. Ending an assignment stamps it; the row stays,
-- so who looked after a household, from when to when, is kept.
CREATE TABLE care_assignments (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    household_id bigint NOT NULL REFERENCES places (id),
    account_id   bigint NOT NULL REFERENCES accounts (id),
    -- The role they hold in the community that made them eligible, as it was when assigned.
    role         role NOT NULL CHECK (role IN ('party_member', 'council_member', 'volunteer')),
    since        date NOT NULL,
    until        date,
    assigned_by  bigint NOT NULL REFERENCES accounts (id),
    assigned_at  timestamptz NOT NULL,
    ended_by     bigint REFERENCES accounts (id),
    ended_at     timestamptz,
    CHECK ((ended_at IS NULL) = (until IS NULL) AND (ended_at IS NULL) = (ended_by IS NULL)),
    CHECK (until IS NULL OR until >= since)
);
-- One current assignment of a person to a household: two staff assigning at once make one.
CREATE UNIQUE INDEX care_assignments_current ON care_assignments (household_id, account_id) WHERE ended_at IS NULL;
CREATE INDEX care_assignments_account ON care_assignments (account_id, id) WHERE ended_at IS NULL;

-- ------------------------------------------------------------------ visits
-- One visit (one round may cover several households of one grid). Visit notes are
-- personal data: read by the community's staff, the grid's grid workers and the author.
-- need_category is the need found, if any (未诉先办: found before anyone asked).
CREATE TABLE visits (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    grid_id          bigint NOT NULL REFERENCES places (id),
    community_id     bigint NOT NULL REFERENCES places (id),
    visited_at       timestamptz NOT NULL,
    recorded_by      bigint NOT NULL REFERENCES accounts (id),
    recorded_at      timestamptz NOT NULL,
    -- Whom they met, beyond the residents listed in visit_residents ("邻居张阿姨").
    met_others       text CHECK (length(met_others) BETWEEN 1 AND 200),
    findings         text NOT NULL CHECK (length(findings) BETWEEN 1 AND 2000),
    follow_up_needed boolean NOT NULL,
    follow_up        text CHECK (length(follow_up) BETWEEN 1 AND 1000),
    need_category    wish_category,
    CHECK (follow_up IS NULL OR follow_up_needed),
    CHECK (visited_at <= recorded_at)
);
CREATE INDEX visits_grid ON visits (grid_id, visited_at);
CREATE INDEX visits_community ON visits (community_id, visited_at);
CREATE INDEX visits_author ON visits (recorded_by, id);

CREATE TABLE visit_households (
    visit_id     bigint NOT NULL REFERENCES visits (id),
    household_id bigint NOT NULL REFERENCES places (id),
    PRIMARY KEY (visit_id, household_id)
);
CREATE INDEX visit_households_household ON visit_households (household_id, visit_id);

CREATE TABLE visit_residents (
    visit_id    bigint NOT NULL REFERENCES visits (id),
    resident_id bigint NOT NULL REFERENCES residents (id),
    PRIMARY KEY (visit_id, resident_id)
);

-- What came of a visit: exactly one subject per row. Branch reports adds
-- `report_id bigint UNIQUE REFERENCES reports (id)` and widens the check to three.
CREATE TABLE visit_outcomes (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    visit_id bigint NOT NULL REFERENCES visits (id),
    wish_id  bigint UNIQUE REFERENCES wishes (id),
    topic_id bigint UNIQUE REFERENCES topics (id),
    CONSTRAINT visit_outcomes_one_subject CHECK (num_nonnulls(wish_id, topic_id) = 1)
);
CREATE INDEX visit_outcomes_visit ON visit_outcomes (visit_id, id);

-- ------------------------------------------------------------------ rhythm
-- Days between visits to a household with a resident carrying the tag, set by the
-- community; a tag without a row uses visit_rhythm_default. A household's rhythm is the
-- shortest of its current residents' tags.
CREATE TABLE visit_rhythms (
    community_id bigint NOT NULL REFERENCES places (id),
    tag          text NOT NULL CHECK (tag IN ('elderly_alone', 'minimum_income', 'disabled')),
    every_days   integer NOT NULL CHECK (every_days BETWEEN 1 AND 365),
    updated_by   bigint NOT NULL REFERENCES accounts (id),
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (community_id, tag)
);

-- Elderly people living alone weekly, the disabled every two weeks, minimum-income
-- households monthly. Mirrored by db.DefaultVisitRhythm.
CREATE FUNCTION visit_rhythm_default(tag text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE tag WHEN 'elderly_alone' THEN 7 WHEN 'disabled' THEN 14 WHEN 'minimum_income' THEN 30 END
$$;

-- ------------------------------------------------------------------ reminder
-- A visit overdue: to the grid workers over the household and those assigned to it, once
-- per household and overdue period (the day the visit fell due; NULL: never visited).
ALTER TYPE notification_kind ADD VALUE 'visit_overdue';
ALTER TABLE notifications
    ADD COLUMN household_id bigint REFERENCES places (id),
    ADD COLUMN visit_due_on date;
CREATE UNIQUE INDEX notifications_visit_overdue_once ON notifications (household_id, visit_due_on, account_id)
    NULLS NOT DISTINCT WHERE household_id IS NOT NULL;
