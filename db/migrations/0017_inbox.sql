-- Placeholder for the notification inbox (branch inbox owns 0017): migrations must run
-- without gaps, so branch http cannot use 0019 alone. At the merge, take inbox's file.
SELECT 1;
