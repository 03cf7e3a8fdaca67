-- The needs list (需求清单) and the projects list (项目清单) of dual reporting (双报到): what
-- residents need that one volunteer cannot do, gathered from wishes too large, topics and
-- visits, reviewed by staff into needs; matched to organisations that take them on as
-- projects.

-- A wish too large for one volunteer ends closed, "turned into a need" (转为需求).
ALTER TYPE wish_action ADD VALUE 'to_need';

CREATE TYPE need_source AS ENUM ('wish', 'topic', 'visit');
CREATE TYPE need_state AS ENUM ('open', 'matching', 'project', 'closed');
CREATE TYPE need_urgency AS ENUM ('low', 'normal', 'high', 'urgent');
CREATE TYPE need_action AS ENUM ('create', 'propose', 'decline', 'accept', 'close');

CREATE TABLE needs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source          need_source NOT NULL,
    -- One need per wish and per topic: the link goes both ways.
    wish_id         bigint UNIQUE REFERENCES wishes (id),
    topic_id        bigint UNIQUE REFERENCES topics (id),
    -- A household visit (入户走访, migration 0021) the need came from; its foreign key is
    -- added where the visits are.
    visit_id        bigint,
    -- Where the need is: the community or a place below it (never a household).
    place_id        bigint NOT NULL REFERENCES places (id),
    community_id    bigint NOT NULL REFERENCES places (id),
    -- The resources list's categories (0023), so that needs and offers match.
    category        service_category NOT NULL,
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    description     text NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
    people_affected integer NOT NULL CHECK (people_affected BETWEEN 1 AND 100000),
    budget_fen      bigint CHECK (budget_fen BETWEEN 0 AND 2000000000),
    urgency         need_urgency NOT NULL,
    state           need_state NOT NULL DEFAULT 'open',
    closing_reason  text,
    -- When an organisation first accepted it (the project started): time to match.
    matched_at      timestamptz,
    created_by      bigint NOT NULL REFERENCES accounts (id),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CHECK ((source = 'wish') = (wish_id IS NOT NULL)),
    CHECK ((source = 'topic') = (topic_id IS NOT NULL)),
    CHECK (source <> 'visit' OR (wish_id IS NULL AND topic_id IS NULL)),
    CHECK ((state = 'closed') = (closing_reason IS NOT NULL)),
    CHECK ((state = 'project') <= (matched_at IS NOT NULL))
);
CREATE INDEX needs_community ON needs (community_id, id);

CREATE TABLE need_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    need_id    bigint NOT NULL REFERENCES needs (id),
    at         timestamptz NOT NULL,
    action     need_action NOT NULL,
    actor_id   bigint REFERENCES accounts (id),
    from_state need_state,
    to_state   need_state NOT NULL,
    reason     text
);
CREATE INDEX need_events_need ON need_events (need_id, id);

-- ------------------------------------------------------------------ matching (精准对接)
-- Staff propose a need to an organisation, with the plan it would take on (goal, schedule,
-- budget or goods), optionally naming the offer of its resources list that fits; the
-- organisation's contact accepts (the project starts, or the organisation joins it) or
-- declines with a reason.
CREATE TYPE proposal_state AS ENUM ('pending', 'accepted', 'declined');

CREATE TABLE need_proposals (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    need_id         bigint NOT NULL REFERENCES needs (id),
    organisation_id bigint NOT NULL REFERENCES organisations (id),
    resource_id     bigint REFERENCES resources (id),
    note            text CHECK (length(note) <= 500),
    goal            text NOT NULL CHECK (length(goal) BETWEEN 1 AND 1000),
    due_at          timestamptz NOT NULL,
    budget_fen      bigint CHECK (budget_fen BETWEEN 0 AND 2000000000),
    goods           text CHECK (length(goods) <= 500),
    proposed_by     bigint NOT NULL REFERENCES accounts (id),
    proposed_at     timestamptz NOT NULL,
    state           proposal_state NOT NULL DEFAULT 'pending',
    answered_by     bigint REFERENCES accounts (id),
    answered_at     timestamptz,
    decline_reason  text,
    CHECK ((state = 'pending') = (answered_at IS NULL)),
    CHECK ((state = 'declined') = (decline_reason IS NOT NULL))
);
-- One open question to an organisation per need.
CREATE UNIQUE INDEX need_proposals_one_pending ON need_proposals (need_id, organisation_id) WHERE state = 'pending';
CREATE INDEX need_proposals_need ON need_proposals (need_id, id);
CREATE INDEX need_proposals_organisation ON need_proposals (organisation_id, id);

