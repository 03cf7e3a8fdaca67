-- Every vote keeps its roll's totals from the moment it opens (openVote writes them with
-- the roll), so that a cast's answer reads them instead of counting the roll. Open votes
-- loaded in bulk before now lack them: count them once here, and from now on a loader
-- that forgets them is refused instead of read around.
UPDATE votes v SET entitled_heads = e.heads, entitled_area = e.area
FROM (SELECT vote_id, count(DISTINCT head) AS heads, coalesce(sum(area_dm2), 0) AS area
      FROM vote_entitled GROUP BY vote_id) e
WHERE e.vote_id = v.id AND v.entitled_heads IS NULL;
UPDATE votes SET entitled_heads = 0, entitled_area = 0 WHERE entitled_heads IS NULL;
ALTER TABLE votes ALTER COLUMN entitled_heads SET NOT NULL, ALTER COLUMN entitled_area SET NOT NULL;
