package localnet

import (
	"fmt"
	"strings"

	poatypes "github.com/aitbc/chain/x/poa/types"
)

// EnvConsensusMode is the seed's variable for the x/poa mode a new chain
// starts in.
const EnvConsensusMode = "CONSENSUS_MODE"

// ConsensusMode is a new chain's x/poa mode at genesis, spelled as the
// seed's CONSENSUS_MODE spells it (poa, hybrid, pos): that is how
// localnet.json and the commands' output show it.
type ConsensusMode string

const (
	ConsensusModePoA    ConsensusMode = "poa"
	ConsensusModeHybrid ConsensusMode = "hybrid"
	ConsensusModePoS    ConsensusMode = "pos"

	// DefaultConsensusMode is the seed's CONSENSUS_MODE default.
	DefaultConsensusMode = ConsensusModePoA
)

// ParseConsensusMode accepts poa, hybrid or pos in any letter case, with
// surrounding spaces. It is the one parser of CONSENSUS_MODE and
// --consensus-mode.
func ParseConsensusMode(raw string) (ConsensusMode, error) {
	mode := ConsensusMode(strings.ToLower(strings.TrimSpace(raw)))
	if _, err := mode.PoAMode(); err != nil {
		return "", err
	}
	return mode, nil
}

// PoAMode is the x/poa params mode the chain's genesis gets.
func (m ConsensusMode) PoAMode() (poatypes.Mode, error) {
	mode, err := poatypes.ParseMode(string(m))
	if err != nil {
		return poatypes.ModeUnspecified, fmt.Errorf("want %s, %s or %s", ConsensusModePoA, ConsensusModeHybrid, ConsensusModePoS)
	}
	return mode, nil
}

// ConsensusModeFromEnv reads CONSENSUS_MODE through getenv: the mode, whether
// the variable was set, or an error naming the variable.
func ConsensusModeFromEnv(getenv func(string) string) (ConsensusMode, bool, error) {
	raw := strings.TrimSpace(getenv(EnvConsensusMode))
	if raw == "" {
		return DefaultConsensusMode, false, nil
	}
	mode, err := ParseConsensusMode(raw)
	if err != nil {
		return "", false, fmt.Errorf("invalid %s=%q: %w", EnvConsensusMode, raw, err)
	}
	return mode, true, nil
}
