-- Deliberation (议事协商), last slice. Votes may stand on their own (online, outside a meeting),
-- carry a custom rule, and keep their own roll; votes close on their own at their closing
-- time; a passed motion yields a resolution (决议), published for a notice period in which
-- residents may object; the committee carries it out as tasks with progress reports, the
-- supervisory committee (监委会) comments or raises concerns, and residents rate the result.

-- ------------------------------------------------------------------ votes
ALTER TABLE votes ALTER COLUMN meeting_id DROP NOT NULL;
ALTER TABLE votes
    ADD COLUMN place_id     bigint REFERENCES places (id),
    ADD COLUMN community_id bigint REFERENCES places (id),
    ADD COLUMN basis        entitlement_basis,
    -- The whole rule, for presets too, so a vote says what it was decided under.
    ADD COLUMN quorum_num    bigint,
    ADD COLUMN quorum_den    bigint,
    ADD COLUMN quorum_strict boolean,
    ADD COLUMN pass_num      bigint,
    ADD COLUMN pass_den      bigint,
    ADD COLUMN pass_strict   boolean,
    ADD COLUMN by_area       boolean,
    ADD COLUMN quorum_basis  text CHECK (quorum_basis IN ('present', 'voted')),
    ADD COLUMN abstentions   text CHECK (abstentions IN ('as_present_not_approving', 'excluded'));

UPDATE votes v SET place_id = m.place_id, community_id = m.community_id, basis = m.basis
FROM meetings m WHERE m.id = v.meeting_id;
UPDATE votes SET
    quorum_num = CASE WHEN rule IN ('representatives_meeting', 'owners_ordinary', 'owners_major') THEN 2 ELSE 1 END,
    quorum_den = CASE WHEN rule IN ('representatives_meeting', 'owners_ordinary', 'owners_major') THEN 3 ELSE 2 END,
    quorum_strict = rule NOT IN ('representatives_meeting', 'owners_ordinary', 'owners_major'),
    pass_num = CASE WHEN rule = 'owners_major' THEN 3 ELSE 1 END,
    pass_den = CASE WHEN rule = 'owners_major' THEN 4 ELSE 2 END,
    pass_strict = rule <> 'owners_major',
    by_area = rule IN ('owners_ordinary', 'owners_major'),
    quorum_basis = CASE WHEN rule IN ('owners_ordinary', 'owners_major') THEN 'voted' ELSE 'present' END,
    abstentions = 'as_present_not_approving';

ALTER TABLE votes
    ALTER COLUMN place_id SET NOT NULL, ALTER COLUMN community_id SET NOT NULL, ALTER COLUMN basis SET NOT NULL,
    ALTER COLUMN quorum_num SET NOT NULL, ALTER COLUMN quorum_den SET NOT NULL, ALTER COLUMN quorum_strict SET NOT NULL,
    ALTER COLUMN pass_num SET NOT NULL, ALTER COLUMN pass_den SET NOT NULL, ALTER COLUMN pass_strict SET NOT NULL,
    ALTER COLUMN by_area SET NOT NULL, ALTER COLUMN quorum_basis SET NOT NULL, ALTER COLUMN abstentions SET NOT NULL,
    DROP CONSTRAINT votes_rule_check,
    ADD CHECK (rule IN ('residents_assembly', 'representatives_meeting', 'owners_ordinary', 'owners_major',
        'council_majority', 'custom')),
    ADD CHECK (quorum_den > 0 AND quorum_num BETWEEN 0 AND quorum_den AND NOT (quorum_strict AND quorum_num = quorum_den)),
    ADD CHECK (pass_den > 0 AND pass_num BETWEEN 0 AND pass_den AND NOT (pass_strict AND pass_num = pass_den)
        AND (pass_num > 0 OR pass_strict));
CREATE INDEX votes_community ON votes (community_id, id);
CREATE INDEX votes_topic ON votes (topic_id, id);
-- The sweeper finds the votes due to close.
CREATE INDEX votes_due ON votes (closes_at) WHERE state = 'open';

