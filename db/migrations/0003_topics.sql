-- Deliberation (议事协商), first slice: topics (议题). Residents or staff raise a matter of
-- common concern; other residents co-sign it (附议) until it is ready for an agenda, staff
-- accept or decline it, and everyone linked to the community discusses it in comments.

-- How many co-signers a topic needs before it is ready for the agenda.
ALTER TABLE community_settings
    ADD COLUMN cosign_threshold integer NOT NULL DEFAULT 5 CHECK (cosign_threshold > 0);

-- The whole "four deliberations, two disclosures" (四议两公开) path; later slices use the
-- states after accepted.
CREATE TYPE topic_state AS ENUM ('proposed', 'ready', 'accepted', 'under_discussion', 'voted',
    'resolution_published', 'being_carried_out', 'result_published', 'rated', 'declined', 'withdrawn');
CREATE TYPE topic_action AS ENUM ('raise', 'cosign_ready', 'accept', 'decline', 'withdraw');
CREATE TYPE topic_stance AS ENUM ('for', 'against', 'neutral');

CREATE TABLE topics (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The community or compound the topic concerns.
    place_id       bigint NOT NULL REFERENCES places (id),
    community_id   bigint NOT NULL REFERENCES places (id),
    raised_by      bigint NOT NULL REFERENCES accounts (id),
    title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 60),
    description    text NOT NULL CHECK (length(description) BETWEEN 1 AND 5000),
    state          topic_state NOT NULL DEFAULT 'proposed',
    -- Why it was declined or withdrawn.
    closing_reason text,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX topics_community ON topics (community_id, id);
CREATE INDEX topics_place ON topics (place_id, id);

-- A topic concerns a community or a compound, and community_id is that community.
CREATE FUNCTION topics_place_level() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM places p JOIN places c ON c.id = NEW.community_id
        WHERE p.id = NEW.place_id AND p.level IN ('community', 'compound')
            AND c.level = 'community' AND p.path @> ARRAY[c.id]
    ) THEN
        RAISE EXCEPTION 'a topic concerns a community or a compound of its community' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER topics_place_level BEFORE INSERT OR UPDATE OF place_id, community_id ON topics
    FOR EACH ROW EXECUTE FUNCTION topics_place_level();

-- Co-signatures (附议): one per person and topic, refused by the database a second time.
CREATE TABLE topic_cosigners (
    topic_id   bigint NOT NULL REFERENCES topics (id),
    account_id bigint NOT NULL REFERENCES accounts (id),
    at         timestamptz NOT NULL,
    PRIMARY KEY (topic_id, account_id)
);
CREATE INDEX topic_cosigners_account ON topic_cosigners (account_id);

-- The wishes a topic grew from.
CREATE TABLE topic_wishes (
    topic_id bigint NOT NULL REFERENCES topics (id),
    wish_id  bigint NOT NULL REFERENCES wishes (id),
    PRIMARY KEY (topic_id, wish_id)
);
CREATE INDEX topic_wishes_wish ON topic_wishes (wish_id);

-- Discussion: top-level comments and one level of replies to them.
CREATE TABLE topic_comments (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic_id   bigint NOT NULL REFERENCES topics (id),
    author_id  bigint NOT NULL REFERENCES accounts (id),
    reply_to   bigint REFERENCES topic_comments (id),
    body       text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    stance     topic_stance,
    created_at timestamptz NOT NULL
);
CREATE INDEX topic_comments_topic ON topic_comments (topic_id, id) WHERE reply_to IS NULL;
CREATE INDEX topic_comments_reply_to ON topic_comments (reply_to, id) WHERE reply_to IS NOT NULL;

-- A reply answers a top-level comment of the same topic: replies are never nested deeper.
CREATE FUNCTION topic_comments_one_level() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.reply_to IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM topic_comments p WHERE p.id = NEW.reply_to AND p.topic_id = NEW.topic_id AND p.reply_to IS NULL
    ) THEN
        RAISE EXCEPTION 'a reply must answer a top-level comment of the same topic' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER topic_comments_one_level BEFORE INSERT OR UPDATE OF reply_to, topic_id ON topic_comments
    FOR EACH ROW EXECUTE FUNCTION topic_comments_one_level();

-- Every transition, with who, when and why (留痕).
CREATE TABLE topic_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic_id   bigint NOT NULL REFERENCES topics (id),
    at         timestamptz NOT NULL,
    action     topic_action NOT NULL,
    -- NULL for the system (enough co-signers).
    actor_id   bigint REFERENCES accounts (id),
    from_state topic_state,
    to_state   topic_state NOT NULL,
    reason     text
);
CREATE INDEX topic_events_topic ON topic_events (topic_id, id);

CREATE TRIGGER topic_events_append_only BEFORE UPDATE OR DELETE ON topic_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
