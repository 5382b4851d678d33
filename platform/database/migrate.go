package database

import (
	"context"
	"fmt"
	"io"

	"github.com/uptrace/bun/migrate"
)

// Migrator applies and rolls back the embedded migrations of db's dialect.
type Migrator struct {
	m  *migrate.Migrator
	db *DB
}

// NewMigrator prepares a migrator for db.
func NewMigrator(db *DB) (*Migrator, error) {
	ms := migrate.NewMigrations()
	if err := ms.Discover(db.MigrationFiles()); err != nil {
		return nil, fmt.Errorf("discover migrations: %w", err)
	}
	return &Migrator{m: migrate.NewMigrator(db.DB, ms, migrate.WithMarkAppliedOnSuccess(true)), db: db}, nil
}

// Up applies every pending migration, holding the migration lock so that several
// instances starting together apply each migration once.
func (m *Migrator) Up(ctx context.Context) (applied []string, err error) {
	release, err := exclusive(ctx, m.db)
	if err != nil {
		return nil, err
	}
	defer release()
	if err := m.m.Init(ctx); err != nil {
		return nil, fmt.Errorf("init migrations: %w", err)
	}
	if err := lockMigrations(ctx, m.m); err != nil {
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	defer func() {
		if uerr := m.m.Unlock(ctx); uerr != nil && err == nil {
			err = uerr
		}
	}()
	group, err := m.m.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("apply migrations: %w", err)
	}
	for _, mg := range group.Migrations {
		applied = append(applied, mg.Name+"_"+mg.Comment)
	}
	return applied, nil
}

// Down rolls back the last applied group of migrations.
func (m *Migrator) Down(ctx context.Context) (rolledBack []string, err error) {
	release, err := exclusive(ctx, m.db)
	if err != nil {
		return nil, err
	}
	defer release()
	if err := m.m.Init(ctx); err != nil {
		return nil, err
	}
	if err := lockMigrations(ctx, m.m); err != nil {
		return nil, err
	}
	defer func() {
		if uerr := m.m.Unlock(ctx); uerr != nil && err == nil {
			err = uerr
		}
	}()
	group, err := m.m.Rollback(ctx)
	if err != nil {
		return nil, fmt.Errorf("roll back migrations: %w", err)
	}
	for _, mg := range group.Migrations {
		rolledBack = append(rolledBack, mg.Name+"_"+mg.Comment)
	}
	return rolledBack, nil
}

// Status writes one line per migration saying whether it is applied.
func (m *Migrator) Status(ctx context.Context, w io.Writer) error {
	if err := m.m.Init(ctx); err != nil {
		return err
	}
	ms, err := m.m.MigrationsWithStatus(ctx)
	if err != nil {
		return err
	}
	for _, mg := range ms {
		state := "pending"
		if mg.IsApplied() {
			state = fmt.Sprintf("applied (group %d, %s)", mg.GroupID, mg.MigratedAt.UTC().Format("2006-01-02 15:04:05"))
		}
		fmt.Fprintf(w, "%s_%s\t%s\n", mg.Name, mg.Comment, state)
	}
	return nil
}
