package loadgen

import (
	"context"
	"testing"

	dbm "github.com/cosmos/cosmos-db"

	"cosmossdk.io/log/v2"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aitbc/chain/app"
	computetypes "github.com/aitbc/chain/x/compute/types"
)

func TestPlanSlotsSequences(t *testing.T) {
	start := []uint64{0, 5, 2}
	slots := planSlots(start, 8)
	want := []slot{{0, 0}, {1, 5}, {2, 2}, {0, 1}, {1, 6}, {2, 3}, {0, 2}, {1, 7}}
	for i := range want {
		if slots[i] != want[i] {
			t.Fatalf("slot %d = %+v, want %+v (all %+v)", i, slots[i], want[i], slots)
		}
	}
}

// Every account's transactions travel on one connection in rising sequence
// order with no gap, whatever the numbers of accounts and connections.
func TestSequencesInOrderPerConnection(t *testing.T) {
	for _, k := range []int{1, 3, 8, 13} {
		for _, conns := range []int{1, 2, 4, 8} {
			start := make([]uint64, k)
			for a := range start {
				start[a] = uint64(a * 3)
			}
			next := append([]uint64(nil), start...)
			connOf := map[int]int{}
			for _, s := range planSlots(start, 101) {
				c := connectionOf(s.Account, conns)
				if prev, ok := connOf[s.Account]; ok && prev != c {
					t.Fatalf("k=%d conns=%d: account %d on connections %d and %d", k, conns, s.Account, prev, c)
				}
				connOf[s.Account] = c
				if s.Sequence != next[s.Account] {
					t.Fatalf("k=%d conns=%d: account %d sends sequence %d, want %d", k, conns, s.Account, s.Sequence, next[s.Account])
				}
				next[s.Account]++
			}
		}
	}
}

func TestFeeFor(t *testing.T) {
	if got := feeFor(100_000, 0.025); got.Int64() != 2500 {
		t.Fatalf("fee = %s", got)
	}
	if got := feeFor(100_001, 0.025); got.Int64() != 2501 {
		t.Fatalf("fee rounds down: %s", got)
	}
}

type noAppOptions struct{}

func (noAppOptions) Get(string) any { return nil }

// Pre-signed transactions decode, carry the planned sequence, and verify
// under the account number and chain id they were signed for.
func TestPresignSignsWithAccountNumberAndSequence(t *testing.T) {
	a := app.New(log.NewNopLogger(), dbm.NewMemDB(), false, noAppOptions{})
	txConfig := a.TxConfig()
	accs := newAccounts(7, 3)
	for i, acc := range accs {
		acc.number, acc.sequence = uint64(40+i), uint64(i*10)
	}
	if again := newAccounts(7, 3); !again[2].addr.Equals(accs[2].addr) {
		t.Fatal("the same seed derived different accounts")
	}
	if other := newAccounts(8, 3); other[0].addr.Equals(accs[0].addr) {
		t.Fatal("different seeds derived the same account")
	}
	for _, kind := range []string{KindSend, KindJob} {
		s := &signer{txConfig: txConfig, chainID: "ait-test-1", kind: kind, gas: 100_000,
			fee: sdk.NewCoins(sdk.NewInt64Coin(Denom, 2500))}
		slots := planSlots([]uint64{0, 10, 20}, 7)
		txs, err := s.presign(context.Background(), accs, slots)
		if err != nil {
			t.Fatal(err)
		}
		seenHash := map[[32]byte]bool{}
		for i, lt := range txs {
			if seenHash[lt.hash] {
				t.Fatalf("%s: transaction %d repeats an earlier one", kind, i)
			}
			seenHash[lt.hash] = true
			decoded, err := txConfig.TxDecoder()(lt.bytes)
			if err != nil {
				t.Fatal(err)
			}
			sigTx := decoded.(authsigning.SigVerifiableTx)
			sigs, err := sigTx.GetSignaturesV2()
			if err != nil || len(sigs) != 1 {
				t.Fatalf("signatures %v, %v", sigs, err)
			}
			acc := accs[slots[i].Account]
			if sigs[0].Sequence != slots[i].Sequence {
				t.Fatalf("%s: tx %d has sequence %d, want %d", kind, i, sigs[0].Sequence, slots[i].Sequence)
			}
			msgs := decoded.GetMsgs()
			switch m := msgs[0].(type) {
			case *banktypes.MsgSend:
				if kind != KindSend || m.FromAddress != acc.bech32 {
					t.Fatalf("%s: unexpected send %v", kind, m)
				}
			case *computetypes.MsgSubmitJob:
				if kind != KindJob || m.Client != acc.bech32 || len(m.InputHash) != 64 {
					t.Fatalf("%s: unexpected job %v", kind, m)
				}
			default:
				t.Fatalf("%s: unexpected message %T", kind, m)
			}
			verify := func(number uint64, chainID string) bool {
				data := authsigning.SignerData{Address: acc.bech32, ChainID: chainID, AccountNumber: number,
					Sequence: slots[i].Sequence, PubKey: acc.priv.PubKey()}
				bz, err := authsigning.GetSignBytesAdapter(context.Background(), txConfig.SignModeHandler(),
					signing.SignMode_SIGN_MODE_DIRECT, data, decoded)
				if err != nil {
					t.Fatal(err)
				}
				return acc.priv.PubKey().VerifySignature(bz, sigs[0].Data.(*signing.SingleSignatureData).Signature)
			}
			if !verify(acc.number, "ait-test-1") {
				t.Fatalf("%s: tx %d does not verify under its account number", kind, i)
			}
			if verify(acc.number+1, "ait-test-1") || verify(acc.number, "other-chain") {
				t.Fatalf("%s: tx %d verifies under the wrong account number or chain", kind, i)
			}
		}
	}
}
