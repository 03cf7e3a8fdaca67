-- Figures for analysts. wish_stats holds one narrow row per wish with everything the wish
-- figures group and measure: where the beneficiary lives at every level of the tree, and how
-- long each step took. It is kept current on write, in the same transaction, by recounting
-- the wish from its own rows (wishes, wish_events) whenever a step is recorded: so it can
-- never drift from a plain recount, and a year of a district's wishes is one scan of a
-- narrow table instead of joins over events, residents and places.

-- What a wish's figures are, from the raw rows alone. The trigger below and the bulk
-- refresh use this one definition. Durations are whole seconds from submission to the
-- first time the wish reached each step. day and month number the China Standard Time day
-- and month of submission from 2000-01-01, so grouping by period is integer arithmetic.
CREATE VIEW wish_stats_source AS
SELECT w.id AS wish_id,
       h.path[1] AS subdistrict_id,
       h.path[2] AS community_id,
       CASE WHEN array_length(h.path, 1) = 6 THEN h.path[3] END AS compound_id,
       h.path[array_length(h.path, 1) - 2] AS grid_id,
       h.path[array_length(h.path, 1) - 1] AS building_id,
       w.beneficiary_id,
       w.category,
       w.state,
       w.created_at,
       ((w.created_at AT TIME ZONE 'Asia/Shanghai')::date - date '2000-01-01') AS day,
       ((extract(year FROM w.created_at AT TIME ZONE 'Asia/Shanghai')::integer - 2000) * 12
           + extract(month FROM w.created_at AT TIME ZONE 'Asia/Shanghai')::integer - 1)::smallint AS month,
       floor(extract(epoch FROM e.reviewed_at - w.created_at))::integer AS review_s,
       floor(extract(epoch FROM e.claimed_at - w.created_at))::integer AS claim_s,
       floor(extract(epoch FROM e.fulfilled_at - w.created_at))::integer AS fulfil_s,
       floor(extract(epoch FROM e.confirmed_at - w.created_at))::integer AS confirm_s,
       w.rating,
       e.released,
       e.lapsed
FROM wishes w
JOIN residents r ON r.id = w.beneficiary_id
JOIN places h ON h.id = r.household_id
CROSS JOIN LATERAL (
    SELECT min(at) FILTER (WHERE action IN ('publish', 'reject')) AS reviewed_at,
           min(at) FILTER (WHERE action = 'claim') AS claimed_at,
           min(at) FILTER (WHERE action = 'fulfil') AS fulfilled_at,
           min(at) FILTER (WHERE action = 'confirm') AS confirmed_at,
           count(*) FILTER (WHERE action = 'release')::smallint AS released,
           count(*) FILTER (WHERE action = 'lapse')::smallint AS lapsed
    FROM wish_events ev WHERE ev.wish_id = w.id
) e;

CREATE TABLE wish_stats (
    wish_id        bigint PRIMARY KEY REFERENCES wishes (id),
    subdistrict_id bigint NOT NULL,
    community_id   bigint NOT NULL,
    compound_id    bigint,
    grid_id        bigint NOT NULL,
    building_id    bigint NOT NULL,
    beneficiary_id bigint NOT NULL,
    category       wish_category NOT NULL,
    state          wish_state NOT NULL,
    created_at     timestamptz NOT NULL,
    day            integer NOT NULL,
    month          smallint NOT NULL,
    review_s       integer,
    claim_s        integer,
    fulfil_s       integer,
    confirm_s      integer,
    rating         smallint,
    released       smallint NOT NULL,
    lapsed         smallint NOT NULL
) WITH (fillfactor = 90); -- room on each page, so a wish's changing row is rewritten in place (no indexed column changes)
-- A subdistrict's or a community's wishes over a time range; the whole district by time.
CREATE INDEX wish_stats_subdistrict ON wish_stats (subdistrict_id, created_at);
CREATE INDEX wish_stats_community ON wish_stats (community_id, created_at);
CREATE INDEX wish_stats_created ON wish_stats (created_at);
CREATE INDEX wish_stats_grid ON wish_stats (grid_id);
CREATE INDEX wish_stats_building ON wish_stats (building_id);
CREATE INDEX wish_stats_compound ON wish_stats (compound_id) WHERE compound_id IS NOT NULL;

-- Every change of a wish's state or timing is recorded as a step, so recounting the wishes
-- named by a statement's new steps keeps wish_stats exact. Statement-level, so a bulk load
-- recounts each wish once however many steps it inserts.
CREATE FUNCTION wish_stats_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO wish_stats
    SELECT s.* FROM wish_stats_source s
    WHERE s.wish_id IN (SELECT DISTINCT wish_id FROM new_events)
    ON CONFLICT (wish_id) DO UPDATE SET
        state = EXCLUDED.state, review_s = EXCLUDED.review_s, claim_s = EXCLUDED.claim_s,
        fulfil_s = EXCLUDED.fulfil_s, confirm_s = EXCLUDED.confirm_s, rating = EXCLUDED.rating,
        released = EXCLUDED.released, lapsed = EXCLUDED.lapsed;
    RETURN NULL;
END;
$$;
CREATE TRIGGER wish_stats_refresh AFTER INSERT ON wish_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION wish_stats_refresh();

INSERT INTO wish_stats SELECT * FROM wish_stats_source;
