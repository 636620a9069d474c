package loadgen

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"runtime"
	"sync"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	computetypes "github.com/aitbc/chain/x/compute/types"
)

// Denom is the fee and transfer denomination.
const Denom = "uait"

// account is one load account: its key and what the chain says of it.
type account struct {
	priv     *secp256k1.PrivKey
	addr     sdk.AccAddress
	bech32   string
	number   uint64
	sequence uint64 // the next sequence to sign with
}

// newAccounts derives k keys from seed, so a run can be repeated exactly.
func newAccounts(seed int64, k int) []*account {
	accs := make([]*account, k)
	for i := range accs {
		var secret [16]byte
		binary.BigEndian.PutUint64(secret[:8], uint64(seed))
		binary.BigEndian.PutUint64(secret[8:], uint64(i))
		priv := secp256k1.GenPrivKeyFromSecret(secret[:])
		addr := sdk.AccAddress(priv.PubKey().Address())
		accs[i] = &account{priv: priv, addr: addr, bech32: addr.String()}
	}
	return accs
}

// slot is the plan of transaction i: who signs it with which sequence.
type slot struct {
	Account  int
	Sequence uint64
}

// planSlots spreads n transactions round-robin over the accounts: transaction
// i is signed by account i mod k with that account's next sequence, so each
// account's sequences rise by one in the order the transactions are sent.
func planSlots(startSeqs []uint64, n int) []slot {
	k := len(startSeqs)
	slots := make([]slot, n)
	for i := range slots {
		a := i % k
		slots[i] = slot{Account: a, Sequence: startSeqs[a] + uint64(i/k)}
	}
	return slots
}

// connectionOf is the connection that carries account a's transactions: one
// per account, so CheckTx sees each account's sequences in order.
func connectionOf(account, connections int) int { return account % connections }

// feeFor is ceil(gas × price) in uait.
func feeFor(gas uint64, price float64) sdkmath.Int {
	return sdkmath.NewInt(int64(math.Ceil(float64(gas) * price)))
}

// loadTx is one pre-signed transaction.
type loadTx struct {
	bytes []byte
	hash  [32]byte
	slot  slot
}

// signer builds and signs transactions offline.
type signer struct {
	txConfig client.TxConfig
	chainID  string
	kind     string
	gas      uint64
	fee      sdk.Coins
}

// msgFor is the load message account a sends as its seq-th transaction.
func (s *signer) msgFor(accs []*account, a int, seq uint64) sdk.Msg {
	from := accs[a]
	if s.kind == KindJob {
		input := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", from.bech32, seq)))
		return &computetypes.MsgSubmitJob{
			Client:          from.bech32,
			JobType:         "inference",
			Model:           "loadgen",
			InputHash:       hex.EncodeToString(input[:]),
			MaxUnits:        1,
			MaxPricePerUnit: sdkmath.OneInt(),
			DeadlineBlocks:  1000,
		}
	}
	to := accs[(a+1)%len(accs)]
	return banktypes.NewMsgSend(from.addr, to.addr, sdk.NewCoins(sdk.NewInt64Coin(Denom, 1)))
}

// sign returns the signed bytes of msg from acc with sequence seq (SIGN_MODE_DIRECT).
func (s *signer) sign(ctx context.Context, acc *account, seq uint64, gas uint64, fee sdk.Coins, msgs ...sdk.Msg) ([]byte, error) {
	b := s.txConfig.NewTxBuilder()
	if err := b.SetMsgs(msgs...); err != nil {
		return nil, err
	}
	b.SetGasLimit(gas)
	b.SetFeeAmount(fee)
	mode := signing.SignMode_SIGN_MODE_DIRECT
	// The signer info (public key, sequence) is part of what DIRECT signs.
	empty := signing.SignatureV2{PubKey: acc.priv.PubKey(), Data: &signing.SingleSignatureData{SignMode: mode}, Sequence: seq}
	if err := b.SetSignatures(empty); err != nil {
		return nil, err
	}
	data := authsigning.SignerData{
		Address: acc.bech32, ChainID: s.chainID, AccountNumber: acc.number, Sequence: seq,
		PubKey: acc.priv.PubKey(),
	}
	sig, err := tx.SignWithPrivKey(ctx, mode, data, b, acc.priv, s.txConfig, seq)
	if err != nil {
		return nil, err
	}
	if err := b.SetSignatures(sig); err != nil {
		return nil, err
	}
	return s.txConfig.TxEncoder()(b.GetTx())
}

// presign signs every planned transaction, in parallel across accounts.
func (s *signer) presign(ctx context.Context, accs []*account, slots []slot) ([]*loadTx, error) {
	out := make([]*loadTx, len(slots))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(slots); i += workers {
				sl := slots[i]
				bz, err := s.sign(ctx, accs[sl.Account], sl.Sequence, s.gas, s.fee, s.msgFor(accs, sl.Account, sl.Sequence))
				if err != nil {
					errs[w] = fmt.Errorf("signing transaction %d (account %d, sequence %d): %w", i, sl.Account, sl.Sequence, err)
					return
				}
				out[i] = &loadTx{bytes: bz, hash: sha256.Sum256(bz), slot: sl}
			}
		}(w)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
