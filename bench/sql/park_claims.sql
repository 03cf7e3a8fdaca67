-- Takes the claims comparison's wishes off the board between invocations: each is claimed
-- by its planned volunteer through claim_wish, as in the runs. Published, they would be in
-- PostGraphile's allWishes (which has no visibility filter: every published wish of the
-- district), and the feed comparison would then depend on whether the claims part ran
-- before. reset_claims.sql puts them back when the claims part starts.
\set ON_ERROR_STOP on
DO $$
DECLARE
    r record;
BEGIN
    IF to_regclass('bench.claim_volunteers') IS NULL THEN
        RETURN; -- the claims part has never run here
    END IF;
    FOR r IN
        SELECT w.id, v.account_id
        FROM wishes w JOIN bench.claim_volunteers v ON v.n = split_part(w.idempotency_key, '-', 3)::int
        WHERE w.idempotency_key LIKE 'bench-claim-%' AND w.state = 'published'
        ORDER BY w.id
    LOOP
        PERFORM set_config('jwt.claims.account_id', r.account_id::text, true);
        PERFORM claim_wish(r.id);
    END LOOP;
END;
$$;
