-- The notification inbox (站内通知), what people choose to receive, the outbox that carries
-- notifications beyond the service (text messages), and the visits grid workers make to
-- those it cannot reach.
--
-- A notification is written in the transaction of the event it tells of (by the triggers
-- below), so nothing is lost and nothing is told of an event that was rolled back. It holds
-- the kind and the subject's ids; its text is rendered when read (db/inbox_text.go).

CREATE TYPE notification_kind AS ENUM (
    'wish_published', 'wish_rejected', 'wish_claimed', 'wish_released', 'wish_fulfilled',
    'wish_confirmed', 'wish_disputed', 'claim_due_soon', 'claim_lapsed',
    'vote_opened', 'vote_closing', 'meeting_tomorrow',
    'resolution_published', 'objection_closing', 'task_assigned', 'task_concern_raised'
);
-- inbox: in the app, always on. sms: a text message to the account's (or resident's)
-- phone. Accounts hold no WeChat id yet, so there is no WeChat channel.
CREATE TYPE notification_channel AS ENUM ('inbox', 'sms');

CREATE TABLE notifications (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          notification_kind NOT NULL,
    -- The recipient: an account, or a resident with none (a wish entered for them, 代办; a
    -- roll), who is reached by text message if they have a phone and by a visit if not.
    account_id    bigint REFERENCES accounts (id),
    resident_id   bigint REFERENCES residents (id),
    -- The subject, as ids; which are set depends on the kind.
    wish_id       bigint REFERENCES wishes (id),
    claim_id      bigint REFERENCES wish_claims (id),
    vote_id       bigint REFERENCES votes (id),
    meeting_id    bigint REFERENCES meetings (id),
    resolution_id bigint REFERENCES resolutions (id),
    task_id       bigint REFERENCES resolution_tasks (id),
    created_at    timestamptz NOT NULL,
    read_at       timestamptz,
    -- For a resident with no account and no phone: when the grid worker told them.
    visited_at    timestamptz,
    visited_by    bigint REFERENCES accounts (id),
    CHECK ((account_id IS NULL) <> (resident_id IS NULL)),
    CHECK (read_at IS NULL OR account_id IS NOT NULL),
    CHECK ((visited_at IS NULL) = (visited_by IS NULL) AND (visited_at IS NULL OR resident_id IS NOT NULL))
);
CREATE INDEX notifications_inbox ON notifications (account_id, id) WHERE account_id IS NOT NULL;
CREATE INDEX notifications_unread ON notifications (account_id, id) WHERE account_id IS NOT NULL AND read_at IS NULL;
CREATE INDEX notifications_resident ON notifications (resident_id, id) WHERE resident_id IS NOT NULL AND visited_at IS NULL;
-- A reminder is sent once per kind, subject and account, however many processes run the
-- reminder pass and however often: the pass inserts with ON CONFLICT DO NOTHING.
CREATE UNIQUE INDEX notifications_reminder_once ON notifications
    (kind, (coalesce(claim_id, vote_id, meeting_id, resolution_id)), account_id)
    WHERE kind IN ('claim_due_soon', 'vote_closing', 'meeting_tomorrow', 'objection_closing');

