-- Deliberation (议事协商), second slice: meetings (会议). Staff or council members schedule a
-- meeting with an agenda of accepted topics; when it starts, the people entitled to attend
-- are fixed once, and attendance (签到) is counted against that list, by heads and by area.

CREATE TYPE meeting_kind AS ENUM ('residents_assembly', 'representatives_meeting', 'council_meeting',
    'owners_assembly', 'open_forum', 'online');
CREATE TYPE meeting_state AS ENUM ('scheduled', 'running', 'closed', 'cancelled');
CREATE TYPE entitlement_basis AS ENUM ('adult_residents', 'household_representatives', 'council_members', 'owners');
CREATE TYPE meeting_action AS ENUM ('schedule', 'start', 'close', 'cancel', 'record_minutes');

CREATE TABLE meetings (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          meeting_kind NOT NULL,
    -- The community, or for an owners' assembly the compound.
    place_id      bigint NOT NULL REFERENCES places (id),
    community_id  bigint NOT NULL REFERENCES places (id),
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 60),
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    -- NULL for online meetings (网上议事厅).
    location      text CHECK (length(location) BETWEEN 1 AND 200),
    organiser_id  bigint NOT NULL REFERENCES accounts (id),
    basis         entitlement_basis NOT NULL,
    state         meeting_state NOT NULL DEFAULT 'scheduled',
    -- The check-in code (签到码): set when the meeting starts, cleared when it closes.
    checkin_code  text CHECK (checkin_code ~ '^[2-9A-HJKMNP-Z]{6}$'),
    cancel_reason text,
    minutes       text CHECK (length(minutes) BETWEEN 1 AND 20000),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CHECK (ends_at > starts_at),
    CHECK ((kind = 'online') = (location IS NULL)),
    CHECK ((state = 'cancelled') = (cancel_reason IS NOT NULL)),
    CHECK ((state = 'running') = (checkin_code IS NOT NULL)),
    CHECK (minutes IS NULL OR state = 'closed')
);
CREATE INDEX meetings_community ON meetings (community_id, id);
CREATE INDEX meetings_place ON meetings (place_id, id);

-- A meeting is held in a community, except an owners' assembly, held in a compound of it.
CREATE FUNCTION meetings_place_level() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM places p JOIN places c ON c.id = NEW.community_id
        WHERE p.id = NEW.place_id AND c.level = 'community' AND p.path @> ARRAY[c.id]
            AND p.level = CASE WHEN NEW.kind = 'owners_assembly' THEN 'compound'::place_level ELSE 'community'::place_level END
    ) THEN
        RAISE EXCEPTION 'an owners'' assembly is held in a compound, other meetings in a community' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER meetings_place_level BEFORE INSERT OR UPDATE OF place_id, community_id, kind ON meetings
    FOR EACH ROW EXECUTE FUNCTION meetings_place_level();

-- The agenda: accepted topics of the meeting's community, in order.
CREATE TABLE meeting_topics (
    meeting_id bigint NOT NULL REFERENCES meetings (id),
    topic_id   bigint NOT NULL REFERENCES topics (id),
    position   integer NOT NULL CHECK (position > 0),
    PRIMARY KEY (meeting_id, topic_id),
    UNIQUE (meeting_id, position)
);
CREATE INDEX meeting_topics_topic ON meeting_topics (topic_id);

-- Who is entitled to attend, fixed once when the meeting starts: later moves, new residents
-- or new owners do not change it. area_dm2 is the floor area (0.01 m²) credited to the person
-- for counting by area (owners' assemblies); 0 otherwise.
CREATE TABLE meeting_entitled (
    meeting_id   bigint NOT NULL REFERENCES meetings (id),
    resident_id  bigint NOT NULL REFERENCES residents (id),
    household_id bigint NOT NULL REFERENCES places (id),
    area_dm2     bigint NOT NULL DEFAULT 0 CHECK (area_dm2 >= 0),
    PRIMARY KEY (meeting_id, resident_id)
);

-- Attendance (签到): one row per person and meeting, refused by the database a second time.
CREATE TABLE meeting_attendance (
    meeting_id    bigint NOT NULL,
    resident_id   bigint NOT NULL,
    checked_in_at timestamptz NOT NULL,
    -- The staff member who checked them in, or the person themself (with the code).
    checked_in_by bigint NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (meeting_id, resident_id),
    FOREIGN KEY (meeting_id, resident_id) REFERENCES meeting_entitled (meeting_id, resident_id)
);

-- Every transition, with who, when and why (留痕).
CREATE TABLE meeting_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    meeting_id bigint NOT NULL REFERENCES meetings (id),
    at         timestamptz NOT NULL,
    action     meeting_action NOT NULL,
    actor_id   bigint REFERENCES accounts (id),
    from_state meeting_state,
    to_state   meeting_state NOT NULL,
    reason     text
);
CREATE INDEX meeting_events_meeting ON meeting_events (meeting_id, id);

CREATE TRIGGER meeting_events_append_only BEFORE UPDATE OR DELETE ON meeting_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
