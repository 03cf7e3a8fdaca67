-- An open vote's live turnout, kept on write. Reading it used to join the whole roll with
-- who took part, once per read: every ballot's answer cost a pass over the roll, so 1,000
-- voters casting at once cost a million rows. Now every participation adds its head, and the
-- head's area from the roll (the sum of its rows), to one of 32 stripes of the vote (chosen
-- by the transaction, so that casts at once rarely queue on one row), and the turnout is the
-- sum of the vote's stripes. A trigger keeps them, so whatever adds participations (a cast,
-- the demo, the district generator's COPY) counts. Turnout is public while a vote runs; these
-- rows hold no choice. At close the vote stores its participation (votes.participating_heads,
-- participating_area) and its stripes are deleted.
CREATE TABLE vote_turnout (
    vote_id  bigint NOT NULL REFERENCES votes (id),
    stripe   smallint NOT NULL CHECK (stripe BETWEEN 0 AND 31),
    heads    bigint NOT NULL CHECK (heads >= 0),
    area_dm2 bigint NOT NULL CHECK (area_dm2 >= 0),
    PRIMARY KEY (vote_id, stripe)
);

-- Statement-level, so a bulk load adds each vote's participations in one row.
CREATE FUNCTION vote_turnout_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO vote_turnout (vote_id, stripe, heads, area_dm2)
    SELECT n.vote_id, (txid_current() % 32)::smallint, count(*), coalesce(sum(a.area), 0)
    FROM new_participation n
    JOIN votes v ON v.id = n.vote_id AND v.state = 'open'
    CROSS JOIN LATERAL (SELECT sum(e.area_dm2) AS area FROM vote_entitled e WHERE e.vote_id = n.vote_id AND e.head = n.head) a
    GROUP BY n.vote_id
    ON CONFLICT (vote_id, stripe) DO UPDATE SET heads = vote_turnout.heads + EXCLUDED.heads,
        area_dm2 = vote_turnout.area_dm2 + EXCLUDED.area_dm2;
    RETURN NULL;
END;
$$;
CREATE TRIGGER vote_turnout_add AFTER INSERT ON vote_participation
    REFERENCING NEW TABLE AS new_participation
    FOR EACH STATEMENT EXECUTE FUNCTION vote_turnout_add();

-- The open votes' turnout so far.
INSERT INTO vote_turnout (vote_id, stripe, heads, area_dm2)
SELECT p.vote_id, 0, count(*), coalesce(sum(a.area), 0)
FROM vote_participation p
JOIN votes v ON v.id = p.vote_id AND v.state = 'open'
CROSS JOIN LATERAL (SELECT sum(e.area_dm2) AS area FROM vote_entitled e WHERE e.vote_id = p.vote_id AND e.head = p.head) a
GROUP BY p.vote_id;

-- A participation's vote exists because its head is on that vote's roll (the foreign key to
-- vote_entitled, whose vote_id references votes). The direct key to votes added nothing but
-- a share lock on the vote's row per ballot: with many voters at once, PostgreSQL records
-- those lockers in an ever larger multixact on one row, and casts queued on it.
ALTER TABLE vote_participation DROP CONSTRAINT vote_participation_vote_id_fkey;
