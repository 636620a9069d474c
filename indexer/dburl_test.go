package indexer

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestParseDatabaseURL(t *testing.T) {
	dataDir := t.TempDir()
	cases := []struct {
		raw     string
		dialect Dialect
		path    string // for SQLite
		errHas  string // "" = valid
	}{
		{raw: "", dialect: SQLite, path: filepath.Join(dataDir, "index.db")},
		{raw: "   ", dialect: SQLite, path: filepath.Join(dataDir, "index.db")},
		{raw: "sqlite:///var/lib/aitbc/blockchain.db", dialect: SQLite, path: "/var/lib/aitbc/blockchain.db"},
		{raw: "sqlite:///blockchain.db", dialect: SQLite, path: "/blockchain.db"},
		{raw: "SQLITE:///tmp/x/../y.db", dialect: SQLite, path: "/tmp/y.db"},
		{raw: "postgresql://aitbc:secret@127.0.0.1:5432/aitbc?sslmode=disable", dialect: Postgres},
		{raw: "postgres://localhost/aitbc", dialect: Postgres},
		{raw: "sqlite://blockchain.db", errHas: "three slashes"},
		{raw: "sqlite:///", errHas: "absolute"},
		{raw: "sqlite:///var/lib/", errHas: "absolute"},
		{raw: "sqlite:///x.db?mode=ro", errHas: "no query"},
		{raw: "mysql://root@localhost/aitbc", errHas: "unsupported scheme"},
		{raw: "blockchain.db", errHas: "want sqlite"},
		{raw: "postgresql://aitbc:secret@127.0.0.1:notaport/aitbc", errHas: "PostgreSQL"},
		{raw: "postgresql://127.0.0.1:5432", errHas: "no database"},
	}
	for _, c := range cases {
		t.Run(c.raw, func(t *testing.T) {
			got, err := ParseDatabaseURL(c.raw, dataDir)
			if c.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), c.errHas) {
					t.Fatalf("want an error containing %q, got %v (%+v)", c.errHas, err, got)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Fatalf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Dialect != c.dialect {
				t.Fatalf("dialect %s, want %s", got.Dialect, c.dialect)
			}
			if c.dialect == SQLite && got.Path != c.path {
				t.Fatalf("path %q, want %q", got.Path, c.path)
			}
			if c.dialect == Postgres && got.DSN != strings.TrimSpace(c.raw) {
				t.Fatalf("DSN %q, want %q", got.DSN, c.raw)
			}
			if strings.Contains(got.String(), "secret") {
				t.Fatalf("String() shows the password: %s", got)
			}
		})
	}
	if _, err := ParseDatabaseURL("", ""); err == nil {
		t.Fatal("an empty URL without a data directory was accepted")
	}
}

func TestRedact(t *testing.T) {
	for raw, want := range map[string]string{
		"postgresql://aitbc:secret@127.0.0.1:5432/aitbc":     "postgresql://aitbc:xxxxx@127.0.0.1:5432/aitbc",
		"postgresql://aitbc:secret@127.0.0.1:notaport/aitbc": "postgresql://aitbc:xxxxx@127.0.0.1:notaport/aitbc",
		"postgres://aitbc@host/db?password=no":               "postgres://aitbc@host/db?password=no",
		"sqlite:///var/lib/index.db":                         "sqlite:///var/lib/index.db",
		"not a url":                                          "not a url",
	} {
		if got := Redact(raw); got != want {
			t.Errorf("Redact(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestRebind(t *testing.T) {
	q := `SELECT a FROM t WHERE b = ? AND c IN (?, ?)`
	if got := rebind(Postgres, q); got != `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)` {
		t.Fatalf("postgres: %s", got)
	}
	if got := rebind(SQLite, q); got != q {
		t.Fatalf("sqlite: %s", got)
	}
}
