package types_test

import (
	"errors"
	"strings"
	"testing"

	errorsmod "cosmossdk.io/errors"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/crypto/keys/ed25519"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aitbc/chain/x/poa/types"
)

func TestMessagesValidateBasic(t *testing.T) {
	authority := sdk.AccAddress(secp256k1.GenPrivKeyFromSecret([]byte("gov")).PubKey().Address()).String()
	operator := sdk.AccAddress(secp256k1.GenPrivKeyFromSecret([]byte("op")).PubKey().Address()).String()
	val := sdk.ValAddress(secp256k1.GenPrivKeyFromSecret([]byte("op")).PubKey().Address()).String()
	pk, err := codectypes.NewAnyWithValue(ed25519.GenPrivKeyFromSecret([]byte("cons")).PubKey())
	if err != nil {
		t.Fatal(err)
	}
	notKey, err := codectypes.NewAnyWithValue(&banktypes.MsgSend{})
	if err != nil {
		t.Fatal(err)
	}
	add := func(edit func(m *types.MsgAddValidator)) *types.MsgAddValidator {
		m := &types.MsgAddValidator{Authority: authority, Operator: operator, Pubkey: pk, Power: 10, Moniker: "gpu-1"}
		edit(m)
		return m
	}
	badParams := types.DefaultParams()
	badParams.MaxPowerChangeBps = 5000
	for _, tc := range []struct {
		name   string
		msg    sdk.HasValidateBasic
		target *errorsmod.Error
		has    string
	}{
		{"params valid", &types.MsgUpdateParams{Authority: authority, Params: types.DefaultParams()}, nil, ""},
		{"params bad authority", &types.MsgUpdateParams{Authority: "x", Params: types.DefaultParams()}, sdkerrors.ErrInvalidAddress, "authority"},
		{"params invalid", &types.MsgUpdateParams{Authority: authority, Params: badParams}, types.ErrInvalidParams, "max_power_change_bps"},

		{"add valid", add(func(*types.MsgAddValidator) {}), nil, ""},
		{"add moniker at the bound", add(func(m *types.MsgAddValidator) { m.Moniker = strings.Repeat("m", types.MaxMonikerLen) }), nil, ""},
		{"add bad authority", add(func(m *types.MsgAddValidator) { m.Authority = "" }), sdkerrors.ErrInvalidAddress, "authority"},
		{"add bad operator", add(func(m *types.MsgAddValidator) { m.Operator = "ait1bad" }), sdkerrors.ErrInvalidAddress, "operator"},
		{"add no pubkey", add(func(m *types.MsgAddValidator) { m.Pubkey = nil }), types.ErrInvalidPubKey, "required"},
		{"add pubkey not a key", add(func(m *types.MsgAddValidator) { m.Pubkey = notKey }), types.ErrInvalidPubKey, "not a public key"},
		{"add power zero", add(func(m *types.MsgAddValidator) { m.Power = 0 }), types.ErrInvalidPower, "want 1 to"},
		{"add power too high", add(func(m *types.MsgAddValidator) { m.Power = types.MaxValidatorPower + 1 }), types.ErrInvalidPower, "want 1 to"},
		{"add 100 kB moniker", add(func(m *types.MsgAddValidator) { m.Moniker = strings.Repeat("m", 100_000) }), types.ErrInvalidMoniker, "moniker has 100000 bytes, at most 70"},

		{"set-power valid", &types.MsgSetValidatorPower{Authority: authority, ValidatorAddress: val, Power: 5}, nil, ""},
		{"set-power bad authority", &types.MsgSetValidatorPower{Authority: "x", ValidatorAddress: val, Power: 5}, sdkerrors.ErrInvalidAddress, "authority"},
		{"set-power account address", &types.MsgSetValidatorPower{Authority: authority, ValidatorAddress: operator, Power: 5}, sdkerrors.ErrInvalidAddress, "validator_address"},
		{"set-power zero", &types.MsgSetValidatorPower{Authority: authority, ValidatorAddress: val}, types.ErrInvalidPower, ""},
		{"remove valid", &types.MsgRemoveValidator{Authority: authority, ValidatorAddress: val}, nil, ""},
		{"remove bad authority", &types.MsgRemoveValidator{Authority: "x", ValidatorAddress: val}, sdkerrors.ErrInvalidAddress, "authority"},
		{"remove long address", &types.MsgRemoveValidator{Authority: authority, ValidatorAddress: strings.Repeat("v", 100_000)}, sdkerrors.ErrInvalidAddress, "validator_address"},

		{"allow valid", &types.MsgAllowOperator{Authority: authority, Operator: operator}, nil, ""},
		{"allow bad authority", &types.MsgAllowOperator{Authority: "x", Operator: operator}, sdkerrors.ErrInvalidAddress, "authority"},
		{"allow bad operator", &types.MsgAllowOperator{Authority: authority, Operator: val}, sdkerrors.ErrInvalidAddress, "operator"},
		{"disallow valid", &types.MsgDisallowOperator{Authority: authority, Operator: operator}, nil, ""},
		{"disallow bad authority", &types.MsgDisallowOperator{Authority: "x", Operator: operator}, sdkerrors.ErrInvalidAddress, "authority"},
		{"disallow bad operator", &types.MsgDisallowOperator{Authority: authority, Operator: ""}, sdkerrors.ErrInvalidAddress, "operator"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.msg.ValidateBasic()
			if tc.target == nil {
				if err != nil {
					t.Fatalf("valid message refused: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.target) || !strings.Contains(err.Error(), tc.has) {
				t.Fatalf("got %v, want %v containing %q", err, tc.target, tc.has)
			}
			if len(err.Error()) > 1000 {
				t.Fatalf("error is %d bytes long", len(err.Error()))
			}
		})
	}
}
