-- Failed sign-ins are counted per client address as well as per phone number, so that one
-- client spraying many numbers is stopped, and an attacker's failures from one address do
-- not lock the real owner out from another. A row counts the failures in its window for one
-- phone number from one address; an empty phone means every number (what one address may
-- fail in all), an empty address every address (what one number may fail from anywhere).
-- Rows already here counted per phone number, so they become the per-number counts.
ALTER TABLE login_throttle RENAME COLUMN attempts TO failures;
ALTER TABLE login_throttle ADD COLUMN address text NOT NULL DEFAULT '';
ALTER TABLE login_throttle ALTER COLUMN address DROP DEFAULT;
ALTER TABLE login_throttle DROP CONSTRAINT login_throttle_pkey;
ALTER TABLE login_throttle ADD PRIMARY KEY (phone, address);
ALTER TABLE login_throttle ADD CONSTRAINT login_throttle_scope CHECK (phone <> '' OR address <> '');
ALTER TABLE login_throttle ADD CONSTRAINT login_throttle_failures CHECK (failures >= 0);
-- The sweep removes counts whose window has ended.
CREATE INDEX login_throttle_first_at ON login_throttle (first_at);

-- login_attempt counts one sign-in attempt as a failure in each of its counts (one per
-- phones[i], addresses[i]) at once, or, when any count has already reached its limits[i],
-- in none of them; a count whose window ended before since starts afresh at now. It returns
-- each count as it stands afterwards and whether the attempt was let through. The rows are
-- locked in the order given, so callers give them in one order always; and in one statement,
-- so the locks are held for no round trip to the client.
CREATE FUNCTION login_attempt(phones text[], addresses text[], limits integer[], now timestamptz, since timestamptz)
RETURNS TABLE (phone text, address text, failures integer, first_at timestamptz, admitted boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    c login_throttle;
    counts login_throttle[] := '{}';
    ok boolean := true;
BEGIN
    FOR i IN 1 .. cardinality(phones) LOOP
        INSERT INTO login_throttle AS t (phone, address, failures, first_at)
        VALUES (phones[i], addresses[i], 0, login_attempt.now)
        ON CONFLICT (phone, address) DO UPDATE SET
            failures = CASE WHEN t.first_at <= since THEN 0 ELSE t.failures END,
            first_at = CASE WHEN t.first_at <= since THEN login_attempt.now ELSE t.first_at END
        RETURNING t.* INTO c;
        counts := counts || c;
        ok := ok AND c.failures < limits[i];
    END LOOP;
    FOREACH c IN ARRAY counts LOOP
        IF ok THEN
            UPDATE login_throttle AS t SET failures = t.failures + 1
            WHERE t.phone = c.phone AND t.address = c.address;
            c.failures := c.failures + 1;
        END IF;
        phone := c.phone; address := c.address; failures := c.failures; first_at := c.first_at; admitted := ok;
        RETURN NEXT;
    END LOOP;
END;
$$;
