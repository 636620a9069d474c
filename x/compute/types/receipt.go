package types

import (
	"encoding/hex"
	"fmt"

	sdkmath "cosmossdk.io/math"
)

// ReceiptSignBytesPrefix versions the receipt format.
const ReceiptSignBytesPrefix = "aitbc-compute-receipt/v1"

// ReceiptSignBytes are the exact bytes a provider (and each attesting
// coordinator) signs for a receipt: UTF-8 text, one "key:value" line each,
// every line ending in "\n", in this order:
//
//	aitbc-compute-receipt/v1
//	chain_id:<chain id>
//	job_id:<decimal job id>
//	output_hash:<64 lowercase hex characters>
//	compute_units:<decimal units>
//	price_per_unit:<decimal uait, the price fixed when the job was accepted>
//
// secp256k1 keys sign the SHA-256 of these bytes (as every Cosmos key does),
// ed25519 keys sign them directly. An off-chain worker builds them with this
// function or `aitbcd tx compute sign-receipt`.
func ReceiptSignBytes(chainID string, jobID uint64, outputHash string, units uint64, pricePerUnit sdkmath.Int) []byte {
	return fmt.Appendf(nil, "%s\nchain_id:%s\njob_id:%d\noutput_hash:%s\ncompute_units:%d\nprice_per_unit:%s\n",
		ReceiptSignBytesPrefix, chainID, jobID, outputHash, units, pricePerUnit.String())
}

// ValidateHash accepts a hex-encoded SHA-256: exactly 64 lowercase hex characters.
func ValidateHash(field, h string) error {
	if len(h) != 64 {
		return ErrInvalidHash.Wrapf("%s has %d characters", field, len(h))
	}
	for _, c := range h {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return ErrInvalidHash.Wrapf("%s contains %q", field, c)
		}
	}
	if _, err := hex.DecodeString(h); err != nil {
		return ErrInvalidHash.Wrapf("%s: %v", field, err)
	}
	return nil
}
