package ante_test

import (
	"errors"
	"testing"

	protov2 "google.golang.org/protobuf/proto"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/x/authz"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aitbc/chain/app/apptesting"
	"github.com/aitbc/chain/x/poa/ante"
	"github.com/aitbc/chain/x/poa/types"
)

// msgTx is the smallest sdk.Tx: the gate reads only the messages.
type msgTx []sdk.Msg

func (t msgTx) GetMsgs() []sdk.Msg                    { return t }
func (t msgTx) GetMsgsV2() ([]protov2.Message, error) { return nil, nil }

func account(seed string) sdk.AccAddress {
	return sdk.AccAddress(secp256k1.GenPrivKeyFromSecret([]byte(seed)).PubKey().Address())
}

func TestStakingGate(t *testing.T) {
	listed, stranger := account("listed"), account("stranger")
	val := sdk.ValAddress(account("validator")).String()
	coin := sdk.NewInt64Coin("uait", 1)
	delegate := func(from sdk.AccAddress) sdk.Msg { return stakingtypes.NewMsgDelegate(from.String(), val, coin) }
	create := func(op sdk.AccAddress) sdk.Msg {
		return &stakingtypes.MsgCreateValidator{ValidatorAddress: sdk.ValAddress(op).String(), Value: coin}
	}
	exec := func(grantee sdk.AccAddress, msgs ...sdk.Msg) sdk.Msg {
		m := authz.NewMsgExec(grantee, msgs)
		return &m
	}
	redelegate := stakingtypes.NewMsgBeginRedelegate(stranger.String(), val, val, coin)
	undelegate := stakingtypes.NewMsgUndelegate(stranger.String(), val, coin)
	cancel := stakingtypes.NewMsgCancelUnbondingDelegation(stranger.String(), val, 5, coin)

	cases := []struct {
		mode types.Mode
		name string
		msgs []sdk.Msg
		want error // nil: allowed
	}{
		{types.ModePoA, "delegate", []sdk.Msg{delegate(listed)}, types.ErrModeDisallows},
		{types.ModePoA, "create validator", []sdk.Msg{create(listed)}, types.ErrModeDisallows},
		{types.ModePoA, "redelegate", []sdk.Msg{redelegate}, types.ErrModeDisallows},
		{types.ModePoA, "cancel unbonding", []sdk.Msg{cancel}, types.ErrModeDisallows},
		{types.ModePoA, "undelegate is always allowed", []sdk.Msg{undelegate}, nil},
		{types.ModePoA, "delegate inside MsgExec", []sdk.Msg{exec(stranger, delegate(stranger))}, types.ErrModeDisallows},
		{types.ModePoA, "delegate two MsgExec deep", []sdk.Msg{exec(stranger, exec(stranger, delegate(stranger)))}, types.ErrModeDisallows},
		{types.ModePoA, "delegate after a harmless message", []sdk.Msg{undelegate, delegate(stranger)}, types.ErrModeDisallows},
		{types.ModeHybrid, "allow-listed delegates", []sdk.Msg{delegate(listed)}, nil},
		{types.ModeHybrid, "allow-listed creates a validator", []sdk.Msg{create(listed)}, nil},
		{types.ModeHybrid, "stranger delegates", []sdk.Msg{delegate(stranger)}, types.ErrNotAllowListed},
		{types.ModeHybrid, "stranger creates a validator", []sdk.Msg{create(stranger)}, types.ErrNotAllowListed},
		{types.ModeHybrid, "stranger's delegation executed by an allow-listed grantee", []sdk.Msg{exec(listed, delegate(stranger))}, types.ErrNotAllowListed},
		{types.ModeHybrid, "allow-listed granter through a stranger grantee", []sdk.Msg{exec(stranger, delegate(listed))}, nil},
		{types.ModePoS, "anyone delegates", []sdk.Msg{delegate(stranger)}, nil},
		{types.ModePoS, "anyone creates a validator", []sdk.Msg{create(stranger)}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.mode.String()+"/"+tc.name, func(t *testing.T) {
			c := apptesting.New(t, apptesting.Options{Poa: types.Params{Mode: tc.mode, MaxPowerChangeBps: 3000}})
			ctx := c.Context()
			if err := c.App.PoaKeeper.AllowList.Set(ctx, listed); err != nil {
				t.Fatal(err)
			}
			gate := ante.NewStakingGate(c.App.PoaKeeper)
			_, err := gate.AnteHandle(ctx, msgTx(tc.msgs), false, func(ctx sdk.Context, _ sdk.Tx, _ bool) (sdk.Context, error) { return ctx, nil })
			if tc.want == nil && err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestStakingGateAllowsGenesisAndBoundsNesting(t *testing.T) {
	c := apptesting.New(t, apptesting.Options{})
	gate := ante.NewStakingGate(c.App.PoaKeeper)
	next := func(ctx sdk.Context, _ sdk.Tx, _ bool) (sdk.Context, error) { return ctx, nil }
	gentx := &stakingtypes.MsgCreateValidator{ValidatorAddress: sdk.ValAddress(account("genesis")).String(), Value: sdk.NewCoin("uait", sdkmath.OneInt())}
	if _, err := gate.AnteHandle(c.Context().WithBlockHeight(0), msgTx{gentx}, false, next); err != nil {
		t.Fatalf("gentx at genesis rejected in POA: %v", err)
	}

	var msg sdk.Msg = stakingtypes.NewMsgUndelegate(account("x").String(), sdk.ValAddress(account("v")).String(), sdk.NewInt64Coin("uait", 1))
	for i := 0; i < 10; i++ {
		m := authz.NewMsgExec(account("x"), []sdk.Msg{msg})
		msg = &m
	}
	if _, err := gate.AnteHandle(c.Context(), msgTx{msg}, false, next); !errors.Is(err, sdkerrors.ErrInvalidRequest) {
		t.Fatalf("MsgExec nested 10 deep: %v, want ErrInvalidRequest", err)
	}
}
