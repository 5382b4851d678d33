package database_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

// TestInstancesStartingTogetherBothMigrate starts four migrators at once on one empty
// database, as instances started together by docker compose do: all succeed (the
// others wait for the lock), and each migration is applied once.
func TestInstancesStartingTogetherBothMigrate(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "kontor.db")
		upTogether(t, func() (*database.DB, error) { return database.OpenSQLite(path) })
	})
	t.Run("postgres", func(t *testing.T) {
		base := dbtest.PostgresServer(t)
		admin, err := database.OpenPostgres(base)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		name := fmt.Sprintf("kontor_locks_%d", os.Getpid())
		if _, err := admin.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
			t.Fatal(err)
		}
		i := strings.LastIndex(base, "/")
		rest := base[i+1:]
		q := ""
		if j := strings.IndexByte(rest, '?'); j >= 0 {
			q = rest[j:]
		}
		url := base[:i+1] + name + q
		upTogether(t, func() (*database.DB, error) { return database.OpenPostgres(url) })
	})
}

func upTogether(t *testing.T, open func() (*database.DB, error)) {
	t.Helper()
	const n = 4
	applied := make([][]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		db, err := open()
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := database.NewMigrator(db)
			if err != nil {
				errs[i] = err
				return
			}
			applied[i], errs[i] = m.Up(context.Background())
		}()
	}
	wg.Wait()
	total := 0
	for i := range errs {
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	db, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows int
	if err := db.QueryRowContext(context.Background(), "SELECT count(*) FROM bun_migrations").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if total != rows || rows == 0 {
		t.Fatalf("%d migrations applied in all by the instances, %d recorded", total, rows)
	}
}
