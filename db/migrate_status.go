package db

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// MigrationStatus reports, without changing anything, the schema version of d (0 for a
// database never migrated) and the names of the migrations this linli knows, in order:
// those past the version are pending. A database migrated by a newer linli is an error,
// as it is for Migrate.
func MigrationStatus(ctx context.Context, d *sqlx.DB) (version int, known []string, err error) {
	ms, err := loadMigrations()
	if err != nil {
		return 0, nil, err
	}
	for _, m := range ms {
		known = append(known, m.name)
	}
	var exists bool
	if err := d.GetContext(ctx, &exists, `SELECT to_regclass('schema_migrations') IS NOT NULL`); err != nil {
		return 0, known, err
	}
	if exists {
		if err := d.GetContext(ctx, &version, `SELECT coalesce(max(version), 0) FROM schema_migrations`); err != nil {
			return 0, known, err
		}
	}
	if version > len(ms) {
		return version, known, newerDatabase(version, len(ms))
	}
	return version, known, nil
}

func newerDatabase(version, known int) error {
	return fmt.Errorf("the database is at schema version %d but this linli knows only up to %d: it was migrated by a newer version of linli; run that version, or point DATABASE_URL at another database", version, known)
}
