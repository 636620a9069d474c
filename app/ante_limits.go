package app

import (
	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/x/authz"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

// What one transaction's messages may hold. The SDK's decoder already stops
// Any nesting at codectypes.MaxUnpackAnyRecursionDepth (10) and
// MaxUnpackAnySubCalls (100 Anys under each top-level message); these bounds
// are ours, tighter, and named in the error a client gets.
const (
	// MaxMsgExecDepth is how deep authz MsgExec may nest: a MsgExec holding
	// a MsgExec holding a message is depth 2. Nobody needs more to act for
	// another account; deeper nesting only makes every check walk further.
	MaxMsgExecDepth = 3
	// MaxTxMessages bounds the messages of one transaction, the ones inside
	// MsgExec included.
	MaxTxMessages = 1000
)

// MsgLimitsDecorator refuses, before any fee is taken, transactions whose
// messages could only fail once in a block: authz MsgExec nested deeper than
// MaxMsgExecDepth, more than MaxTxMessages messages, and bank sends whose
// coins are invalid, not positive, or (MsgMultiSend) whose outputs add up
// past what an amount can hold. x/bank checks the coins only when the
// message runs, so such a transaction used to enter the mempool, reach a
// block and charge its fee; a MultiSend whose outputs overflow made the
// message server panic (recovered, but the client got a stack trace). The
// checks are stateless and read no map into state, so every node decides the
// same in CheckTx and FinalizeBlock.
type MsgLimitsDecorator struct{}

// NewMsgLimitsDecorator returns the decorator.
func NewMsgLimitsDecorator() MsgLimitsDecorator { return MsgLimitsDecorator{} }

// AnteHandle implements sdk.AnteDecorator.
func (MsgLimitsDecorator) AnteHandle(ctx sdk.Context, tx sdk.Tx, simulate bool, next sdk.AnteHandler) (sdk.Context, error) {
	count := 0
	for _, msg := range tx.GetMsgs() {
		if err := checkMsgLimits(msg, 1, &count); err != nil {
			return ctx, err
		}
	}
	return next(ctx, tx, simulate)
}

// checkMsgLimits checks msg, found at nesting depth (1 for a top-level
// message), and counts it and what it holds into count.
func checkMsgLimits(msg sdk.Msg, depth int, count *int) error {
	*count++
	if *count > MaxTxMessages {
		return sdkerrors.ErrInvalidRequest.Wrapf("more than %d messages in one transaction, those inside authz MsgExec included", MaxTxMessages)
	}
	switch m := msg.(type) {
	case *authz.MsgExec:
		if depth > MaxMsgExecDepth {
			return sdkerrors.ErrInvalidRequest.Wrapf("authz MsgExec nested more than %d deep", MaxMsgExecDepth)
		}
		inner, err := m.GetMessages()
		if err != nil {
			return err
		}
		for _, im := range inner {
			if err := checkMsgLimits(im, depth+1, count); err != nil {
				return err
			}
		}
	case *banktypes.MsgSend:
		// The same checks and errors as x/bank's Send, moved before the fee.
		if !m.Amount.IsValid() || !m.Amount.IsAllPositive() {
			return sdkerrors.ErrInvalidCoins.Wrapf("send amount %q: want positive amounts of valid denoms", m.Amount.String())
		}
	case *banktypes.MsgMultiSend:
		return checkMultiSend(m)
	}
	return nil
}

// checkMultiSend is x/bank's MultiSend validation, with the outputs summed
// without overflow first: banktypes.ValidateInputOutputs adds them with
// Coins.Add, which panics past 2^256-1.
func checkMultiSend(m *banktypes.MsgMultiSend) error {
	switch {
	case len(m.Inputs) == 0:
		return banktypes.ErrNoInputs
	case len(m.Inputs) != 1:
		return banktypes.ErrMultipleSenders
	case len(m.Outputs) == 0:
		return banktypes.ErrNoOutputs
	}
	totals := make(map[string]sdkmath.Int) // looked up only, never iterated
	for _, out := range m.Outputs {
		if err := out.ValidateBasic(); err != nil {
			return err
		}
		for _, c := range out.Coins {
			sum, ok := totals[c.Denom]
			if !ok {
				sum = sdkmath.ZeroInt()
			}
			sum, err := sum.SafeAdd(c.Amount)
			if err != nil {
				return sdkerrors.ErrInvalidCoins.Wrapf("multi-send outputs of %s add up past the largest amount (2^256-1)", c.Denom)
			}
			totals[c.Denom] = sum
		}
	}
	return banktypes.ValidateInputOutputs(m.Inputs[0], m.Outputs)
}
