-- Live updates: what changed, told to every process that listens (LISTEN/NOTIFY), so a
-- subscriber on one process hears of a claim made on another. Payloads carry ids only: each
-- subscriber reads the row again with its own viewer and its own rights. NOTIFY is delivered
-- only when the transaction commits, and not at all when it rolls back. The first field of a
-- payload is its key (db.Hub delivers by channel and key).

-- linli_wishes: "wish:community:beneficiary resident:submitted by account:claimer account
-- (0 when never claimed):kind". Not deferred to the commit: the queries of a deferred trigger
-- would count as statements of their own (pg_stat_statements sees them at the top level). A
-- claim ends before its wish reopens (db.endClaim), or in the same statement (a lapse, whose
-- AFTER trigger sees the whole statement), so its end reason is there to read. The kind, for
-- the wish board:
-- appeared (now published), taken (published → claimed), released / lapsed (claimed →
-- published, by the claim's end), gone (no longer published otherwise), changed (anything
-- else, for the people concerned).
CREATE FUNCTION live_wish_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind text := 'changed';
    claimer bigint := 0;
    ended claim_end;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.state = NEW.state AND OLD.claim_id IS NOT DISTINCT FROM NEW.claim_id THEN
        RETURN NULL;
    END IF;
    IF NEW.claim_id IS NOT NULL THEN
        SELECT claimer_id, end_reason INTO claimer, ended FROM wish_claims WHERE id = NEW.claim_id;
    END IF;
    IF NEW.state = 'published' AND TG_OP = 'UPDATE' AND OLD.state = 'claimed' THEN
        kind := CASE WHEN ended = 'lapsed' THEN 'lapsed' ELSE 'released' END;
    ELSIF NEW.state = 'published' THEN
        kind := 'appeared';
    ELSIF TG_OP = 'UPDATE' AND OLD.state = 'published' THEN
        kind := CASE WHEN NEW.state = 'claimed' THEN 'taken' ELSE 'gone' END;
    END IF;
    PERFORM pg_notify('linli_wishes', NEW.id || ':' || NEW.community_id || ':' || NEW.beneficiary_id || ':' ||
        NEW.submitted_by || ':' || coalesce(claimer, 0) || ':' || kind);
    RETURN NULL;
END $$;

CREATE TRIGGER live_wish_changed AFTER INSERT OR UPDATE ON wishes
    FOR EACH ROW EXECUTE FUNCTION live_wish_changed();

-- linli_votes: "vote", on every cast (a participation: its turnout moved; identical payloads
-- in one transaction arrive once) and when the vote closes (its result).
CREATE FUNCTION live_vote_cast() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('linli_votes', vote_id::text) FROM (SELECT DISTINCT vote_id FROM cast_rows) c;
    RETURN NULL;
END $$;

CREATE TRIGGER live_vote_cast AFTER INSERT ON vote_participation
    REFERENCING NEW TABLE AS cast_rows FOR EACH STATEMENT EXECUTE FUNCTION live_vote_cast();

CREATE FUNCTION live_vote_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('linli_votes', NEW.id::text);
    RETURN NULL;
END $$;

CREATE TRIGGER live_vote_changed AFTER UPDATE OF state ON votes
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION live_vote_changed();

-- linli_meetings: "meeting", on a check-in and when the meeting starts, closes or is cancelled.
CREATE FUNCTION live_meeting_attended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('linli_meetings', meeting_id::text) FROM (SELECT DISTINCT meeting_id FROM attended_rows) a;
    RETURN NULL;
END $$;

CREATE TRIGGER live_meeting_attended AFTER INSERT ON meeting_attendance
    REFERENCING NEW TABLE AS attended_rows FOR EACH STATEMENT EXECUTE FUNCTION live_meeting_attended();

CREATE FUNCTION live_meeting_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('linli_meetings', NEW.id::text);
    RETURN NULL;
END $$;

CREATE TRIGGER live_meeting_changed AFTER UPDATE OF state ON meetings
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION live_meeting_changed();

-- linli_accounts: "account", when what an account may do changed: a session ended (sign-out,
-- or every session at a password change), a role granted or revoked, the password changed.
-- Live subscriptions of the account read their viewer again and end what it no longer allows.
CREATE FUNCTION live_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A record's fields are resolved as the statement runs: only the table's own are named.
    IF TG_TABLE_NAME = 'accounts' THEN
        PERFORM pg_notify('linli_accounts', NEW.id::text);
    ELSE
        PERFORM pg_notify('linli_accounts', NEW.account_id::text);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER live_session_ended AFTER UPDATE OF revoked_at ON sessions
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL) EXECUTE FUNCTION live_account_changed();
CREATE TRIGGER live_grant_changed AFTER INSERT OR UPDATE OF revoked_at ON role_grants
    FOR EACH ROW EXECUTE FUNCTION live_account_changed();
CREATE TRIGGER live_password_changed AFTER UPDATE OF password_hash ON accounts
    FOR EACH ROW WHEN (OLD.password_hash IS DISTINCT FROM NEW.password_hash) EXECUTE FUNCTION live_account_changed();