CREATE OR REPLACE FUNCTION votes_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state = 'closed' THEN
        RAISE EXCEPTION 'a closed vote is final' USING ERRCODE = 'check_violation';
    END IF;
    IF (NEW.secret, NEW.changeable, NEW.rule, NEW.motion, NEW.meeting_id, NEW.topic_id, NEW.opens_at, NEW.closes_at,
            NEW.place_id, NEW.community_id, NEW.basis, NEW.quorum_num, NEW.quorum_den, NEW.quorum_strict, NEW.pass_num,
            NEW.pass_den, NEW.pass_strict, NEW.by_area, NEW.quorum_basis, NEW.abstentions)
        IS DISTINCT FROM (OLD.secret, OLD.changeable, OLD.rule, OLD.motion, OLD.meeting_id, OLD.topic_id, OLD.opens_at,
            OLD.closes_at, OLD.place_id, OLD.community_id, OLD.basis, OLD.quorum_num, OLD.quorum_den, OLD.quorum_strict,
            OLD.pass_num, OLD.pass_den, OLD.pass_strict, OLD.by_area, OLD.quorum_basis, OLD.abstentions) THEN
        RAISE EXCEPTION 'a vote''s rule, secrecy and changeability are fixed when it opens' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

-- Each vote's roll, fixed when it opens: a meeting's votes copy the meeting's roll; a
-- standalone vote draws its own. building_id is kept for turnout per building.
CREATE TABLE vote_entitled (
    vote_id      bigint NOT NULL REFERENCES votes (id),
    resident_id  bigint NOT NULL REFERENCES residents (id),
    household_id bigint NOT NULL REFERENCES places (id),
    building_id  bigint REFERENCES places (id),
    area_dm2     bigint NOT NULL DEFAULT 0 CHECK (area_dm2 >= 0),
    PRIMARY KEY (vote_id, resident_id)
);
INSERT INTO vote_entitled (vote_id, resident_id, household_id, building_id, area_dm2)
SELECT v.id, e.resident_id, e.household_id,
    (SELECT b.id FROM places h JOIN places b ON b.id = ANY (h.path) AND b.level = 'building' WHERE h.id = e.household_id),
    e.area_dm2
FROM votes v JOIN meeting_entitled e ON e.meeting_id = v.meeting_id;
-- Only someone on the roll can take part, whatever the code does.
ALTER TABLE vote_participation ADD FOREIGN KEY (vote_id, resident_id) REFERENCES vote_entitled (vote_id, resident_id);

-- ------------------------------------------------------------------ topics
ALTER TYPE topic_action ADD VALUE 'discuss';
ALTER TYPE topic_action ADD VALUE 'vote';
ALTER TYPE topic_action ADD VALUE 'publish_resolution';
ALTER TYPE topic_action ADD VALUE 'reopen';
ALTER TYPE topic_action ADD VALUE 'carry_out';
ALTER TYPE topic_action ADD VALUE 'publish_result';
ALTER TYPE topic_action ADD VALUE 'rate';

-- ------------------------------------------------------------------ resolutions
-- How long a resolution is published for objections (公示期), in days.
ALTER TABLE community_settings
    ADD COLUMN notice_days integer NOT NULL DEFAULT 7 CHECK (notice_days BETWEEN 1 AND 30);

CREATE TYPE resolution_state AS ENUM ('in_notice', 'being_carried_out', 'result_published', 'revoked');

