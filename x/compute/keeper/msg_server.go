package keeper

import (
	"context"
	"errors"

	"github.com/cosmos/gogoproto/proto"

	"cosmossdk.io/collections"
	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aitbc/chain/x/compute/types"
)

// sigVerifyGas is charged per signature a receipt carries, the same as the
// ante handler charges for a secp256k1 transaction signature.
const sigVerifyGas = 1000

type msgServer struct{ Keeper }

// NewMsgServerImpl returns x/compute's Msg service.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{k} }

var _ types.MsgServer = msgServer{}

// emit emits a typed event.
func emit(ctx context.Context, ev proto.Message) error {
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(ev)
}

func height(ctx context.Context) int64 { return sdk.UnwrapSDKContext(ctx).BlockHeight() }

// validate runs a message's stateless checks. baseapp has run them already
// for a message sent in a transaction; one dispatched by authz or a
// governance proposal reaches the server too, so each handler starts here.
func validate(msg sdk.HasValidateBasic) error { return msg.ValidateBasic() }

func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if err := validate(msg); err != nil {
		return nil, err
	}
	if msg.Authority != s.authority {
		return nil, types.ErrUnauthorized.Wrapf("params change only through governance (%s), not %s", s.authority, msg.Authority)
	}
	return &types.MsgUpdateParamsResponse{}, s.Params.Set(ctx, msg.Params)
}

func (s msgServer) RegisterProvider(ctx context.Context, msg *types.MsgRegisterProvider) (*types.MsgRegisterProviderResponse, error) {
	if err := validate(msg); err != nil {
		return nil, err
	}
	owner, err := types.ParseAddress("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	params, err := s.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if msg.Bond.LT(params.MinProviderBond) {
		return nil, types.ErrUnderBonded.Wrapf("bond %s below the minimum %s%s", msg.Bond, params.MinProviderBond, s.denom)
	}
	if has, err := s.Providers.Has(ctx, owner); err != nil {
		return nil, err
	} else if has {
		return nil, types.ErrProviderExists.Wrap(msg.Owner)
	}
	if err := s.bank.SendCoinsFromAccountToModule(ctx, owner, types.ModuleName, s.coins(msg.Bond)); err != nil {
		return nil, err
	}
	provider := types.Provider{
		Owner: msg.Owner, Pubkey: msg.Pubkey, Endpoint: msg.Endpoint, Hardware: msg.Hardware, Models: msg.Models,
		PricePerUnit: msg.PricePerUnit, Bond: msg.Bond, Status: types.ProviderActive,
	}
	if err := s.Providers.Set(ctx, owner, provider); err != nil {
		return nil, err
	}
	if err := addTotal(ctx, s.TotalBonds, msg.Bond); err != nil {
		return nil, err
	}
	return &types.MsgRegisterProviderResponse{}, emit(ctx, &types.EventProviderRegistered{Owner: msg.Owner, Bond: msg.Bond.String()})
}

