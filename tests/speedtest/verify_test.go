package speedtest

import (
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
)

// BenchmarkVerifySignature is the secp256k1 check every transaction pays in
// CheckTx and again in FinalizeBlock. Built with -tags libsecp256k1_sdk it
// measures the SDK's cgo libsecp256k1 instead of the pure-Go decred code.
func BenchmarkVerifySignature(b *testing.B) {
	priv := secp256k1.GenPrivKeyFromSecret([]byte("verify"))
	pub := priv.PubKey()
	msg := []byte("a sign doc of about the size of a bank send's, give or take a few bytes of fee and memo")
	sig, err := priv.Sign(msg)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !pub.VerifySignature(msg, sig) {
			b.Fatal("signature does not verify")
		}
	}
}
