-- A wish's figures are brought up to date from the steps a statement adds, instead of being
-- counted again from every step the wish ever had: the refresh was the costliest part of a
-- claim, and grew with the wish's history. Steps are only ever added (wish_events is
-- append-only), so the earliest time of each kind of step is the earlier of the kept one and
-- the new ones, the releases and lapses add up, and state and rating are the wish's now:
-- wish_stats stays equal to a recount (wish_stats_source), which the tests check. A wish
-- without figures yet (its first step) is counted in full, as before.
CREATE OR REPLACE FUNCTION wish_stats_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE wish_stats s SET state = w.state, rating = w.rating,
        review_s = least(s.review_s, floor(extract(epoch FROM n.reviewed_at - w.created_at))::integer),
        claim_s = least(s.claim_s, floor(extract(epoch FROM n.claimed_at - w.created_at))::integer),
        fulfil_s = least(s.fulfil_s, floor(extract(epoch FROM n.fulfilled_at - w.created_at))::integer),
        confirm_s = least(s.confirm_s, floor(extract(epoch FROM n.confirmed_at - w.created_at))::integer),
        released = s.released + n.released, lapsed = s.lapsed + n.lapsed
    FROM (
        SELECT wish_id,
               min(at) FILTER (WHERE action IN ('publish', 'reject')) AS reviewed_at,
               min(at) FILTER (WHERE action = 'claim') AS claimed_at,
               min(at) FILTER (WHERE action = 'fulfil') AS fulfilled_at,
               min(at) FILTER (WHERE action = 'confirm') AS confirmed_at,
               count(*) FILTER (WHERE action = 'release')::smallint AS released,
               count(*) FILTER (WHERE action = 'lapse')::smallint AS lapsed
        FROM new_events GROUP BY wish_id
    ) n JOIN wishes w ON w.id = n.wish_id
    WHERE s.wish_id = n.wish_id;
    INSERT INTO wish_stats
    SELECT src.* FROM wish_stats_source src
    WHERE src.wish_id IN (SELECT DISTINCT wish_id FROM new_events)
        AND NOT EXISTS (SELECT 1 FROM wish_stats s WHERE s.wish_id = src.wish_id)
    ON CONFLICT (wish_id) DO UPDATE SET
        state = EXCLUDED.state, review_s = EXCLUDED.review_s, claim_s = EXCLUDED.claim_s,
        fulfil_s = EXCLUDED.fulfil_s, confirm_s = EXCLUDED.confirm_s, rating = EXCLUDED.rating,
        released = EXCLUDED.released, lapsed = EXCLUDED.lapsed;
    RETURN NULL;
END;
$$;
