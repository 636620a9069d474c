package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/legacy"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterLegacyAminoCodec registers the messages for amino JSON signing.
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "aitbc/x/compute/MsgUpdateParams")
	legacy.RegisterAminoMsg(cdc, &MsgRegisterProvider{}, "aitbc/x/compute/MsgRegisterProvider")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateProvider{}, "aitbc/x/compute/MsgUpdateProvider")
	legacy.RegisterAminoMsg(cdc, &MsgDeregisterProvider{}, "aitbc/x/compute/MsgDeregisterProvider")
	legacy.RegisterAminoMsg(cdc, &MsgSubmitJob{}, "aitbc/x/compute/MsgSubmitJob")
	legacy.RegisterAminoMsg(cdc, &MsgCancelJob{}, "aitbc/x/compute/MsgCancelJob")
	legacy.RegisterAminoMsg(cdc, &MsgAcceptJob{}, "aitbc/x/compute/MsgAcceptJob")
	legacy.RegisterAminoMsg(cdc, &MsgSubmitReceipt{}, "aitbc/x/compute/MsgSubmitReceipt")
	legacy.RegisterAminoMsg(cdc, &MsgDisputeJob{}, "aitbc/x/compute/MsgDisputeJob")
	legacy.RegisterAminoMsg(cdc, &MsgResolveDispute{}, "aitbc/x/compute/MsgResolveDispute")
	cdc.RegisterConcrete(&Params{}, "aitbc/x/compute/Params", nil)
}

// RegisterInterfaces registers the messages with the interface registry.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgUpdateParams{}, &MsgRegisterProvider{}, &MsgUpdateProvider{}, &MsgDeregisterProvider{},
		&MsgSubmitJob{}, &MsgCancelJob{}, &MsgAcceptJob{}, &MsgSubmitReceipt{}, &MsgDisputeJob{}, &MsgResolveDispute{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}

var (
	_ codectypes.UnpackInterfacesMessage = (*Provider)(nil)
	_ codectypes.UnpackInterfacesMessage = (*MsgRegisterProvider)(nil)
	_ codectypes.UnpackInterfacesMessage = (*Params)(nil)
	_ codectypes.UnpackInterfacesMessage = (*MsgUpdateParams)(nil)
	_ codectypes.UnpackInterfacesMessage = (*GenesisState)(nil)
)

func unpackKey(unpacker codectypes.AnyUnpacker, a *codectypes.Any) error {
	if a == nil {
		return nil
	}
	var pk cryptotypes.PubKey
	return unpacker.UnpackAny(a, &pk)
}

// UnpackInterfaces resolves the provider's signing key.
func (p *Provider) UnpackInterfaces(u codectypes.AnyUnpacker) error { return unpackKey(u, p.Pubkey) }

// UnpackInterfaces resolves the provider's signing key.
func (m *MsgRegisterProvider) UnpackInterfaces(u codectypes.AnyUnpacker) error {
	return unpackKey(u, m.Pubkey)
}

// UnpackInterfaces resolves the coordinators' keys.
func (p *Params) UnpackInterfaces(u codectypes.AnyUnpacker) error {
	for _, k := range p.Coordinators {
		if err := unpackKey(u, k); err != nil {
			return err
		}
	}
	return nil
}

// UnpackInterfaces resolves the keys inside the new params.
func (m *MsgUpdateParams) UnpackInterfaces(u codectypes.AnyUnpacker) error {
	return m.Params.UnpackInterfaces(u)
}

// UnpackInterfaces resolves every key in the genesis.
func (gs *GenesisState) UnpackInterfaces(u codectypes.AnyUnpacker) error {
	if err := gs.Params.UnpackInterfaces(u); err != nil {
		return err
	}
	for i := range gs.Providers {
		if err := gs.Providers[i].UnpackInterfaces(u); err != nil {
			return err
		}
	}
	return nil
}
