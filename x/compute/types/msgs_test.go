package types_test

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"

	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/aitbc/chain/x/compute/types"
)

type msgCase struct {
	name   string
	msg    sdk.HasValidateBasic
	target *errorsmod.Error // nil: valid
	has    string           // in the error text
}

func runMsgCases(t *testing.T, cases []msgCase) {
	t.Helper()
	for _, tc := range cases {
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
			// A refused oversized field is not echoed back whole.
			if len(err.Error()) > 1000 {
				t.Fatalf("error is %d bytes long", len(err.Error()))
			}
		})
	}
}

func addr(seed string) string {
	return sdk.AccAddress(secp256k1.GenPrivKeyFromSecret([]byte(seed)).PubKey().Address()).String()
}

func many(n int, f func(i int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

const hexHash = "0000000000000000000000000000000000000000000000000000000000000000"

func TestProviderMessagesValidateBasic(t *testing.T) {
	key := secp256k1.GenPrivKeyFromSecret([]byte("worker"))
	pk, err := codectypes.NewAnyWithValue(key.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	owner := addr("worker")
	register := func(edit func(m *types.MsgRegisterProvider)) *types.MsgRegisterProvider {
		m := &types.MsgRegisterProvider{
			Owner: owner, Pubkey: pk, Endpoint: "https://gpu.example/v1", Hardware: types.Hardware{GpuModel: "A100", GpuCount: 8},
			Models: []string{"llama-3-8b"}, PricePerUnit: sdkmath.NewInt(1000), Bond: sdkmath.NewInt(100),
		}
		edit(m)
		return m
	}
	update := func(edit func(m *types.MsgUpdateProvider)) *types.MsgUpdateProvider {
		m := &types.MsgUpdateProvider{Owner: owner, Models: []string{"sdxl"}, PricePerUnit: sdkmath.NewInt(1), AddBond: sdkmath.NewInt(5)}
		edit(m)
		return m
	}
	model := func(i int) string { return fmt.Sprintf("model-%d", i) }
	runMsgCases(t, []msgCase{
		{"register valid", register(func(*types.MsgRegisterProvider) {}), nil, ""},
		{"register at every bound", register(func(m *types.MsgRegisterProvider) {
			m.Endpoint = strings.Repeat("e", types.MaxEndpointLen)
			m.Hardware.GpuModel = strings.Repeat("g", types.MaxGPUModelLen)
			m.Models = many(types.MaxModels, model)
			m.Models[0] = strings.Repeat("m", types.MaxModelLen)
		}), nil, ""},
		{"register zero bond", register(func(m *types.MsgRegisterProvider) { m.Bond = sdkmath.ZeroInt() }), nil, ""}, // the minimum is a param
		{"register bad owner", register(func(m *types.MsgRegisterProvider) { m.Owner = "cosmos1abc" }), sdkerrors.ErrInvalidAddress, "owner"},
		{"register empty owner", register(func(m *types.MsgRegisterProvider) { m.Owner = "" }), sdkerrors.ErrInvalidAddress, "owner"},
		{"register no key", register(func(m *types.MsgRegisterProvider) { m.Pubkey = nil }), types.ErrInvalidPubKey, "required"},
		{"register 100 kB endpoint", register(func(m *types.MsgRegisterProvider) { m.Endpoint = strings.Repeat("e", 100_000) }),
			types.ErrInvalidProvider, "endpoint has 100000 bytes, at most 256"},
		{"register endpoint one past the bound", register(func(m *types.MsgRegisterProvider) { m.Endpoint = strings.Repeat("e", types.MaxEndpointLen+1) }),
			types.ErrInvalidProvider, "endpoint"},
		{"register long gpu model", register(func(m *types.MsgRegisterProvider) { m.Hardware.GpuModel = strings.Repeat("g", 10_000) }),
			types.ErrInvalidProvider, "hardware.gpu_model"},
		{"register 10,000 models", register(func(m *types.MsgRegisterProvider) { m.Models = many(10_000, model) }),
			types.ErrInvalidProvider, "10000 models: want 1 to 32"},
		{"register no models", register(func(m *types.MsgRegisterProvider) { m.Models = nil }), types.ErrInvalidProvider, "0 models"},
		{"register empty model", register(func(m *types.MsgRegisterProvider) { m.Models = []string{""} }), types.ErrInvalidProvider, "want 1 to 128 bytes"},
		{"register long model", register(func(m *types.MsgRegisterProvider) { m.Models = []string{strings.Repeat("m", 5000)} }),
			types.ErrInvalidProvider, "want 1 to 128 bytes"},
		{"register repeated model", register(func(m *types.MsgRegisterProvider) { m.Models = []string{"a", "a"} }), types.ErrInvalidProvider, "listed twice"},
		{"register zero price", register(func(m *types.MsgRegisterProvider) { m.PricePerUnit = sdkmath.ZeroInt() }), types.ErrInvalidProvider, "price_per_unit"},
		{"register nil price", register(func(m *types.MsgRegisterProvider) { m.PricePerUnit = sdkmath.Int{} }), types.ErrInvalidProvider, "price_per_unit"},
		{"register negative bond", register(func(m *types.MsgRegisterProvider) { m.Bond = sdkmath.NewInt(-1) }), types.ErrUnderBonded, "negative"},
		{"register nil bond", register(func(m *types.MsgRegisterProvider) { m.Bond = sdkmath.Int{} }), types.ErrUnderBonded, "negative"},

		{"update valid", update(func(*types.MsgUpdateProvider) {}), nil, ""},
		{"update without bond", update(func(m *types.MsgUpdateProvider) { m.AddBond = sdkmath.Int{} }), nil, ""},
		{"update bad owner", update(func(m *types.MsgUpdateProvider) { m.Owner = "x" }), sdkerrors.ErrInvalidAddress, "owner"},
		{"update long endpoint", update(func(m *types.MsgUpdateProvider) { m.Endpoint = strings.Repeat("e", 100_000) }), types.ErrInvalidProvider, "endpoint"},
		{"update too many models", update(func(m *types.MsgUpdateProvider) { m.Models = many(33, model) }), types.ErrInvalidProvider, "33 models"},
		{"update negative bond", update(func(m *types.MsgUpdateProvider) { m.AddBond = sdkmath.NewInt(-1) }), types.ErrInvalidProvider, "add_bond"},

		{"deregister valid", &types.MsgDeregisterProvider{Owner: owner}, nil, ""},
		{"deregister bad owner", &types.MsgDeregisterProvider{Owner: "ait1"}, sdkerrors.ErrInvalidAddress, "owner"},
	})
}

func TestJobMessagesValidateBasic(t *testing.T) {
	client, provider := addr("client"), addr("provider")
	submit := func(edit func(m *types.MsgSubmitJob)) *types.MsgSubmitJob {
		m := &types.MsgSubmitJob{
			Client: client, JobType: "inference", Model: "llama-3-8b", InputHash: hexHash, InputUri: "ipfs://x",
			MaxUnits: 100, MaxPricePerUnit: sdkmath.NewInt(1500), DeadlineBlocks: 50,
		}
		edit(m)
		return m
	}
	sig := make([]byte, 64)
	receipt := func(edit func(m *types.MsgSubmitReceipt)) *types.MsgSubmitReceipt {
		m := &types.MsgSubmitReceipt{Provider: provider, JobId: 1, OutputHash: hexHash, ComputeUnits: 5, Signature: sig,
			Attestations: []types.Attestation{{Coordinator: 0, Signature: sig}, {Coordinator: 1, Signature: sig}}}
		edit(m)
		return m
	}
	attestations := func(n int) []types.Attestation {
		out := make([]types.Attestation, n)
		for i := range out {
			out[i] = types.Attestation{Coordinator: uint32(i), Signature: sig}
		}
		return out
	}
	huge := sdkmath.NewIntFromBigInt(new(big.Int).Lsh(big.NewInt(1), 250))
	runMsgCases(t, []msgCase{
		{"submit valid", submit(func(*types.MsgSubmitJob) {}), nil, ""},
		{"submit with preferred provider", submit(func(m *types.MsgSubmitJob) { m.PreferredProvider = provider }), nil, ""},
		{"submit bad client", submit(func(m *types.MsgSubmitJob) { m.Client = "bad" }), sdkerrors.ErrInvalidAddress, "client"},
		{"submit bad preferred provider", submit(func(m *types.MsgSubmitJob) { m.PreferredProvider = "bad" }), sdkerrors.ErrInvalidAddress, "preferred_provider"},
		{"submit no job type", submit(func(m *types.MsgSubmitJob) { m.JobType = "" }), types.ErrInvalidJob, "job_type"},
		{"submit long job type", submit(func(m *types.MsgSubmitJob) { m.JobType = strings.Repeat("j", types.MaxJobTypeLen+1) }), types.ErrInvalidJob, "job_type"},
		{"submit no model", submit(func(m *types.MsgSubmitJob) { m.Model = "" }), types.ErrInvalidJob, "model"},
		{"submit long model", submit(func(m *types.MsgSubmitJob) { m.Model = strings.Repeat("m", 100_000) }), types.ErrInvalidJob, "model has 100000 bytes"},
		{"submit long input uri", submit(func(m *types.MsgSubmitJob) { m.InputUri = strings.Repeat("u", types.MaxInputURILen+1) }), types.ErrInvalidJob, "input_uri"},
		{"submit input uri at the bound", submit(func(m *types.MsgSubmitJob) { m.InputUri = strings.Repeat("u", types.MaxInputURILen) }), nil, ""},
		{"submit zero units", submit(func(m *types.MsgSubmitJob) { m.MaxUnits = 0 }), types.ErrInvalidJob, "max_units"},
		{"submit zero price", submit(func(m *types.MsgSubmitJob) { m.MaxPricePerUnit = sdkmath.ZeroInt() }), types.ErrInvalidJob, "max_price_per_unit"},
		{"submit nil price", submit(func(m *types.MsgSubmitJob) { m.MaxPricePerUnit = sdkmath.Int{} }), types.ErrInvalidJob, "max_price_per_unit"},
		{"submit zero deadline", submit(func(m *types.MsgSubmitJob) { m.DeadlineBlocks = 0 }), types.ErrInvalidJob, "deadline_blocks"},
		{"submit short hash", submit(func(m *types.MsgSubmitJob) { m.InputHash = "abc" }), types.ErrInvalidHash, "input_hash"},
		{"submit uppercase hash", submit(func(m *types.MsgSubmitJob) { m.InputHash = strings.ToUpper("ab" + hexHash[2:]) }), types.ErrInvalidHash, "input_hash"},
		{"submit escrow overflowing", submit(func(m *types.MsgSubmitJob) { m.MaxUnits = 1 << 62; m.MaxPricePerUnit = huge }), types.ErrPaymentOutOfRange, ""},

		{"cancel valid", &types.MsgCancelJob{Client: client, JobId: 1}, nil, ""},
		{"cancel bad client", &types.MsgCancelJob{Client: "x", JobId: 1}, sdkerrors.ErrInvalidAddress, "client"},
		{"cancel job 0", &types.MsgCancelJob{Client: client}, types.ErrInvalidJob, "job_id"},
		{"accept valid", &types.MsgAcceptJob{Provider: provider, JobId: 1}, nil, ""},
		{"accept bad provider", &types.MsgAcceptJob{Provider: "x", JobId: 1}, sdkerrors.ErrInvalidAddress, "provider"},
		{"accept job 0", &types.MsgAcceptJob{Provider: provider}, types.ErrInvalidJob, "job_id"},

		{"receipt valid", receipt(func(*types.MsgSubmitReceipt) {}), nil, ""},
		{"receipt with the most attestations", receipt(func(m *types.MsgSubmitReceipt) { m.Attestations = attestations(types.MaxAttestations) }), nil, ""},
		{"receipt bad provider", receipt(func(m *types.MsgSubmitReceipt) { m.Provider = "x" }), sdkerrors.ErrInvalidAddress, "provider"},
		{"receipt job 0", receipt(func(m *types.MsgSubmitReceipt) { m.JobId = 0 }), types.ErrInvalidJob, "job_id"},
		{"receipt bad hash", receipt(func(m *types.MsgSubmitReceipt) { m.OutputHash = strings.Repeat("z", 64) }), types.ErrInvalidHash, "output_hash"},
		{"receipt zero units", receipt(func(m *types.MsgSubmitReceipt) { m.ComputeUnits = 0 }), types.ErrUnitsExceeded, "compute_units"},
		{"receipt no signature", receipt(func(m *types.MsgSubmitReceipt) { m.Signature = nil }), types.ErrInvalidReceipt, "signature has 0 bytes"},
		{"receipt 100 kB signature", receipt(func(m *types.MsgSubmitReceipt) { m.Signature = make([]byte, 100_000) }), types.ErrInvalidReceipt, "signature has 100000 bytes"},
		{"receipt too many attestations", receipt(func(m *types.MsgSubmitReceipt) { m.Attestations = attestations(10_000) }), types.ErrInvalidAttestation, "10000 attestations, at most 16"},
		{"receipt attestation without signature", receipt(func(m *types.MsgSubmitReceipt) { m.Attestations[1].Signature = nil }), types.ErrInvalidAttestation, "attestation 1"},
		{"receipt attestation signature too long", receipt(func(m *types.MsgSubmitReceipt) { m.Attestations[0].Signature = make([]byte, types.MaxSignatureLen+1) }),
			types.ErrInvalidAttestation, "attestation 0"},
		{"receipt repeated coordinator", receipt(func(m *types.MsgSubmitReceipt) { m.Attestations[1].Coordinator = 0 }), types.ErrInvalidAttestation, "attests twice"},

		{"dispute valid", &types.MsgDisputeJob{Client: client, JobId: 1, Reason: strings.Repeat("r", types.MaxReasonLen)}, nil, ""},
		{"dispute bad client", &types.MsgDisputeJob{Client: "x", JobId: 1}, sdkerrors.ErrInvalidAddress, "client"},
		{"dispute job 0", &types.MsgDisputeJob{Client: client}, types.ErrInvalidJob, "job_id"},
		{"dispute long reason", &types.MsgDisputeJob{Client: client, JobId: 1, Reason: strings.Repeat("r", 100_000)}, types.ErrInvalidJob, "reason has 100000 bytes"},

		{"resolve valid", &types.MsgResolveDispute{Authority: client, JobId: 1, Resolution: types.ResolutionRefundAndSlash}, nil, ""},
		{"resolve bad authority", &types.MsgResolveDispute{Authority: "x", JobId: 1, Resolution: types.ResolutionPay}, sdkerrors.ErrInvalidAddress, "authority"},
		{"resolve job 0", &types.MsgResolveDispute{Authority: client, Resolution: types.ResolutionPay}, types.ErrInvalidJob, "job_id"},
		{"resolve unspecified", &types.MsgResolveDispute{Authority: client, JobId: 1}, types.ErrInvalidResolution, "RESOLUTION_UNSPECIFIED"},
		{"resolve unknown", &types.MsgResolveDispute{Authority: client, JobId: 1, Resolution: 9}, types.ErrInvalidResolution, "9"},

		{"params valid", &types.MsgUpdateParams{Authority: client, Params: types.DefaultParams()}, nil, ""},
		{"params bad authority", &types.MsgUpdateParams{Authority: "x", Params: types.DefaultParams()}, sdkerrors.ErrInvalidAddress, "authority"},
		{"params invalid", &types.MsgUpdateParams{Authority: client, Params: func() types.Params {
			p := types.DefaultParams()
			p.ProtocolFeeBps = 10_001
			return p
		}()}, types.ErrInvalidParams, "protocol_fee_bps"},
	})
}
