-- Importing and exporting a community's roster (花名册) as a spreadsheet: one audit event
-- per import (who, when, which file, what it did) and per export (personal data leaving the
-- service), not one per row.
ALTER TYPE audit_action ADD VALUE 'roster_imported';
ALTER TYPE audit_action ADD VALUE 'roster_exported';
