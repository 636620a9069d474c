package poa

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/aitbc/chain/x/poa/types"
)

// AutoCLIOptions generates `aitbcd query poa …` and `aitbcd tx poa …`.
// Authority messages become governance proposals unless --no-proposal is
// given, which is how params.admin sends them directly.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "Params", Use: "params", Short: "Show the consensus mode, admin and per-block power-change cap"},
				{RpcMethod: "Validators", Use: "validators", Short: "List bonded and x/poa-managed validators with power and pending target"},
				{RpcMethod: "AllowList", Use: "allow-list", Short: "List the operators allowed to bond stake in HYBRID mode"},
				{RpcMethod: "PendingChanges", Use: "pending-changes", Short: "List validator power changes still being applied"},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "UpdateParams", Skip: true, // a governance proposal with MsgUpdateParams in JSON
				},
				{
					RpcMethod:      "AddValidator",
					Use:            "add-validator [operator] [pubkey] [power] [moniker]",
					Short:          "Add a validator with stake minted by x/poa (POA/HYBRID); pubkey as printed by `aitbcd comet show-validator`",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "operator"}, {ProtoField: "pubkey"}, {ProtoField: "power"}, {ProtoField: "moniker"}},
					GovProposal:    true,
				},
				{
					RpcMethod:      "SetValidatorPower",
					Use:            "set-power [validator-address] [power]",
					Short:          "Set a validator's consensus power (POA/HYBRID)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "validator_address"}, {ProtoField: "power"}},
					GovProposal:    true,
				},
				{
					RpcMethod:      "RemoveValidator",
					Use:            "remove-validator [validator-address]",
					Short:          "Take a validator's power to zero (POA/HYBRID)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "validator_address"}},
					GovProposal:    true,
				},
				{
					RpcMethod:      "AllowOperator",
					Use:            "allow-operator [operator]",
					Short:          "Let an account create a validator and bond stake in HYBRID mode",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "operator"}},
					GovProposal:    true,
				},
				{
					RpcMethod:      "DisallowOperator",
					Use:            "disallow-operator [operator]",
					Short:          "Take an account off the HYBRID allow-list",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "operator"}},
					GovProposal:    true,
				},
			},
		},
	}
}
