// Package tomledit changes keys in the TOML files the SDK and CometBFT write
// (config.toml, app.toml, client.toml) line by line, keeping every comment
// and the layout, so the files stay the annotated templates operators know.
package tomledit

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// SetValues sets string keys of one section ("" for the top level) in a
// TOML file written by the SDK or CometBFT, keeping every comment and the
// layout, so the file stays the annotated template operators know. Every key
// must already exist: a missing key means the template changed and is an error.
func SetValues(path, section string, values map[string]string) error {
	literals := make(map[string]string, len(values))
	for key, value := range values {
		literals[key] = strconv.Quote(value)
	}
	return SetLiterals(path, section, literals)
}

// SetLiterals is SetValues for values that are already TOML literals,
// such as true, 42 or "a string" (quotes included).
func SetLiterals(path, section string, values map[string]string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	lines := strings.Split(string(raw), "\n")
	current := ""
	found := make(map[string]bool, len(values))
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "[") && strings.HasSuffix(trimmed, "]") {
			current = strings.Trim(trimmed, "[]")
			continue
		}
		if current != section {
			continue
		}
		key, _, ok := strings.Cut(trimmed, "=")
		if !ok {
			continue
		}
		key = strings.TrimSpace(key)
		if value, want := values[key]; want && !found[key] {
			lines[i] = key + " = " + value
			found[key] = true
		}
	}
	var missing []string
	for key := range values {
		if !found[key] {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("%s: no key %s in section [%s]", path, strings.Join(missing, ", "), section)
	}
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600)
}

// HasSection reports whether the TOML file has a [section] header.
func HasSection(path, section string) bool {
	raw, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.TrimSpace(line) == "["+section+"]" {
			return true
		}
	}
	return false
}
