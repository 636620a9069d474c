package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/legacy"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterLegacyAminoCodec registers the messages for amino JSON signing (Ledger, older wallets).
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "aitbc/x/poa/MsgUpdateParams")
	legacy.RegisterAminoMsg(cdc, &MsgAddValidator{}, "aitbc/x/poa/MsgAddValidator")
	legacy.RegisterAminoMsg(cdc, &MsgSetValidatorPower{}, "aitbc/x/poa/MsgSetValidatorPower")
	legacy.RegisterAminoMsg(cdc, &MsgRemoveValidator{}, "aitbc/x/poa/MsgRemoveValidator")
	legacy.RegisterAminoMsg(cdc, &MsgAllowOperator{}, "aitbc/x/poa/MsgAllowOperator")
	legacy.RegisterAminoMsg(cdc, &MsgDisallowOperator{}, "aitbc/x/poa/MsgDisallowOperator")
	cdc.RegisterConcrete(&Params{}, "aitbc/x/poa/Params", nil)
}

// RegisterInterfaces registers the messages with the interface registry.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgUpdateParams{}, &MsgAddValidator{}, &MsgSetValidatorPower{},
		&MsgRemoveValidator{}, &MsgAllowOperator{}, &MsgDisallowOperator{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}

var _ codectypes.UnpackInterfacesMessage = (*MsgAddValidator)(nil)

// UnpackInterfaces resolves the consensus public key inside the Any.
func (m *MsgAddValidator) UnpackInterfaces(unpacker codectypes.AnyUnpacker) error {
	var pk cryptotypes.PubKey
	return unpacker.UnpackAny(m.Pubkey, &pk)
}
