-- Reserved: migration 0016 is the analyst's district-year work (branch stats). This empty
-- step only lets branch writes, whose migration is 0017, run its tests alone; when the
-- branches merge, stats' 0016 replaces this file.
SELECT 1;
