package sigcache

import (
	"fmt"

	"google.golang.org/protobuf/types/known/anypb"

	errorsmod "cosmossdk.io/errors"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	"github.com/cosmos/cosmos-sdk/x/auth/ante"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
	txsigning "github.com/cosmos/cosmos-sdk/x/tx/signing"
)

// SigVerificationDecorator is the SDK's SigVerificationDecorator with the
// cryptographic check answered from the cache when it can be. The SDK's
// decorator still runs first and does everything else it does (signer count,
// pubkey presence, sequence, unordered nonces) in the same order with the same
// errors; only the signature check moves here. Multisig transactions, and
// simulation, re-checks and contexts that skip verification, go to the SDK's
// decorator untouched.
type SigVerificationDecorator struct {
	sdkDecorator ante.SigVerificationDecorator
	ak           ante.AccountKeeper
	handler      *txsigning.HandlerMap
	cache        *Cache
}

// NewSigVerificationDecorator returns the decorator; it replaces
// ante.NewSigVerificationDecorator in the ante chain.
func NewSigVerificationDecorator(ak ante.AccountKeeper, handler *txsigning.HandlerMap, cache *Cache, opts ...ante.SigVerificationDecoratorOption) SigVerificationDecorator {
	return SigVerificationDecorator{
		sdkDecorator: ante.NewSigVerificationDecorator(ak, handler, opts...),
		ak:           ak,
		handler:      handler,
		cache:        cache,
	}
}

func (d SigVerificationDecorator) AnteHandle(ctx sdk.Context, tx sdk.Tx, simulate bool, next sdk.AnteHandler) (sdk.Context, error) {
	sigs, single := singleSignatures(tx)
	if simulate || ctx.IsReCheckTx() || !ctx.IsSigverifyTx() || !single {
		return d.sdkDecorator.AnteHandle(ctx, tx, simulate, next)
	}
	// The SDK's decorator checks everything but the signatures, then hands
	// over to verify, which restores the flag for the rest of the chain.
	return d.sdkDecorator.AnteHandle(ctx.WithIsSigverifyTx(false), tx, simulate,
		func(ctx sdk.Context, tx sdk.Tx, simulate bool) (sdk.Context, error) {
			ctx = ctx.WithIsSigverifyTx(true)
			if err := d.verify(ctx, tx, sigs); err != nil {
				return ctx, err
			}
			return next(ctx, tx, simulate)
		})
}

// singleSignatures returns tx's signatures and whether every one is a single key's.
func singleSignatures(tx sdk.Tx) ([]signing.SignatureV2, bool) {
	sigTx, ok := tx.(authsigning.Tx)
	if !ok {
		return nil, false
	}
	sigs, err := sigTx.GetSignaturesV2()
	if err != nil {
		return nil, false
	}
	for _, sig := range sigs {
		if _, ok := sig.Data.(*signing.SingleSignatureData); !ok {
			return nil, false
		}
	}
	return sigs, true
}

// verify checks every signature of tx as the SDK's decorator would. The SDK's
// decorator has already read and charged for the signer accounts, so they
// are read again here without gas: a cache hit or miss never changes gas.
func (d SigVerificationDecorator) verify(ctx sdk.Context, tx sdk.Tx, sigs []signing.SignatureV2) error {
	sigTx := tx.(authsigning.Tx) // singleSignatures checked it
	adaptableTx, ok := tx.(authsigning.V2AdaptableTx)
	if !ok {
		return fmt.Errorf("expected tx to implement V2AdaptableTx, got %T", tx)
	}
	signers, err := sigTx.GetSigners()
	if err != nil {
		return err
	}
	readCtx := ctx.WithGasMeter(storetypes.NewInfiniteGasMeter())
	txData := adaptableTx.GetSigningTxData()
	for i, sig := range sigs {
		acc, err := ante.GetSignerAcc(readCtx, d.ak, signers[i])
		if err != nil {
			return err
		}
		pubKey := acc.GetPubKey()
		var accNum uint64
		// As the SDK: gentxs are signed with account number 0. After a
		// restart the app's ante chain gives CheckTx the next height first
		// (app/ante.go, checkHeightDecorator), so 0 here is genesis.
		if ctx.BlockHeight() != 0 {
			accNum = acc.GetAccountNumber()
		}
		anyPk, err := codectypes.NewAnyWithValue(pubKey)
		if err != nil {
			return errorsmod.Wrap(sdkerrors.ErrInvalidPubKey, err.Error())
		}
		signerData := txsigning.SignerData{
			Address:       acc.GetAddress().String(),
			ChainID:       ctx.ChainID(),
			AccountNumber: accNum,
			Sequence:      sig.Sequence,
			PubKey:        &anypb.Any{TypeUrl: anyPk.TypeUrl, Value: anyPk.Value},
		}
		err = authsigning.VerifySignature(readCtx, cachedPubKey{PubKey: pubKey, cache: d.cache}, signerData, sig.Data, d.handler, txData)
		if err != nil {
			// The SDK's wording, so clients see the same errors as on any Cosmos chain.
			if ante.OnlyLegacyAminoSigners(sig.Data) {
				return errorsmod.Wrapf(sdkerrors.ErrUnauthorized,
					"signature verification failed; please verify account number (%d), sequence (%d) and chain-id (%s)",
					accNum, acc.GetSequence(), ctx.ChainID())
			}
			return errorsmod.Wrapf(sdkerrors.ErrUnauthorized,
				"signature verification failed; please verify account number (%d) and chain-id (%s): (%s)",
				accNum, ctx.ChainID(), err.Error())
		}
	}
	return nil
}

// cachedPubKey answers VerifySignature from the cache, and stores what it
// verified.
type cachedPubKey struct {
	cryptotypes.PubKey
	cache *Cache
}

func (k cachedPubKey) VerifySignature(msg, sig []byte) bool {
	entry := entryKey(k.Type(), k.Bytes(), msg, sig)
	if k.cache.contains(entry) {
		return true
	}
	if !k.PubKey.VerifySignature(msg, sig) {
		return false
	}
	k.cache.add(entry)
	return true
}