func (s msgServer) UpdateProvider(ctx context.Context, msg *types.MsgUpdateProvider) (*types.MsgUpdateProviderResponse, error) {
	if err := validate(msg); err != nil {
		return nil, err
	}
	owner, err := types.ParseAddress("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	provider, err := s.GetProvider(ctx, owner)
	if err != nil {
		return nil, err
	}
	if provider.Status != types.ProviderActive {
		return nil, types.ErrProviderInactive.Wrap(msg.Owner)
	}
	addBond := msg.AddBond
	if addBond.IsNil() {
		addBond = sdkmath.ZeroInt()
	}
	if addBond.IsPositive() {
		if err := s.bank.SendCoinsFromAccountToModule(ctx, owner, types.ModuleName, s.coins(addBond)); err != nil {
			return nil, err
		}
		if err := addTotal(ctx, s.TotalBonds, addBond); err != nil {
			return nil, err
		}
	}
	provider.Endpoint, provider.Hardware, provider.Models, provider.PricePerUnit = msg.Endpoint, msg.Hardware, msg.Models, msg.PricePerUnit
	provider.Bond = provider.Bond.Add(addBond)
	if err := s.Providers.Set(ctx, owner, provider); err != nil {
		return nil, err
	}
	return &types.MsgUpdateProviderResponse{}, emit(ctx, &types.EventProviderUpdated{Owner: msg.Owner, Bond: provider.Bond.String()})
}

func (s msgServer) DeregisterProvider(ctx context.Context, msg *types.MsgDeregisterProvider) (*types.MsgDeregisterProviderResponse, error) {
	if err := validate(msg); err != nil {
		return nil, err
	}
	owner, err := types.ParseAddress("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	provider, err := s.GetProvider(ctx, owner)
	if err != nil {
		return nil, err
	}
	if provider.Status != types.ProviderActive {
		return nil, types.ErrProviderInactive.Wrapf("%s is already deregistering", msg.Owner)
	}
	if provider.ActiveJobs > 0 {
		return nil, types.ErrProviderBusy.Wrapf("%s has %d jobs to finish first", msg.Owner, provider.ActiveJobs)
	}
	params, err := s.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	provider.Status = types.ProviderUnbonding
	provider.UnbondingHeight = height(ctx) + int64(params.ProviderUnbondingBlocks)
	if err := s.Providers.Set(ctx, owner, provider); err != nil {
		return nil, err
	}
	if err := s.BondReleases.Set(ctx, collections.Join(provider.UnbondingHeight, owner)); err != nil {
		return nil, err
	}
	return &types.MsgDeregisterProviderResponse{UnbondingHeight: provider.UnbondingHeight},
		emit(ctx, &types.EventProviderDeregistered{Owner: msg.Owner, UnbondingHeight: provider.UnbondingHeight})
}

func (s msgServer) SubmitJob(ctx context.Context, msg *types.MsgSubmitJob) (*types.MsgSubmitJobResponse, error) {
	if err := validate(msg); err != nil {
		return nil, err
	}
	client, err := types.ParseAddress("client", msg.Client)
	if err != nil {
		return nil, err
	}
	params, err := s.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if msg.DeadlineBlocks > params.MaxDeadlineBlocks {
		return nil, types.ErrInvalidJob.Wrapf("deadline_blocks %d: want 1 to %d", msg.DeadlineBlocks, params.MaxDeadlineBlocks)
	}
	escrow, err := msg.Escrow()
	if err != nil {
		return nil, err
	}
	if err := s.bank.SendCoinsFromAccountToModule(ctx, client, types.ModuleName, s.coins(escrow)); err != nil {
		return nil, err
	}
	id, err := s.NextJobID.Next(ctx)
	if err != nil {
		return nil, err
	}
	h := height(ctx)
	job := types.Job{
		Id: id, Client: msg.Client, JobType: msg.JobType, Model: msg.Model, InputHash: msg.InputHash, InputUri: msg.InputUri,
		MaxUnits: msg.MaxUnits, MaxPricePerUnit: msg.MaxPricePerUnit, Escrow: escrow, CreatedHeight: h,
		DeadlineHeight: h + int64(msg.DeadlineBlocks), PreferredProvider: msg.PreferredProvider,
		PricePerUnit: sdkmath.ZeroInt(), State: types.JobOpen,
	}
	if err := s.Jobs.Set(ctx, job.Id, job); err != nil {
		return nil, err
	}
	if err := s.Deadlines.Set(ctx, collections.Join(job.DeadlineHeight, id)); err != nil {
		return nil, err
	}
	if err := addTotal(ctx, s.TotalEscrow, escrow); err != nil {
		return nil, err
	}
	return &types.MsgSubmitJobResponse{JobId: id}, emit(ctx, &types.EventJobSubmitted{
		JobId: id, Client: msg.Client, Model: msg.Model, Escrow: escrow.String(), DeadlineHeight: job.DeadlineHeight,
	})
}

// jobOf loads a job and checks that signer is its client.
func (s msgServer) jobOf(ctx context.Context, signer string, id uint64) (types.Job, error) {
	job, err := s.GetJob(ctx, id)
	if err != nil {
		return job, err
	}
	if job.Client != signer {
		return job, types.ErrUnauthorized.Wrapf("job %d belongs to %s, not %s", id, job.Client, signer)
	}
	return job, nil
}

func (s msgServer) CancelJob(ctx context.Context, msg *types.MsgCancelJob) (*types.MsgCancelJobResponse, error) {
	if err := validate(msg); err != nil {
		return nil, err
	}
	job, err := s.jobOf(ctx, msg.Client, msg.JobId)
	if err != nil {
		return nil, err
	}
	if job.State != types.JobOpen {
		return nil, types.ErrInvalidJobState.Wrapf("job %d is %s; only open jobs can be cancelled", job.Id, job.State)
	}
	return &types.MsgCancelJobResponse{}, s.closeJob(ctx, job, types.JobCancelled, false)
}

func (s msgServer) AcceptJob(ctx context.Context, msg *types.MsgAcceptJob) (*types.MsgAcceptJobResponse, error) {
	if err := validate(msg); err != nil {
		return nil, err
	}
	owner, err := types.ParseAddress("provider", msg.Provider)
	if err != nil {
		return nil, err
	}
	job, err := s.GetJob(ctx, msg.JobId)
	if err != nil {
		return nil, err
	}
	if job.State != types.JobOpen {
		return nil, types.ErrInvalidJobState.Wrapf("job %d is %s; only open jobs can be accepted", job.Id, job.State)
	}
	if height(ctx) > job.DeadlineHeight {
		return nil, types.ErrDeadlinePassed.Wrapf("job %d expired at height %d", job.Id, job.DeadlineHeight)
	}
	if job.PreferredProvider != "" && job.PreferredProvider != msg.Provider {
		return nil, types.ErrNotPreferred.Wrapf("job %d is for %s", job.Id, job.PreferredProvider)
	}
	provider, err := s.GetProvider(ctx, owner)
	if err != nil {
		return nil, err
	}
	params, err := s.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case provider.Status != types.ProviderActive:
		return nil, types.ErrProviderInactive.Wrap(msg.Provider)
	case provider.Bond.LT(params.MinProviderBond):
		return nil, types.ErrUnderBonded.Wrapf("bond %s below the minimum %s", provider.Bond, params.MinProviderBond)
	case !provider.Supports(job.Model):
		return nil, types.ErrModelNotSupported.Wrapf("%s does not serve %q", msg.Provider, job.Model)
	case provider.PricePerUnit.GT(job.MaxPricePerUnit):
		return nil, types.ErrPriceTooHigh.Wrapf("price %s above the job's %s", provider.PricePerUnit, job.MaxPricePerUnit)
	}
	job.Provider, job.PricePerUnit, job.State = msg.Provider, provider.PricePerUnit, types.JobAssigned
	if err := s.Jobs.Set(ctx, job.Id, job); err != nil {
		return nil, err
	}
	provider.ActiveJobs++
	if err := s.Providers.Set(ctx, owner, provider); err != nil {
		return nil, err
	}
	return &types.MsgAcceptJobResponse{}, emit(ctx, &types.EventJobAccepted{
		JobId: job.Id, Provider: msg.Provider, PricePerUnit: job.PricePerUnit.String(),
	})
}

func (s msgServer) SubmitReceipt(ctx context.Context, msg *types.MsgSubmitReceipt) (*types.MsgSubmitReceiptResponse, error) {
	if err := validate(msg); err != nil {
		return nil, err
	}
	owner, err := types.ParseAddress("provider", msg.Provider)
	if err != nil {
		return nil, err
	}
	job, err := s.GetJob(ctx, msg.JobId)
	if err != nil {
		return nil, err
	}
	switch {
	case job.Receipt != nil:
		return nil, types.ErrReceiptExists.Wrapf("job %d got its receipt at height %d", job.Id, job.Receipt.Height)
	case job.State != types.JobAssigned:
		return nil, types.ErrInvalidJobState.Wrapf("job %d is %s; receipts are for assigned jobs", job.Id, job.State)
	case job.Provider != msg.Provider:
		return nil, types.ErrWrongProvider.Wrapf("job %d is assigned to %s", job.Id, job.Provider)
	case height(ctx) > job.DeadlineHeight:
		return nil, types.ErrDeadlinePassed.Wrapf("job %d was due by height %d", job.Id, job.DeadlineHeight)
	case msg.ComputeUnits > job.MaxUnits:
		return nil, types.ErrUnitsExceeded.Wrapf("%d units, job allows 1 to %d", msg.ComputeUnits, job.MaxUnits)
	}
	provider, err := s.GetProvider(ctx, owner)
	if err != nil {
		return nil, err
	}
	signingKey, err := types.SigningKey(provider.Pubkey)
	if err != nil {
		return nil, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	signBytes := types.ReceiptSignBytes(sdkCtx.ChainID(), job.Id, msg.OutputHash, msg.ComputeUnits, job.PricePerUnit)
	sdkCtx.GasMeter().ConsumeGas(sigVerifyGas, "x/compute receipt signature")
	if !signingKey.VerifySignature(signBytes, msg.Signature) {
		return nil, types.ErrInvalidSignature.Wrapf("receipt for job %d is not signed by %s's key", job.Id, msg.Provider)
	}
	params, err := s.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	coordinators := params.CoordinatorKeys()
	attested := make(map[uint32]bool, len(msg.Attestations))
	for _, a := range msg.Attestations {
		if int(a.Coordinator) >= len(coordinators) || attested[a.Coordinator] {
			return nil, types.ErrInvalidAttestation.Wrapf("coordinator %d is unknown or repeated", a.Coordinator)
		}
		sdkCtx.GasMeter().ConsumeGas(sigVerifyGas, "x/compute attestation signature")
		if !coordinators[a.Coordinator].VerifySignature(signBytes, a.Signature) {
			return nil, types.ErrInvalidAttestation.Wrapf("coordinator %d's signature does not verify", a.Coordinator)
		}
		attested[a.Coordinator] = true
	}
	if len(attested) < int(params.RequiredAttestations) {
		return nil, types.ErrInvalidAttestation.Wrapf("%d attestations, %d required", len(attested), params.RequiredAttestations)
	}

	h := sdkCtx.BlockHeight()
	job.Receipt = &types.Receipt{OutputHash: msg.OutputHash, ComputeUnits: msg.ComputeUnits, Signature: msg.Signature, Attestations: msg.Attestations, Height: h}
	job.State = types.JobDelivered
	job.SettleHeight = h + int64(params.DisputeWindowBlocks)
	if err := s.Jobs.Set(ctx, job.Id, job); err != nil {
		return nil, err
	}
	if err := s.Deadlines.Remove(ctx, collections.Join(job.DeadlineHeight, job.Id)); err != nil {
		return nil, err
	}
	if err := s.Settlements.Set(ctx, collections.Join(job.SettleHeight, job.Id)); err != nil {
		return nil, err
	}
	return &types.MsgSubmitReceiptResponse{SettleHeight: job.SettleHeight}, emit(ctx, &types.EventReceiptSubmitted{
		JobId: job.Id, Provider: msg.Provider, ComputeUnits: msg.ComputeUnits, OutputHash: msg.OutputHash, SettleHeight: job.SettleHeight,
	})
}

func (s msgServer) DisputeJob(ctx context.Context, msg *types.MsgDisputeJob) (*types.MsgDisputeJobResponse, error) {
	if err := validate(msg); err != nil {
		return nil, err
	}
	job, err := s.jobOf(ctx, msg.Client, msg.JobId)
	if err != nil {
		return nil, err
	}
	if job.State != types.JobDelivered {
		return nil, types.ErrInvalidJobState.Wrapf("job %d is %s; only delivered jobs can be disputed", job.Id, job.State)
	}
	if height(ctx) >= job.SettleHeight {
		return nil, types.ErrDisputeWindowClosed.Wrapf("job %d's window closed at height %d", job.Id, job.SettleHeight)
	}
	job.State, job.DisputeReason = types.JobDisputed, msg.Reason
	if err := s.Jobs.Set(ctx, job.Id, job); err != nil {
		return nil, err
	}
	if err := s.Settlements.Remove(ctx, collections.Join(job.SettleHeight, job.Id)); err != nil {
		return nil, err
	}
	return &types.MsgDisputeJobResponse{}, emit(ctx, &types.EventJobDisputed{JobId: job.Id, Reason: msg.Reason})
}

func (s msgServer) ResolveDispute(ctx context.Context, msg *types.MsgResolveDispute) (*types.MsgResolveDisputeResponse, error) {
	if err := validate(msg); err != nil {
		return nil, err
	}
	if msg.Authority != s.authority {
		return nil, types.ErrUnauthorized.Wrapf("disputes are resolved by governance (%s), not %s", s.authority, msg.Authority)
	}
	job, err := s.GetJob(ctx, msg.JobId)
	if err != nil {
		return nil, err
	}
	if job.State != types.JobDisputed {
		return nil, types.ErrInvalidJobState.Wrapf("job %d is %s, not disputed", job.Id, job.State)
	}
	switch msg.Resolution {
	case types.ResolutionPay:
		err = s.settle(ctx, job)
	case types.ResolutionRefund:
		err = s.closeJob(ctx, job, types.JobRefunded, false)
	case types.ResolutionRefundAndSlash:
		err = s.closeJob(ctx, job, types.JobRefunded, true)
	default:
		err = types.ErrInvalidResolution.Wrapf("%s", msg.Resolution)
	}
	if err != nil {
		return nil, err
	}
	return &types.MsgResolveDisputeResponse{}, nil
}

// errNotFound reports whether err is collections' not-found.
func errNotFound(err error) bool { return errors.Is(err, collections.ErrNotFound) }
