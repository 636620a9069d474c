// Package app wires the AITBC chain: the Cosmos SDK modules it runs, their
// keepers, the ante handler and the genesis defaults. Wiring is explicit (no
// depinject) so that it can be read top to bottom: app/keepers builds the
// store keys and keepers, modules.go lists the modules and every block and
// genesis order, and app.go puts them together on BaseApp (README.md).
package app

import (
	"fmt"
	"os"
	"path/filepath"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

const (
	// AppName is the name reported by the ABCI Info call and used in logs.
	AppName = "aitbc"

	// AccountAddressPrefix is the bech32 human-readable part of account addresses (ait1…).
	AccountAddressPrefix = "ait"

	// BondDenom is the base denomination used for staking and fees. 1 AIT = 10^6 uait.
	BondDenom = "uait"
	// DisplayDenom is the human-facing denomination.
	DisplayDenom = "ait"
	// DisplayExponent is the number of decimals between BondDenom and DisplayDenom.
	DisplayExponent = 6

	// DefaultMinGasPrices is the local minimum gas price every node enforces in
	// CheckTx unless its operator sets another one in app.toml.
	DefaultMinGasPrices = "0.025" + BondDenom
)

// Bech32 prefixes derived from AccountAddressPrefix, following the SDK convention.
var (
	AccountPubKeyPrefix    = AccountAddressPrefix + "pub"
	ValidatorAddressPrefix = AccountAddressPrefix + "valoper"
	ValidatorPubKeyPrefix  = AccountAddressPrefix + "valoperpub"
	ConsNodeAddressPrefix  = AccountAddressPrefix + "valcons"
	ConsNodePubKeyPrefix   = AccountAddressPrefix + "valconspub"
)

// DefaultNodeHome is where aitbcd keeps its configuration and data unless --home says otherwise.
var DefaultNodeHome = defaultNodeHome()

func defaultNodeHome() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ".aitbcd"
	}
	return filepath.Join(home, ".aitbcd")
}

// SetAddressConfig installs the ait bech32 prefixes into the SDK's global
// address configuration. Commands and tests call it once before any address
// is parsed or printed; calling it again is harmless.
func SetAddressConfig() {
	pinConfigScope()
	cfg := sdk.GetConfig()
	if cfg.GetBech32AccountAddrPrefix() == AccountAddressPrefix {
		return
	}
	cfg.SetBech32PrefixForAccount(AccountAddressPrefix, AccountPubKeyPrefix)
	cfg.SetBech32PrefixForValidator(ValidatorAddressPrefix, ValidatorPubKeyPrefix)
	cfg.SetBech32PrefixForConsensusNode(ConsNodeAddressPrefix, ConsNodePubKeyPrefix)
	cfg.Seal()
}

// pinConfigScope makes sdk.GetConfig cheap. The SDK keeps one address
// configuration per "host|executable|pid" scope and, unless the
// COSMOS_SDK_CONFIG_SCOPE variable names the scope, recomputes that key on
// every call: a readlink and a uname system call behind every bech32
// conversion, 6 % of a loaded node's CPU (BENCHMARKS.md). Setting the variable
// to the very key the SDK computes keeps the configuration that any earlier
// caller created. Child processes inherit the variable, which is harmless:
// the registry lives in each process's memory.
func pinConfigScope() {
	if os.Getenv(sdk.EnvConfigScope) != "" {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		exe = "unknown-exe"
	}
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	if err := os.Setenv(sdk.EnvConfigScope, fmt.Sprintf("%s|%s|%d", host, exe, os.Getpid())); err != nil {
		panic(err)
	}
}
