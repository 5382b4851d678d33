package database_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"testing"

	"github.com/kontor-app/kontor/platform/apperr"
	"github.com/kontor-app/kontor/platform/database"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func TestIsUnavailableOnRealOutages(t *testing.T) {
	t.Run("postgres refuses connections", func(t *testing.T) {
		_, err := database.OpenPostgres("postgres://kontor:kontor@" + closedPort(t) + "/kontor?sslmode=disable")
		if err == nil {
			t.Fatal("connected to a closed port")
		}
		if !database.IsUnavailable(err) || !database.IsUnavailable(apperr.Wrap(err, "load user")) {
			t.Fatalf("a refused connection is not classified unavailable: %v", err)
		}
	})
	t.Run("postgres terminates the session", func(t *testing.T) {
		db := dbtest.NewPostgres(t)
		ctx := context.Background()
		conn, err := db.DB.DB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var pid int
		if err := conn.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "SELECT pg_terminate_backend(?)", pid); err != nil {
			t.Fatal(err)
		}
		_, err = conn.ExecContext(ctx, "SELECT 1")
		if err == nil {
			t.Fatal("a terminated session still answered")
		}
		if !database.IsUnavailable(fmt.Errorf("store: %w", err)) {
			t.Fatalf("a terminated session is not classified unavailable: %T %v", err, err)
		}
		// The pool recovers by itself: the next query gets a fresh connection.
		if _, err := db.ExecContext(ctx, "SELECT 1"); err != nil {
			t.Fatalf("the pool did not recover: %v", err)
		}
	})
	t.Run("sqlite busy past its timeout", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "busy.db")
		holder, err := database.OpenSQLite(path)
		if err != nil {
			t.Fatal(err)
		}
		defer holder.Close()
		ctx := context.Background()
		tx, err := holder.DB.DB.BeginTx(ctx, nil) // _txlock=immediate: takes the write lock
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, "CREATE TABLE t (x INTEGER)"); err != nil {
			t.Fatal(err)
		}
		other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10)&_txlock=immediate")
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		_, err = other.BeginTx(ctx, nil)
		if err == nil {
			t.Fatal("a second writer got the lock")
		}
		if !database.IsUnavailable(apperr.Wrap(err, "record transaction")) {
			t.Fatalf("SQLITE_BUSY is not classified unavailable: %T %v", err, err)
		}
	})
	t.Run("sqlite cannot open its file", func(t *testing.T) {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "missing", "dir", "x.db")+"?mode=rw")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		err = db.PingContext(context.Background())
		if err == nil || !database.IsUnavailable(err) {
			t.Fatalf("an unopenable file is not classified unavailable: %v", err)
		}
	})
}

func TestIsUnavailableLeavesOrdinaryErrorsAlone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		_, syntax := db.ExecContext(ctx, "SELEC nonsense")
		if _, err := db.ExecContext(ctx, "CREATE TABLE u (x INTEGER PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "INSERT INTO u (x) VALUES (1)"); err != nil {
			t.Fatal(err)
		}
		_, unique := db.ExecContext(ctx, "INSERT INTO u (x) VALUES (1)")
		noRows := db.QueryRowContext(ctx, "SELECT x FROM u WHERE x = 2").Scan(new(int))
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, canceled := db.ExecContext(cctx, "SELECT 1")
		for name, err := range map[string]error{
			"syntax": syntax, "unique": unique, "no rows": noRows, "canceled": canceled,
			"plain": errors.New("money: amount out of range"), "deadline": context.DeadlineExceeded,
		} {
			if err == nil {
				t.Fatalf("%s: no error", name)
			}
			if database.IsUnavailable(err) {
				t.Errorf("%s error %v is classified unavailable", name, err)
			}
		}
	})
}
