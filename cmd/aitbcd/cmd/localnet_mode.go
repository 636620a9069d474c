package cmd

import (
	"fmt"

	"github.com/aitbc/chain/networks/localnet"
)

// ConsensusMode and its one parser live in networks/localnet.
type ConsensusMode = localnet.ConsensusMode

const (
	ConsensusModePoA     = localnet.ConsensusModePoA
	ConsensusModeHybrid  = localnet.ConsensusModeHybrid
	ConsensusModePoS     = localnet.ConsensusModePoS
	DefaultConsensusMode = localnet.DefaultConsensusMode
)

// ParseConsensusMode accepts poa, hybrid or pos in any letter case.
func ParseConsensusMode(raw string) (ConsensusMode, error) { return localnet.ParseConsensusMode(raw) }

// resolveConsensusMode picks the mode from the --consensus-mode flag when it
// was given, else from CONSENSUS_MODE, else the default. A bad value is an
// error naming where it came from.
func resolveConsensusMode(getenv func(string) string, flagValue string, flagSet bool) (mode ConsensusMode, explicit bool, err error) {
	if flagSet {
		mode, err := localnet.ParseConsensusMode(flagValue)
		if err != nil {
			return "", false, fmt.Errorf("invalid --%s=%q: %w", flagConsensusMode, flagValue, err)
		}
		return mode, true, nil
	}
	return localnet.ConsensusModeFromEnv(getenv)
}
