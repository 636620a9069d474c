package ante_test

import (
	"errors"
	"strings"
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

// The refusal names who is refused: a delegator is not an operator.
func TestStakingGateNamesDelegatorsAndOperators(t *testing.T) {
	c := apptesting.New(t, apptesting.Options{Poa: types.Params{Mode: types.ModeHybrid, MaxPowerChangeBps: 3000}})
	gate := ante.NewStakingGate(c.App.PoaKeeper)
	next := func(ctx sdk.Context, _ sdk.Tx, _ bool) (sdk.Context, error) { return ctx, nil }
	stranger := account("stranger")
	coin := sdk.NewInt64Coin("uait", 1)
	for _, tc := range []struct {
		msg  sdk.Msg
		want string
	}{
		{stakingtypes.NewMsgDelegate(stranger.String(), c.Validators[0].ValAddr.String(), coin), "delegator " + stranger.String() + " may not delegate"},
		{stakingtypes.NewMsgDelegate(stranger.String(), sdk.ValAddress(stranger).String(), coin), "operator " + stranger.String() + " may not delegate"},
		{&stakingtypes.MsgCreateValidator{ValidatorAddress: sdk.ValAddress(stranger).String(), Value: coin}, "operator " + stranger.String() + " may not create a validator"},
	} {
		_, err := gate.AnteHandle(c.Context(), msgTx{tc.msg}, false, next)
		if !errors.Is(err, types.ErrNotAllowListed) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "account is not on the allow-list") {
			t.Fatalf("got %v, want ErrNotAllowListed saying %q", err, tc.want)
		}
	}
}

// In every mode, bonding that cannot fit in what is left of the block's
// power-increase budget (three validators of 100 power, 3000 bps: 90) is
// refused before the fee, counted over all of a transaction's messages and
// inside MsgExec.
func TestStakingGateRefusesBondingOverTheBudget(t *testing.T) {
	power := func(p int64) sdk.Coin { return sdk.NewCoin("uait", sdk.DefaultPowerReduction.MulRaw(p)) }
	for _, mode := range []types.Mode{types.ModeHybrid, types.ModePoS} {
		c := apptesting.New(t, apptesting.Options{Poa: types.Params{Mode: mode, MaxPowerChangeBps: 3000}})
		ctx := c.Context()
		op := c.Validators[0].Operator
		if err := c.App.PoaKeeper.AllowList.Set(ctx, op); err != nil {
			t.Fatal(err)
		}
		gate := ante.NewStakingGate(c.App.PoaKeeper)
		next := func(ctx sdk.Context, _ sdk.Tx, _ bool) (sdk.Context, error) { return ctx, nil }
		val := c.Validators[1].ValAddr.String()
		delegate := func(c sdk.Coin) sdk.Msg { return stakingtypes.NewMsgDelegate(op.String(), val, c) }
		exec := authz.NewMsgExec(op, []sdk.Msg{delegate(power(50)), delegate(power(41))})
		cases := []struct {
			name string
			msgs []sdk.Msg
			want string // "" allowed
		}{
			{"the whole budget", []sdk.Msg{delegate(power(90))}, ""},
			{"90.9 AIT adds at least 90", []sdk.Msg{delegate(sdk.NewInt64Coin("uait", 90_900_000))}, ""},
			{"one power over", []sdk.Msg{delegate(power(91))}, "at least 91 power"},
			{"2x the total", []sdk.Msg{delegate(power(600))}, "90 power (90000000uait) is left"},
			{"two messages together", []sdk.Msg{delegate(power(45)), delegate(power(46))}, "2 bonding messages"},
			{"inside MsgExec", []sdk.Msg{&exec}, "2 bonding messages"},
			{"another denom is not stake", []sdk.Msg{delegate(sdk.NewInt64Coin("ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2", 1_000_000_000))}, ""},
		}
		for _, tc := range cases {
			_, err := gate.AnteHandle(ctx, msgTx(tc.msgs), false, next)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("%s/%s: refused: %v", mode, tc.name, err)
			case tc.want != "" && (!errors.Is(err, types.ErrPowerBudgetExceeded) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("%s/%s: got %v, want ErrPowerBudgetExceeded saying %q", mode, tc.name, err, tc.want)
			}
		}
	}
}
