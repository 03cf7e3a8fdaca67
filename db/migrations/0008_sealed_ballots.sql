-- Secret ballots that no reader of the tables can link to a voter. The old ballots table kept
-- each ballot's floor area beside its choice (a unique area names the voter once the vote is
-- closed), and while a vote was open a ballot row shared its transaction id (xmin) with its
-- voter's vote_participation row. Now a secret vote keeps no ballot at all:
--   * ballot_sums: while the vote is open, per-option running sums (heads and area) in a few
--     stripes, each sealed (AES-256-GCM) under a key derived from LINLI_BALLOT_KEY, which
--     lives outside the database. Every cast rewrites one whole stripe, so a row changed in
--     a voter's transaction says only that the voter voted, which vote_participation says
--     anyway.
--   * ballot_choices: for changeable votes, each voter's current choice, sealed the same way,
--     found by the HMAC replace key as before; no area (it is read from the roll).
-- At close the sums are opened into vote_results and both are deleted for the vote, so a
-- closed vote keeps only its result and who took part.

CREATE TABLE ballot_sums (
    vote_id bigint NOT NULL,
    secret  boolean NOT NULL DEFAULT true CHECK (secret),
    stripe  smallint NOT NULL CHECK (stripe BETWEEN 0 AND 31),
    sealed  bytea NOT NULL,
    PRIMARY KEY (vote_id, stripe),
    FOREIGN KEY (vote_id, secret) REFERENCES votes (id, secret)
);

CREATE TABLE ballot_choices (
    vote_id     bigint NOT NULL,
    secret      boolean NOT NULL DEFAULT true CHECK (secret),
    changeable  boolean NOT NULL DEFAULT true CHECK (changeable),
    replace_key bytea NOT NULL CHECK (length(replace_key) = 32),
    -- nonce (12) + sealed position (4) + tag (16): the same size whatever the choice.
    sealed      bytea NOT NULL CHECK (length(sealed) = 32),
    PRIMARY KEY (vote_id, replace_key),
    FOREIGN KEY (vote_id, secret, changeable) REFERENCES votes (id, secret, changeable)
);

-- Nothing is added to a closed vote's ballots: its result is final.
CREATE FUNCTION ballots_vote_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM votes WHERE id = NEW.vote_id AND state = 'open') THEN
        RAISE EXCEPTION 'a closed vote takes no more ballots' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER ballot_sums_vote_open BEFORE INSERT OR UPDATE ON ballot_sums
    FOR EACH ROW EXECUTE FUNCTION ballots_vote_open();
CREATE TRIGGER ballot_choices_vote_open BEFORE INSERT OR UPDATE ON ballot_choices
    FOR EACH ROW EXECUTE FUNCTION ballots_vote_open();

-- Existing data. A closed vote keeps its stored result (vote_results) and loses its
-- ballots. An open secret vote's ballots cannot be sealed here (the key is not in the
-- database): they wait in ballots_unsealed, and the first cast or the close of their vote
-- seals them into the sums and choices and deletes them (db.Tx.sealUnsealed).
CREATE TABLE ballots_unsealed (
    vote_id     bigint NOT NULL REFERENCES votes (id),
    position    integer NOT NULL,
    area_dm2    bigint NOT NULL,
    replace_key bytea
);
CREATE INDEX ballots_unsealed_vote ON ballots_unsealed (vote_id);
INSERT INTO ballots_unsealed (vote_id, position, area_dm2, replace_key)
SELECT b.vote_id, b.position, b.area_dm2, b.replace_key FROM ballots b JOIN votes v ON v.id = b.vote_id
WHERE v.state = 'open'
ORDER BY random();

DROP TABLE ballots;
