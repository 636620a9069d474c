package cmd

import (
	"fmt"
	"strings"

	poatypes "github.com/aitbc/chain/x/poa/types"
)

// ConsensusMode is a localnet's x/poa mode at genesis, spelled as the seed's
// CONSENSUS_MODE spells it (poa, hybrid, pos): that is how localnet.json and
// the command's output show it.
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
	mode := ConsensusMode(strings.ToLower(strings.TrimSpace(raw)))
	if _, err := mode.PoAMode(); err != nil {
		return "", err
	}
	return mode, nil
}

// PoAMode is the x/poa params mode the localnet's genesis gets.
func (m ConsensusMode) PoAMode() (poatypes.Mode, error) {
	mode, err := poatypes.ParseMode(string(m))
	if err != nil {
		return poatypes.ModeUnspecified, fmt.Errorf("want %s, %s or %s", ConsensusModePoA, ConsensusModeHybrid, ConsensusModePoS)
	}
	return mode, nil
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
