-- Data the harness adds to a generated district, once per data folder (bench/run prepare).
-- A generated district keeps a realistic history, in which only a few dozen wishes are on
-- the board at a time; the feed comparison needs a volunteer with a few hundred to page
-- through. So :feed_wishes more are published in the first community, copied from that
-- community's own wishes (real beneficiaries, places, titles), with their submit and
-- publish events as linli would have recorded them (the statistics trigger sees them).
-- Every wish the harness makes carries an idempotency key starting "bench-".
\set ON_ERROR_STOP on
CREATE SCHEMA IF NOT EXISTS bench;

-- The feed's volunteer: the first plain volunteer (no other role) of the first community.
CREATE OR REPLACE VIEW bench.feed_volunteer AS
SELECT a.id AS account_id, a.phone, g.place_id AS community_id, r.household_id
FROM role_grants g
JOIN places c ON c.id = g.place_id AND c.level = 'community'
JOIN accounts a ON a.id = g.account_id
LEFT JOIN residents r ON r.account_id = a.id
WHERE g.role = 'volunteer' AND g.revoked_at IS NULL
  AND c.id = (SELECT min(id) FROM places WHERE level = 'community')
  AND NOT EXISTS (SELECT 1 FROM role_grants o WHERE o.account_id = g.account_id AND o.role <> 'volunteer' AND o.revoked_at IS NULL)
ORDER BY a.id
LIMIT 1;

SELECT account_id AS vol, community_id AS c1, coalesce(household_id, -1) AS vol_household FROM bench.feed_volunteer \gset
SELECT min(g.account_id) AS staff FROM role_grants g WHERE g.role = 'staff' AND g.place_id = :c1 AND g.revoked_at IS NULL \gset

BEGIN;
WITH t AS (
    SELECT w.beneficiary_id, w.submitted_by, w.place_id, w.community_id, w.category, w.title, w.description, w.value_fen,
           row_number() OVER (ORDER BY w.id) AS rn, count(*) OVER () AS cnt
    FROM wishes w JOIN residents r ON r.id = w.beneficiary_id
    WHERE w.community_id = :c1 AND r.household_id <> :vol_household
), made AS (
    INSERT INTO wishes (beneficiary_id, submitted_by, place_id, community_id, category, title, description, value_fen,
                        deadline, state, idempotency_key, created_at, updated_at)
    SELECT t.beneficiary_id, t.submitted_by, t.place_id, t.community_id, t.category, t.title, t.description, t.value_fen,
           date_trunc('minute', now()) + interval '60 days' + (n % 30) * interval '1 day' + n * interval '1 minute',
           'published', 'bench-feed-' || n, now() - interval '2 days', now() - interval '1 day'
    FROM generate_series(1, :feed_wishes) n JOIN t ON t.rn = 1 + (n * 7919) % t.cnt
    RETURNING id, submitted_by, created_at, updated_at
)
INSERT INTO wish_events (wish_id, at, action, actor_id, from_state, to_state)
SELECT id, created_at, 'submit'::wish_action, submitted_by, NULL::wish_state, 'submitted'::wish_state FROM made
UNION ALL
SELECT id, updated_at, 'publish'::wish_action, :staff, 'submitted'::wish_state, 'published'::wish_state FROM made;
COMMIT;

VACUUM ANALYZE wishes;
VACUUM ANALYZE wish_events;
VACUUM ANALYZE wish_stats;
