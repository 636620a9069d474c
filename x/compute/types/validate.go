package types

import (
	sdkmath "cosmossdk.io/math"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/crypto/keys/ed25519"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
)

// SigningKey returns the receipt-signing key inside an Any: secp256k1 or ed25519.
func SigningKey(a *codectypes.Any) (cryptotypes.PubKey, error) {
	if a == nil {
		return nil, ErrInvalidPubKey.Wrap("a signing key is required")
	}
	pk, ok := a.GetCachedValue().(cryptotypes.PubKey)
	if !ok {
		return nil, ErrInvalidPubKey.Wrapf("%s is not a public key", a.TypeUrl)
	}
	switch pk.(type) {
	case *secp256k1.PubKey, *ed25519.PubKey:
		return pk, nil
	}
	return nil, ErrInvalidPubKey.Wrapf("%s: want secp256k1 or ed25519", pk.Type())
}

// ValidateOffer checks what a provider offers.
func ValidateOffer(endpoint string, hw Hardware, models []string, price sdkmath.Int) error {
	if len(endpoint) > MaxEndpointLen {
		return ErrInvalidProvider.Wrapf("endpoint has %d bytes, at most %d", len(endpoint), MaxEndpointLen)
	}
	if len(hw.GpuModel) > MaxGPUModelLen {
		return ErrInvalidProvider.Wrapf("hardware.gpu_model has %d bytes, at most %d", len(hw.GpuModel), MaxGPUModelLen)
	}
	if len(models) == 0 || len(models) > MaxModels {
		return ErrInvalidProvider.Wrapf("%d models: want 1 to %d", len(models), MaxModels)
	}
	seen := make(map[string]bool, len(models))
	for _, m := range models {
		if m == "" || len(m) > MaxModelLen {
			return ErrInvalidProvider.Wrapf("model %q: want 1 to %d bytes", clip(m), MaxModelLen)
		}
		if seen[m] {
			return ErrInvalidProvider.Wrapf("model %q listed twice", clip(m))
		}
		seen[m] = true
	}
	if price.IsNil() || !price.IsPositive() {
		return ErrInvalidProvider.Wrap("price_per_unit must be positive")
	}
	return nil
}

// Supports reports whether the provider serves model.
func (p Provider) Supports(model string) bool {
	for _, m := range p.Models {
		if m == model {
			return true
		}
	}
	return false
}

// Escrowed reports whether the module holds the job's escrow in this state.
func (s JobState) Escrowed() bool {
	return s == JobOpen || s == JobAssigned || s == JobDelivered || s == JobDisputed
}

// HoldsProvider reports whether the job keeps its provider busy in this state.
func (s JobState) HoldsProvider() bool {
	return s == JobAssigned || s == JobDelivered || s == JobDisputed
}

// clip shortens a client's string for an error message, so a refused
// oversized field is not echoed back whole.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
