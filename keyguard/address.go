// Package keyguard holds the checks `aitbcd start` makes on the consensus
// key before CometBFT may sign with it: that the key is the one
// VALIDATOR_ADDRESS names (local file or remote signer), that its file is
// not readable by everyone, and which double-sign lookback the start uses.
package keyguard

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/cometbft/cometbft/crypto"
	"github.com/cosmos/cosmos-sdk/types/bech32"
)

// EnvValidatorAddress is the seed's variable naming the consensus address
// this node must sign as.
const EnvValidatorAddress = "VALIDATOR_ADDRESS"

// ParseAddress reads a consensus address in CometBFT's hex form (20 bytes,
// 0x optional, either case) or as bech32 with the chain's consensus prefix
// (aitvalcons1…). Errors say which form was expected.
func ParseAddress(raw, consPrefix string) (crypto.Address, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil, fmt.Errorf("empty address: want 40 hex digits (0x optional) or %s1…", consPrefix)
	}
	if strings.Contains(s, "1") && !isHex(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")) {
		hrp, bz, err := bech32.DecodeAndConvert(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither hex nor valid bech32: %v", s, err)
		}
		if hrp != consPrefix {
			return nil, fmt.Errorf("%q has prefix %q: want a consensus address, %s1… (or its hex form)", s, hrp, consPrefix)
		}
		if len(bz) != crypto.AddressSize {
			return nil, fmt.Errorf("%q holds %d bytes: a consensus address has %d", s, len(bz), crypto.AddressSize)
		}
		return crypto.Address(bz), nil
	}
	h := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	bz, err := hex.DecodeString(h)
	if err != nil || len(bz) != crypto.AddressSize {
		return nil, fmt.Errorf("%q: want %d hex digits (0x optional) or %s1…", s, 2*crypto.AddressSize, consPrefix)
	}
	return crypto.Address(bz), nil
}

// Bech32 is the address in the chain's consensus bech32 form, for messages.
func Bech32(addr crypto.Address, consPrefix string) string {
	s, err := bech32.ConvertAndEncode(consPrefix, addr)
	if err != nil {
		return addr.String()
	}
	return s
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return false
		}
	}
	return true
}
