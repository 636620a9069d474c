package compute

import (
	"github.com/spf13/cobra"

	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/aitbc/chain/x/compute/client/cli"
	"github.com/aitbc/chain/x/compute/types"
)

// GetTxCmd adds the hand-written sign-receipt helper; AutoCLI adds the rest.
func (AppModule) GetTxCmd() *cobra.Command { return cli.TxCmd() }

// GetQueryCmd carries `jobs`, built by AutoCLI but with a --state that also
// takes full state names; AutoCLI adds the rest.
func (AppModule) GetQueryCmd() *cobra.Command { return cli.QueryCmd(jobsOptions) }

var jobsOptions = &autocliv1.RpcCommandOptions{
	RpcMethod: "Jobs", Use: "jobs",
	Short: "List jobs, optionally of one --client, --provider or --state (open or JOB_STATE_OPEN, and so on)",
}

// AutoCLIOptions generates `aitbcd query compute …` and `aitbcd tx compute …`.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service:              types.Query_serviceDesc.ServiceName,
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "Params", Use: "params", Short: "Show the market's parameters"},
				{RpcMethod: "Job", Use: "job [id]", Short: "Show a job", PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}}},
				jobsOptions,
				{RpcMethod: "Provider", Use: "provider [owner]", Short: "Show a provider", PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "owner"}}},
				{RpcMethod: "Providers", Use: "providers", Short: "List providers"},
				{RpcMethod: "EscrowTotals", Use: "escrow-totals", Short: "Show the escrow and bonds the module holds"},
				{RpcMethod: "Counts", Use: "counts", Short: "Show how many jobs are in each state, and how many providers there are"},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service:              types.Msg_serviceDesc.ServiceName,
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "UpdateParams", Skip: true}, // a governance proposal with MsgUpdateParams in JSON
				{
					RpcMethod: "RegisterProvider",
					Use:       "register-provider [pubkey] [price-per-unit] [bond] [models...]",
					Short:     "Register --from as a provider; pubkey is the receipt-signing key as `aitbcd keys show KEY --pubkey` prints it",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "pubkey"}, {ProtoField: "price_per_unit"}, {ProtoField: "bond"}, {ProtoField: "models", Varargs: true},
					},
				},
				{
					RpcMethod:      "UpdateProvider",
					Use:            "update-provider [price-per-unit] [models...]",
					Short:          "Replace --from's offer (also --endpoint, --hardware, --add-bond)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "price_per_unit"}, {ProtoField: "models", Varargs: true}},
				},
				{RpcMethod: "DeregisterProvider", Use: "deregister-provider", Short: "Deregister --from; the bond is released after the unbonding delay"},
				{
					RpcMethod: "SubmitJob",
					Use:       "submit-job [job-type] [model] [input-hash] [max-units] [max-price-per-unit] [deadline-blocks]",
					Short:     "Submit a job and escrow max-units × max-price-per-unit (also --input-uri, --preferred-provider)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "job_type"}, {ProtoField: "model"}, {ProtoField: "input_hash"},
						{ProtoField: "max_units"}, {ProtoField: "max_price_per_unit"}, {ProtoField: "deadline_blocks"},
					},
				},
				{RpcMethod: "CancelJob", Use: "cancel-job [job-id]", Short: "Cancel an open job and get the escrow back", PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "job_id"}}},
				{RpcMethod: "AcceptJob", Use: "accept-job [job-id]", Short: "Accept an open job as provider --from", PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "job_id"}}},
				{
					RpcMethod: "SubmitReceipt",
					Use:       "submit-receipt [job-id] [output-hash] [compute-units] [signature]",
					Short:     "Submit a receipt signed with `aitbcd tx compute sign-receipt` (also --attestations)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "job_id"}, {ProtoField: "output_hash"}, {ProtoField: "compute_units"}, {ProtoField: "signature"},
					},
				},
				{
					RpcMethod:      "DisputeJob",
					Use:            "dispute-job [job-id] [reason]",
					Short:          "Dispute a delivered job within the dispute window",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "job_id"}, {ProtoField: "reason"}},
				},
				{
					RpcMethod:      "ResolveDispute",
					Use:            "resolve-dispute [job-id] [resolution]",
					Short:          "Resolve a dispute (governance); resolution is pay, refund or refund-and-slash (RESOLUTION_PAY and so on in JSON)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "job_id"}, {ProtoField: "resolution"}},
					GovProposal:    true,
				},
			},
		},
	}
}
