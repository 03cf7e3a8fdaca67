-- Puts the claims comparison's wishes back on the board between runs, as a release by the
-- claimer does in linli (db/wish.go ReleaseWish): the claim ends as released, the wish is
-- published again keeping its last claim, and a release event is recorded. Both sides then
-- claim the same wishes in the same state; every wish has had a claim before a measured
-- run (the warm-up runs claim them all), so no run sees fresher wishes than another.
\set ON_ERROR_STOP on
CREATE SCHEMA IF NOT EXISTS bench;
CREATE OR REPLACE FUNCTION bench.fail(msg text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '%', msg; END $$;
BEGIN;
WITH ended AS (
    UPDATE wish_claims c SET ended_at = now(), end_reason = 'released'
    FROM wishes w
    WHERE w.id = c.wish_id AND c.ended_at IS NULL AND w.idempotency_key LIKE 'bench-claim-%'
    RETURNING c.wish_id, c.claimer_id
), back AS (
    UPDATE wishes w SET state = 'published', updated_at = now()
    FROM ended WHERE w.id = ended.wish_id
    RETURNING w.id, ended.claimer_id
)
INSERT INTO wish_events (wish_id, at, action, actor_id, from_state, to_state)
SELECT id, now(), 'release', claimer_id, 'claimed', 'published' FROM back;
COMMIT;
SELECT bench.fail(count(*) || ' bench wishes are not published after the reset')
FROM wishes WHERE idempotency_key LIKE 'bench-claim-%' AND state <> 'published' HAVING count(*) > 0;
