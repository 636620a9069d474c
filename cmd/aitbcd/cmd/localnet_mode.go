package cmd

import (
	"fmt"
	"strings"

	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
)

// EnvConsensusMode is the seed's variable that picks the validator-governance
// mode a new chain starts in.
const EnvConsensusMode = "CONSENSUS_MODE"

// ConsensusMode is how the validator set is governed: by an authority (poa),
// by an authority's allow-list of operators who bond stake (hybrid), or by
// open staking (pos).
type ConsensusMode string

const (
	ConsensusModePoA    ConsensusMode = "poa"
	ConsensusModeHybrid ConsensusMode = "hybrid"
	ConsensusModePoS    ConsensusMode = "pos"

	// DefaultConsensusMode is the seed's CONSENSUS_MODE default.
	DefaultConsensusMode = ConsensusModePoA
)

// ParseConsensusMode accepts poa, hybrid or pos in any letter case.
func ParseConsensusMode(raw string) (ConsensusMode, error) {
	switch mode := ConsensusMode(strings.ToLower(strings.TrimSpace(raw))); mode {
	case ConsensusModePoA, ConsensusModeHybrid, ConsensusModePoS:
		return mode, nil
	default:
		return "", fmt.Errorf("want %s, %s or %s", ConsensusModePoA, ConsensusModeHybrid, ConsensusModePoS)
	}
}

// resolveConsensusMode picks the mode from the --consensus-mode flag when it
// was given, else from CONSENSUS_MODE, else the default. A bad value is an
// error naming where it came from.
func resolveConsensusMode(getenv func(string) string, flagValue string, flagSet bool) (mode ConsensusMode, explicit bool, err error) {
	if flagSet {
		mode, err := ParseConsensusMode(flagValue)
		if err != nil {
			return "", false, fmt.Errorf("invalid --%s=%q: %w", flagConsensusMode, flagValue, err)
		}
		return mode, true, nil
	}
	if raw := strings.TrimSpace(getenv(EnvConsensusMode)); raw != "" {
		mode, err := ParseConsensusMode(raw)
		if err != nil {
			return "", false, fmt.Errorf("invalid %s=%q: %w", EnvConsensusMode, raw, err)
		}
		return mode, true, nil
	}
	return DefaultConsensusMode, false, nil
}

// setGenesisConsensusMode records the validator-governance mode a new chain
// starts in, in its genesis file.
//
// The x/poa module, which stores the mode in its params, wires this: it will
// write the mode into x/poa's genesis params here. Until x/poa exists the mode
// is only validated (and recorded in the localnet's localnet.json), and the
// genesis file is read to fail early but left unchanged.
func setGenesisConsensusMode(genesisFile string, mode ConsensusMode) error {
	if _, err := ParseConsensusMode(string(mode)); err != nil {
		return fmt.Errorf("consensus mode %q: %w", mode, err)
	}
	if _, err := genutiltypes.AppGenesisFromFile(genesisFile); err != nil {
		return fmt.Errorf("setting the consensus mode: %w", err)
	}
	return nil
}
