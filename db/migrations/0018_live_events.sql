-- Placeholder for live updates (branch live owns 0018): migrations must run without gaps,
-- so branch http cannot use 0019 alone. At the merge, take live's file.
SELECT 1;