-- ------------------------------------------------------------------ the projects list (项目清单)
CREATE TYPE project_state AS ENUM ('running', 'completed');

CREATE TABLE projects (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- One project per need: two acceptances at once start one project, the later joins it.
    need_id       bigint NOT NULL UNIQUE REFERENCES needs (id),
    place_id      bigint NOT NULL REFERENCES places (id),
    community_id  bigint NOT NULL REFERENCES places (id),
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    goal          text NOT NULL CHECK (length(goal) BETWEEN 1 AND 1000),
    budget_fen    bigint CHECK (budget_fen BETWEEN 0 AND 2000000000),
    goods         text CHECK (length(goods) <= 500),
    starts_at     timestamptz NOT NULL,
    due_at        timestamptz NOT NULL,
    state         project_state NOT NULL DEFAULT 'running',
    result        text CHECK (length(result) BETWEEN 1 AND 5000),
    completed_at  timestamptz,
    updated_at    timestamptz NOT NULL,
    CHECK ((state = 'completed') = (completed_at IS NOT NULL)),
    CHECK ((state = 'completed') = (result IS NOT NULL))
);
CREATE INDEX projects_community ON projects (community_id, id);

-- The organisations that took a project on, each by its accepted proposal.
CREATE TABLE project_organisations (
    project_id      bigint NOT NULL REFERENCES projects (id),
    organisation_id bigint NOT NULL REFERENCES organisations (id),
    proposal_id     bigint NOT NULL UNIQUE REFERENCES need_proposals (id),
    joined_at       timestamptz NOT NULL,
    PRIMARY KEY (project_id, organisation_id)
);
CREATE INDEX project_organisations_organisation ON project_organisations (organisation_id);

CREATE TABLE project_milestones (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id),
    title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    due_at     timestamptz NOT NULL,
    done_at    timestamptz,
    done_by    bigint REFERENCES accounts (id),
    done_note  text CHECK (length(done_note) BETWEEN 1 AND 1000),
    created_by bigint NOT NULL REFERENCES accounts (id),
    created_at timestamptz NOT NULL,
    CHECK ((done_at IS NULL) = (done_by IS NULL) AND (done_at IS NULL) = (done_note IS NULL))
);
CREATE INDEX project_milestones_project ON project_milestones (project_id, id);

-- The people taking part: members of the project's organisations.
CREATE TABLE project_people (
    project_id      bigint NOT NULL REFERENCES projects (id),
    account_id      bigint NOT NULL REFERENCES accounts (id),
    organisation_id bigint NOT NULL REFERENCES organisations (id),
    added_by        bigint NOT NULL REFERENCES accounts (id),
    added_at        timestamptz NOT NULL,
    PRIMARY KEY (project_id, account_id)
);

CREATE TABLE project_reports (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id),
    author_id  bigint NOT NULL REFERENCES accounts (id),
    body       text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    -- Service hours this report accounts for (for the home units' service records).
    minutes    integer NOT NULL DEFAULT 0 CHECK (minutes BETWEEN 0 AND 100000),
    created_at timestamptz NOT NULL
);
CREATE INDEX project_reports_project ON project_reports (project_id, id);

-- Residents' rating of a completed project (群众评议), once each.
CREATE TABLE project_ratings (
    project_id  bigint NOT NULL REFERENCES projects (id),
    resident_id bigint NOT NULL REFERENCES residents (id),
    score       smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment     text CHECK (length(comment) <= 500),
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (project_id, resident_id)
);
