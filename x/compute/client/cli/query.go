package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"
	"cosmossdk.io/client/v2/autocli"
	"cosmossdk.io/client/v2/autocli/flag"

	gogoproto "github.com/cosmos/gogoproto/proto"

	"github.com/cosmos/cosmos-sdk/client"
	sdkflags "github.com/cosmos/cosmos-sdk/client/flags"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aitbc/chain/x/compute/types"
)

// QueryCmd is the `query compute` command. It carries `jobs`; AutoCLI adds
// the other query commands to it. jobsOpts are the AutoCLI options of Jobs.
func QueryCmd(jobsOpts *autocliv1.RpcCommandOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "AI-workload market queries",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	jobs, err := JobsCmd(jobsOpts)
	if err != nil {
		panic(fmt.Errorf("x/compute: building `query compute jobs`: %w", err))
	}
	cmd.AddCommand(jobs)
	return cmd
}

// JobsCmd is AutoCLI's own `jobs` command, built with the same builder
// settings as `aitbcd`'s, whose --state also takes the state's full name.
// AutoCLI's enum flags take only the short, lowercased name (open), while
// the module's JSON, REST and docs use JOB_STATE_OPEN.
func JobsCmd(opts *autocliv1.RpcCommandOptions) (*cobra.Command, error) {
	// As AutoCLI's EnhanceRootCommand: the merged registry, or gogoproto's
	// hybrid view of both when merging fails.
	files := gogoproto.HybridResolver
	if merged, err := gogoproto.MergedRegistry(); err == nil {
		files = merged
	}
	cfg := sdk.GetConfig()
	b := &autocli.Builder{
		Builder: flag.Builder{
			TypeResolver:          protoregistry.GlobalTypes,
			FileResolver:          files,
			AddressCodec:          addresscodec.NewBech32Codec(cfg.GetBech32AccountAddrPrefix()),
			ValidatorAddressCodec: addresscodec.NewBech32Codec(cfg.GetBech32ValidatorAddrPrefix()),
			ConsensusAddressCodec: addresscodec.NewBech32Codec(cfg.GetBech32ConsensusAddrPrefix()),
		},
		GetClientConn: func(cmd *cobra.Command) (grpc.ClientConnInterface, error) {
			return client.GetClientQueryContext(cmd)
		},
		AddQueryConnFlags: func(c *cobra.Command) {
			sdkflags.AddQueryFlagsToCmd(c)
			sdkflags.AddKeyringFlags(c.Flags())
		},
	}
	if err := b.ValidateAndComplete(); err != nil {
		return nil, err
	}
	desc, err := files.FindDescriptorByName(protoreflect.FullName(types.Query_serviceDesc.ServiceName))
	if err != nil {
		return nil, err
	}
	service, ok := desc.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, fmt.Errorf("%s is not a service", types.Query_serviceDesc.ServiceName)
	}
	method := service.Methods().ByName("Jobs")
	if method == nil {
		return nil, fmt.Errorf("%s has no Jobs method", service.FullName())
	}
	cmd, err := b.BuildQueryMethodCommand(context.Background(), method, opts)
	if err != nil {
		return nil, err
	}
	state := cmd.Flags().Lookup("state")
	if state == nil {
		return nil, fmt.Errorf("AutoCLI gave %s no --state flag", cmd.Use)
	}
	state.Value = jobStateValue{state.Value}
	state.Usage = "only jobs in this state: open, assigned, delivered, disputed, settled, refunded, expired, cancelled (or JOB_STATE_OPEN and so on)"
	return cmd, nil
}

// jobStateValue puts ParseJobState in front of AutoCLI's enum flag value,
// which keeps the parsed state for the request.
type jobStateValue struct{ pflag.Value }

func (v jobStateValue) Set(s string) error {
	state, err := types.ParseJobState(s)
	if err != nil {
		return err
	}
	return v.Value.Set(state.ShortName())
}
