-- A meeting that starts tells everyone on its roll (fixed as it starts) who has an account:
-- 会议已开始，请签到. Those without an account were reminded the day before
-- (meeting_tomorrow, by text or a visit); a visit now would come too late.
ALTER TYPE notification_kind ADD VALUE 'meeting_opened' AFTER 'meeting_tomorrow';

CREATE FUNCTION meeting_started_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF notifications_quiet() THEN
        RETURN NULL;
    END IF;
    INSERT INTO notifications (kind, account_id, meeting_id, created_at)
    SELECT 'meeting_opened', r.account_id, NEW.meeting_id, NEW.at
    FROM (SELECT DISTINCT resident_id FROM meeting_entitled WHERE meeting_id = NEW.meeting_id) e
    JOIN residents r ON r.id = e.resident_id
    WHERE r.account_id IS NOT NULL AND r.account_id IS DISTINCT FROM NEW.actor_id
    ORDER BY r.account_id;
    RETURN NULL;
END;
$$;
-- The roll is written before the meeting's move to running, in the same transaction.
CREATE TRIGGER meeting_started_notify AFTER INSERT ON meeting_events
    FOR EACH ROW WHEN (NEW.to_state = 'running') EXECUTE FUNCTION meeting_started_notify();
