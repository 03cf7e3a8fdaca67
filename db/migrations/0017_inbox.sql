-- Placeholder for the notification inbox (branch inbox owns 0017): migrations must run
-- without gaps, so branch live cannot use 0018 alone. At the merge, take inbox's file.
SELECT 1;
