-- claim_wish: PostGraphile's side of the claims comparison, the fairest form of linli's
-- claimWish (db/wish.go ClaimWish) that PostGraphile can serve: one SQL function, exposed
-- by PostGraphile as the custom mutation claimWish(input: {wishId}). It is installed by
-- bench/run into the benchmark's database only; it is not a linli migration.
--
-- The claimer is the signed-in account, read from the setting jwt.claims.account_id that
-- PostGraphile's lazy-JWT preset sets from the request's signed token (Authorization:
-- Bearer <JWT>), the usual way a PostGraphile deployment identifies its user. Not a
-- parameter: then anyone could claim in another's name, which is not the same job; and
-- linli also checks who is asking on every claim (its session token), so both sides pay
-- for a sign-in check (PostGraphile's is an HMAC in node plus set_config in the
-- transaction it then opens).
--
-- What it checks and writes, in linli's order: the claimer's account is locked first (one
-- person's claims run one at a time, so the cap holds under concurrent claims), then the
-- wish; a retry by the holder changes nothing; someone else's claim is a conflict; only a
-- published wish can be claimed; the claimer must serve the wish's place as a volunteer or
-- party member (a role on the same line of the place tree); not one's own or one's
-- household's wish; not past the deadline; at most the community's claim limit of open
-- claims (default 3); the claim is due after the community's claim hours (default 72) or
-- at the deadline if sooner; then the claim row, the wish's state and claim, and the
-- timeline event (whose trigger refreshes the statistics, as for linli).
CREATE OR REPLACE FUNCTION public.claim_wish(wish_id bigint) RETURNS wishes
LANGUAGE plpgsql VOLATILE STRICT AS $$
DECLARE
    me bigint := nullif(current_setting('jwt.claims.account_id', true), '')::bigint;
    w wishes;
    lim int;
    hours int;
    open_claims int;
    claim bigint;
    at timestamptz := now();
BEGIN
    IF me IS NULL THEN
        RAISE EXCEPTION '请先登录' USING ERRCODE = '28000';
    END IF;
    PERFORM 1 FROM accounts WHERE id = me FOR UPDATE;
    SELECT * INTO w FROM wishes WHERE id = claim_wish.wish_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION '找不到这个心愿' USING ERRCODE = 'P0002';
    END IF;
    IF w.state = 'claimed' THEN
        IF EXISTS (SELECT 1 FROM wish_claims c WHERE c.id = w.claim_id AND c.claimer_id = me AND c.ended_at IS NULL) THEN
            RETURN w; -- a retry by the holder: nothing changes
        END IF;
        RAISE EXCEPTION '这个心愿刚刚被其他志愿者认领了' USING ERRCODE = '40001';
    ELSIF w.state <> 'published' THEN
        RAISE EXCEPTION '心愿当前状态为「%」，不能认领', w.state USING ERRCODE = '55000';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM role_grants g JOIN places gp ON gp.id = g.place_id, places wp
        WHERE wp.id = w.place_id AND g.account_id = me AND g.revoked_at IS NULL
          AND g.role IN ('volunteer', 'party_member')
          AND (g.place_id = ANY (wp.path) OR wp.id = ANY (gp.path))
    ) THEN
        RAISE EXCEPTION '只有在这里服务的志愿者或党员可以认领这个心愿' USING ERRCODE = '42501';
    END IF;
    IF EXISTS (
        SELECT 1 FROM residents b JOIN residents mine ON mine.account_id = me
        WHERE b.id = w.beneficiary_id AND b.household_id = mine.household_id
    ) THEN
        RAISE EXCEPTION '不能认领自己或本户的心愿' USING ERRCODE = '42501';
    END IF;
    IF w.deadline <= at THEN
        RAISE EXCEPTION '这个心愿已过截止时间，不能再认领' USING ERRCODE = '55000';
    END IF;
    SELECT s.claim_limit, s.claim_hours INTO lim, hours FROM community_settings s WHERE s.community_id = w.community_id;
    lim := coalesce(lim, 3);
    hours := coalesce(hours, 72);
    SELECT count(*) INTO open_claims FROM wish_claims c WHERE c.claimer_id = me AND c.ended_at IS NULL;
    IF open_claims >= lim THEN
        RAISE EXCEPTION '你已有 % 个正在办理的心愿（上限 % 个）', open_claims, lim USING ERRCODE = '40001';
    END IF;
    INSERT INTO wish_claims (wish_id, claimer_id, claimed_at, due_at)
    VALUES (w.id, me, at, least(at + make_interval(hours => hours), w.deadline))
    RETURNING id INTO claim;
    UPDATE wishes SET state = 'claimed', updated_at = at, claim_id = claim WHERE id = w.id RETURNING * INTO w;
    INSERT INTO wish_events (wish_id, at, action, actor_id, from_state, to_state)
    VALUES (w.id, at, 'claim', me, 'published', 'claimed');
    RETURN w;
END;
$$;
