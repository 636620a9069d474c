package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sampleToml = `# top comment
chain-id = ""
laddr = "tcp://0.0.0.0:1"

[rpc]
# the rpc address
laddr = "tcp://127.0.0.1:26657"

[p2p]
laddr = "tcp://0.0.0.0:26656"
`

func TestSetTomlValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(sampleToml), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := setTomlValues(path, "p2p", map[string]string{"laddr": "tcp://127.0.0.1:26656"}); err != nil {
		t.Fatal(err)
	}
	if err := setTomlValues(path, "", map[string]string{"chain-id": "ait-devnet-1"}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	got := string(raw)
	for _, want := range []string{
		"# top comment\nchain-id = \"ait-devnet-1\"\nladdr = \"tcp://0.0.0.0:1\"",
		"[rpc]\n# the rpc address\nladdr = \"tcp://127.0.0.1:26657\"",
		"[p2p]\nladdr = \"tcp://127.0.0.1:26656\"",
	} {
		if !strings.Contains(got, want) {
			t.Fatalf("missing %q in:\n%s", want, got)
		}
	}

	err := setTomlValues(path, "rpc", map[string]string{"nope": "x", "laddr": "y"})
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("want an error naming the missing key, got %v", err)
	}
	if err := setTomlValues(filepath.Join(t.TempDir(), "missing.toml"), "", map[string]string{"a": "b"}); err == nil {
		t.Fatal("want an error for a missing file")
	}
}

func TestSetTomlLiterals(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte("[p2p]\n# keep me\nallow_duplicate_ip = false\naddr_book_strict = true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := setTomlLiterals(path, "p2p", map[string]string{"allow_duplicate_ip": "true", "addr_book_strict": "false"}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if want := "[p2p]\n# keep me\nallow_duplicate_ip = true\naddr_book_strict = false\n"; string(raw) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", raw, want)
	}
}

func TestTomlHasSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.toml")
	if err := os.WriteFile(path, []byte(sampleToml+"\n# [facade] in a comment\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if !tomlHasSection(path, "p2p") || tomlHasSection(path, "facade") || tomlHasSection(path+".missing", "p2p") {
		t.Fatal("tomlHasSection is wrong")
	}
}
