package cmd

import "github.com/aitbc/chain/networks/localnet/tomledit"

// setTomlValues sets string keys of one section ("" for the top level),
// keeping comments and layout; see tomledit.SetValues.
func setTomlValues(path, section string, values map[string]string) error {
	return tomledit.SetValues(path, section, values)
}

// setTomlLiterals is setTomlValues for values that are already TOML literals.
func setTomlLiterals(path, section string, values map[string]string) error {
	return tomledit.SetLiterals(path, section, values)
}

// tomlHasSection reports whether the TOML file has a [section] header.
func tomlHasSection(path, section string) bool { return tomledit.HasSection(path, section) }
