-- Accounts for people who serve a community without living in it (staff, supervisors,
-- social workers): an admin makes them, and anyone changes their own password.
ALTER TYPE audit_action ADD VALUE 'account_created';
ALTER TYPE audit_action ADD VALUE 'password_changed';