-- Whether a kind goes out by text message when the recipient has said nothing: what needs
-- an answer or is about to be missed does; news about a wish's progress and every roll-wide
-- announcement do not (a vote's roll can be thousands of people).
CREATE FUNCTION notification_sms_default(k notification_kind) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT k IN ('wish_rejected', 'wish_claimed', 'wish_fulfilled', 'wish_disputed', 'claim_due_soon', 'claim_lapsed',
        'vote_closing', 'meeting_tomorrow', 'task_assigned', 'task_concern_raised')
$$;

-- What an account chose; a kind and channel without a row uses the default above. The
-- inbox cannot be turned off.
CREATE TABLE notification_preferences (
    account_id bigint NOT NULL REFERENCES accounts (id),
    kind       notification_kind NOT NULL,
    channel    notification_channel NOT NULL,
    enabled    boolean NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (account_id, kind, channel),
    CHECK (channel <> 'inbox' OR enabled)
);

CREATE TYPE delivery_state AS ENUM ('pending', 'delivered', 'failed');

-- Delivery beyond the service: one row per notification and external channel, taken by one
-- worker at a time (FOR UPDATE SKIP LOCKED), delivered at least once, recorded once.
CREATE TABLE notification_outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    notification_id bigint NOT NULL REFERENCES notifications (id),
    channel         notification_channel NOT NULL CHECK (channel <> 'inbox'),
    state           delivery_state NOT NULL DEFAULT 'pending',
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL,
    last_error      text,
    delivered_at    timestamptz,
    created_at      timestamptz NOT NULL,
    UNIQUE (notification_id, channel),
    CHECK ((state = 'delivered') = (delivered_at IS NOT NULL))
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX notification_outbox_failed ON notification_outbox (id) WHERE state = 'failed';

-- A delivery is recorded once: a delivered row never changes again.
CREATE FUNCTION notification_outbox_delivered_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state = 'delivered' THEN
        RAISE EXCEPTION 'outbox row % was delivered already', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER notification_outbox_delivered_once BEFORE UPDATE ON notification_outbox
    FOR EACH ROW EXECUTE FUNCTION notification_outbox_delivered_once();

-- Every new notification: a text message queued where the recipient wants one and has a
-- phone (an account always has one; a resident without an account may not, and then
-- appears in the grid worker's visits), and a NOTIFY with "account:id" for the live
-- subscriptions of every process. Statement-level, so a vote's roll costs one pass.
CREATE FUNCTION notifications_deliver() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notification_outbox (notification_id, channel, next_attempt_at, created_at)
    SELECT n.id, 'sms', n.created_at, n.created_at
    FROM new_notifications n
    LEFT JOIN residents r ON r.id = n.resident_id
    LEFT JOIN notification_preferences p ON p.account_id = n.account_id AND p.kind = n.kind AND p.channel = 'sms'
    WHERE CASE WHEN n.account_id IS NOT NULL THEN coalesce(p.enabled, notification_sms_default(n.kind))
        ELSE r.phone IS NOT NULL END;
    PERFORM pg_notify('linli_notifications', n.account_id || ':' || n.id)
    FROM new_notifications n WHERE n.account_id IS NOT NULL ORDER BY n.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER notifications_deliver AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS new_notifications
    FOR EACH STATEMENT EXECUTE FUNCTION notifications_deliver();

-- A load of past history (the district generator) sets linli.quiet for its transaction:
-- events that happened long ago tell nobody.
CREATE FUNCTION notifications_quiet() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('linli.quiet', true), '') = 'on'
$$;

-- ------------------------------------------------------------------ wishes
-- Every wish transition is one wish_events row, in the transition's transaction: the
-- notifications follow from it here, so the claim path keeps its statements. Nobody is told
-- of what they did themselves.
--   to the beneficiary (their account, or the resident when they have none) and to whoever
--   entered the wish for them (代办): published, rejected, claimed, released or lapsed
--   (back on the board), fulfilled (please confirm);
--   to the claimer: confirmed (and rated), disputed, and their claim lapsed.
CREATE FUNCTION wish_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    k notification_kind;
    w wishes%ROWTYPE;
BEGIN
    IF notifications_quiet() THEN
        RETURN NULL;
    END IF;
    k := CASE NEW.action
        WHEN 'publish' THEN 'wish_published' WHEN 'reject' THEN 'wish_rejected' WHEN 'claim' THEN 'wish_claimed'
        WHEN 'release' THEN 'wish_released' WHEN 'lapse' THEN 'wish_released' WHEN 'fulfil' THEN 'wish_fulfilled'
        WHEN 'confirm' THEN 'wish_confirmed' WHEN 'dispute' THEN 'wish_disputed' END;
    IF k IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT * INTO w FROM wishes WHERE id = NEW.wish_id;
    IF k IN ('wish_confirmed', 'wish_disputed') OR NEW.action = 'lapse' THEN
        INSERT INTO notifications (kind, account_id, wish_id, claim_id, created_at)
        SELECT CASE WHEN NEW.action = 'lapse' THEN 'claim_lapsed'::notification_kind ELSE k END, c.claimer_id, w.id, c.id, NEW.at
        FROM wish_claims c WHERE c.id = w.claim_id AND c.claimer_id IS DISTINCT FROM NEW.actor_id;
        IF NEW.action <> 'lapse' THEN
            RETURN NULL;
        END IF;
    END IF;
    INSERT INTO notifications (kind, account_id, resident_id, wish_id, claim_id, created_at)
    SELECT k, r.account_id, CASE WHEN r.account_id IS NULL THEN r.id END, w.id,
        CASE WHEN NEW.action IN ('claim', 'fulfil') THEN w.claim_id END, NEW.at
    FROM residents r WHERE r.id = w.beneficiary_id AND r.account_id IS DISTINCT FROM NEW.actor_id
    UNION ALL
    SELECT k, w.submitted_by, NULL, w.id, CASE WHEN NEW.action IN ('claim', 'fulfil') THEN w.claim_id END, NEW.at
    FROM residents r WHERE r.id = w.beneficiary_id AND r.account_id IS DISTINCT FROM w.submitted_by
        AND w.submitted_by IS DISTINCT FROM NEW.actor_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER wish_events_notify AFTER INSERT ON wish_events
    FOR EACH ROW EXECUTE FUNCTION wish_events_notify();

-- ------------------------------------------------------------------ votes
-- A vote's roll is written when it opens: everyone on it is told, in one statement.
CREATE FUNCTION vote_entitled_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF notifications_quiet() THEN
        RETURN NULL;
    END IF;
    INSERT INTO notifications (kind, account_id, resident_id, vote_id, created_at)
    SELECT 'vote_opened', r.account_id, CASE WHEN r.account_id IS NULL THEN r.id END, v.id, v.opens_at
    FROM (SELECT DISTINCT vote_id, resident_id FROM new_entitled WHERE resident_id IS NOT NULL) e
    JOIN votes v ON v.id = e.vote_id AND v.state = 'open'
    JOIN residents r ON r.id = e.resident_id
    WHERE r.account_id IS DISTINCT FROM v.opened_by
    ORDER BY v.id, r.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER vote_entitled_notify AFTER INSERT ON vote_entitled
    REFERENCING NEW TABLE AS new_entitled
    FOR EACH STATEMENT EXECUTE FUNCTION vote_entitled_notify();

-- ------------------------------------------------------------------ resolutions
-- A resolution published for objections (公示) is told to the roll of the vote it records.
CREATE FUNCTION resolutions_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF notifications_quiet() THEN
        RETURN NULL;
    END IF;
    INSERT INTO notifications (kind, account_id, resident_id, resolution_id, created_at)
    SELECT 'resolution_published', r.account_id, CASE WHEN r.account_id IS NULL THEN r.id END, NEW.id, NEW.published_at
    FROM (SELECT DISTINCT resident_id FROM vote_entitled WHERE vote_id = NEW.vote_id AND resident_id IS NOT NULL) e
    JOIN residents r ON r.id = e.resident_id
    ORDER BY r.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER resolutions_notify AFTER INSERT ON resolutions
    FOR EACH ROW EXECUTE FUNCTION resolutions_notify();

-- A task assigned to someone other than its author; a concern raised on a task, to its
-- assignee.
CREATE FUNCTION resolution_tasks_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF notifications_quiet() THEN
        RETURN NULL;
    END IF;
    IF NEW.assignee_id <> NEW.created_by THEN
        INSERT INTO notifications (kind, account_id, resolution_id, task_id, created_at)
        VALUES ('task_assigned', NEW.assignee_id, NEW.resolution_id, NEW.id, NEW.created_at);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER resolution_tasks_notify AFTER INSERT ON resolution_tasks
    FOR EACH ROW EXECUTE FUNCTION resolution_tasks_notify();

CREATE FUNCTION task_supervision_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF notifications_quiet() THEN
        RETURN NULL;
    END IF;
    INSERT INTO notifications (kind, account_id, resolution_id, task_id, created_at)
    SELECT 'task_concern_raised', t.assignee_id, t.resolution_id, t.id, NEW.created_at
    FROM resolution_tasks t WHERE t.id = NEW.task_id AND t.assignee_id <> NEW.author_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER task_supervision_notify AFTER INSERT ON task_supervision
    FOR EACH ROW WHEN (NEW.concern) EXECUTE FUNCTION task_supervision_notify();