CREATE TABLE resolutions (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic_id            bigint NOT NULL REFERENCES topics (id),
    -- The passed vote it records.
    vote_id             bigint NOT NULL UNIQUE REFERENCES votes (id),
    community_id        bigint NOT NULL REFERENCES places (id),
    title               text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    state               resolution_state NOT NULL DEFAULT 'in_notice',
    published_at        timestamptz NOT NULL,
    notice_ends_at      timestamptz NOT NULL,
    carried_out_from    timestamptz,
    result              text CHECK (length(result) BETWEEN 1 AND 5000),
    result_published_at timestamptz,
    revoked_reason      text,
    updated_at          timestamptz NOT NULL,
    CHECK (notice_ends_at > published_at),
    CHECK ((result IS NOT NULL) = (result_published_at IS NOT NULL)),
    CHECK ((state = 'result_published') = (result IS NOT NULL)),
    CHECK ((state = 'revoked') = (revoked_reason IS NOT NULL)),
    CHECK (state IN ('in_notice', 'revoked') OR carried_out_from IS NOT NULL)
);
-- A topic has at most one resolution in force.
CREATE UNIQUE INDEX resolutions_topic ON resolutions (topic_id) WHERE state <> 'revoked';
CREATE INDEX resolutions_community ON resolutions (community_id, id);

-- Objections (异议) during the notice period: one per person, answered by the council.
CREATE TABLE resolution_objections (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resolution_id bigint NOT NULL REFERENCES resolutions (id),
    author_id     bigint NOT NULL REFERENCES accounts (id),
    reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
    created_at    timestamptz NOT NULL,
    answer        text CHECK (length(answer) BETWEEN 1 AND 2000),
    answered_by   bigint REFERENCES accounts (id),
    answered_at   timestamptz,
    -- Whether the council found the objection well founded; then the resolution is revoked.
    upheld        boolean,
    UNIQUE (resolution_id, author_id),
    CHECK ((answer IS NULL) = (answered_at IS NULL) AND (answer IS NULL) = (answered_by IS NULL)
        AND (answer IS NULL) = (upheld IS NULL))
);
CREATE INDEX resolution_objections_resolution ON resolution_objections (resolution_id, id);

CREATE TYPE task_state AS ENUM ('open', 'done');

-- Tasks (任务) the committee carries a resolution out by.
CREATE TABLE resolution_tasks (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resolution_id bigint NOT NULL REFERENCES resolutions (id),
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    assignee_id   bigint NOT NULL REFERENCES accounts (id),
    due_at        timestamptz NOT NULL,
    state         task_state NOT NULL DEFAULT 'open',
    done_at       timestamptz,
    created_by    bigint NOT NULL REFERENCES accounts (id),
    created_at    timestamptz NOT NULL,
    CHECK ((state = 'done') = (done_at IS NOT NULL))
);
CREATE INDEX resolution_tasks_resolution ON resolution_tasks (resolution_id, id);
CREATE INDEX resolution_tasks_assignee ON resolution_tasks (assignee_id, id);

-- Progress reports (进展), append-only; the one that says done closes the task.
CREATE TABLE task_reports (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id    bigint NOT NULL REFERENCES resolution_tasks (id),
    author_id  bigint NOT NULL REFERENCES accounts (id),
    body       text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    done       boolean NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX task_reports_task ON task_reports (task_id, id);
CREATE TRIGGER task_reports_append_only BEFORE UPDATE OR DELETE ON task_reports
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- Supervisors' notes (监督意见): a comment, or a concern that holds back the result until the
-- committee answers it.
CREATE TABLE task_supervision (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id     bigint NOT NULL REFERENCES resolution_tasks (id),
    author_id   bigint NOT NULL REFERENCES accounts (id),
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    concern     boolean NOT NULL,
    created_at  timestamptz NOT NULL,
    answer      text CHECK (length(answer) BETWEEN 1 AND 2000),
    answered_by bigint REFERENCES accounts (id),
    answered_at timestamptz,
    CHECK ((answer IS NULL) = (answered_at IS NULL) AND (answer IS NULL) = (answered_by IS NULL)),
    CHECK (concern OR answer IS NULL)
);
CREATE INDEX task_supervision_task ON task_supervision (task_id, id);

-- Residents' rating of the result (群众评议): one per resident, 1–5.
CREATE TABLE result_ratings (
    resolution_id bigint NOT NULL REFERENCES resolutions (id),
    resident_id   bigint NOT NULL REFERENCES residents (id),
    score         smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment       text CHECK (length(comment) BETWEEN 1 AND 500),
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (resolution_id, resident_id)
);
