-- The claims comparison's plan: :volunteers volunteers (a multiple of :clients), each
-- claiming 3 published wishes in the community where they serve (3 is linli's default
-- cap of open claims, so the cap check runs as in real use), dealt to :clients clients so
-- that each volunteer always claims from the same client. The wishes are made once,
-- copied from the community's own wishes like the feed's; later runs reuse them (see
-- reset_claims.sql). The first community, the feed's, is left out, so its feed stays as
-- it was. Prints the plan: client, account id, phone, wish id.
\set ON_ERROR_STOP on
CREATE SCHEMA IF NOT EXISTS bench;
-- bench.fail comes from reset_claims.sql, which bench/run runs first.
CREATE TABLE IF NOT EXISTS bench.claim_volunteers (
    n          int PRIMARY KEY,
    account_id bigint NOT NULL UNIQUE,
    community_id bigint NOT NULL
);

-- Volunteers and party members of the other communities, in a fixed order.
INSERT INTO bench.claim_volunteers (n, account_id, community_id)
SELECT (SELECT coalesce(max(n), 0) FROM bench.claim_volunteers) + row_number() OVER (ORDER BY v.account_id), v.account_id, v.community_id
FROM (
    SELECT DISTINCT ON (g.account_id) g.account_id, g.place_id AS community_id
    FROM role_grants g JOIN places c ON c.id = g.place_id AND c.level = 'community'
    WHERE g.role IN ('volunteer', 'party_member') AND g.revoked_at IS NULL
      AND c.id <> (SELECT community_id FROM bench.feed_volunteer)
      AND g.account_id NOT IN (SELECT account_id FROM bench.claim_volunteers)
      -- Free to take three: no open claim of their own, and a cap of at least three.
      AND NOT EXISTS (SELECT 1 FROM wish_claims oc WHERE oc.claimer_id = g.account_id AND oc.ended_at IS NULL)
      AND coalesce((SELECT s.claim_limit FROM community_settings s WHERE s.community_id = c.id), 3) >= 3
    ORDER BY g.account_id, g.place_id
) v
ORDER BY v.account_id
LIMIT greatest(0, :volunteers - (SELECT count(*) FROM bench.claim_volunteers));

SELECT bench.fail(format('claims.sql: the district has only %s volunteers free to claim outside the feed''s community; ask for fewer claims', count(*)))
FROM bench.claim_volunteers HAVING count(*) < :volunteers;

BEGIN;
WITH need AS (
    SELECT v.n, v.account_id, v.community_id, j, coalesce(r.household_id, -1) AS household_id
    FROM bench.claim_volunteers v CROSS JOIN generate_series(1, 3) j
    LEFT JOIN residents r ON r.account_id = v.account_id
    WHERE v.n <= :volunteers
      AND NOT EXISTS (SELECT 1 FROM wishes w WHERE w.idempotency_key = 'bench-claim-' || v.n || '-' || j)
), made AS (
    INSERT INTO wishes (beneficiary_id, submitted_by, place_id, community_id, category, title, description, value_fen,
                        deadline, state, idempotency_key, created_at, updated_at)
    SELECT t.beneficiary_id, t.submitted_by, t.place_id, t.community_id, t.category, t.title, t.description, t.value_fen,
           date_trunc('minute', now()) + interval '60 days', 'published', 'bench-claim-' || need.n || '-' || need.j,
           now() - interval '2 days', now() - interval '1 day'
    FROM need CROSS JOIN LATERAL (
        -- A wish of the volunteer's community, not of their own household.
        SELECT w.* FROM wishes w JOIN residents r ON r.id = w.beneficiary_id
        WHERE w.community_id = need.community_id AND r.household_id <> need.household_id
          AND w.idempotency_key IS NULL
        ORDER BY w.id OFFSET (need.n * 3 + need.j) % 50 LIMIT 1
    ) t
    RETURNING id, submitted_by, community_id, created_at, updated_at
)
INSERT INTO wish_events (wish_id, at, action, actor_id, from_state, to_state)
SELECT id, created_at, 'submit'::wish_action, submitted_by, NULL::wish_state, 'submitted'::wish_state FROM made
UNION ALL
SELECT id, updated_at, 'publish'::wish_action, (SELECT min(g.account_id) FROM role_grants g WHERE g.role = 'staff' AND g.place_id = made.community_id),
       'submitted'::wish_state, 'published'::wish_state FROM made;
COMMIT;

\o :plan
SELECT (v.n - 1) % :clients AS client, v.account_id, a.phone, w.id
FROM bench.claim_volunteers v
JOIN accounts a ON a.id = v.account_id
CROSS JOIN generate_series(1, 3) j
JOIN wishes w ON w.idempotency_key = 'bench-claim-' || v.n || '-' || j
WHERE v.n <= :volunteers
ORDER BY j, v.n;
\o
