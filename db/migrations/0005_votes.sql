-- Deliberation (议事协商), third slice: votes (表决) within a running meeting. The entitled roll
-- is the meeting's roll, fixed when it started. A secret vote (无记名投票) stores WHO took part
-- (vote_participation) apart from WHAT was chosen (ballots), with nothing that links the two:
-- ballots have no voter column, no timestamp and a random id. A roll-call vote (记名投票)
-- keeps its ballots with the voter in a separate table, open_ballots.

CREATE TYPE vote_state AS ENUM ('open', 'closed');

CREATE TABLE votes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    meeting_id   bigint NOT NULL REFERENCES meetings (id),
    topic_id     bigint NOT NULL REFERENCES topics (id),
    title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    rule         text NOT NULL CHECK (rule IN ('residents_assembly', 'representatives_meeting',
                     'owners_ordinary', 'owners_major', 'council_majority')),
    secret       boolean NOT NULL,
    changeable   boolean NOT NULL,
    -- true: the default options 同意/反对/弃权, decided by the rule; false: a choice among
    -- options (e.g. projects), tallied with no pass/fail.
    motion       boolean NOT NULL,
    opened_by    bigint NOT NULL REFERENCES accounts (id),
    opens_at     timestamptz NOT NULL,
    closes_at    timestamptz NOT NULL,
    state        vote_state NOT NULL DEFAULT 'open',
    -- The result, written once when the vote closes.
    closed_at          timestamptz,
    closed_by          bigint REFERENCES accounts (id),
    entitled_heads     bigint,
    entitled_area      bigint,
    present_heads      bigint,
    present_area       bigint,
    participating_heads bigint,
    participating_area  bigint,
    quorum_met         boolean,
    -- NULL for a choice among options.
    passed             boolean,
    -- For a choice among options: the option with the most ballots by heads, NULL on a tie.
    top_position       integer,
    UNIQUE (id, secret, changeable),
    UNIQUE (id, secret),
    FOREIGN KEY (meeting_id, topic_id) REFERENCES meeting_topics (meeting_id, topic_id),
    CHECK (closes_at > opens_at),
    CHECK ((state = 'closed') = (closed_at IS NOT NULL)),
    CHECK (state = 'open' OR (entitled_heads IS NOT NULL AND entitled_area IS NOT NULL AND present_heads IS NOT NULL
        AND present_area IS NOT NULL AND participating_heads IS NOT NULL AND participating_area IS NOT NULL
        AND quorum_met IS NOT NULL AND (passed IS NOT NULL) = motion))
);
CREATE INDEX votes_meeting ON votes (meeting_id, id);

-- What a vote is, and its result once closed, never change: the rule, secrecy and
-- changeability are fixed when it opens; a closed vote is final.
CREATE FUNCTION votes_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state = 'closed' THEN
        RAISE EXCEPTION 'a closed vote is final' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.secret IS DISTINCT FROM OLD.secret OR NEW.changeable IS DISTINCT FROM OLD.changeable
        OR NEW.rule IS DISTINCT FROM OLD.rule OR NEW.motion IS DISTINCT FROM OLD.motion
        OR NEW.meeting_id IS DISTINCT FROM OLD.meeting_id OR NEW.topic_id IS DISTINCT FROM OLD.topic_id
        OR NEW.opens_at IS DISTINCT FROM OLD.opens_at OR NEW.closes_at IS DISTINCT FROM OLD.closes_at THEN
        RAISE EXCEPTION 'a vote''s rule, secrecy and changeability are fixed when it opens' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER votes_immutable BEFORE UPDATE ON votes FOR EACH ROW EXECUTE FUNCTION votes_immutable();

CREATE TABLE vote_options (
    vote_id  bigint NOT NULL REFERENCES votes (id),
    position integer NOT NULL CHECK (position BETWEEN 0 AND 9),
    label    text NOT NULL CHECK (length(label) BETWEEN 1 AND 40),
    PRIMARY KEY (vote_id, position),
    UNIQUE (vote_id, label)
);

-- The stored tallies, written once at close.
CREATE TABLE vote_results (
    vote_id  bigint NOT NULL,
    position integer NOT NULL,
    heads    bigint NOT NULL CHECK (heads >= 0),
    area_dm2 bigint NOT NULL CHECK (area_dm2 >= 0),
    PRIMARY KEY (vote_id, position),
    FOREIGN KEY (vote_id, position) REFERENCES vote_options (vote_id, position)
);

-- Who took part: one row per voter and vote, with no choice and no time.
CREATE TABLE vote_participation (
    vote_id     bigint NOT NULL REFERENCES votes (id),
    resident_id bigint NOT NULL REFERENCES residents (id),
    PRIMARY KEY (vote_id, resident_id)
);

-- Secret ballots: no voter, no time, a random id. replace_key, for changeable votes only, is
-- HMAC-SHA256(server key, vote id || resident id) with a key kept outside the database, so
-- the one ballot of a voter can be replaced without the database knowing whose it is.
CREATE TABLE ballots (
    id          uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    vote_id     bigint NOT NULL,
    secret      boolean NOT NULL DEFAULT true CHECK (secret),
    changeable  boolean NOT NULL,
    position    integer NOT NULL,
    area_dm2    bigint NOT NULL CHECK (area_dm2 >= 0),
    replace_key bytea CHECK (length(replace_key) = 32),
    CHECK (changeable = (replace_key IS NOT NULL)),
    UNIQUE (vote_id, replace_key),
    FOREIGN KEY (vote_id, secret, changeable) REFERENCES votes (id, secret, changeable),
    FOREIGN KEY (vote_id, position) REFERENCES vote_options (vote_id, position)
);
CREATE INDEX ballots_vote ON ballots (vote_id);

-- Roll-call ballots (记名投票): the voter is part of the record.
CREATE TABLE open_ballots (
    vote_id     bigint NOT NULL,
    secret      boolean NOT NULL DEFAULT false CHECK (NOT secret),
    resident_id bigint NOT NULL REFERENCES residents (id),
    position    integer NOT NULL,
    area_dm2    bigint NOT NULL CHECK (area_dm2 >= 0),
    cast_at     timestamptz NOT NULL,
    PRIMARY KEY (vote_id, resident_id),
    FOREIGN KEY (vote_id, secret) REFERENCES votes (id, secret),
    FOREIGN KEY (vote_id, position) REFERENCES vote_options (vote_id, position)
);
