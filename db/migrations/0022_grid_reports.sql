-- Reports (事件上报) and the departments they may be whistled to (街乡吹哨、部门报到).
--
-- A report is made by a resident, a grid worker, a building leader or a mobile grid member
-- (流动网格员: couriers and riders) about a grid or a building. The grid accepts it and
-- settles it, or escalates it to the community, which settles it or whistles it to a
-- department (职能部门) with a deadline by category; the department reports in (报到), acts,
-- and resolves it; the reporter rates the outcome, and the community rates the department's
-- handling (打分考评). Every step is one report_events row (who, when, note).

ALTER TYPE role ADD VALUE 'mobile_grid_member';
ALTER TYPE role ADD VALUE 'department';

CREATE TYPE department_kind AS ENUM ('housing', 'urban_management', 'police', 'health',
    'market_supervision', 'civil_affairs', 'fire', 'other');

-- A department of the subdistrict's government, registered by its admin or staff.
CREATE TABLE departments (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subdistrict_id bigint NOT NULL REFERENCES places (id),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    kind           department_kind NOT NULL,
    created_by     bigint NOT NULL REFERENCES accounts (id),
    created_at     timestamptz NOT NULL,
    UNIQUE (subdistrict_id, name)
);

-- Which department an account works for. The account's rights come from its DEPARTMENT
-- grant at the subdistrict (so revoking the grant ends them, as for every role); this row
-- says for which department, and so which reports, it acts. One department per account.
CREATE TABLE department_members (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    department_id bigint NOT NULL REFERENCES departments (id),
    account_id    bigint NOT NULL REFERENCES accounts (id),
    role_grant_id bigint NOT NULL REFERENCES role_grants (id),
    added_by      bigint NOT NULL REFERENCES accounts (id),
    added_at      timestamptz NOT NULL
);
CREATE UNIQUE INDEX department_members_one ON department_members (account_id);
CREATE INDEX department_members_department ON department_members (department_id);

CREATE TYPE report_category AS ENUM ('environment', 'facility', 'fire_safety', 'dispute',
    'public_security', 'illegal_building', 'other');
CREATE TYPE report_urgency AS ENUM ('normal', 'urgent', 'emergency');
CREATE TYPE report_state AS ENUM ('reported', 'accepted', 'escalated', 'whistled', 'handling',
    'resolved', 'rated');
CREATE TYPE report_action AS ENUM ('report', 'accept', 'settle', 'escalate', 'whistle',
    'report_in', 'progress', 'resolve', 'rate', 'rate_department');
-- The level that settled a report.
CREATE TYPE report_level AS ENUM ('grid', 'community', 'department');

-- A community's deadlines: accept within accept_hours, settle or escalate within
-- settle_days (the grid), settle or whistle within settle_days (the community); a row
-- missing uses these defaults.
CREATE TABLE report_settings (
    community_id bigint PRIMARY KEY REFERENCES places (id),
    accept_hours integer NOT NULL DEFAULT 24 CHECK (accept_hours BETWEEN 1 AND 720),
    settle_days  integer NOT NULL DEFAULT 3 CHECK (settle_days BETWEEN 1 AND 90)
);
-- A department's deadline by category, set by the community; missing: Go's defaults
-- (db.DefaultReportDeadlineDays).
CREATE TABLE report_deadlines (
    community_id bigint NOT NULL REFERENCES places (id),
    category     report_category NOT NULL,
    days         integer NOT NULL CHECK (days BETWEEN 1 AND 90),
    PRIMARY KEY (community_id, category)
);

CREATE TABLE reports (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reporter_id       bigint NOT NULL REFERENCES accounts (id),
    -- A grid or a building; grid_id is its grid, community_id its community.
    place_id          bigint NOT NULL REFERENCES places (id),
    grid_id           bigint NOT NULL REFERENCES places (id),
    community_id      bigint NOT NULL REFERENCES places (id),
    category          report_category NOT NULL,
    urgency           report_urgency NOT NULL,
    description       text NOT NULL CHECK (length(description) BETWEEN 1 AND 1000),
    photo_urls        text[] NOT NULL DEFAULT '{}' CHECK (cardinality(photo_urls) <= 9),
    state             report_state NOT NULL DEFAULT 'reported',
    settled_level     report_level,
    department_id     bigint REFERENCES departments (id),
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    accepted_at       timestamptz,
    escalated_at      timestamptz,
    whistled_at       timestamptz,
    -- The department's deadline, fixed when whistled.
    due_at            timestamptz,
    reported_in_at    timestamptz,
    resolved_at       timestamptz,
    rating            smallint CHECK (rating BETWEEN 1 AND 5),
    rating_comment    text,
    rated_at          timestamptz,
    -- The community's rating of the department's handling (打分考评).
    department_rating         smallint CHECK (department_rating BETWEEN 1 AND 5),
    department_rating_comment text,
    department_rated_by       bigint REFERENCES accounts (id),
    department_rated_at       timestamptz,
    CHECK ((state IN ('resolved', 'rated')) = (settled_level IS NOT NULL)),
    CHECK ((department_id IS NULL) = (whistled_at IS NULL)),
    CHECK ((department_id IS NULL) = (due_at IS NULL)),
    CHECK (department_rating IS NULL OR settled_level = 'department')
);
CREATE INDEX reports_reporter ON reports (reporter_id, id);
CREATE INDEX reports_grid ON reports (grid_id, id);
CREATE INDEX reports_community ON reports (community_id, id);
CREATE INDEX reports_department ON reports (department_id, id) WHERE department_id IS NOT NULL;
CREATE INDEX reports_open ON reports (community_id, state) WHERE state IN ('reported', 'accepted', 'escalated', 'whistled', 'handling');

-- Every step, with who, when and the note (留痕); progress notes are steps that keep the state.
CREATE TABLE report_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id  bigint NOT NULL REFERENCES reports (id),
    at         timestamptz NOT NULL,
    action     report_action NOT NULL,
    actor_id   bigint REFERENCES accounts (id),
    from_state report_state,
    to_state   report_state NOT NULL,
    reason     text
);
CREATE INDEX report_events_report ON report_events (report_id, id);
CREATE TRIGGER report_events_append_only BEFORE UPDATE OR DELETE ON report_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
